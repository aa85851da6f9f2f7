/**
 * 07-after-instructgpt's config: one section (`after`) of the workbook profile. The stage
 * itself is after-stage.ts.
 */
import { DPO_DEFAULTS, DpoConfig } from '../train/dpo-config';
import type { RlooConfig } from '../train/rloo-config';

/** 07's config: one section of the workbook profile. */
export interface AfterStageConfig {
  /** Sealed evaluation prompts (06's main set, in its order) every method answers and the held-out judges compare (0 = all). */
  prompts: number;
  /** The n of best-of-n; the largest is sampled per prompt once and the smaller n take its first samples. */
  bestOfN: number[];
  /** Of those prompts, how many each trained policy samples to measure KL to SFT and RM score. */
  measurePrompts: number;
  /** Preference pairs DPO trains on, drawn (seeded) from the RM's training comparisons expanded to pairs (0 = all). */
  dpoPairs: number;
  /** The DPO trainer (fields documented on DpoConfig, src/train/dpo-config.ts), its floor as a share of lr (1 = flat after warm-up) and its seed the run's. */
  dpo: Omit<DpoConfig, 'minLr' | 'seed'> & { minLrRatio: number };
  /** RLOO's own numbers; the rest of its rollout (answer length, temperature, lr, clip, beta, no-EOS rule, iterations) is the profile's PPO trainer's. */
  rloo: Pick<RlooConfig, 'k'>;
}

export const AFTER_STAGE_DEFAULTS: AfterStageConfig = {
  prompts: 300,
  bestOfN: [1, 4, 16],
  measurePrompts: 64,
  dpoPairs: 2560,
  dpo: {
    beta: DPO_DEFAULTS.beta,
    epochs: DPO_DEFAULTS.epochs,
    batchSize: DPO_DEFAULTS.batchSize,
    lr: DPO_DEFAULTS.lr,
    minLrRatio: DPO_DEFAULTS.minLr / DPO_DEFAULTS.lr,
    warmupSteps: DPO_DEFAULTS.warmupSteps,
    weightDecay: DPO_DEFAULTS.weightDecay,
    clipNorm: DPO_DEFAULTS.clipNorm,
  },
  rloo: { k: 4 },
};
