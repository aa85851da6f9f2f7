/**
 * Generalised advantage estimation (Schulman et al. 2016) over the tokens of each answer,
 * and masked whitening, as in the PPO step of the InstructGPT recipe (gamma 1, lambda 0.95).
 *
 *   delta_t = r_t + gamma * V_(t+1) - V_t          (V after the last answer token = 0)
 *   A_t     = delta_t + gamma * lambda * A_(t+1)
 *   R_t     = A_t + V_t                            (the value function's target)
 *
 * Episodes are answers of different lengths stored row-major as [B, T] with a mask that is
 * 1 on the answer's tokens and 0 on right padding (answers are short: plain JS arrays).
 */

export interface GaeConfig {
  /** Discount per token; the paper uses 1 (no discount inside an answer). */
  gamma: number;
  /** GAE lambda: 0 = one-step TD, 1 = Monte Carlo return minus value. */
  lambda: number;
}

export const DEFAULTS: GaeConfig = { gamma: 1, lambda: 0.95 };

export interface GaeInput {
  /** Per-token rewards [B*T] (see rewards.ts: -beta*KL_t, plus the RM score at the end). */
  rewards: ArrayLike<number>;
  /** Value estimates V_t [B*T]. */
  values: ArrayLike<number>;
  /** 1 on answer tokens, 0 on right padding [B*T]. */
  mask: ArrayLike<number>;
  batch: number;
  length: number;
}

/** Length of each answer, checking that the mask is 0/1 with the 1s first. */
export function answerLengths(mask: ArrayLike<number>, batch: number, length: number, where = 'answerLengths'): Int32Array {
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(length) || length < 1) {
    throw new Error(`${where}: batch and length must be integers >= 1, got ${batch} x ${length}`);
  }
  if (mask.length !== batch * length) throw new Error(`${where}: mask has ${mask.length} entries, expected B*T = ${batch}*${length}`);
  const lengths = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const m = mask[b * length + t];
      if (m !== 0 && m !== 1) throw new Error(`${where}: mask[${b}, ${t}] must be 0 or 1, got ${m}`);
      if (m === 1 && lengths[b] !== t) throw new Error(`${where}: mask row ${b} has a 1 after padding at ${t}; answers must be right-padded`);
      if (m === 1) lengths[b]++;
    }
  }
  return lengths;
}

export function gae(ep: GaeInput, config: GaeConfig = DEFAULTS): { advantages: Float32Array; returns: Float32Array } {
  const { gamma, lambda } = config;
  if (!(gamma >= 0 && gamma <= 1)) throw new Error(`gae: gamma must be in [0, 1], got ${gamma}`);
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`gae: lambda must be in [0, 1], got ${lambda}`);
  const { rewards, values, batch, length } = ep;
  const lengths = answerLengths(ep.mask, batch, length, 'gae');
  for (const [name, xs] of [
    ['rewards', rewards],
    ['values', values],
  ] as const) {
    if (xs.length !== batch * length) throw new Error(`gae: ${name} has ${xs.length} entries, expected B*T = ${batch}*${length}`);
  }
  const advantages = new Float32Array(batch * length);
  const returns = new Float32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    let nextValue = 0,
      nextAdv = 0;
    for (let t = lengths[b] - 1; t >= 0; t--) {
      const i = b * length + t;
      if (!Number.isFinite(rewards[i]) || !Number.isFinite(values[i])) throw new Error(`gae: reward or value at [${b}, ${t}] is not finite`);
      const delta = rewards[i] + gamma * nextValue - values[i];
      nextAdv = delta + gamma * lambda * nextAdv;
      advantages[i] = nextAdv;
      returns[i] = nextAdv + values[i];
      nextValue = values[i];
    }
  }
  return { advantages, returns };
}

/**
 * Masked whitening: (x - mean) / sqrt(var + 1e-8) over the masked entries, with the unbiased
 * variance (as TRL's masked_whiten). shiftMean=false adds the mean back (used for rewards).
 * Padding entries come back as 0.
 */
export function whiten(x: ArrayLike<number>, mask: ArrayLike<number>, shiftMean = true): Float32Array {
  if (x.length !== mask.length) throw new Error(`whiten: x has ${x.length} entries but mask has ${mask.length}`);
  let n = 0,
    sum = 0;
  for (let i = 0; i < x.length; i++) {
    if (mask[i] !== 0 && mask[i] !== 1) throw new Error(`whiten: mask[${i}] must be 0 or 1, got ${mask[i]}`);
    if (mask[i] === 1) {
      if (!Number.isFinite(x[i])) throw new Error(`whiten: x[${i}] is not finite (${x[i]})`);
      n++;
      sum += x[i];
    }
  }
  if (n < 2) throw new Error(`whiten: need at least 2 unmasked entries, got ${n}`);
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < x.length; i++) if (mask[i] === 1) ss += (x[i] - mean) * (x[i] - mean);
  const scale = 1 / Math.sqrt(ss / (n - 1) + 1e-8);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) if (mask[i] === 1) out[i] = (x[i] - mean) * scale + (shiftMean ? 0 : mean);
  return out;
}
