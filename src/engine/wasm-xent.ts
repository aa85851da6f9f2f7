/**
 * The token cross-entropy around a softmax as two wasm kernels (JS loops on the heap), used by
 * model/logprobs.ts `tokenLogProbs` on wasm when the fast path is on. With p = softmax(x)
 * (wasm's own fused kernel, kept: exp in a JS loop is slower) and t the target of each row:
 *
 *   forward  (RlhfTargetLogProb): log p_t read from p, O(N) instead of two Max passes, a Log,
 *            a gather and two Subs over [N, V]; where p_t is tiny (subnormal or 0), one pass
 *            over that row: log p_t = x_t - log Z,  log Z = x_m - log(p_m),  m = argmax(x)
 *            (the arg-max entry of p never underflows, so its log is finite);
 *   backward (RlhfTargetLogProbGrad): dx = (onehot(t) - p) * dy  as one broadcast Multiply
 *            and N writes, instead of OneHot, Cast, Sub and Multiply over [N, V].
 *
 * Inputs x, p [N, V] float32, targets [N] int32 (checked in [0, V)), dy [N] float32.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './wasm-matmul';

export const TARGET_LOG_PROB = 'RlhfTargetLogProb';
export const TARGET_LOG_PROB_GRAD = 'RlhfTargetLogProbGrad';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function checkShapes(kernel: string, probs: tf.TensorInfo, targets: tf.TensorInfo, other?: tf.TensorInfo, otherName = ''): [number, number] {
  if (probs.shape.length !== 2 || probs.dtype !== 'float32') throw new Error(`${kernel}: p must be [N, V] float32, got [${probs.shape}] ${probs.dtype}`);
  const [N, V] = probs.shape;
  if (targets.shape.length !== 1 || targets.shape[0] !== N || targets.dtype !== 'int32')
    throw new Error(`${kernel}: targets must be [${N}] int32, got [${targets.shape}] ${targets.dtype}`);
  if (other && (other.shape.join(',') !== (otherName === 'x' ? `${N},${V}` : `${N}`) || other.dtype !== 'float32')) {
    throw new Error(`${kernel}: ${otherName} must be [${otherName === 'x' ? `${N},${V}` : N}] float32, got [${other.shape}] ${other.dtype}`);
  }
  return [N, V];
}

function badTarget(kernel: string, backend: WasmBackend, out: tf.TensorInfo, row: number, t: number, V: number): never {
  backend.disposeData(out.dataId);
  throw new Error(`${kernel}: target ${t} of row ${row} is not in [0, ${V - 1}]`);
}

/**
 * Below this p_t is read through log Z = x_m - log(p_m) (one pass over the row) instead of
 * log(p_t): a subnormal p_t has lost digits, and one that underflowed to 0 has no log.
 */
const TINY = 1e-30;

/** log softmax(x)[t] per row, from x and p = softmax(x). -> [N] */
export function targetLogProb(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, p, targets } = args.inputs as Record<'x' | 'p' | 'targets', tf.TensorInfo>;
  const [N, V] = checkShapes(TARGET_LOG_PROB, p, targets, x, 'x');
  const out = backend.makeOutput([N], 'float32');
  // Views taken after makeOutput: a heap growth there would detach earlier ones.
  const X = backend.typedArrayFromHeap(x);
  const P = backend.typedArrayFromHeap(p);
  const T = backend.typedArrayFromHeap(targets);
  const O = backend.typedArrayFromHeap(out);
  for (let i = 0; i < N; i++) {
    const row = i * V;
    const t = T[i];
    if (!(t >= 0 && t < V)) badTarget(TARGET_LOG_PROB, backend, out, i, t, V);
    const pt = P[row + t];
    if (pt >= TINY) {
      O[i] = Math.log(pt);
      continue;
    }
    let m = row;
    for (let j = row + 1; j < row + V; j++) if (X[j] > X[m]) m = j;
    O[i] = X[row + t] - (X[m] - Math.log(P[m]));
  }
  return out;
}

/**
 * (onehot(t) - p) * dy per row. -> [N, V]
 * The product p * (-dy) runs as wasm's own broadcast Multiply (SIMD; a JS loop over [N, V]
 * is ~10x slower here), then the N target entries are set in place in that fresh output.
 */
export function targetLogProbGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { p, targets, dy } = args.inputs as Record<'p' | 'targets' | 'dy', tf.TensorInfo>;
  const [N, V] = checkShapes(TARGET_LOG_PROB_GRAD, p, targets, dy, 'dy');
  const multiply = tf.getKernel('Multiply', tf.getBackend());
  if (!multiply) throw new Error(`${TARGET_LOG_PROB_GRAD}: backend ${tf.getBackend()} has no Multiply kernel`);
  const negDy = backend.makeOutput([N, 1], 'float32');
  const ND = backend.typedArrayFromHeap(negDy);
  const D0 = backend.typedArrayFromHeap(dy);
  for (let i = 0; i < N; i++) ND[i] = -D0[i];
  const out = multiply.kernelFunc({ inputs: { a: p, b: negDy }, backend: args.backend as tf.KernelBackend, attrs: {} }) as tf.TensorInfo; // [N, V]
  backend.disposeData(negDy.dataId);
  const P = backend.typedArrayFromHeap(p);
  const T = backend.typedArrayFromHeap(targets);
  const D = backend.typedArrayFromHeap(dy);
  const O = backend.typedArrayFromHeap(out);
  for (let i = 0; i < N; i++) {
    const t = T[i];
    if (!(t >= 0 && t < V)) badTarget(TARGET_LOG_PROB_GRAD, backend, out, i, t, V);
    O[i * V + t] = (1 - P[i * V + t]) * D[i];
  }
  return out;
}
