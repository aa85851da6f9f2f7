/**
 * The DPO stage's config (paired with `dpo.ts`, as `ppo-config.ts` with `ppo.ts`). Every field
 * is documented; the DPO paper's values (Rafailov et al. 2023, section 6 and Appendix B) are
 * given where it states them. The optimiser settings are the ones SFT uses (AdamW, warm-up,
 * cosine decay to `minLr`, global-norm clipping), so DPO steps exactly like the other stages
 * (the paper uses RMSprop).
 */
import type { OptimiserSettings } from './schedule';

export interface DpoConfig extends OptimiserSettings {
  /** beta: how far the policy may move from the reference. The implicit reward of an answer is
   *  beta * log(pi(y|x) / pi_ref(y|x)); a small beta lets the policy drift further (paper: 0.1,
   *  0.5 for some tasks). */
  beta: number;
  /** Passes over the preference pairs. */
  epochs: number;
  /** Preference pairs per optimiser step; each pair is two rows, chosen and rejected (paper: 64). */
  batchSize: number;
  /** Seed of the pair order (a fresh shuffle each epoch): the same seed gives the same run. */
  seed: number;
}

/** A tiny model's defaults: larger steps than the paper's lr 1e-6 (which it warms up over 150
 *  steps, then holds), held flat after warm-up (minLr = lr). */
export const DPO_DEFAULTS: DpoConfig = {
  beta: 0.1,
  epochs: 1,
  batchSize: 16,
  lr: 1e-4,
  minLr: 1e-4,
  warmupSteps: 10,
  weightDecay: 0,
  clipNorm: 1,
  seed: 0,
};

/** Checks the numbers that mergeConfig cannot (ranges); throws one line naming the field. */
export function validateDpoConfig(c: DpoConfig, where = 'DpoConfig'): void {
  const int = (k: keyof DpoConfig, min: number) => {
    const v = c[k];
    if (!(Number.isInteger(v) && v >= min)) throw new Error(`${where}: ${k} must be an integer >= ${min}, got ${v}`);
  };
  int('epochs', 1);
  int('batchSize', 1);
  int('warmupSteps', 0);
  for (const k of ['beta', 'lr'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] > 0)) throw new Error(`${where}: ${k} must be a finite number > 0, got ${c[k]}`);
  }
  for (const k of ['weightDecay', 'clipNorm'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new Error(`${where}: ${k} must be a finite number >= 0, got ${c[k]}`);
  }
  if (!(Number.isFinite(c.minLr) && c.minLr >= 0 && c.minLr <= c.lr)) throw new Error(`${where}: minLr must be in [0, lr=${c.lr}], got ${c.minLr}`);
  if (!Number.isFinite(c.seed)) throw new Error(`${where}: seed must be a finite number, got ${c.seed}`);
}
