/**
 * `BatchMatMul` for the tfjs wasm backend. Stock wasm runs XNNPACK only for one untransposed
 * rank-2 product and falls to a naive ~1-3 GFLOP/s loop otherwise, i.e. for all of backprop
 * and attention. Here:
 *  - transposed operands are transposed explicitly (a blocked JS copy on the heap), or the
 *    product is computed as (op(B)^T op(A)^T)^T when that moves fewer numbers;
 *  - a batch runs slice by slice on XNNPACK through zero-copy views (each slice registered
 *    with the wasm module as a tensor id pointing into its parent's memory); a batch against
 *    one shared right operand becomes one tall product;
 *  - whole operands keep their own ids, so XNNPACK's packed right operand (cached by id) and
 *    our transposed copies of weights are reused until the source tensor is disposed;
 *  - tiny products (decoding-step attention) skip XNNPACK set-up in a JS loop.
 */
import * as tf from '@tensorflow/tfjs';
import { fastPath } from './fast-path';

/** The parts of tfjs-backend-wasm's BackendWasm that these kernels use. */
export interface WasmBackend {
  wasm: {
    cwrap: (name: string, ret: null, args: string[]) => (...a: unknown[]) => void;
    tfjs: { registerTensor: (id: number, size: number, offset: number) => void; disposeData: (id: number) => void };
  };
  dataIdNextNumber: number;
  dataIdMap: { get: (dataId: object) => { id: number; memoryOffset: number }; has: (dataId: object) => boolean };
  makeOutput: (shape: number[], dtype: tf.DataType) => tf.TensorInfo;
  disposeData: (dataId: object, force?: boolean) => boolean;
  incRef: (dataId: object) => void;
  typedArrayFromHeap: (t: tf.TensorInfo) => Float32Array | Int32Array | Uint8Array;
}

type MatMulFn = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  tA: boolean,
  tB: boolean,
  outId: number,
) => void;

let wasmMatMul: MatMulFn | null = null;

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** Register a rank-3 view of `size` floats starting `offset` floats into `parent`. */
function view(backend: WasmBackend, parentOffset: number, offset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, parentOffset + offset * 4);
  return id;
}

/**
 * Below this many rows the wasm Transpose kernel is the faster transpose (its column walk
 * stays in cache): [64,64,64] 0.21 vs 0.55 ms, [1,128,2048] 0.33 vs 0.63, [1,384,1024] 0.38
 * vs 0.96; from 512 rows the blocked JS copy wins ([1,1024,512] 1.2 vs 3.0 ms).
 */
const WASM_TRANSPOSE_ROWS = 512;

/**
 * [batch, rows, cols] -> [batch, cols, rows]. With the fast path, short operands (attention's
 * per-head slices, narrow products' outputs) go to the wasm Transpose kernel; tall ones to a
 * blocked copy in JS on the wasm heap that writes the output sequentially within each block
 * (about 2-3x as fast there as the wasm kernel, and 1.8x as fast as reading sequentially).
 */
export function transposeLast2(backend: WasmBackend, x: tf.TensorInfo, shape3: number[]): tf.TensorInfo {
  const [batch, rows, cols] = shape3;
  if (fastPath() && rows > 1 && cols > 1 && rows < WASM_TRANSPOSE_ROWS && x.dtype === 'float32') {
    const transpose = tf.getKernel('Transpose', 'wasm');
    if (transpose) {
      const input = { dataId: x.dataId, shape: shape3, dtype: x.dtype };
      return transpose.kernelFunc({ inputs: { x: input }, backend: backend as unknown as tf.KernelBackend, attrs: { perm: [0, 2, 1] } }) as tf.TensorInfo;
    }
  }
  const out = backend.makeOutput([batch, cols, rows], x.dtype);
  const src = backend.typedArrayFromHeap({ dataId: x.dataId, shape: shape3, dtype: x.dtype });
  const dst = backend.typedArrayFromHeap(out);
  const BLOCK = 32;
  if (!fastPath()) {
    transposeReadOrder(src, dst, batch, rows, cols);
    return out;
  }
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let j0 = 0; j0 < cols; j0 += BLOCK) {
      const j1 = Math.min(j0 + BLOCK, cols);
      for (let i0 = 0; i0 < rows; i0 += BLOCK) {
        const i1 = Math.min(i0 + BLOCK, rows);
        for (let j = j0; j < j1; j++) {
          let o = base + j * rows + i0;
          let at = base + i0 * cols + j;
          for (let i = i0; i < i1; i++, o++, at += cols) dst[o] = src[at];
        }
      }
    }
  }
  return out;
}

/** The transpose before the fast path (engine/fast-path.ts): reads sequentially per block. */
function transposeReadOrder(src: ArrayLike<number>, dst: { [i: number]: number }, batch: number, rows: number, cols: number): void {
  const BLOCK = 32;
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += BLOCK) {
      const i1 = Math.min(i0 + BLOCK, rows);
      for (let j0 = 0; j0 < cols; j0 += BLOCK) {
        const j1 = Math.min(j0 + BLOCK, cols);
        for (let i = i0; i < i1; i++) {
          const row = base + i * cols;
          for (let j = j0; j < j1; j++) dst[base + j * rows + i] = src[row + j];
        }
      }
    }
  }
}

/** Products of at most this many FLOPs are computed in JS: no XNNPACK set-up, no transposes. */
const SMALL_PRODUCT = 1 << 15;

/**
 * The fewest rows m for which an [m, k] x [k, n] product runs on XNNPACK rather than the JS
 * loop. The two round differently (float32 vs float64 sums), so a caller that shrinks a batch
 * and wants every row's numbers unchanged keeps at least this many rows.
 */
export function xnnpackMinRows(k: number, n: number): number {
  return Math.floor(SMALL_PRODUCT / (2 * k * n)) + 1;
}

/**
 * op(A) op(B) per batch entry with plain loops on the heap (decoding steps, tiny heads). Each
 * output sums over p in order in a float64 accumulator. Outputs are computed four columns at
 * a time, four independent sums, so the additions do not wait on each other (decoding
 * attention's products about 2x as fast as one column at a time, same bits); the loops run along contiguous memory (rows of B,
 * or dot products of rows when B is transposed).
 */
function smallMatMul(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  out: tf.TensorInfo,
  d: { m: number; n: number; k: number; batch: number; ia: (i: number) => number; ib: (i: number) => number; transposeA: boolean; transposeB: boolean },
): void {
  const { m, n, k } = d;
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(a) as Float32Array;
  const y = backend.typedArrayFromHeap(b) as Float32Array;
  // element strides of A[i, p] in its stored layout
  const aRow = d.transposeA ? 1 : k;
  const aCol = d.transposeA ? m : 1;
  // element strides of B[p, j]: B stored [n, k] when transposed, [k, n] otherwise
  const bRow = d.transposeB ? 1 : n;
  const bCol = d.transposeB ? k : 1;
  const n4 = n - (n % 4);
  for (let s = 0; s < d.batch; s++) {
    const a0 = d.ia(s) * m * k;
    const b0 = d.ib(s) * k * n;
    const o0 = s * m * n;
    for (let i = 0; i < m; i++) {
      const ai = a0 + i * aRow;
      const oi = o0 + i * n;
      let j = 0;
      for (; j < n4; j += 4) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let at = ai;
        let bt = b0 + j * bCol;
        for (let p = 0; p < k; p++, at += aCol, bt += bRow) {
          const aip = x[at];
          s0 += aip * y[bt];
          s1 += aip * y[bt + bCol];
          s2 += aip * y[bt + 2 * bCol];
          s3 += aip * y[bt + 3 * bCol];
        }
        o[oi + j] = s0;
        o[oi + j + 1] = s1;
        o[oi + j + 2] = s2;
        o[oi + j + 3] = s3;
      }
      for (; j < n; j++) {
        let sum = 0;
        let at = ai;
        let bt = b0 + j * bCol;
        for (let p = 0; p < k; p++, at += aCol, bt += bRow) sum += x[at] * y[bt];
        o[oi + j] = sum;
      }
    }
  }
}

/**
 * Transposed copies of right operands, keyed by the source's dataId, so a weight used as
 * `x @ W^T` many times (the tied unembedding while sampling) is transposed and packed once.
 * Entries whose source was disposed are freed on the next call; at most 8 are kept.
 */
const transposeCache = new Map<object, tf.TensorInfo>();

function sweepTransposeCache(backend: WasmBackend): void {
  for (const [src, t] of transposeCache) {
    if (!backend.dataIdMap.has(src)) {
      backend.disposeData(t.dataId);
      transposeCache.delete(src);
    }
  }
}

function cachedTranspose(backend: WasmBackend, b: tf.TensorInfo, k: number, n: number): tf.TensorInfo {
  const hit = transposeCache.get(b.dataId);
  if (hit && hit.shape[1] === k && hit.shape[2] === n) return hit;
  const t = transposeLast2(backend, b, [1, n, k]);
  if (transposeCache.size >= 8) {
    const [oldest, old] = transposeCache.entries().next().value as [object, tf.TensorInfo];
    backend.disposeData(old.dataId);
    transposeCache.delete(oldest);
  }
  transposeCache.set(b.dataId, t);
  return t;
}

/** Flat batch index of an operand whose outer dims broadcast to `outDims`. */
function batchIndexer(dims: number[], outDims: number[]): (i: number) => number {
  const size = dims.reduce((p, d) => p * d, 1);
  if (size === 1) return () => 0;
  const full = outDims.reduce((p, d) => p * d, 1);
  if (size === full && dims.length === outDims.length) return (i) => i;
  const pad = outDims.length - dims.length;
  return (i) => {
    let idx = 0;
    let rem = i;
    let stride = 1;
    for (let k = outDims.length - 1; k >= 0; k--) {
      const coord = rem % outDims[k];
      rem = Math.floor(rem / outDims[k]);
      const d = k - pad >= 0 ? dims[k - pad] : 1;
      if (d !== 1) idx += coord * stride;
      stride *= d;
    }
    return idx;
  };
}

export function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  return batchMatMulImpl(args.backend as WasmBackend, a, b, Boolean(args.attrs?.transposeA), Boolean(args.attrs?.transposeB));
}

/**
 * Relative cost of moving one element in a JS transpose vs in XNNPACK's packing of the right
 * operand (measured here: ~2x with the output-sequential transpose, ~3.6x before it).
 */
const TRANSPOSE_VS_PACK = 2;
/** The same, measured with the transpose before the fast path. */
const TRANSPOSE_VS_PACK_BEFORE = 3.6;

/**
 * Whether C = op(A) op(B) is cheaper as (op(B)^T op(A)^T)^T: that transposes other operands
 * and packs op(A)^T instead of op(B). Pays off for the unembedding's weight gradient
 * (dlogits^T h: [V, B*T] x [B*T, C]), where A is large and C is narrow.
 */
function swapIsCheaper(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): boolean {
  const t = fastPath() ? TRANSPOSE_VS_PACK : TRANSPOSE_VS_PACK_BEFORE;
  const direct = t * ((transposeA ? m * k : 0) + (transposeB ? k * n : 0)) + k * n;
  const swapped = t * ((transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * n) + m * k;
  return swapped < 0.8 * direct;
}

type TransposeFn = (xId: number, xShape: Uint8Array, rank: number, dtype: number, outId: number, perm: Uint8Array, permRank: number) => void;
let wasmTranspose: TransposeFn | null = null;

/** Rows of A per chunk in kSplitTransposedA (a chunk's transpose stays on the fast wasm route). */
const K_CHUNK = 256;

/**
 * C = A^T op(B) for a tall A (k >= 2 K_CHUNK rows: weight gradients x^T dy, the unembedding's
 * dlogits^T h) as the sum over chunks of K_CHUNK rows: C = sum_c A_c^T B_c. Each A_c is a
 * contiguous block, transposed by the wasm kernel (2-3x faster than one JS transpose of all
 * of A, whose 1024-row column walk leaves the cache), and each partial product runs on
 * XNNPACK; partials are added with wasm's Add. Sums run in a fixed order (deterministic).
 */
function kSplitTransposedA(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  m: number,
  k: number,
  n: number,
  transposeB: boolean,
  outShape: number[],
): tf.TensorInfo {
  if (wasmTranspose == null) {
    wasmTranspose = backend.wasm.cwrap('Transpose', null, ['number', 'array', 'number', 'number', 'number', 'array', 'number']) as unknown as TransposeFn;
  }
  const add = tf.getKernel('Add', 'wasm');
  if (!add) throw new Error('BatchMatMul (wasm): no Add kernel');
  const bU = transposeB ? transposeLast2(backend, b, [1, n, k]) : b; // [k, n]
  const aInfo = backend.dataIdMap.get(a.dataId);
  const bInfo = backend.dataIdMap.get(bU.dataId);
  const perm = shapeBytes([1, 0]);
  let sum: tf.TensorInfo | null = null;
  const aT = backend.makeOutput([m, K_CHUNK], 'float32'); // reused for every chunk
  const aTId = backend.dataIdMap.get(aT.dataId).id;
  for (let k0 = 0; k0 < k; k0 += K_CHUNK) {
    const kc = Math.min(K_CHUNK, k - k0);
    const aChunk = view(backend, aInfo.memoryOffset, k0 * m, kc * m); // [kc, m]
    wasmTranspose(aChunk, shapeBytes([kc, m]), 2, 0, aTId, perm, 2); // -> [m, kc] at the start of aT
    backend.wasm.tfjs.disposeData(aChunk);
    const bChunk = view(backend, bInfo.memoryOffset, k0 * n, kc * n); // [kc, n]
    const part = backend.makeOutput([m, n], 'float32');
    const aTc = kc === K_CHUNK ? aTId : view(backend, backend.dataIdMap.get(aT.dataId).memoryOffset, 0, m * kc);
    wasmMatMul!(aTc, shapeBytes([1, m, kc]), 3, bChunk, shapeBytes([1, kc, n]), 3, false, false, backend.dataIdMap.get(part.dataId).id);
    backend.wasm.tfjs.disposeData(bChunk);
    if (aTc !== aTId) backend.wasm.tfjs.disposeData(aTc);
    if (sum == null) {
      sum = part;
    } else {
      const next = add.kernelFunc({ inputs: { a: sum, b: part }, backend: backend as unknown as tf.KernelBackend, attrs: {} }) as tf.TensorInfo;
      backend.disposeData(sum.dataId);
      backend.disposeData(part.dataId);
      sum = next;
    }
  }
  backend.disposeData(aT.dataId);
  if (bU !== b) backend.disposeData(bU.dataId);
  return { dataId: sum!.dataId, shape: outShape, dtype: 'float32' };
}

function batchMatMulImpl(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, maySwap = true): tf.TensorInfo {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error('BatchMatMul (wasm): float32 only');
  if (transposeCache.size) sweepTransposeCache(backend);
  if (wasmMatMul == null) {
    wasmMatMul = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as MatMulFn;
  }
  const aR = a.shape.length;
  const bR = b.shape.length;
  const m = transposeA ? a.shape[aR - 1] : a.shape[aR - 2];
  const k = transposeA ? a.shape[aR - 2] : a.shape[aR - 1];
  const kB = transposeB ? b.shape[bR - 1] : b.shape[bR - 2];
  const n = transposeB ? b.shape[bR - 2] : b.shape[bR - 1];
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aDims = a.shape.slice(0, -2);
  const bDims = b.shape.slice(0, -2);
  const outDims = tf.broadcast_util.assertAndGetBroadcastShape(aDims, bDims);
  const batchA = aDims.reduce((p, d) => p * d, 1);
  const batchB = bDims.reduce((p, d) => p * d, 1);
  const batch = outDims.reduce((p, d) => p * d, 1);

  if (fastPath() && transposeA && batch === 1 && k >= 2 * K_CHUNK && 2 * m * n * k > SMALL_PRODUCT) {
    return kSplitTransposedA(backend, a, b, m, k, n, transposeB, [...outDims, m, n]);
  }
  // (only for a transposed A: a transposed B alone may be a weight whose transpose and
  // packing are cached across calls, which the cost model does not see)
  if (maySwap && transposeA && batch === 1 && 2 * m * n * k > SMALL_PRODUCT && swapIsCheaper(m, k, n, transposeA, transposeB)) {
    const flat = (t: tf.TensorInfo) => ({ dataId: t.dataId, shape: t.shape.slice(-2), dtype: t.dtype });
    const ct = batchMatMulImpl(backend, flat(b), flat(a), !transposeB, !transposeA, false); // [n, m]
    const c = transposeLast2(backend, ct, [1, n, m]); // [1, m, n]
    backend.disposeData(ct.dataId);
    return { dataId: c.dataId, shape: [...outDims, m, n], dtype: 'float32' };
  }
  const out = backend.makeOutput([...outDims, m, n], 'float32');
  if (batch * m * n === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const ia = batchIndexer(aDims, outDims);
  const ib = batchIndexer(bDims, outDims);
  if (2 * m * n * k <= SMALL_PRODUCT) {
    smallMatMul(backend, a, b, out, { m, n, k, batch, ia, ib, transposeA, transposeB });
    return out;
  }
  // Untransposed operands in [batch, rows, cols] layout. A transposed right operand that
  // outlives this call (a weight) is kept, so XNNPACK's packed copy of it is reused too.
  const aT = transposeA ? transposeLast2(backend, a, [batchA, k, m]) : null;
  const bT = transposeB ? (batchB === 1 ? cachedTranspose(backend, b, k, n) : transposeLast2(backend, b, [batchB, n, k])) : null;
  const aInfo = backend.dataIdMap.get((aT ?? a).dataId);
  const bInfo = backend.dataIdMap.get((bT ?? b).dataId);
  const outInfo = backend.dataIdMap.get(out.dataId);
  // A whole operand goes in under its own id (XNNPACK caches the packed right operand by
  // id until that tensor is disposed); a slice under a temporary view id.
  const operand = (info: { id: number; memoryOffset: number }, at: number, size: number, whole: boolean) =>
    whole ? { id: info.id, temp: false } : { id: view(backend, info.memoryOffset, at, size), temp: true };
  const run = (aAt: number, rows: number, bAt: number, outAt: number) => {
    const ops = [
      operand(aInfo, aAt, rows * k, rows === batchA * m),
      operand(bInfo, bAt, k * n, batchB === 1),
      operand(outInfo, outAt, rows * n, rows === batch * m),
    ];
    wasmMatMul!(ops[0].id, shapeBytes([1, rows, k]), 3, ops[1].id, shapeBytes([1, k, n]), 3, false, false, ops[2].id);
    for (const o of ops) if (o.temp) backend.wasm.tfjs.disposeData(o.id);
  };
  if (batchB === 1 && batchA === batch) {
    run(0, batch * m, 0, 0); // one shared right operand: a single tall product
  } else {
    for (let i = 0; i < batch; i++) run(ia(i) * m * k, m, ib(i) * k * n, i * m * n);
  }
  if (aT) backend.disposeData(aT.dataId);
  if (bT && !transposeCache.has(b.dataId)) backend.disposeData(bT.dataId);
  return out;
}
