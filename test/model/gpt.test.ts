import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT, GPTConfig, disposeCache, parameterCount, parameterShapes } from '../../src/model/gpt';

const TINY: Partial<GPTConfig> = { vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 7 };

before(async () => {
  await initEngine({ backend: 'cpu' });
});

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('forward shapes and GPT-2 parameter names', () => {
  const m = new GPT(TINY);
  const names = [...m.weights.keys()];
  assert.deepEqual(
    names,
    parameterShapes(m.config).map(([n]) => n),
  );
  assert.ok(names.includes('h.1.attn.c_attn.weight') && names.includes('ln_f.bias') && names.includes('wpe.weight'));
  // 16*(50+16) embeddings + 2 blocks of 12*16^2+13*16 + ln_f 2*16 (tied unembedding: no extra)
  assert.equal(m.numParams(), 50 * 16 + 16 * 16 + 2 * (12 * 16 * 16 + 13 * 16) + 2 * 16);
  assert.equal(parameterCount(m.config), m.numParams(), 'counted from the config alone');
  const { logits, hidden } = m.forward(
    ids([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]),
  );
  assert.deepEqual(logits.shape, [2, 5, 50]);
  assert.deepEqual(hidden.shape, [2, 5, 16]);
  const h = m.hiddenStates(ids([[1, 2, 3]]));
  assert.deepEqual(h.hidden.shape, [1, 3, 16]);
  tf.dispose([logits, hidden, h.hidden]);
  m.dispose();
});

test('same seed gives identical weights; another seed differs', () => {
  const a = new GPT(TINY);
  const b = new GPT(TINY);
  const c = new GPT({ ...TINY, seed: 8 });
  const w = (m: GPT) => m.weights.get('h.0.attn.c_attn.weight')!.dataSync();
  assert.deepEqual(w(a), w(b));
  assert.notDeepEqual(w(a), w(c));
  [a, b, c].forEach((m) => m.dispose());
});

test('causal masking: changing a future token never changes past logits', () => {
  const m = new GPT(TINY);
  const x = [3, 14, 15, 9, 26, 5, 35];
  const y = x.slice();
  y[4] = 41;
  const la = m.forward(ids([x])).logits;
  const lb = m.forward(ids([y])).logits;
  const past = (l: tf.Tensor3D) => l.slice([0, 0, 0], [1, 4, -1]).dataSync();
  assert.deepEqual(past(la), past(lb));
  assert.ok(maxAbsDiff(la.slice([0, 4, 0], [1, 1, -1]).dataSync(), lb.slice([0, 4, 0], [1, 1, -1]).dataSync()) > 0);
  tf.dispose([la, lb]);
  m.dispose();
});

for (const backend of ['cpu', 'wasm'])
  test(`KV-cache logits equal full-forward logits to 1e-5 on ${backend} (left padding, mask, positions)`, async () => {
    await initEngine({ backend });
    const m = new GPT(TINY);
    const PAD = 0;
    // row 0: 3 pads then 5 real tokens; row 1: 8 real tokens
    const seq = [
      [PAD, PAD, PAD, 11, 12, 13, 14, 15],
      [21, 22, 23, 24, 25, 26, 27, 28],
    ];
    const mask = [
      [0, 0, 0, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ];
    const pos = [
      [0, 0, 0, 0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4, 5, 6, 7],
    ];
    const L = 8;
    const P = 5;
    const full = m.forward(ids(seq), { attentionMask: ids(mask), positions: ids(pos) }).logits;
    // prefill P positions, then one token at a time
    let out = m.forward(ids(seq.map((r) => r.slice(0, P))), {
      attentionMask: ids(mask.map((r) => r.slice(0, P))),
      positions: ids(pos.map((r) => r.slice(0, P))),
      useCache: true,
    });
    const stepLogits: tf.Tensor[] = [out.logits];
    let cache = out.present!;
    assert.equal(cache.length, 2);
    assert.deepEqual(cache[0].k.shape, [2, 2, P, 8]);
    for (let t = P; t < L; t++) {
      out = m.forward(ids(seq.map((r) => [r[t]])), {
        attentionMask: ids(mask.map((r) => r.slice(0, t + 1))),
        positions: ids(pos.map((r) => [r[t]])),
        past: cache,
        useCache: true,
      });
      disposeCache(cache);
      cache = out.present!;
      stepLogits.push(out.logits);
    }
    disposeCache(cache);
    const cached = tf.concat(stepLogits, 1);
    // compare at real (non-pad) positions
    for (let b = 0; b < 2; b++) {
      const from = b === 0 ? 3 : 0;
      const d = maxAbsDiff(full.slice([b, from, 0], [1, L - from, -1]).dataSync(), cached.slice([b, from, 0], [1, L - from, -1]).dataSync());
      assert.ok(d <= 1e-5, `row ${b}: max |cached - full| = ${d}`);
    }
    // positions default to those counted from the mask, full and cached
    assert.deepEqual(m.forward(ids(seq), { attentionMask: ids(mask) }).logits.dataSync(), full.dataSync());
    const prefix = m.forward(ids(seq.map((r) => r.slice(0, L - 1))), { attentionMask: ids(mask.map((r) => r.slice(0, L - 1))), useCache: true });
    const lastStep = m.forward(ids(seq.map((r) => [r[L - 1]])), { attentionMask: ids(mask), past: prefix.present });
    disposeCache(prefix.present);
    const dAuto = maxAbsDiff(lastStep.logits.dataSync(), full.slice([0, L - 1, 0], [2, 1, -1]).dataSync());
    assert.ok(dAuto <= 1e-5, `cached step with mask-derived positions: ${dAuto}`);
    // the padded row equals the same tokens run alone without padding
    const alone = m.forward(ids([seq[0].slice(3)])).logits;
    const d = maxAbsDiff(alone.dataSync(), full.slice([0, 3, 0], [1, 5, -1]).dataSync());
    assert.ok(d <= 1e-5, `left-padded row vs unpadded: ${d}`);
    m.dispose();
    await initEngine({ backend: 'cpu' });
  });

test('seeded dropout repeats exactly; eval mode ignores it; training without a seed is refused', () => {
  const m = new GPT({ ...TINY, dropout: 0.2 });
  const x = ids([[1, 2, 3, 4, 5, 6]]);
  const run = (opts: object) => m.forward(x, opts).logits.dataSync();
  assert.deepEqual(run({ training: true, dropoutSeed: 3 }), run({ training: true, dropoutSeed: 3 }));
  assert.notDeepEqual(run({ training: true, dropoutSeed: 3 }), run({ training: true, dropoutSeed: 4 }));
  assert.notDeepEqual(run({ training: true, dropoutSeed: 3 }), run({}));
  assert.deepEqual(run({}), run({ training: false, dropoutSeed: 9 }));
  assert.throws(() => m.forward(x, { training: true }), /dropoutSeed/);
  m.dispose();
});

test('dropout masks are drawn in JS: wasm trains with the same masks as cpu', async () => {
  const run = async (backend: string) => {
    await initEngine({ backend });
    const m = new GPT({ ...TINY, dropout: 0.3 });
    const out = m.forward(ids([[1, 2, 3, 4, 5, 6]]), { training: true, dropoutSeed: 12 });
    const data = out.logits.dataSync().slice();
    tf.dispose([out.logits, out.hidden]);
    m.dispose();
    return data;
  };
  const w = await run('wasm');
  const c = await run('cpu');
  assert.ok(maxAbsDiff(w, c) <= 1e-4, `max |wasm - cpu| = ${maxAbsDiff(w, c)}`);
});

test('bad inputs are refused by name', () => {
  assert.throws(() => new GPT({ ...TINY, nHead: 3 }), /nHead \(3\) must divide nEmbd \(16\)/);
  const m = new GPT(TINY);
  assert.throws(() => m.forward(ids([Array.from({ length: 17 }, () => 1)])), /exceeds blockSize 16/);
  assert.throws(() => m.forward(ids([[1, 2]]), { attentionMask: ids([[1, 1, 1]]) }), /attentionMask must be \[1, 2\]/);
  m.dispose();
});

test('every parameter gets a gradient; no tensor leaks across forward, cache and backward', () => {
  const m = new GPT(TINY);
  const x = ids([
    [1, 2, 3, 4],
    [5, 6, 7, 8],
  ]);
  const start = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const { value, grads } = tf.variableGrads(() => m.forward(x).logits.square().mean() as tf.Scalar, m.trainableVariables());
    for (const [name, g] of Object.entries(grads)) assert.ok(tf.tidy(() => g.abs().sum().dataSync()[0]) > 0, `zero gradient for ${name}`);
    assert.equal(Object.keys(grads).length, m.weights.size);
    tf.dispose([value, ...Object.values(grads)]);
    const out = m.forward(x, { useCache: true });
    tf.dispose([out.logits, out.hidden]);
    disposeCache(out.present);
  }
  assert.equal(tf.memory().numTensors, start);
  x.dispose();
  m.dispose();
});

test('lastLogitsOnly: the last position of the full logits, on cpu and (to the bit) on wasm', async () => {
  for (const backend of ['cpu', 'wasm']) {
    await initEngine({ backend });
    const m = new GPT({ ...TINY, vocabSize: 300, nEmbd: 32 });
    const x = ids([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12, 13, 14, 15],
    ]);
    const full = m.forward(x);
    const last = m.forward(x, { lastLogitsOnly: true });
    assert.deepEqual(last.logits.shape, [3, 1, 300]);
    const want = full.logits.slice([0, 4, 0], [3, 1, 300]);
    assert.deepEqual(last.logits.dataSync(), want.dataSync(), backend);
    tf.dispose([x, full.logits, full.hidden, last.logits, last.hidden, want]);
    m.dispose();
  }
  await initEngine({ backend: 'cpu' });
});

test('wasm forward equals cpu forward to 1e-4', async () => {
  const x = [
    [1, 2, 3, 4, 5, 6, 7, 8],
    [9, 10, 11, 12, 13, 14, 15, 16],
  ];
  const run = () => {
    const m = new GPT(TINY);
    const out = m.forward(ids(x), {
      attentionMask: ids([
        [0, 1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ]),
    });
    const data = out.logits.dataSync().slice();
    tf.dispose([out.logits, out.hidden]);
    m.dispose();
    return data;
  };
  await initEngine({ backend: 'wasm' });
  const w = run();
  await initEngine({ backend: 'cpu' });
  const c = run();
  const d = maxAbsDiff(w, c);
  assert.ok(d <= 1e-4, `max |wasm - cpu| = ${d}`);
});

test("a GPT built from another one's weights is an independent copy (frozen reference)", async () => {
  await initEngine({ backend: 'cpu' });
  const policy = new GPT(TINY);
  const reference = new GPT(policy.config, policy.weights);
  const x = ids([[1, 2, 3]]);
  const before = reference.forward(x).logits.dataSync().slice();
  assert.deepEqual(policy.forward(x).logits.dataSync(), before);
  // "train" the policy: every variable reassigned
  for (const v of policy.weights.values()) tf.tidy(() => v.assign(v.add(0.1)));
  assert.deepEqual(reference.forward(x).logits.dataSync(), before);
  assert.notDeepEqual(policy.forward(x).logits.dataSync(), before);
  // disposing one leaves the other usable
  policy.dispose();
  assert.deepEqual(reference.forward(x).logits.dataSync(), before);
  reference.dispose();
});
