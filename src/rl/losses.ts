/**
 * The PPO losses of the RL stage, in tfjs, as masked means over answer tokens
 * (Schulman et al. 2017; the InstructGPT recipe: clip 0.2, value clipping, per-token KL).
 *
 *   ratio_t    = exp(log pi(a_t) - log pi_old(a_t))
 *   L_clip     = E_t[ max(-A_t ratio_t, -A_t clip(ratio_t, 1-eps, 1+eps)) ]     (minimised)
 *   L_value    = 1/2 E_t[ max((V_t - R_t)^2, (V_old + clip(V_t - V_old, -c, c) - R_t)^2) ]
 *   H_t        = -sum_v p_v log p_v                   (entropy of the next-token distribution)
 *   KL_t  k1   = log p - log q;   k2 = 1/2 (log p - log q)^2;   k3 = (q/p - 1) - log(q/p)
 *
 * (k1/k2/k3 are John Schulman's estimators of KL(p || q) from samples of p; k3 is unbiased
 * and never negative.) All inputs are [B, T] tensors with a 0/1 mask of the same shape,
 * except logits [B, T, V].
 */
import * as tf from '@tensorflow/tfjs';
import { maskedMean } from '../model/logprobs';

export interface PpoClipConfig {
  /** eps of the clipped surrogate: the ratio pi/pi_old is clipped to [1-eps, 1+eps] (paper: 0.2). */
  clipRange: number;
  /** c of the value loss: V may move at most c from V_old before the clipped error counts. */
  valueClipRange: number;
}

export const DEFAULTS: PpoClipConfig = { clipRange: 0.2, valueClipRange: 0.2 };

function sameShape(where: string, named: Record<string, tf.Tensor>): void {
  const entries = Object.entries(named);
  const [firstName, first] = entries[0];
  for (const [name, t] of entries.slice(1)) {
    if (!tf.util.arraysEqual(t.shape, first.shape)) {
      throw new Error(`${where}: ${name} has shape [${t.shape}] but ${firstName} has [${first.shape}]`);
    }
  }
}

function checkClip(where: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`${where}: ${name} must be a finite number > 0, got ${v}`);
}

export interface PolicyLossInput {
  logprobs: tf.Tensor;
  oldLogprobs: tf.Tensor;
  advantages: tf.Tensor;
  mask: tf.Tensor;
}

/** Clipped surrogate; also the fraction of tokens where clipping bites and 1/2 E[(log ratio)^2]. */
export function policyLoss(input: PolicyLossInput, clipRange = DEFAULTS.clipRange): { loss: tf.Scalar; clipfrac: tf.Scalar; approxKl: tf.Scalar } {
  sameShape('policyLoss', { ...input });
  checkClip('policyLoss', 'clipRange', clipRange);
  const { logprobs, oldLogprobs, advantages, mask } = input;
  return tf.tidy(() => {
    const logRatio = tf.sub(logprobs, oldLogprobs); // [B, T]
    const ratio = tf.exp(logRatio); // [B, T]
    const pg1 = tf.mul(tf.neg(advantages), ratio); // [B, T]
    const pg2 = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange)); // [B, T]
    return {
      loss: maskedMean(tf.maximum(pg1, pg2), mask),
      clipfrac: maskedMean(tf.cast(tf.greater(pg2, pg1), 'float32'), mask),
      approxKl: tf.mul(0.5, maskedMean(tf.mul(logRatio, logRatio), mask)) as tf.Scalar,
    };
  });
}

export interface ValueLossInput {
  values: tf.Tensor;
  oldValues: tf.Tensor;
  returns: tf.Tensor;
  mask: tf.Tensor;
}

/** Clipped value loss; also the fraction of tokens where the clipped error is the larger. */
export function valueLoss(input: ValueLossInput, clipRange = DEFAULTS.valueClipRange): { loss: tf.Scalar; clipfrac: tf.Scalar } {
  sameShape('valueLoss', { ...input });
  checkClip('valueLoss', 'clipRange', clipRange);
  const { values, oldValues, returns, mask } = input;
  return tf.tidy(() => {
    const clipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clipRange, clipRange)); // [B, T]
    const vf1 = tf.squaredDifference(values, returns); // [B, T]
    const vf2 = tf.squaredDifference(clipped, returns); // [B, T]
    return {
      loss: tf.mul(0.5, maskedMean(tf.maximum(vf1, vf2), mask)) as tf.Scalar,
      clipfrac: maskedMean(tf.cast(tf.greater(vf2, vf1), 'float32'), mask),
    };
  });
}

/**
 * Entropy of each position's next-token distribution: logits [..., V] -> [...]. Logits must
 * be finite: mask a vocabulary with a large negative number, not -Infinity (0 * -inf = NaN).
 */
export function tokenEntropy(logits: tf.Tensor): tf.Tensor {
  if (logits.rank < 2) throw new Error(`tokenEntropy: logits must be [..., V] with rank >= 2, got [${logits.shape}]`);
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits); // [B, T, V]
    return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)); // [B, T]
  });
}

/** Masked mean entropy over answer tokens: logits [B, T, V], mask [B, T]. */
export function entropy(logits: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(logits.shape.slice(0, -1), mask.shape)) {
    throw new Error(`entropy: logits [${logits.shape}] must be mask's shape [${mask.shape}] plus a vocabulary axis`);
  }
  return tf.tidy(() => maskedMean(tokenEntropy(logits), mask));
}
