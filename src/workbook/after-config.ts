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
  /** The DPO trainer (fields documented on DpoConfig, src/train/dpo-config.ts). */
  dpo: DpoConfig;
  /** RLOO's own numbers; the rest of its rollout (answer length, temperature, lr, clip, beta, no-EOS rule, iterations) is the profile's PPO trainer's. */
  rloo: Pick<RlooConfig, 'k'>;
}

export const AFTER_STAGE_DEFAULTS: AfterStageConfig = {
  prompts: 300,
  bestOfN: [1, 4, 16],
  measurePrompts: 64,
  dpoPairs: 2560,
  dpo: { ...DPO_DEFAULTS, epochs: 1 },
  rloo: { k: 4 },
};
