/** The pretraining stage's config (02-pretrain): every field documented; `PRETRAIN_DEFAULTS` are the `default` profile's (its smallest size). */
import type { OptimiserSettings } from './schedule';

export interface PretrainConfig extends OptimiserSettings {
  /** optimiser steps (one batch each) */
  steps: number;
  /** windows per batch */
  batchSize: number;
  /** dropout on embeddings, attention and residual branches while pretraining */
  dropout: number;
  /** validation loss every N steps (and after the last) */
  evalEvery: number;
  /** held-out windows the validation loss reads (0 = the whole validation stream) */
  evalWindows: number;
  /** checkpoint every N steps (and after the last) */
  checkpointEvery: number;
  /** seed of the batches and dropout masks */
  seed: number;
}

/** The `default` profile's smallest model (src/workbook/stage-configs.ts builds the others). */
export const PRETRAIN_DEFAULTS: PretrainConfig = {
  steps: 600,
  batchSize: 8,
  lr: 3e-3,
  minLr: 3e-3 * 0.1,
  warmupSteps: 30,
  weightDecay: 0.1,
  clipNorm: 1,
  dropout: 0,
  evalEvery: 50,
  evalWindows: 32,
  checkpointEvery: 100,
  seed: 1,
};
