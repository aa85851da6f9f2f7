/**
 * The whole Adam update of one parameter as one wasm kernel (a JS loop on the heap) instead
 * of ~14 elementwise kernels: with g' = g * scale (the clipping factor, a scalar tensor),
 *
 *   m' = beta1 m + (1 - beta1) g';   v' = beta2 v + (1 - beta2) g'^2
 *   p' = p - stepSize m' / (sqrt(v' vCorrection) + eps) - decay p
 *
 * Inputs p, g, m, v (same shape, float32) and scale ([] float32); outputs [p', m', v'].
 * optimizer.ts uses it when the active backend has it and the fast path is on.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './wasm-matmul';

export const ADAM_UPDATE = 'RlhfAdamUpdate';

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - beta1^t): the bias correction of m folded into the step. */
  stepSize: number;
  /** 1 / (1 - beta2^t). */
  vCorrection: number;
  /** lr * weightDecay for this parameter (0: none). */
  decay: number;
}

/** The fused update's inputs and attributes, checked: g, m and v must match p (float32). Every backend's kernel reads them so. */
export function adamKernelArgs(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): Record<'p' | 'g' | 'm' | 'v' | 'scale', tf.TensorInfo> & AdamUpdateAttrs {
  const inputs = args.inputs as Record<'p' | 'g' | 'm' | 'v' | 'scale', tf.TensorInfo>;
  const { p } = inputs;
  for (const name of ['g', 'm', 'v'] as const) {
    const t = inputs[name];
    if (t.shape.join(',') !== p.shape.join(',') || t.dtype !== 'float32')
      throw new Error(`${ADAM_UPDATE}: ${name} [${t.shape}] ${t.dtype} does not match p [${p.shape}] float32`);
  }
  return { ...inputs, ...(args.attrs as unknown as AdamUpdateAttrs) };
}

export function adamUpdate(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { p, g, m, v, scale, beta1, beta2, eps, stepSize, vCorrection, decay } = adamKernelArgs(args);
  const outs = [backend.makeOutput(p.shape, 'float32'), backend.makeOutput(p.shape, 'float32'), backend.makeOutput(p.shape, 'float32')];
  // Views taken after makeOutput: a heap growth there would detach earlier ones.
  const [P, G, M, V] = [p, g, m, v].map((t) => backend.typedArrayFromHeap(t));
  const [P1, M1, V1] = outs.map((t) => backend.typedArrayFromHeap(t));
  const s = backend.typedArrayFromHeap(scale)[0];
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < P.length; i++) {
    const gi = G[i] * s;
    const mi = (M1[i] = beta1 * M[i] + c1 * gi);
    const vi = (V1[i] = beta2 * V[i] + c2 * gi * gi);
    P1[i] = P[i] - (stepSize * mi) / (Math.sqrt(vi * vCorrection) + eps) - decay * P[i];
  }
  return outs;
}
