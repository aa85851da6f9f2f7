import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { setFastPath } from '../../src/engine/fast-path';
import { TARGET_LOG_PROB, TARGET_LOG_PROB_GRAD } from '../../src/engine/wasm-xent';
import { gelu, geluComposite, layerNorm, layerNormComposite } from '../../src/model/gpt';
import { tokenLogProbs } from '../../src/model/logprobs';
import { Rng } from '../../src/util/random';

before(async () => {
  await initEngine({ backend: 'cpu' });
  await initEngine({ backend: 'wasm' });
});

function random(rng: Rng, shape: number[], scale = 1, offset = 0): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => offset + scale * (2 * rng.next() - 1)),
    shape,
  );
}

/** Value and every input's gradient of sum(f(inputs) * w), flat, on `backend`. */
async function valueAndGrads(
  backend: string,
  seed: string,
  shapes: number[][],
  outShape: number[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const rng = new Rng(seed);
    const xs = shapes.map((s, i) => random(rng, s, i === 0 ? 3 : 1, i === 1 ? 1 : 0)); // x wide; gain near 1
    const w = random(rng, outShape);
    const value = f(...xs);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

/** |got - want| <= tol * max(1, max |want|) for every element. */
function assertClose(got: Float32Array, want: Float32Array, what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, what);
  const scale = want.reduce((p, v) => Math.max(p, Math.abs(v)), 1);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * scale)) assert.fail(`${what}: element ${i}: ${got[i]} vs ${want[i]} (scale ${scale})`);
  }
}

test('LayerNorm with the written-out gradient equals the autodiff composite on cpu (values, dx, dg, db)', async () => {
  for (const [n, c] of [
    [37, 24],
    [5, 128],
    [64, 3],
  ]) {
    const shapes = [[n, c], [c], [c]];
    const ln = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x as tf.Tensor2D, g, b);
    const lnRef = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNormComposite(x as tf.Tensor2D, g, b);
    const want = await valueAndGrads('cpu', `ln${n}`, shapes, [n, c], lnRef);
    for (const backend of ['wasm', 'cpu']) {
      const got = await valueAndGrads(backend, `ln${n}`, shapes, [n, c], ln);
      ['value', 'dx', 'dg', 'db'].forEach((what, i) => assertClose(got[i], want[i], `${backend} [${n},${c}] ${what}`));
    }
  }
});

test('GELU with the written-out gradient equals the autodiff composite on cpu (values and dx)', async () => {
  for (const shape of [
    [33, 40],
    [4, 3, 5],
  ]) {
    const want = await valueAndGrads('cpu', `gelu${shape}`, [shape], shape, (x) => geluComposite(x));
    for (const backend of ['wasm', 'cpu']) {
      const got = await valueAndGrads(backend, `gelu${shape}`, [shape], shape, (x) => gelu(x));
      assertClose(got[0], want[0], `${backend} ${shape} value`);
      assertClose(got[1], want[1], `${backend} ${shape} dx`);
    }
  }
  // far tails: no NaN / Inf from the sigmoid form
  await tf.setBackend('wasm');
  const tails = tf.tidy(() =>
    tf
      .grad((x: tf.Tensor) => tf.sum(gelu(x)))(tf.tensor1d([-60, -12, 0, 12, 60]))
      .dataSync(),
  );
  assert.deepEqual(
    Array.from(tails).map((v) => Math.round(v * 1e4) / 1e4),
    [0, 0, 0.5, 1, 1],
  );
});

test('the fast-path switch selects the composite, and both train the same', async () => {
  await tf.setBackend('wasm');
  const rng = new Rng('switch');
  const x = random(rng, [16, 8], 2);
  const g = random(rng, [8], 1, 1);
  const b = random(rng, [8]);
  const run = () =>
    tf.tidy(
      () =>
        tf
          .grads((u: tf.Tensor) => tf.sum(tf.square(gelu(layerNorm(u as tf.Tensor2D, g, b)))))([x])[0]
          .dataSync() as Float32Array,
    );
  const was = setFastPath(false);
  try {
    const before = tf.memory().numTensors;
    const composite = run();
    setFastPath(true);
    const fused = run();
    assertClose(fused, composite, 'd/dx of a LayerNorm -> GELU stack');
    assert.equal(tf.memory().numTensors, before, 'no tensors leak on either path');
  } finally {
    setFastPath(was);
    tf.dispose([x, g, b]);
  }
});

/** Target log-probs and d/dlogits of sum(logprobs * w) (the fast path as currently set). */
async function logProbAndGrad(
  backend: string,
  logits: Float32Array,
  targets: Int32Array,
  w: Float32Array,
  shape: [number, number, number],
  temperature = 1,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor3d(logits, shape);
    const t = tf.tensor2d(targets, [shape[0], shape[1]], 'int32');
    const wt = tf.tensor2d(w, [shape[0], shape[1]]);
    const value = tokenLogProbs(x, t, temperature);
    const grad = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tokenLogProbs(y as tf.Tensor3D, t, temperature), wt)))(x);
    return [value.dataSync() as Float32Array, grad.dataSync() as Float32Array];
  });
}

test('the fused token cross-entropy (wasm kernels) equals the composite on cpu: log-probs and gradients, tiny and underflowed targets too', async () => {
  const shape: [number, number, number] = [3, 5, 97];
  const [B, T, V] = shape;
  const rng = new Rng('xent');
  const logits = Float32Array.from({ length: B * T * V }, () => 4 * (2 * rng.next() - 1));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  const w = Float32Array.from({ length: B * T }, () => 2 * rng.next() - 1);
  // row 1: the target ~80 below the max (p_t ~ 1e-35, subnormal-adjacent); row 2: ~200 below (p_t = 0)
  logits[1 * V + targets[1]] = -76;
  logits[2 * V + targets[2]] = -200;
  for (const temperature of [1, 0.7]) {
    const want = await logProbAndGrad('cpu', logits, targets, w, shape, temperature);
    assert.ok(want[0].every(Number.isFinite), 'composite log-probs are finite');
    const was = setFastPath(true);
    try {
      await tf.setBackend('wasm');
      assert.ok(tf.getKernel(TARGET_LOG_PROB, 'wasm') && tf.getKernel(TARGET_LOG_PROB_GRAD, 'wasm'), 'fused kernels registered on wasm');
      const got = await logProbAndGrad('wasm', logits, targets, w, shape, temperature);
      assertClose(got[0], want[0], `T=${temperature} log-probs`);
      assertClose(got[1], want[1], `T=${temperature} d/dlogits`);
      setFastPath(false);
      const composite = await logProbAndGrad('wasm', logits, targets, w, shape, temperature);
      assertClose(composite[0], want[0], `T=${temperature} wasm composite log-probs`);
      assertClose(composite[1], want[1], `T=${temperature} wasm composite d/dlogits`);
    } finally {
      setFastPath(was);
    }
  }
});

test('the fused cross-entropy kernels reject an out-of-range target or mismatched shapes by name, leaking nothing', async () => {
  await tf.setBackend('wasm');
  const x = tf.zeros([2, 4]);
  const p = tf.softmax(x);
  const bad = tf.tensor1d([1, 4], 'int32');
  const dy = tf.ones([2]);
  const ok = tf.tensor1d([0, 1], 'int32');
  const dy3 = tf.ones([3]);
  const logits = tf.zeros([1, 2, 4]) as tf.Tensor3D;
  const targets = tf.tensor2d([[0, 9]], [1, 2], 'int32');
  try {
    const before = tf.memory().numTensors;
    assert.throws(() => tf.engine().runKernel(TARGET_LOG_PROB, { x, p, targets: bad }), /RlhfTargetLogProb: target 4 of row 1 is not in \[0, 3\]/);
    assert.throws(() => tf.engine().runKernel(TARGET_LOG_PROB_GRAD, { p, targets: bad, dy }), /RlhfTargetLogProbGrad: target 4 of row 1 is not in \[0, 3\]/);
    assert.throws(() => tf.engine().runKernel(TARGET_LOG_PROB_GRAD, { p, targets: ok, dy: dy3 }), /dy must be \[2\] float32, got \[3\]/);
    assert.throws(() => tokenLogProbs(logits, targets), /target 9 of row 1 is not in \[0, 3\]/);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak from a refused call');
  } finally {
    tf.dispose([ok, dy3, logits, targets]);
    tf.dispose([x, p, bad, dy]);
  }
});
