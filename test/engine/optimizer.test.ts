import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { Adam, globalNorm, trainStep, trainStepAccumulated } from '../../src/engine/optimizer';
import { Rng } from '../../src/util/random';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

let made = 0;
/** A tiny regression model: y = tanh(x W1 + b1) W2, loss = mean (y - target)^2. */
function problem(seed: string) {
  const rng = new Rng(seed);
  const rand = (shape: number[], s: number) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal(0, s)),
      shape,
    );
  const tag = `${seed}-${made++}`;
  const w1 = tf.variable(rand([6, 8], 0.5), true, `w1-${tag}`);
  const b1 = tf.variable(tf.zeros([8]), true, `b1-${tag}`);
  const w2 = tf.variable(rand([8, 3], 0.5), true, `w2-${tag}`);
  const x = rand([16, 6], 1);
  const target = rand([16, 3], 1);
  const vars = [w1, b1, w2];
  const lossFn = () => tf.mean(tf.square(tf.sub(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), target))) as tf.Scalar;
  const dispose = () => tf.dispose([...vars, x, target]);
  return { vars, lossFn, dispose };
}

test('one step changes every parameter and lowers the loss over a few steps', async () => {
  const { vars, lossFn, dispose } = problem('change');
  const opt = new Adam({ lr: 0.01 });
  const before = vars.map((v) => v.dataSync().slice());
  const first = await trainStep(lossFn, vars, opt);
  vars.forEach((v, i) => {
    const now = v.dataSync();
    assert.ok(
      now.some((x, j) => x !== before[i][j]),
      `${v.name} changed`,
    );
  });
  let last = first;
  for (let i = 0; i < 20; i++) last = await trainStep(lossFn, vars, opt);
  assert.ok(last < first * 0.9, `loss ${first} -> ${last}`);
  assert.equal(opt.step, 21);
  dispose();
  opt.dispose();
});

test('matches a hand-written Adam step with clipping and decoupled weight decay', () => {
  const p = tf.variable(
    tf.tensor2d([
      [1, -2],
      [3, 0.5],
    ]),
    true,
    'hand-p',
  );
  const b = tf.variable(tf.tensor1d([0.5, -0.5]), true, 'hand-b');
  const gp = [3, 0, -4, 12];
  const gb = [0, 0];
  const norm = Math.hypot(...gp, ...gb); // 13
  const opt = new Adam({ lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, clipNorm: 6.5 });
  const n = opt.applyGradients([p, b], [tf.tensor2d(gp, [2, 2]), tf.tensor1d(gb)]);
  assert.ok(Math.abs(n.dataSync()[0] - norm) < 1e-5, 'returns the pre-clip norm');
  n.dispose();
  const want = [1, -2, 3, 0.5].map((w, i) => {
    const g = gp[i] * (6.5 / (13 + 1e-6));
    const m = (0.1 * g) / (1 - 0.9);
    const v = (0.05 * g * g) / (1 - 0.95);
    return w - (0.1 * m) / (Math.sqrt(v) + 1e-8) - 0.1 * 0.01 * w;
  });
  const got = p.dataSync();
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `p[${i}] ${got[i]} vs ${w}`));
  // a rank-1 parameter (bias) with zero gradient: no decay, no move
  assert.deepEqual(Array.from(b.dataSync()), [0.5, -0.5]);
  tf.dispose([p, b]);
  opt.dispose();
});

test('globalNorm is the norm of all gradients together', () => {
  const n = globalNorm([tf.tensor1d([3, 4]), tf.tensor2d([[12]])]);
  assert.ok(Math.abs(n.dataSync()[0] - 13) < 1e-6);
  n.dispose();
});

test('same seed -> bit-identical parameters after 10 steps', async () => {
  const run = async () => {
    const { vars, lossFn, dispose } = problem('repeat');
    const opt = new Adam({ lr: 0.02, weightDecay: 0.1, clipNorm: 0.5 });
    const losses: number[] = [];
    for (let i = 0; i < 10; i++) losses.push(await trainStep(lossFn, vars, opt, { lr: 0.02 * (1 - i / 10) }));
    const out = { losses, params: vars.map((v) => Array.from(v.dataSync())) };
    dispose();
    opt.dispose();
    return out;
  };
  assert.deepEqual(await run(), await run());
});

test('no tensor leak across 100 steps', async () => {
  const { vars, lossFn, dispose } = problem('leak');
  const opt = new Adam({ lr: 0.01, weightDecay: 0.1 });
  await trainStep(lossFn, vars, opt); // creates the moment variables
  const start = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) await trainStep(lossFn, vars, opt);
  assert.equal(tf.memory().numTensors, start);
  assert.ok(Number.isFinite(opt.lastGradNorm) && opt.lastGradNorm > 0);
  dispose();
  opt.dispose();
});

test('bad settings are rejected by name', () => {
  assert.throws(() => new Adam({ beta2: 1 }), /AdamConfig: beta2 out of range: 1/);
  assert.throws(() => new Adam({ eps: 0 }), /AdamConfig: eps out of range/);
});

test('the fused wasm Adam update equals the op-by-op update on cpu (params and moments, clipped or not, with decay)', async () => {
  const { setFastPath } = await import('../../src/engine/fast-path');
  const { Rng } = await import('../../src/util/random');
  const shapes = [[7, 5], [5], [3, 4, 2]];
  const run = async (backend: string, fused: boolean, clipNorm: number) => {
    await tf.setBackend(backend);
    const was = setFastPath(fused);
    try {
      const rng = new Rng('adam-fused');
      const vals = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * (2 * rng.next() - 1));
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(vals(s.reduce((a, b) => a * b, 1)), s), true, `fused-${backend}-${fused}-${clipNorm}-${i}`));
      const opt = new Adam({ lr: 0.01, weightDecay: 0.1, clipNorm });
      for (let step = 0; step < 3; step++) {
        const grads = vars.map((p) => tf.tensor(vals(p.size, 5), p.shape));
        opt.applyGradients(vars, grads).dispose();
        tf.dispose(grads);
      }
      const out = [...vars, ...[...opt.state().values()].flatMap((s) => [s.m, s.v])].map((t) => Array.from(t.dataSync()));
      tf.dispose(vars);
      opt.dispose();
      return out;
    } finally {
      setFastPath(was);
      await tf.setBackend('wasm');
    }
  };
  for (const clipNorm of [1, 0]) {
    const want = await run('cpu', false, clipNorm);
    const got = await run('wasm', true, clipNorm);
    want.forEach((w, i) =>
      w.forEach((x, j) => assert.ok(Math.abs(got[i][j] - x) <= 1e-5 * Math.max(1, Math.abs(x)), `clip ${clipNorm} tensor ${i}[${j}]: ${got[i][j]} vs ${x}`)),
    );
  }
});

test('the fused Adam kernel refuses mismatched inputs by name', async () => {
  const { ADAM_UPDATE } = await import('../../src/engine/wasm-adam');
  const p = tf.zeros([2, 3]);
  const g = tf.zeros([3, 2]);
  const s = tf.scalar(1);
  const attrs = { beta1: 0.9, beta2: 0.95, eps: 1e-8, stepSize: 0.1, vCorrection: 1, decay: 0 };
  assert.throws(
    () => tf.engine().runKernel(ADAM_UPDATE, { p, g, m: p, v: p, scale: s }, attrs),
    /RlhfAdamUpdate: g \[3,2\] float32 does not match p \[2,3\] float32/,
  );
  tf.dispose([p, g, s]);
});

test('a step accumulated over chunks equals the whole-batch step (clipped), and leaks no tensor', async () => {
  // the same problem twice: one trained on the whole batch, one on four chunks of 4 rows whose
  // losses are each chunk's mean weighted by its share of the batch (sum = the batch mean)
  const build = () => {
    const rng = new Rng('accumulate');
    const rand = (shape: number[], s: number) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal(0, s)),
        shape,
      );
    const tag = `acc-${made++}`;
    const w1 = tf.variable(rand([6, 8], 0.5), true, `w1-${tag}`);
    const w2 = tf.variable(rand([8, 3], 0.5), true, `w2-${tag}`);
    const x = rand([16, 6], 1);
    const target = rand([16, 3], 1);
    const loss = (rows: [number, number]) => () =>
      tf.tidy(() => {
        const xs = x.slice([rows[0], 0], [rows[1], 6]);
        const ys = target.slice([rows[0], 0], [rows[1], 3]);
        const err = tf.mean(tf.square(tf.sub(tf.matMul(tf.tanh(tf.matMul(xs, w1)), w2), ys)));
        return tf.mul(err, rows[1] / 16) as tf.Scalar;
      });
    return { vars: [w1, w2], whole: loss([0, 16]), chunks: [0, 4, 8, 12].map((r) => loss([r, 4])), dispose: () => tf.dispose([w1, w2, x, target]) };
  };
  const a = build();
  const b = build();
  const optA = new Adam({ lr: 0.05, clipNorm: 0.1 });
  const optB = new Adam({ lr: 0.05, clipNorm: 0.1 });
  for (let i = 0; i < 3; i++) {
    const la = await trainStep(a.whole, a.vars, optA);
    const held = tf.memory().numTensors;
    const lb = await trainStepAccumulated(b.chunks, b.vars, optB);
    if (i > 0) assert.equal(tf.memory().numTensors, held, 'no tensor left behind');
    assert.ok(Math.abs(la - lb) < 1e-5, `loss ${la} vs ${lb}`);
    assert.ok(Math.abs(optA.lastGradNorm - optB.lastGradNorm) < 1e-5, `norm ${optA.lastGradNorm} vs ${optB.lastGradNorm}`);
    assert.ok(optA.lastGradNorm > 0.1, 'the clip is active, so the summed norm is what gets clipped');
  }
  a.vars.forEach((v, i) => {
    const d = Math.max(...Array.from(tf.sub(v, b.vars[i]).abs().dataSync()));
    assert.ok(d < 1e-5, `${v.name}: max difference ${d}`);
  });
  assert.equal(optB.step, 3, 'one Adam step per call, whatever the chunks');
  await assert.rejects(() => trainStepAccumulated([], b.vars, optB), /no parts/);
  a.dispose();
  b.dispose();
  optA.dispose();
  optB.dispose();
});
