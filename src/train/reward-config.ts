/** The reward model's training config (04-reward-model): every field documented; `REWARD_DEFAULTS` are the `default` profile's. */

export interface RewardConfig {
  /** Prompts per optimizer step; each brings all its K answers and C(K,2) comparisons. */
  batchPrompts: number;
  /** Passes over the rankings (the paper: 1; a second pass overfits). */
  epochs: number;
  /** Peak learning rate (the paper's 6B RM: 9e-6; tiny models take much larger steps). */
  lr: number;
  /** Linear warm-up steps before the cosine decay. */
  warmupSteps: number;
  /** Floor of the cosine decay, as a fraction of `lr`. */
  minLrRatio: number;
  /** Decoupled weight decay on matrices. */
  weightDecay: number;
  /** Global gradient-norm clip. */
  clipNorm: number;
  /** Answers scored per forward pass when only scoring (evaluation, bias, selection). */
  scoreBatch: number;
  /** Evaluate the validation rankings every this many steps (0: only at the end). */
  evalEvery: number;
  /** `ranking`: one batch element per prompt (the paper). `shuffled-pairs`: the ablation. */
  mode: 'ranking' | 'shuffled-pairs';
  /** Seeds the reward head's initialisation and the order of batches. */
  seed: number;
}

/** The `default` profile's (the paper: 1 epoch; a second pass helps a tiny RM). */
export const REWARD_DEFAULTS: RewardConfig = {
  batchPrompts: 8,
  epochs: 2,
  lr: 1e-4,
  warmupSteps: 10,
  minLrRatio: 0.1,
  weightDecay: 0,
  clipNorm: 1,
  scoreBatch: 64,
  evalEvery: 25,
  mode: 'ranking',
  seed: 1,
};
