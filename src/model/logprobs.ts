/**
 * Log-probabilities of given tokens and the masked token cross-entropy (the LM loss of
 * pretraining, of SFT with an answer-only mask, and of PPO-ptx's pretraining term).
 * Target log-probs are read with one flat gather on [B*T*V] (no one-hot: on wasm a gather
 * is cheap and its gradient is one UnsortedSegmentSum).
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardOptions, GPT } from './gpt';

/**
 * log softmax(logits / temperature)[target] per position.
 * logits [B, T, V], targets [B, T] int32 -> [B, T]
 */
export function tokenLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  if (targets.shape[0] !== B || targets.shape[1] !== T) {
    throw new Error(`tokenLogProbs: targets [${targets.shape}] do not match logits [${logits.shape}]`);
  }
  if (!(temperature > 0)) throw new Error(`tokenLogProbs: temperature must be > 0, got ${temperature}`);
  return tf.tidy(() => {
    const scaled = temperature === 1 ? logits.reshape([B * T, V]) : logits.reshape([B * T, V]).div(temperature); // [B*T, V]
    const logp = tf.logSoftmax(scaled as tf.Tensor2D); // [B*T, V]
    const flatIdx = tf.range(0, B * T, 1, 'int32').mul(tf.scalar(V, 'int32')).add(targets.reshape([B * T]).toInt()); // [B*T]
    return tf.gather(logp.reshape([B * T * V]), flatIdx).reshape([B, T]) as tf.Tensor2D; // [B, T]
  });
}

/** sum(values * mask) / max(sum(mask), 1). values, mask [B, T] -> scalar */
export function maskedMean(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const m = mask.toFloat();
    return values.mul(m).sum().div(m.sum().maximum(1)) as tf.Scalar;
  });
}

/** Per-row sum of masked log-probs: log pi(y | x) of each sequence. [B, T] -> [B] */
export function sequenceLogProbs(logprobs: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => logprobs.mul(mask.toFloat()).sum(1) as tf.Tensor1D);
}

/**
 * Mean negative log-likelihood of the targets where mask = 1 (pad, and for SFT the prompt,
 * excluded). logits [B, T, V], targets [B, T], mask [B, T] -> scalar
 */
export function maskedCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D, temperature = 1): tf.Scalar {
  return tf.tidy(() => maskedMean(tokenLogProbs(logits, targets, temperature), mask).neg() as tf.Scalar);
}

/**
 * Next-token LM loss on whole sequences: the model reads tokens[:, :-1] and is scored on
 * tokens[:, 1:] where lossMask[:, 1:] = 1. tokens, lossMask [B, T+1] (lossMask[t] = 1 means
 * "token t is a target"). Sequences are right-padded, so no attention mask is needed.
 */
export function languageModelLoss(
  model: GPT,
  tokens: tf.Tensor2D,
  lossMask: tf.Tensor2D,
  opts: Pick<ForwardOptions, 'training' | 'dropoutSeed'> = {},
): tf.Scalar {
  const [B, T1] = tokens.shape;
  if (lossMask.shape[0] !== B || lossMask.shape[1] !== T1) {
    throw new Error(`languageModelLoss: lossMask [${lossMask.shape}] does not match tokens [${tokens.shape}]`);
  }
  return tf.tidy(() => {
    const inputs = tokens.slice([0, 0], [B, T1 - 1]) as tf.Tensor2D; // [B, T]
    const targets = tokens.slice([0, 1], [B, T1 - 1]) as tf.Tensor2D; // [B, T]
    const mask = lossMask.slice([0, 1], [B, T1 - 1]) as tf.Tensor2D; // [B, T]
    const { logits } = model.forward(inputs, opts); // [B, T, V]
    return maskedCrossEntropy(logits, targets, mask);
  });
}
