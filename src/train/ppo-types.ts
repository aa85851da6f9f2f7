/**
 * What the PPO stage works on and what it logs: the networks (policy, frozen reference and
 * reward model, the value network), the prompt and corpus data, and the fixed metric names of
 * one iteration's row.
 */
import type { GPT } from '../model/gpt';
import type { ScalarHead } from '../model/heads';
import type { Tokenizer } from '../model/tokenizer';

/** The networks of the stage. `policy`, `valueModel` and `valueHead` are trained in place. */
export interface PpoModels {
  /** pi_RL, initialised from the chosen SFT checkpoint. */
  policy: GPT;
  /** pi_SFT, a frozen copy of the same SFT checkpoint. */
  reference: GPT;
  /** The reward model's trunk and head r_theta (frozen). */
  rewardModel: GPT;
  rewardHead: ScalarHead;
  /** The value network's trunk: a copy of the reward model's, trained when `valueTrunk` is
   *  'trained'. With 'frozen' it is not used (the value head reads the RM's own trunk). */
  valueModel?: GPT;
  /** The value head V(s_t): initialised from the reward head. */
  valueHead: ScalarHead;
  tokenizer: Tokenizer;
}

export interface PpoData {
  /** The PPO prompts (texts; no labels). */
  prompts: string[];
  /** Token ids of the pretraining corpus (training part): the ptx batches. Needed when ptxCoef > 0. */
  pretrainTokens?: ArrayLike<number>;
  /** Token ids of held-out pretraining text: `val/pretrain_loss`. Needed when evalPretrainBatch > 0. */
  heldOutTokens?: ArrayLike<number>;
}

/** The fixed metric names of one iteration's row (TRL's grouping). */
export const METRICS = [
  'iteration', // 1-based
  'objective/kl', // mean over answers of sum_t KL_t (nats per answer)
  'objective/rlhf_reward', // mean over answers of r_theta(x, y) - beta * sum_t KL_t
  'objective/scores', // mean RM score r_theta(x, y) (after the no-EOS penalty)
  'objective/entropy', // mean entropy of the sampling distribution per answer token (nats)
  'objective/beta', // the KL coefficient used this iteration
  'policy/clipfrac', // fraction of answer tokens where the ratio clip bites (mean over steps)
  'policy/approxkl', // 1/2 E[(log pi/pi_old)^2] (mean over steps)
  'val/num_eos_tokens', // answers that ended with EOS, of rolloutBatch
  'val/mean_length', // mean answer length in tokens
  'val/value_clipfrac', // fraction of tokens where the clipped value error counts
  'val/pretrain_loss', // LM loss on held-out pretraining text (the alignment tax); NaN when not measured
  'loss/policy', // clipped surrogate (mean over steps)
  'loss/value', // clipped value loss (mean over steps)
  'loss/ptx', // pretraining LM loss on the ptx batches (0 when ptxCoef = 0: not computed)
  'time/seconds', // wall time of the iteration
  'time/generate', // of which sampling the answers
  'time/optimise', // of which the minibatch updates
] as const;
export type MetricName = (typeof METRICS)[number];
export type PpoRow = Record<MetricName, number>;
