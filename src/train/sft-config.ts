/** The SFT stage's config (03-sft): every field documented; `SFT_DEFAULTS` are the `default` profile's. */
import type { OptimiserSettings } from './schedule';

export interface SftConfig extends OptimiserSettings {
  /** passes over the demonstrations (paper: 16) */
  epochs: number;
  /** demonstrations per batch */
  batchSize: number;
  /** residual dropout while fine-tuning (paper: 0.2) */
  dropout: number;
  /** seed of the shuffles and dropout masks */
  seed: number;
}

/** The `default` profile's (the paper trains 16 epochs; a tiny SFT model overfits long before). */
export const SFT_DEFAULTS: SftConfig = {
  epochs: 6,
  batchSize: 16,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 10,
  weightDecay: 0.1,
  clipNorm: 1,
  dropout: 0.2,
  seed: 1,
};
