/** The data section of a workbook profile, turned into the data builder's config. */
import { WorkbookConfig } from './profiles';
import { DataConfig, DATA_DEFAULTS } from '../labelers/datasets';

export function dataConfig(cfg: WorkbookConfig): DataConfig {
  const d = cfg.data;
  return {
    ...DATA_DEFAULTS,
    sizes: { sft: d.sftPrompts, rm: d.rmPrompts, ppo: d.ppoPrompts, eval: d.evalPrompts },
    kMin: d.kMin,
    kMax: d.kMax,
    agreementPrompts: d.agreementPrompts,
    // pairwise export of every ranking: 600k rows at paper sizes, so only when small
    writeComparisons: d.rmPrompts <= 5000,
    panel: { ...DATA_DEFAULTS.panel, trainLabelers: d.trainLabelers, heldOutLabelers: d.heldOutLabelers, seed: cfg.seed },
    seed: cfg.seed,
  };
}
