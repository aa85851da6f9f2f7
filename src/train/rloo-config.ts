/**
 * The RLOO trainer's config (paired with `rloo.ts`, as `ppo-config.ts` is with `ppo.ts`). Every
 * field is documented; the rollout fields mean what PPO's do, so the two trainers can be run on
 * the same prompts, the same reward model and the same sampling settings.
 */
import type { MissingEosPenalty } from '../rl/rewards';
import { PPO_DEFAULTS } from './ppo-config';

export interface RlooConfig {
  /** Iterations; each = one rollout of `promptsPerIteration * k` answers + one policy step. */
  iterations: number;
  /** Distinct prompts sampled per iteration (B); the batch holds B * k answers. */
  promptsPerIteration: number;
  /** Answers sampled per prompt, >= 2: each answer's baseline is the mean reward of the other
   *  k - 1 answers to the same prompt, so k = 1 has no baseline at all. */
  k: number;
  /** Longest answer sampled, EOS included; the RM reads an answer cut here with an EOS appended,
   *  as it was trained (plus `missingEos`'s penalty, when there is one). */
  maxNewTokens: number;
  /** Sampling temperature; log-probs of the policy and the reference are taken from
   *  logits / temperature, the distribution the answers were actually drawn from. */
  temperature: number;
  /** Adam learning rate of the policy (constant). */
  lr: number;
  /** Global gradient-norm clip of each policy step (0 = off). */
  maxGradNorm: number;
  /** KL coefficient beta, applied once per answer to the summed log-ratio against the reference
   *  (a sequence-level penalty, not a per-token reward as in PPO). */
  beta: number;
  /** Fixed penalty on the RM score of an answer that hit `maxNewTokens` without EOS, the same rule
   *  and the same default as PPO's (a training signal only; penalty 0 = none). */
  missingEos: MissingEosPenalty;
  /** Answers differentiated at once in the policy step: the step's gradient is summed over
   *  chunks of this many answers, so it sets peak memory, not the step (one step per iteration
   *  whatever the chunk; the sums differ only in float rounding). */
  gradientChunk: number;
  /** Seed of the prompt order and the sampler (forked per iteration). */
  seed: number;
}

/** The `default` profile's PPO rollout, taken from PPO's defaults so that the two stay
 *  comparable: as many answers per iteration (64 prompts x 4), the same answer length, learning
 *  rate, gradient clip, starting beta and no-EOS rule; sampled at temperature 1. Its gradient
 *  is taken in chunks of PPO's minibatch, a batch size PPO's step already fits in memory. */
export const RLOO_DEFAULTS: RlooConfig = {
  iterations: PPO_DEFAULTS.iterations,
  promptsPerIteration: PPO_DEFAULTS.rolloutBatch / 4,
  k: 4,
  maxNewTokens: PPO_DEFAULTS.maxNewTokens,
  temperature: 1,
  lr: PPO_DEFAULTS.lr,
  maxGradNorm: PPO_DEFAULTS.maxGradNorm,
  beta: PPO_DEFAULTS.kl.initKlCoef,
  missingEos: { ...PPO_DEFAULTS.missingEos },
  gradientChunk: PPO_DEFAULTS.miniBatch,
  seed: PPO_DEFAULTS.seed,
};

/** Checks the numbers that mergeConfig cannot (ranges); throws naming the field. */
export function validateRlooConfig(c: RlooConfig, where = 'RlooConfig'): void {
  const int = (k: keyof RlooConfig, min: number) => {
    const v = c[k] as number;
    if (!(Number.isInteger(v) && v >= min)) throw new Error(`${where}: ${k} must be an integer >= ${min}, got ${v}`);
  };
  int('iterations', 0);
  int('promptsPerIteration', 1);
  int('k', 2);
  int('maxNewTokens', 1);
  int('gradientChunk', 1);
  for (const k of ['temperature', 'lr'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] > 0)) throw new Error(`${where}: ${k} must be a finite number > 0, got ${c[k]}`);
  }
  for (const k of ['maxGradNorm', 'beta'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new Error(`${where}: ${k} must be a finite number >= 0, got ${c[k]}`);
  }
  const eos = c.missingEos;
  if (eos.mode !== 'subtract' && eos.mode !== 'replace') throw new Error(`${where}: missingEos.mode must be subtract or replace, got ${eos.mode}`);
  if (!(Number.isFinite(eos.penalty) && eos.penalty >= 0)) throw new Error(`${where}: missingEos.penalty must be a finite number >= 0, got ${eos.penalty}`);
}
