import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { Rng } from '../../src/util/random';

/** Run `f` on wasm and on cpu with the same inputs; return both outputs, flat. */
async function onBoth(
  inputs: { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<{ wasm: Float32Array; cpu: Float32Array; shape: number[] }> {
  const run = () => {
    const y = tf.tidy(() => f(...inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype ?? 'float32'))));
    const out = { data: y.dataSync() as Float32Array, shape: y.shape };
    y.dispose();
    return out;
  };
  await tf.setBackend('wasm');
  const w = run();
  await tf.setBackend('cpu');
  const c = run();
  await tf.setBackend('wasm');
  assert.deepEqual(w.shape, c.shape);
  return { wasm: w.data, cpu: c.data, shape: w.shape };
}

/**
 * |wasm - cpu| <= tol * max(1, |cpu|), per element; or, with `overMax`, relative to the
 * largest |cpu| (for gradients, whose small entries come from cancelling large terms).
 */
function assertClose(got: Float32Array, want: Float32Array, tol = 1e-5, what = '', overMax = false): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const top = want.reduce((p, v) => Math.max(p, Math.abs(v)), 1);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const scale = overMax ? top : Math.max(1, Math.abs(want[i]));
    if (!(d <= tol * scale)) assert.fail(`${what}: element ${i}: wasm ${got[i]} vs cpu ${want[i]} (scale ${scale})`);
  }
}

function randomInput(rng: Rng, shape: number[]) {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.next() * 2 - 1;
  return { shape, values };
}

before(async () => {
  await initEngine({ backend: 'wasm' });
  await tf.setBackend('cpu'); // make sure cpu is initialised too
  await tf.setBackend('wasm');
});

test('BatchMatMul on wasm equals cpu for every transpose combination, batched and broadcast', async () => {
  const rng = new Rng('batchmatmul');
  // [aBatch, bBatch] outer dims; M, K, N drawn per case. (tfjs's own cpu kernel broadcasts
  // batch dims by index modulo, so cases where both sides broadcast, e.g. [2,1] x [1,3],
  // have no cpu reference.)
  const batches: [number[], number[]][] = [
    [[], []],
    [[3], [3]],
    [[5], []],
    [[], [4]],
    [
      [1, 3],
      [2, 3],
    ],
    [
      [2, 3],
      [1, 1],
    ],
    [[2, 3], [3]],
    [[1], [4]],
  ];
  // small products take a JS loop, larger ones XNNPACK: draw both regimes
  for (const [aDims, bDims] of batches)
    for (const big of [false, true]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const m = rng.intBetween(1, 20) + (big ? 40 : 0),
            k = rng.intBetween(1, 20) + (big ? 40 : 0),
            n = rng.intBetween(1, 20) + (big ? 40 : 0);
          const a = randomInput(rng, [...aDims, ...(tA ? [k, m] : [m, k])]);
          const b = randomInput(rng, [...bDims, ...(tB ? [n, k] : [k, n])]);
          const r = await onBoth([a, b], (x, y) => tf.matMul(x, y, tA, tB));
          assertClose(r.wasm, r.cpu, 1e-5, `a ${a.shape} b ${b.shape} tA=${tA} tB=${tB}`);
        }
      }
    }
});

test('small products (the JS loop) sum each output over k in order in float64, to the bit, four columns at a time or one', async () => {
  await tf.setBackend('wasm');
  const rng = new Rng('small-exact');
  // batch 6 of [m, k] x [k, n]: 2mnk <= 2^15, n with every remainder mod 4
  for (const [m, k, n] of [
    [1, 32, 37],
    [1, 37, 32],
    [3, 9, 6],
    [2, 5, 1],
  ])
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        const a = randomInput(rng, [6, ...(tA ? [k, m] : [m, k])]);
        const b = randomInput(rng, [6, ...(tB ? [n, k] : [k, n])]);
        const av = a.values as Float32Array;
        const bv = b.values as Float32Array;
        const got = tf.tidy(() => tf.matMul(tf.tensor(av, a.shape), tf.tensor(bv, b.shape), tA, tB).dataSync());
        const want = new Float32Array(6 * m * n);
        for (let s = 0; s < 6; s++)
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let sum = 0;
              for (let p = 0; p < k; p++) sum += av[s * m * k + (tA ? p * m + i : i * k + p)] * bv[s * k * n + (tB ? j * k + p : p * n + j)];
              want[(s * m + i) * n + j] = sum;
            }
        assert.deepEqual(got, want, `[${m}, ${k}] x [${k}, ${n}] tA=${tA} tB=${tB}`);
      }
});

test('products computed as (op(B)^T op(A)^T)^T (a tall transposed A, a narrow B) equal cpu', async () => {
  const rng = new Rng('swap');
  for (const [tA, tB] of [
    [true, false],
    [true, true],
    [false, false],
  ]) {
    const m = 300,
      k = 60,
      n = 8; // the unembedding-gradient shape, scaled down
    const a = randomInput(rng, tA ? [k, m] : [m, k]);
    const b = randomInput(rng, tB ? [n, k] : [k, n]);
    const r = await onBoth([a, b], (x, y) => tf.matMul(x, y, tA, tB));
    assert.deepEqual(r.shape, [m, n]);
    assertClose(r.wasm, r.cpu, 1e-5, `swap tA=${tA} tB=${tB}`);
  }
});

test("transposed operands on both transpose routes (wasm kernel below 512 rows, blocked JS copy from 512) give cpu's products", async () => {
  const rng = new Rng('transpose-routes');
  // [k, m] stored for a transposed A: k rows to transpose; [n, k] stored for a transposed B: n rows
  for (const [m, k, n, batch] of [
    [70, 600, 24, 1],
    [70, 300, 24, 1],
    [40, 24, 600, 1],
    [33, 48, 17, 6],
  ]) {
    for (const [tA, tB] of [
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const dims = batch > 1 ? [batch] : [];
      const a = randomInput(rng, [...dims, ...(tA ? [k, m] : [m, k])]);
      const b = randomInput(rng, [...dims, ...(tB ? [n, k] : [k, n])]);
      const r = await onBoth([a, b], (x, y) => tf.matMul(x, y, tA, tB));
      // float32 sums of k terms in another order: rounding grows with k
      assertClose(r.wasm, r.cpu, 1e-5 * Math.max(1, k / 100), `a ${a.shape} b ${b.shape} tA=${tA} tB=${tB}`);
    }
  }
});

test('a weight used transposed many times is cached, and freed once disposed', async () => {
  await tf.setBackend('wasm');
  const rng = new Rng('cache');
  const w = tf.tensor(randomInput(rng, [96, 64]).values, [96, 64]);
  const x = tf.tensor(randomInput(rng, [128, 64]).values, [128, 64]);
  const y = tf.tensor(randomInput(rng, [64, 4]).values, [64, 4]);
  const first = tf.matMul(x, w, false, true);
  const ids = tf.engine().backend.numDataIds();
  const again = tf.matMul(x, w, false, true);
  assert.equal(tf.engine().backend.numDataIds(), ids + 1, 'second use adds only its output');
  assert.deepEqual(Array.from(again.dataSync()), Array.from(first.dataSync()));
  const idsBefore = tf.engine().backend.numDataIds();
  w.dispose();
  tf.matMul(x, y).dispose(); // any call sweeps entries of disposed sources
  assert.equal(tf.engine().backend.numDataIds(), idsBefore - 2, 'w and its cached transpose are gone');
  tf.dispose([x, y, first, again]);
});

test('matMul gradients (all transposed products) on wasm equal cpu', async () => {
  const rng = new Rng('matmul-grad');
  const a = randomInput(rng, [4, 2, 17, 24]);
  const b = randomInput(rng, [4, 2, 24, 19]);
  const w = randomInput(rng, [19, 11]);
  // (tfjs's BatchMatMul gradient does not sum over broadcast batch dims: flatten to rank 2)
  const loss = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.reshape(tf.matMul(x, y), [-1, 19]), z)));
  for (const which of [0, 1, 2]) {
    const r = await onBoth([a, b, w], (x, y, z) => tf.grads(loss)([x, y, z])[which]);
    assertClose(r.wasm, r.cpu, 1e-5, `grad ${which}`, true);
  }
});

test('UnsortedSegmentSum (gather gradient) on wasm equals cpu', async () => {
  const rng = new Rng('segsum');
  for (const [rows, inner, segs] of [
    [37, 5, 11],
    [64, 1, 3],
    [8, 33, 50],
  ]) {
    const x = randomInput(rng, [rows, inner]);
    const ids = new Int32Array(rows).map(() => rng.int(segs));
    const r = await onBoth([x, { shape: [rows], values: ids, dtype: 'int32' }], (v, s) => tf.unsortedSegmentSum(v, s as tf.Tensor1D, segs));
    assert.deepEqual(r.shape, [segs, inner]);
    assertClose(r.wasm, r.cpu, 1e-5, `segsum ${rows}x${inner} -> ${segs}`);
  }
  // the gradient of gather with repeated indices, as an embedding lookup produces it
  const table = randomInput(rng, [23, 8]);
  const idx = new Int32Array(50).map(() => rng.int(23));
  const r = await onBoth([table, { shape: [5, 10], values: idx, dtype: 'int32' }], (t, i) =>
    tf.grad((tt: tf.Tensor) => tf.sum(tf.mul(tf.gather(tt, i), tf.range(0, 8))))(t),
  );
  assertClose(r.wasm, r.cpu, 1e-5, 'gather grad');
});

test('the fixed kernels leave no tensors or buffers behind', async () => {
  await tf.setBackend('wasm');
  const rng = new Rng('leak');
  const a = tf.tensor(randomInput(rng, [3, 8, 16]).values, [3, 8, 16]);
  const b = tf.tensor(randomInput(rng, [3, 8, 12]).values, [3, 8, 12]);
  const step = () => {
    const s = tf.tidy(() =>
      tf
        .grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, true, false)))([a, b])
        .map((g) => g.sum())
        .reduce((p, q) => p.add(q)),
    );
    s.dataSync();
    s.dispose();
  };
  step();
  const before = { tensors: tf.memory().numTensors, ids: tf.engine().backend.numDataIds() };
  for (let i = 0; i < 50; i++) step();
  assert.deepEqual({ tensors: tf.memory().numTensors, ids: tf.engine().backend.numDataIds() }, before);
  a.dispose();
  b.dispose();
});

test('Sum over leading axes (bias gradients) on wasm equals cpu; other axes unchanged', async () => {
  const rng = new Rng('sum');
  const x = randomInput(rng, [6, 7, 5]);
  const cases: [number | number[], boolean][] = [
    [0, false],
    [[0, 1], false],
    [[1, 0], true],
    [0, true],
    [2, false],
    [[1, 2], false],
    [-1, true],
    [[0, 1, 2], false],
  ];
  for (const [axis, keepDims] of cases) {
    const r = await onBoth([x], (t) => tf.sum(t, axis, keepDims));
    assertClose(r.wasm, r.cpu, 1e-5, `sum axis ${axis} keepDims ${keepDims}`);
  }
  const ints = { shape: [4, 3], values: Int32Array.from({ length: 12 }, (_, i) => i - 5), dtype: 'int32' as const };
  const r = await onBoth([ints], (t) => tf.sum(t, 0));
  assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu));
});

test('SplitV (the q|k|v split) on wasm equals cpu, any axis, and its gradient', async () => {
  const rng = new Rng('split');
  const x = randomInput(rng, [5, 12, 6]);
  const cases: [number | number[], number][] = [
    [3, 1],
    [[2, 7, 3], 1],
    [2, 2],
    [[1, -1], 0],
    [4, -2],
  ];
  for (const [splits, axis] of cases) {
    const count = typeof splits === 'number' ? splits : splits.length;
    for (let part = 0; part < count; part++) {
      const r = await onBoth([x], (t) => tf.split(t, splits, axis)[part]);
      assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu), `split ${splits} axis ${axis} part ${part}`);
    }
  }
  const g = await onBoth([x], (t) =>
    tf.grad((u: tf.Tensor) => {
      const [a, b, c] = tf.split(u, 3, 1);
      return tf.sum(tf.add(tf.mul(a, 2), tf.mul(b, c)));
    })(t),
  );
  assertClose(g.wasm, g.cpu, 1e-6, 'split gradient');
});

test('Identity on wasm shares the buffer (no copy) and keeps it alive until the last reference goes', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor([1, 2, 3, 4], [2, 2]);
  const ids = tf.engine().backend.numDataIds();
  const y = tf.clone(x);
  assert.equal(tf.engine().backend.numDataIds(), ids, 'clone adds no buffer');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4], 'the clone outlives its source');
  y.dispose();
  assert.equal(tf.engine().backend.numDataIds(), ids - 1, 'freed with the last reference');
  // gradients save clones of their inputs: values still right
  const rng = new Rng('identity');
  const a = randomInput(rng, [7, 9]);
  const r = await onBoth([a], (t) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(u), tf.exp(u))))(t));
  assertClose(r.wasm, r.cpu, 1e-5, 'grad through saved clones');
});

test('GatherV2 along axis 0 on wasm equals cpu (rows, scalars, nested indices) and rejects bad indices', async () => {
  const rng = new Rng('gather');
  const table = randomInput(rng, [13, 6]);
  const flat = randomInput(rng, [40]);
  const idx = (n: number, hi: number, shape: number[]) => ({ shape, values: new Int32Array(n).map(() => rng.int(hi)), dtype: 'int32' as const });
  for (const [x, i] of [
    [table, idx(20, 13, [20])],
    [table, idx(12, 13, [3, 4])],
    [flat, idx(25, 40, [25])],
  ] as const) {
    const r = await onBoth([x, i], (t, j) => tf.gather(t, j));
    assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu), `gather ${x.shape} by ${i.shape}`);
  }
  // other axes go to the stock kernel
  const r = await onBoth([table, idx(4, 6, [4])], (t, j) => tf.gather(t, j, 1));
  assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu), 'gather axis 1');
  await tf.setBackend('wasm');
  const ids = tf.engine().backend.numDataIds();
  const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const bad = tf.tensor1d([0, 2], 'int32');
  assert.throws(() => tf.gather(t, bad), /GatherV2: the index value 2 is not in \[0, 1\]/);
  tf.dispose([t, bad]);
  assert.equal(tf.engine().backend.numDataIds(), ids, 'nothing left behind by the failed gather');
});

test('with the fast path off (the bench baseline) transposed products and bias sums still equal cpu', async () => {
  const { setFastPath } = await import('../../src/engine/fast-path');
  const rng = new Rng('baseline');
  const was = setFastPath(false);
  try {
    for (const [tA, tB] of [
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const a = randomInput(rng, tA ? [70, 45] : [45, 70]);
      const b = randomInput(rng, tB ? [50, 70] : [70, 50]);
      const r = await onBoth([a, b], (x, y) => tf.matMul(x, y, tA, tB));
      assertClose(r.wasm, r.cpu, 1e-5, `baseline tA=${tA} tB=${tB}`);
    }
    const r = await onBoth([randomInput(rng, [9, 7])], (t) => tf.sum(t, 0));
    assertClose(r.wasm, r.cpu, 1e-5, 'baseline sum');
  } finally {
    setFastPath(was);
  }
});
