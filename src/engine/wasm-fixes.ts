/**
 * Kernels the tfjs wasm backend needs for training (it is slow or lacks them), registered
 * over the stock ones by `registerWasmFixes()`:
 *  - `BatchMatMul` on the XNNPACK fast path (wasm-matmul.ts);
 *  - `UnsortedSegmentSum` (the gradient of `gather`), missing from wasm: a JS loop on the heap;
 *  - `Sum` over leading axes (bias gradients) as row adds; the stock kernel transposes first;
 *  - `SplitV` (the q|k|v split) as contiguous row-chunk copies instead of strided slices;
 *  - `Identity` shares its input's buffer (reference-counted, as the cpu backend does): the
 *    engine clones every tensor a gradient saves, and wasm copied each one (~200 a step);
 *  - `GatherV2` along axis 0 (embedding lookups) as row copies; the wasm kernel goes element
 *    by element with strides;
 *  - new kernels: the fused Adam update of one parameter (wasm-adam.ts) and the token
 *    cross-entropy's forward and gradient around a softmax (wasm-xent.ts).
 * Every one is checked against the cpu backend in test/engine/wasm-fixes.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { fastPath } from './fast-path';
import { ADAM_UPDATE, adamUpdate } from './wasm-adam';
import { batchMatMul } from './wasm-matmul';
import { TARGET_LOG_PROB, TARGET_LOG_PROB_GRAD, targetLogProb, targetLogProbGrad } from './wasm-xent';
import type { WasmBackend } from './wasm-matmul';

let registered = false;

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = Number(args.attrs?.numSegments);
  const idRank = segmentIds.shape.length;
  for (let d = 0; d < idRank; d++) {
    if (segmentIds.shape[d] !== x.shape[d]) throw new Error(`UnsortedSegmentSum (wasm): segmentIds shape ${segmentIds.shape} must prefix x shape ${x.shape}`);
  }
  const inner = x.shape.slice(idRank).reduce((p, d) => p * d, 1);
  const count = segmentIds.shape.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  // Views taken after makeOutput: a heap growth there would detach earlier ones.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < count; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

/**
 * `Sum` over leading axes (bias gradients: [B*T, C] -> [C]) as row-by-row adds in JS; the
 * wasm kernel transposes first and is ~8x slower there. Other reductions go to the original.
 */
function sumLeadingAxes(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo | tf.TensorInfo[] => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(args.attrs?.axis as number | number[], x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original(args as Parameters<tf.KernelFunc>[0]);
    const rest = x.shape.slice(axes.length);
    const rows = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
    const cols = rest.reduce((p, d) => p * d, 1);
    const out = backend.makeOutput(args.attrs?.keepDims ? [...axes.map(() => 1), ...rest] : rest, 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    dst.fill(0);
    // four rows per pass: a quarter of the reads and writes of dst (fast path; else one)
    let i = 0;
    if (fastPath())
      for (; i + 4 <= rows; i += 4) {
        const r0 = i * cols;
        const r1 = r0 + cols;
        const r2 = r1 + cols;
        const r3 = r2 + cols;
        for (let j = 0; j < cols; j++) dst[j] += src[r0 + j] + src[r1 + j] + src[r2 + j] + src[r3 + j];
      }
    for (; i < rows; i++) {
      const row = i * cols;
      for (let j = 0; j < cols; j++) dst[j] += src[row + j];
    }
    return out;
  };
}

/**
 * `SplitV` (tf.split, e.g. the fused q|k|v projection along its last axis) as contiguous
 * row-chunk copies on the heap; the wasm kernel's strided slices are ~10x slower there.
 */
function splitV(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs?.numOrSizeSplits as number | number[], axis);
  const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const rowLen = x.shape[axis] * inner;
  const outs = sizes.map((size) => {
    const shape = x.shape.slice();
    shape[axis] = size;
    return backend.makeOutput(shape, x.dtype);
  });
  const src = backend.typedArrayFromHeap(x);
  let start = 0;
  sizes.forEach((size, i) => {
    const dst = backend.typedArrayFromHeap(outs[i]);
    const len = size * inner;
    for (let b = 0; b < outer; b++) dst.set(src.subarray(b * rowLen + start, b * rowLen + start + len), b * len);
    start += len;
  });
  return outs;
}

/** `Identity` without a copy: the output is the input's buffer with one more reference. */
function identityShared(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo | tf.TensorInfo[] => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string' || !fastPath()) return original(args as Parameters<tf.KernelFunc>[0]);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * `GatherV2` along axis 0 without batch dims (wte / wpe lookups, target log-probs from a flat
 * vector): whole rows copied on the heap. Indices are checked as the wasm kernel checks them.
 * Other gathers go to the original.
 */
function gatherRows(original: tf.KernelFunc) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo | tf.TensorInfo[] => {
    const backend = args.backend as WasmBackend;
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0];
    if (!fastPath() || axis !== 0 || Number(args.attrs?.batchDims ?? 0) !== 0 || x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') {
      return original(args as Parameters<tf.KernelFunc>[0]);
    }
    const rows = x.shape[0];
    const rowLen = x.shape.slice(1).reduce((p, d) => p * d, 1);
    const count = indices.shape.reduce((p, d) => p * d, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Views taken after makeOutput: a heap growth there would detach earlier ones.
    const idx = backend.typedArrayFromHeap(indices);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < count; i++) {
      const r = idx[i];
      if (!(r >= 0 && r <= rows - 1)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      }
      if (rowLen === 1) dst[i] = src[r];
      else dst.set(src.subarray(r * rowLen, (r + 1) * rowLen), i * rowLen);
    }
    return out;
  };
}

/** Put `make(original)` in place of the wasm kernel `name`. */
function replace(
  name: string,
  make: (original: tf.KernelFunc) => (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => unknown,
): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(original.kernelFunc) as tf.KernelFunc });
}

/** Replace / add the kernels on the wasm backend. Safe to call more than once. */
export function registerWasmFixes(): void {
  if (registered) return;
  replace('Sum', sumLeadingAxes);
  replace('Identity', identityShared);
  replace('GatherV2', gatherRows);
  if (tf.getKernel('BatchMatMul', 'wasm')) tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul as tf.KernelFunc });
  if (tf.getKernel('SplitV', 'wasm')) tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({ kernelName: 'SplitV', backendName: 'wasm', kernelFunc: splitV as unknown as tf.KernelFunc });
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc });
  if (!tf.getKernel(ADAM_UPDATE, 'wasm'))
    tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamUpdate as unknown as tf.KernelFunc });
  if (!tf.getKernel(TARGET_LOG_PROB, 'wasm'))
    tf.registerKernel({ kernelName: TARGET_LOG_PROB, backendName: 'wasm', kernelFunc: targetLogProb as unknown as tf.KernelFunc });
  if (!tf.getKernel(TARGET_LOG_PROB_GRAD, 'wasm'))
    tf.registerKernel({ kernelName: TARGET_LOG_PROB_GRAD, backendName: 'wasm', kernelFunc: targetLogProbGrad as unknown as tf.KernelFunc });
  registered = true;
}
