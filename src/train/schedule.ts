/**
 * The learning-rate schedule as a small pure function, nanoGPT style (`get_lr` in
 * nanoGPT's train.py): linear warm-up, then cosine decay to a floor.
 *
 *   step <  warmupSteps:  lr_t = lr * (step + 1) / (warmupSteps + 1)
 *   step <  totalSteps:   lr_t = minLr + 1/2 (1 + cos(pi * (step - w) / (totalSteps - w))) (lr - minLr)
 *   step >= totalSteps:   lr_t = minLr
 *
 * Warm-up never starts at 0 (the first update already moves the weights) and reaches `lr`
 * exactly at `step = warmupSteps`, where the cosine starts.
 */

export interface LrSchedule {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Steps of linear warm-up (0 = start at the peak). */
  warmupSteps: number;
  /** Step at which the cosine reaches `minLr` (and stays there). */
  totalSteps: number;
  /** Floor of the decay; nanoGPT uses lr / 10. */
  minLr: number;
}

/** The optimiser settings the supervised stages share (pretraining and SFT): AdamW with a
 *  warm-up, a cosine decay to `minLr`, and global-norm clipping. */
export interface OptimiserSettings {
  /** peak learning rate, reached after warm-up */
  lr: number;
  /** floor of the cosine decay, reached at the last step (nanoGPT: lr / 10) */
  minLr: number;
  /** steps of linear warm-up */
  warmupSteps: number;
  /** decoupled weight decay on matrices and embeddings (AdamW) */
  weightDecay: number;
  /** clip the global gradient norm to this (0 = off) */
  clipNorm: number;
}

export const DEFAULTS: LrSchedule = { lr: 6e-4, warmupSteps: 100, totalSteps: 2000, minLr: 6e-5 };

function checkInt(name: string, v: number, lo: number): void {
  if (!Number.isInteger(v) || v < lo) throw new Error(`lrAt: ${name} must be an integer >= ${lo}, got ${v}`);
}

/** Learning rate at optimiser step `step` (0-based). */
export function lrAt(step: number, schedule: LrSchedule): number {
  const { lr, warmupSteps, totalSteps, minLr } = schedule;
  checkInt('step', step, 0);
  checkInt('warmupSteps', warmupSteps, 0);
  checkInt('totalSteps', totalSteps, warmupSteps);
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`lrAt: lr must be a finite number > 0, got ${lr}`);
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= lr)) {
    throw new Error(`lrAt: minLr must be in [0, lr=${lr}], got ${minLr}`);
  }
  if (step < warmupSteps) return (lr * (step + 1)) / (warmupSteps + 1);
  if (step >= totalSteps) return minLr;
  const decayRatio = (step - warmupSteps) / (totalSteps - warmupSteps); // in [0, 1)
  const coeff = 0.5 * (1 + Math.cos(Math.PI * decayRatio)); // 1 -> 0
  return minLr + coeff * (lr - minLr);
}
