/**
 * Reading tensor values back to JavaScript: the one way `src/` does it.
 *
 * A GPU backend cannot read synchronously in Node: tfjs-backend-webgpu implements
 * `dataSync()` / `arraySync()` by drawing into an OffscreenCanvas, which Node lacks, so they
 * throw. Every read therefore awaits `t.data()`, which is exact and costs nothing extra on
 * wasm and cpu. Batch what one step needs into one tensor and read it once: on a GPU each
 * read-back is a round trip that waits for all queued work.
 *
 * These helpers dispose what they read (pass `keep: true` to keep it), because a read is
 * usually the last use of a tensor made only to be read.
 */
import * as tf from '@tensorflow/tfjs';

export interface ReadOptions {
  /** Keep the tensor (default: dispose it after reading). */
  keep?: boolean;
}

/** The values of `t` as a typed array (Float32Array for float32, Int32Array for int32/bool). */
export async function readValues<T extends tf.Tensor>(t: T, opts: ReadOptions = {}): Promise<Float32Array | Int32Array | Uint8Array> {
  try {
    return (await t.data()) as Float32Array | Int32Array | Uint8Array;
  } finally {
    if (!opts.keep) t.dispose();
  }
}

/** The values of a float32 tensor. */
export async function readFloats(t: tf.Tensor, opts: ReadOptions = {}): Promise<Float32Array> {
  if (t.dtype !== 'float32') {
    if (!opts.keep) t.dispose();
    throw new Error(`readFloats: expected a float32 tensor, got ${t.dtype}`);
  }
  return (await readValues(t, opts)) as Float32Array;
}

/** The single value of a scalar (or one-element) tensor. */
export async function readScalar(t: tf.Tensor, opts: ReadOptions = {}): Promise<number> {
  if (t.size !== 1) {
    if (!opts.keep) t.dispose();
    throw new Error(`readScalar: expected one element, got shape [${t.shape}]`);
  }
  return (await readValues(t, opts))[0];
}

/** Several tensors read in one round trip (flattened, concatenated, split back), disposed. */
export async function readMany(ts: tf.Tensor[], opts: ReadOptions = {}): Promise<Float32Array[]> {
  if (ts.length === 0) return [];
  const flat = tf.tidy(() => tf.concat(ts.map((t) => t.toFloat().reshape([-1]))));
  if (!opts.keep) tf.dispose(ts);
  const all = (await readValues(flat)) as Float32Array;
  const out: Float32Array[] = [];
  let at = 0;
  for (const t of ts) {
    out.push(all.slice(at, at + t.size));
    at += t.size;
  }
  return out;
}
