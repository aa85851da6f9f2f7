/**
 * Each stage's library config, built from the workbook config: every field comes from the
 * profile's section of that stage (so `--param` reaches it) or from the run's one `seed`
 * (`--param ppo.trainer.seed` is refused: see params.ts).
 * The notebooks, the CLIs and the tests build their stage configs here and nowhere else.
 */
import { WorkbookConfig } from './profiles';
import { DataConfig, DATA_DEFAULTS } from '../labelers/datasets';
import { PretrainConfig } from '../train/pretrain-config';
import { SftConfig } from '../train/sft-config';
import { RewardConfig } from '../train/reward-config';
import { PpoConfig } from '../train/ppo-config';
import type { DpoConfig } from '../train/dpo-config';
import type { RejectionSftConfig } from '../train/rejection-sft';
import type { RlooConfig } from '../train/rloo-config';
import type { OptimiserSettings } from '../train/schedule';
import type { PolicyKind } from '../util/artifacts';

/** 01-data: the data build (prompts, demonstrations, rankings, the labeler panel). */
export function dataConfig(cfg: WorkbookConfig): DataConfig {
  const d = cfg.data;
  return {
    ...DATA_DEFAULTS,
    sizes: { sft: d.sftPrompts, rm: d.rmPrompts, ppo: d.ppoPrompts, dev: d.devPrompts, eval: d.evalPrompts },
    kMin: d.kMin,
    kMax: d.kMax,
    agreementPrompts: d.agreementPrompts,
    // pairwise export of every ranking: 600k rows at paper sizes, so only when small
    writeComparisons: d.rmPrompts <= 5000,
    panel: { ...DATA_DEFAULTS.panel, trainLabelers: d.trainLabelers, heldOutLabelers: d.heldOutLabelers, devLabelers: d.devLabelers, seed: cfg.seed },
    seed: cfg.seed,
  };
}

/** The optimiser settings of a supervised stage at peak learning rate `lr`. */
function optimiser(s: Omit<OptimiserSettings, 'lr' | 'minLr'> & { minLrRatio: number }, lr: number): OptimiserSettings {
  return { lr, minLr: lr * s.minLrRatio, warmupSteps: s.warmupSteps, weightDecay: s.weightDecay, clipNorm: s.clipNorm };
}

/** 02-pretrain: the base GPT of size `i` (0 = smallest); steps and lr are per size. */
export function pretrainConfig(cfg: WorkbookConfig, i: number): PretrainConfig {
  const p = cfg.pretrain;
  if (!(i >= 0 && i < p.steps.length)) throw new Error(`pretrainConfig: size index ${i} out of range (${p.steps.length} sizes)`);
  return {
    steps: p.steps[i],
    batchSize: p.batchSize,
    ...optimiser(p, p.lr[i]),
    dropout: p.dropout,
    evalEvery: p.evalEvery,
    evalWindows: p.evalWindows,
    checkpointEvery: p.checkpointEvery,
    seed: cfg.seed,
  };
}

/** 03-sft: supervised fine-tuning (the same for every size). */
export function sftConfig(cfg: WorkbookConfig): SftConfig {
  const s = cfg.sft;
  return {
    epochs: s.epochs,
    batchSize: s.batchSize,
    ...optimiser(s, s.lr),
    dropout: s.dropout,
    seed: cfg.seed,
  };
}

/** 04-reward-model: the reward model's training (whole rankings; the ablation changes `mode`). */
export function rewardConfig(cfg: WorkbookConfig): RewardConfig {
  const r = cfg.reward;
  return {
    batchPrompts: r.batchPrompts,
    epochs: r.epochs,
    lr: r.lr,
    warmupSteps: r.warmupSteps,
    minLrRatio: r.minLrRatio,
    weightDecay: r.weightDecay,
    clipNorm: r.clipNorm,
    scoreBatch: r.scoreBatch,
    evalEvery: r.evalEvery,
    mode: 'ranking',
    seed: cfg.seed,
  };
}

/** The index of model size `size` in the profile (0 = smallest), for its per-size entries. */
function sizeIndex(cfg: WorkbookConfig, size: string, where: string): number {
  const i = cfg.models.sizes.findIndex((s) => s.name === size);
  if (i < 0) throw new Error(`${where}: no model size "${size}" (${cfg.models.sizes.map((s) => s.name).join(', ')})`);
  return i;
}

/** 05-ppo: the trainer of one run of model size `size`: the policy's lr is `trainer.lr` times the
 *  size's `ppo.lrScale`; PPO-ptx's ptxCoef is `trainer.ptxCoef` times the size's `ppo.ptxScale`;
 *  plain PPO has no pretraining term (ptxCoef 0). */
export function ppoTrainerConfig(cfg: WorkbookConfig, kind: PolicyKind, size: string): PpoConfig {
  const t = cfg.ppo.trainer;
  const i = sizeIndex(cfg, size, 'ppoTrainerConfig');
  const ptxCoef = kind === 'ppo' ? 0 : t.ptxCoef * cfg.ppo.ptxScale[i];
  return { ...t, kl: { ...t.kl }, missingEos: { ...t.missingEos }, lr: t.lr * cfg.ppo.lrScale[i], ptxCoef, seed: cfg.seed };
}

/** 05-ppo: rejection-sampling fine-tuning of size `size` before its PPO runs, sampled and scored
 *  as the trainer's rollouts; null when the size's `ppo.rejection.samples` is 0. */
export function rejectionSftConfig(cfg: WorkbookConfig, size: string): RejectionSftConfig | null {
  const i = sizeIndex(cfg, size, 'rejectionSftConfig');
  const r = cfg.ppo.rejection;
  const t = cfg.ppo.trainer;
  if (r.samples[i] === 0) return null;
  return {
    samples: r.samples[i],
    prompts: r.prompts,
    epochs: r.epochs,
    batchSize: r.batchSize,
    lr: r.lr,
    maxNewTokens: t.maxNewTokens,
    temperature: t.temperature,
    missingEos: { ...t.missingEos },
    seed: cfg.seed,
  };
}

/** 07-after-instructgpt: DPO's trainer, the profile's `after.dpo` with the run's seed. */
export function dpoTrainerConfig(cfg: WorkbookConfig): DpoConfig {
  const d = cfg.after.dpo;
  return { beta: d.beta, epochs: d.epochs, batchSize: d.batchSize, ...optimiser(d, d.lr), seed: cfg.seed };
}

/**
 * 07-after-instructgpt: RLOO's trainer. Everything but k is PPO's (the profile's `ppo.trainer`):
 * as many answers per iteration (rolloutBatch / k prompts x k), the same iterations, answer
 * length, temperature, learning rate, gradient clip, no-EOS rule, and PPO's starting beta; its
 * one step per iteration is differentiated in chunks of PPO's minibatch (memory, not the step).
 */
export function rlooTrainerConfig(cfg: WorkbookConfig): RlooConfig {
  const t = cfg.ppo.trainer;
  const k = cfg.after.rloo.k;
  return {
    iterations: t.iterations,
    promptsPerIteration: Math.max(1, Math.floor(t.rolloutBatch / k)),
    k,
    maxNewTokens: t.maxNewTokens,
    temperature: t.temperature,
    lr: t.lr,
    maxGradNorm: t.maxGradNorm,
    beta: t.kl.initKlCoef,
    missingEos: { ...t.missingEos },
    gradientChunk: t.miniBatch,
    seed: cfg.seed,
  };
}
