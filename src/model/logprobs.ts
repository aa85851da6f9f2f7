/**
 * Log-probabilities of given tokens and the masked token cross-entropy (the LM loss of
 * pretraining, of SFT with an answer-only mask, and of PPO-ptx's pretraining term).
 * Target log-probs are read with one flat gather on [B*T*V] (no one-hot in the forward pass)
 * and a hand-written gradient, or on wasm one kernel each way (see tokenLogProbs).
 */
import * as tf from '@tensorflow/tfjs';
import { fastPath } from '../engine/fast-path';
import { TARGET_LOG_PROB, TARGET_LOG_PROB_GRAD } from '../engine/wasm-xent';
import type { ForwardOptions, GPT } from './gpt';

/**
 * log softmax(logits / temperature)[target] per position.
 * logits [B, T, V], targets [B, T] int32 -> [B, T]
 *
 * Computed without a full-vocab exp/log (slow on wasm): p = softmax(x) (one fused kernel),
 * and log Z = max(x) - log(max(p)) since the arg-max entry never underflows, so
 * log p_target = x_target - max(x) + log(max(p)). The gradient, onehot(target) - p, reuses p.
 * On wasm with the fast path on, the steps after the softmax and the gradient are one kernel
 * each (engine/wasm-xent.ts); otherwise tf ops (targetLogProbComposite).
 */
export function tokenLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  if (targets.shape[0] !== B || targets.shape[1] !== T) {
    throw new Error(`tokenLogProbs: targets [${targets.shape}] do not match logits [${logits.shape}]`);
  }
  if (!(temperature > 0)) throw new Error(`tokenLogProbs: temperature must be > 0, got ${temperature}`);
  const N = B * T;
  const fused = fastPath() && tf.getKernel(TARGET_LOG_PROB, tf.getBackend()) != null && tf.getKernel(TARGET_LOG_PROB_GRAD, tf.getBackend()) != null;
  return tf.tidy(() => {
    const flatTargets = targets.reshape([N]).toInt() as tf.Tensor1D; // [N]
    let x = logits.reshape([N, V]) as tf.Tensor2D; // [N, V]
    if (temperature !== 1) x = x.div(temperature);
    const value = fused ? targetLogProbFused(x, flatTargets) : targetLogProbComposite(x, flatTargets);
    return value.reshape([B, T]) as tf.Tensor2D; // [B, T]
  });
}

/**
 * log softmax(x)[target] per row with the forward's tail and the gradient as one kernel each
 * (engine/wasm-xent.ts; wasm, fast path on). x [N, V], targets [N] int32 -> [N]
 */
function targetLogProbFused(x: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [logits, t] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const p = tf.softmax(logits as tf.Tensor2D); // [N, V]
    const value = tf.engine().runKernel(TARGET_LOG_PROB, { x: logits, p, targets: t }) as tf.Tensor; // [N]
    save([p, t]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => [
      tf.engine().runKernel(TARGET_LOG_PROB_GRAD, { p: saved[0], targets: saved[1], dy }) as tf.Tensor, // [N, V]
      tf.zerosLike(saved[1]), // targets: no gradient
    ];
    return { value, gradFunc };
  });
  return op(x, targets) as tf.Tensor1D;
}

/**
 * The same from tf ops (the reference; engine/fast-path.ts): one flat gather on [N*V] and
 * the gradient onehot(target) - p by hand. x [N, V], targets [N] int32 -> [N]
 */
function targetLogProbComposite(x: tf.Tensor2D, flatTargets: tf.Tensor1D): tf.Tensor1D {
  const [N, V] = x.shape;
  const flatIdx = tf.range(0, N, 1, 'int32').mul(tf.scalar(V, 'int32')).add(flatTargets); // [N]
  const targetLogProb = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args[0] as tf.Tensor; // [N, V]
    const save = args[1] as tf.GradSaveFunc;
    const p = tf.softmax(xs as tf.Tensor2D); // [N, V]
    const logZ = tf.max(xs, 1).sub(tf.log(tf.max(p, 1))); // [N]
    const value = tf.gather(xs.reshape([N * V]), flatIdx).sub(logZ); // [N]
    save([p, flatTargets]); // saved tensors outlive this tidy; closed-over ones would not
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      // int32 one-hot then cast: wasm's OneHot with dtype float32 writes int bit patterns (1 -> 1.4e-45)
      tf
        .oneHot(saved[1] as tf.Tensor1D, V)
        .toFloat()
        .sub(saved[0])
        .mul(dy.reshape([N, 1])); // [N, V]
    return { value, gradFunc };
  });
  return targetLogProb(x) as tf.Tensor1D;
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
