/**
 * The per-token reward of the RL stage (Ouyang et al. 2022, eq. 2, as a token-level MDP):
 *
 *   R(x, y) = r_theta(x, y) - beta * log( pi_RL(y|x) / pi_SFT(y|x) )
 *   r_t     = -beta * KL_t             for every answer token t
 *           + r_theta(x, y)            added at the last answer token (the EOS)
 *
 * KL_t is the k1 estimate log pi_RL(y_t) - log pi_SFT(y_t) (its sum over the answer is the
 * log ratio in the paper's formula); k3 is available and never negative.
 * An answer cut at the length limit without EOS gets a fixed penalty on its RM score.
 */
import { answerLengths } from './gae';

/** John Schulman's estimators of KL(p || q) from a token sampled from p: k1 = log p/q (the paper's), k3 = (q/p - 1) - log q/p (never negative). */
export type KlEstimator = 'k1' | 'k3';

export interface ShapingInput {
  /** RM score r_theta(x, y) of each answer [B]. */
  scores: ArrayLike<number>;
  /** log pi_RL of each sampled answer token [B*T]. */
  logprobs: ArrayLike<number>;
  /** log pi_SFT (the frozen reference) of the same tokens [B*T]. */
  refLogprobs: ArrayLike<number>;
  /** 1 on answer tokens, 0 on right padding [B*T]. */
  mask: ArrayLike<number>;
  batch: number;
  length: number;
}

/** Per-token KL estimate of KL(pi_RL || pi_SFT) from one sampled token's log-probs. */
export function tokenKl(logp: number, logq: number, estimator: KlEstimator = 'k1'): number {
  if (estimator === 'k1') return logp - logq;
  if (estimator === 'k3') return Math.exp(logq - logp) - 1 - (logq - logp);
  throw new Error(`tokenKl: estimator must be k1 or k3, got ${estimator}`);
}

/** Shaped rewards [B*T], per-token KL [B*T] and each answer's summed KL [B]. */
export function shapeRewards(
  input: ShapingInput,
  klCoef: number,
  estimator: KlEstimator = 'k1',
): { rewards: Float32Array; kl: Float32Array; klPerAnswer: Float32Array } {
  const { scores, logprobs, refLogprobs, batch, length } = input;
  if (!(Number.isFinite(klCoef) && klCoef >= 0)) throw new Error(`shapeRewards: klCoef (beta) must be a finite number >= 0, got ${klCoef}`);
  const lengths = answerLengths(input.mask, batch, length, 'shapeRewards');
  if (scores.length !== batch) throw new Error(`shapeRewards: scores has ${scores.length} entries, expected B = ${batch}`);
  for (const [name, xs] of [
    ['logprobs', logprobs],
    ['refLogprobs', refLogprobs],
  ] as const) {
    if (xs.length !== batch * length) throw new Error(`shapeRewards: ${name} has ${xs.length} entries, expected B*T = ${batch}*${length}`);
  }
  const rewards = new Float32Array(batch * length),
    kl = new Float32Array(batch * length);
  const klPerAnswer = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    if (lengths[b] === 0) throw new Error(`shapeRewards: answer ${b} is empty (mask row all 0)`);
    if (!Number.isFinite(scores[b])) throw new Error(`shapeRewards: score ${b} is not finite (${scores[b]})`);
    for (let t = 0; t < lengths[b]; t++) {
      const i = b * length + t;
      kl[i] = tokenKl(logprobs[i], refLogprobs[i], estimator);
      if (!Number.isFinite(kl[i])) throw new Error(`shapeRewards: log-probs at [${b}, ${t}] are not finite`);
      rewards[i] = -klCoef * kl[i];
      klPerAnswer[b] += kl[i];
    }
    rewards[b * length + lengths[b] - 1] += scores[b]; // the RM score at the last (EOS) token
  }
  return { rewards, kl, klPerAnswer };
}

/** Whether each answer's last token (under the mask) is the EOS token. */
export function endsWithEos(tokens: ArrayLike<number>, mask: ArrayLike<number>, batch: number, length: number, eosId: number): boolean[] {
  const lengths = answerLengths(mask, batch, length, 'endsWithEos');
  if (tokens.length !== batch * length) throw new Error(`endsWithEos: tokens has ${tokens.length} entries, expected B*T = ${batch}*${length}`);
  return Array.from(lengths, (n, b) => n > 0 && tokens[b * length + n - 1] === eosId);
}

export interface MissingEosPenalty {
  /** 'subtract': score - penalty (TRL's missing_eos_penalty, independent of the RM's scale);
   *  'replace': the score becomes -penalty (TRL's older penalty_reward_value). */
  mode: 'subtract' | 'replace';
  /** Size of the penalty, >= 0. */
  penalty: number;
}

export const DEFAULTS: MissingEosPenalty = { mode: 'subtract', penalty: 1 };

/** RM scores with the fixed penalty applied to answers that have no EOS. */
export function penaliseMissingEos(scores: ArrayLike<number>, hasEos: ReadonlyArray<boolean>, config: MissingEosPenalty = DEFAULTS): Float32Array {
  if (scores.length !== hasEos.length) throw new Error(`penaliseMissingEos: ${scores.length} scores but ${hasEos.length} EOS flags`);
  if (!(Number.isFinite(config.penalty) && config.penalty >= 0))
    throw new Error(`penaliseMissingEos: penalty must be a finite number >= 0, got ${config.penalty}`);
  if (config.mode !== 'subtract' && config.mode !== 'replace') throw new Error(`penaliseMissingEos: mode must be subtract or replace, got ${config.mode}`);
  return Float32Array.from(scores, (s, b) => (hasEos[b] ? s : config.mode === 'subtract' ? s - config.penalty : -config.penalty));
}

/**
 * Scores minus the leave-one-out mean of their group: rows [g*k, (g+1)*k) answer the same
 * prompt, and each row's baseline is the mean score of the other k - 1 (RLOO's baseline; it
 * does not depend on the row's own answer, so the policy gradient stays unbiased). k = 1
 * returns a copy.
 */
export function leaveOneOutBaseline(scores: ArrayLike<number>, k: number): Float32Array {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`leaveOneOutBaseline: k must be an integer >= 1, got ${k}`);
  if (scores.length % k !== 0) throw new Error(`leaveOneOutBaseline: ${scores.length} scores do not split into groups of ${k}`);
  const out = Float32Array.from(scores);
  if (k === 1) return out;
  for (let g = 0; g < scores.length; g += k) {
    let sum = 0;
    for (let i = g; i < g + k; i++) sum += scores[i];
    for (let i = g; i < g + k; i++) out[i] = scores[i] - (sum - scores[i]) / (k - 1);
  }
  return out;
}
