import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import {
  distinctPrompts,
  generate,
  generateIds,
  keptTokens,
  sampleToken,
  shrunkBatch,
  sortedAscending,
  topKIndices,
  topPIndices,
  DEFAULTS,
} from '../../src/model/generate';
import { xnnpackMinRows } from '../../src/engine/wasm-matmul';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';

const CFG = { vocabSize: 40, blockSize: 24, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
const IDS = { eosId: 2, padId: 0 };
const PROMPTS = [
  [1, 5, 6, 7, 8, 9],
  [1, 10],
  [1, 11, 12, 13],
];
let model: GPT;

before(async () => {
  await initEngine({ backend: 'cpu' });
  model = new GPT(CFG);
});

test('top-p keeps the smallest most-probable set with mass >= p', () => {
  const probs = [0.1, 0.4, 0.2, 0.3];
  assert.deepEqual(topPIndices(probs, 0.35), [1]);
  assert.deepEqual(topPIndices(probs, 0.6), [1, 3]);
  assert.deepEqual(topPIndices(probs, 0.71), [1, 3, 2]);
  assert.deepEqual(topPIndices(probs, 1), [1, 3, 2, 0]);
  // random distributions: mass of the kept set >= p, and dropping its last member falls below p
  const rng = new Rng(5);
  for (let trial = 0; trial < 50; trial++) {
    const w = Array.from({ length: 20 }, () => rng.next() ** 3);
    const total = w.reduce((a, b) => a + b, 0);
    const p = Array.from(w, (x) => x / total);
    const q = 0.5 + 0.45 * rng.next();
    const kept = topPIndices(p, q);
    const mass = kept.reduce((s, i) => s + p[i], 0);
    assert.ok(mass >= q - 1e-12);
    assert.ok(mass - p[kept[kept.length - 1]] < q);
    const smallestKept = Math.min(...kept.map((i) => p[i]));
    for (let i = 0; i < p.length; i++) if (!kept.includes(i)) assert.ok(p[i] <= smallestKept);
  }
  // within top-k candidates, mass is renormalised over the candidates
  assert.deepEqual(topPIndices(probs, 0.5, topKIndices(probs, 2)), [1]);
  assert.deepEqual(topKIndices([0.2, 0.5, 0.5, 0.1], 2), [1, 2]);
});

test('the fast top-k/top-p filter keeps exactly the reference sets, ties included', () => {
  const rng = new Rng(8);
  for (let trial = 0; trial < 200; trial++) {
    const V = 1 + rng.int(40);
    // coarse values so ties are common
    const w = Array.from({ length: V }, () => 1 + rng.int(6));
    const total = w.reduce((a, b) => a + b, 0);
    const probs = Float64Array.from(w, (x) => x / total);
    const k = rng.int(V + 2);
    const p = rng.bool() ? 1 : 0.05 + 0.95 * rng.next();
    let want = k > 0 && k < V ? topKIndices(probs, k) : undefined;
    want = p < 1 ? topPIndices(probs, p, want) : (want ?? Array.from({ length: V }, (_, i) => i));
    assert.deepEqual(
      keptTokens(probs, k, p),
      want.slice().sort((a, b) => a - b),
      `V=${V} k=${k} p=${p} probs=${w}`,
    );
  }
});

test('sortedAscending gives the native sort, bit for bit: softmaxes, ties, zeros, subnormals, and the fallbacks', () => {
  const rng = new Rng('sorted');
  const softmax = (logits: number[], temp: number) => {
    const max = Math.max(...logits);
    const e = logits.map((x) => Math.exp((x - max) / temp));
    const sum = e.reduce((a, b) => a + b, 0);
    return Float64Array.from(e, (x) => x / sum);
  };
  const cases: Float64Array[] = [];
  for (let t = 0; t < 60; t++) {
    const sd = [0.02, 0.3, 1, 3, 8][t % 5];
    const p = softmax(
      Array.from({ length: 2048 }, () => rng.normal(0, sd)),
      [0.3, 0.7, 1.3][t % 3],
    );
    if (t % 4 === 0) for (let i = 0; i < 40; i++) p[rng.int(2048)] = p[rng.int(2048)]; // ties
    if (t % 6 === 0) for (let i = 0; i < 40; i++) p[rng.int(2048)] = [0, 5e-324, 1e-310][i % 3]; // zeros, subnormals
    cases.push(p);
  }
  cases.push(new Float64Array(2048).fill(1 / 2048)); // all tied: one crowded bucket of equal values
  cases.push(Float64Array.from({ length: 2048 }, (_, i) => 0.5 + i * 1e-6).reverse()); // crowded and distinct: native fallback
  cases.push(Float64Array.from([0.3, -0.1, 0.2, 0.5])); // a negative value: native fallback
  cases.push(Float64Array.from([0.3, NaN, 0.2, Infinity])); // not finite: native fallback
  cases.push(Float64Array.from([0.7]), new Float64Array(0));
  for (const c of cases) {
    const want = Float64Array.from(c).sort();
    const got = sortedAscending(c);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `at ${i}: ${got[i]} vs ${want[i]}`);
  }
});

test('sampleToken: greedy is the argmax; top-k 1 is greedy; logprob is log softmax(logits / T)', () => {
  const logits = [0.5, 2.0, -1.0, 1.9];
  const rng = new Rng(1);
  const g = sampleToken(logits, { ...DEFAULTS, greedy: true }, rng);
  assert.equal(g.token, 1);
  const lse = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
  assert.ok(Math.abs(g.logprob - (2.0 - lse)) < 1e-12);
  for (let i = 0; i < 20; i++) assert.equal(sampleToken(logits, { ...DEFAULTS, topK: 1 }, rng).token, 1);
  for (let i = 0; i < 50; i++) assert.ok([1, 3].includes(sampleToken(logits, { ...DEFAULTS, topK: 2 }, rng).token));
  // empirical frequencies follow softmax(logits / T)
  const counts = [0, 0, 0, 0];
  const N = 4000;
  for (let i = 0; i < N; i++) counts[sampleToken(logits, { ...DEFAULTS, temperature: 2 }, rng).token]++;
  const z = logits.reduce((s, x) => s + Math.exp(x / 2), 0);
  logits.forEach((x, i) => assert.ok(Math.abs(counts[i] / N - Math.exp(x / 2) / z) < 0.03, `token ${i}`));
});

test('same seed gives identical samples; another seed differs', async () => {
  const cfg = { maxNewTokens: 10, seed: 42, topP: 0.95, temperature: 1.2 };
  const a = await generateIds(model, PROMPTS, IDS, cfg);
  const b = await generateIds(model, PROMPTS, IDS, cfg);
  const c = await generateIds(model, PROMPTS, IDS, { ...cfg, seed: 43 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.tokens, c.tokens);
  assert.deepEqual(
    a.tokens.map((t) => t.length),
    [10, 10, 10].map((n, i) => (a.hitEos[i] ? a.tokens[i].length : n)),
  );
  for (let i = 0; i < 3; i++) assert.equal(a.logprobs[i].length, a.tokens[i].length);
});

test('KV cache and full recompute sample the same tokens; log-probs agree to 1e-5', async () => {
  for (const cfg of [{ greedy: true }, { seed: 9, topK: 10 }]) {
    const cached = await generateIds(model, PROMPTS, IDS, { maxNewTokens: 12, ...cfg });
    const full = await generateIds(model, PROMPTS, IDS, { maxNewTokens: 12, ...cfg, useCache: false });
    assert.deepEqual(cached.tokens, full.tokens);
    cached.logprobs.forEach((row, b) => row.forEach((lp, t) => assert.ok(Math.abs(lp - full.logprobs[b][t]) < 1e-5)));
  }
});

test('left padding: a prompt samples the same alone as inside a batch', async () => {
  const batch = await generateIds(model, PROMPTS, IDS, { maxNewTokens: 8, greedy: true });
  const alone = await generateIds(model, [PROMPTS[1]], IDS, { maxNewTokens: 8, greedy: true });
  assert.deepEqual(alone.tokens[0], batch.tokens[1]);
});

test('stops at EOS; finished rows stay finished', async () => {
  const first = await generateIds(model, PROMPTS, { eosId: 39, padId: 0 }, { maxNewTokens: 5, greedy: true });
  const eos = first.tokens[0][0]; // call the first greedy token EOS
  const out = await generateIds(model, PROMPTS, { eosId: eos, padId: 0 }, { maxNewTokens: 5, greedy: true });
  assert.deepEqual(out.tokens[0], [eos]);
  assert.equal(out.hitEos[0], true);
  out.tokens.forEach((t, b) => {
    assert.equal(t.indexOf(eos), out.hitEos[b] ? t.length - 1 : -1);
  });
});

test('long prompts are cut from the left to fit blockSize; bad settings are refused', async () => {
  const long = [1, ...Array.from({ length: 30 }, (_, i) => 5 + (i % 30))];
  const out = await generateIds(model, [long], IDS, { maxNewTokens: 4, greedy: true });
  assert.equal(out.promptTokens[0].length, 20);
  assert.deepEqual(out.promptTokens[0], long.slice(-20));
  await assert.rejects(() => generateIds(model, PROMPTS, IDS, { maxNewTokens: 24 }), /maxNewTokens \(24\) must be < blockSize \(24\)/);
  await assert.rejects(() => generateIds(model, PROMPTS, IDS, { maxNewTokens: 4, topP: 0 }), /topP must be in \(0, 1\], got 0/);
  await assert.rejects(() => generateIds(model, PROMPTS, IDS, { maxNewTokens: 4, temperature: -1 }), /temperature must be >= 0/);
  await assert.rejects(() => generateIds(model, [[]], IDS, { maxNewTokens: 4 }), /prompt 0 is empty/);
});

test('shrunkBatch: finished rows leave once they are an eighth of the batch, never below minRows', () => {
  const done = (...finished: number[]) => Array.from({ length: 16 }, (_, b) => finished.includes(b));
  const live = Array.from({ length: 16 }, (_, b) => b);
  assert.equal(shrunkBatch(live, done(3), 1), null); // 1 of 16 finished: not yet worth a cache gather
  assert.deepEqual(shrunkBatch(live, done(3, 9), 1), [0, 1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]);
  // positions into the current batch, not prompt indices
  assert.deepEqual(shrunkBatch([2, 5, 7, 9], done(5, 9), 1), [0, 2]);
  // 2 rows still sampling, floor 4: the first finished rows fill the batch up, in order
  const two = done(...live.filter((b) => b !== 6 && b !== 12));
  assert.deepEqual(shrunkBatch(live, two, 4), [0, 1, 6, 12]);
  assert.equal(shrunkBatch([0, 1, 6, 12], two, 4), null); // already at the floor
  assert.equal(shrunkBatch(live, done(...live), 1), null); // all finished: the loop ends anyway
});

test('wasm: finished rows leaving the batch change no token and no log-prob bit', async () => {
  await initEngine({ backend: 'wasm' });
  try {
    // 16 tokens, so EOS (id 2) comes about every 16th step and rows finish at many different steps
    const m = new GPT({ vocabSize: 16, blockSize: 48, nLayer: 2, nHead: 4, nEmbd: 128, seed: 11 });
    const prompts = Array.from({ length: 24 }, (_, b) => [1, ...Array.from({ length: 1 + (b % 5) }, (__, t) => 3 + ((b + t) % 5))]);
    const rows: number[] = [];
    const forward = m.forward.bind(m);
    m.forward = (idx, opts) => {
      rows.push(idx.shape[0]);
      return forward(idx, opts);
    };
    const cfg = { maxNewTokens: 40, seed: 5, temperature: 1.3 };
    const kept = await generateIds(m, prompts, IDS, { ...cfg, dropFinished: false });
    assert.ok(rows.slice(1).every((r) => r === 24)); // (the first step reads each distinct prompt once)
    rows.length = 0;
    const left = await generateIds(m, prompts, IDS, cfg);
    assert.deepEqual(left, kept); // tokens, log-probs (exact numbers), EOS flags
    const lengths = new Set(left.tokens.map((t) => t.length));
    assert.ok(lengths.size >= 8, `rows should finish at many steps, got lengths ${[...lengths]}`);
    // the unembedding [128, 16] is the narrowest product: below 9 rows it would leave XNNPACK
    assert.equal(xnnpackMinRows(128, 16), 9);
    assert.ok(left.tokens.filter((t, b) => t.length === 40 && !left.hitEos[b]).length < 9, 'fewer rows than the floor should run to the end');
    assert.equal(Math.min(...rows), 9, `the batch should shrink down to the floor, got ${rows}`);
    m.dispose();
  } finally {
    await initEngine({ backend: 'cpu' });
  }
});

test('distinctPrompts: one row per distinct prompt, repeats read anyway up to minRows', () => {
  const A = [1, 5];
  const B = [1, 6, 7];
  assert.equal(distinctPrompts([A, B], 1), null);
  assert.deepEqual(distinctPrompts([A, A, B, A, B], 1), { rows: [0, 2], of: [0, 0, 1, 0, 1] });
  // 6 copies of one prompt, floor 3: the last two are read too (each then takes its own row)
  assert.deepEqual(distinctPrompts([A, A, A, A, A, A], 3), { rows: [0, 4, 5], of: [0, 0, 0, 0, 1, 2] });
  assert.equal(distinctPrompts([A, A], 2), null);
});

test('wasm: a row samples the same bits alone as in a batch that repeats prompts and drops finished rows', async () => {
  await initEngine({ backend: 'wasm' });
  try {
    // C 192 and V 128 keep even a 1-row product on XNNPACK, so a row alone takes the same kernels
    const m = new GPT({ vocabSize: 128, blockSize: 48, nLayer: 2, nHead: 6, nEmbd: 192, seed: 4 });
    // one length: a row alone then has the batch's padding (a softmax over more masked keys
    // sums in other groups, so padding may change the last bits)
    const A = [1, 9, 10, 11];
    const B = [1, 12, 13, 14];
    const C = [1, 15, 16, 17];
    const prompts = [A, A, A, B, B, C, A, C, C, B];
    const rows: number[] = [];
    const forward = m.forward.bind(m);
    m.forward = (idx, opts) => {
      rows.push(idx.shape[0]);
      return forward(idx, opts);
    };
    const ids = { eosId: 2, padId: 0 };
    const cfg = { maxNewTokens: 30, seed: 8, temperature: 1.5, topP: 0.97 };
    const batch = await generateIds(m, prompts, ids, cfg);
    assert.equal(rows[0], 3, 'the prompts are read once each');
    assert.ok(new Set(batch.tokens.map((t) => t.length)).size > 1, 'rows should end at different steps');
    for (let b = 0; b < prompts.length; b++) {
      const alone = await generateIds(m, [prompts[b]], ids, { ...cfg, rowOffset: b });
      assert.deepEqual(alone.tokens[0], batch.tokens[b], `row ${b}`);
      assert.deepEqual(alone.logprobs[0], batch.logprobs[b], `row ${b}`);
      assert.equal(alone.hitEos[0], batch.hitEos[b]);
    }
    m.dispose();
  } finally {
    await initEngine({ backend: 'cpu' });
  }
});

test('no tensor leaks in generate (cached and uncached)', async () => {
  await generateIds(model, PROMPTS, IDS, { maxNewTokens: 3 }); // warm up
  const start = tf.memory().numTensors;
  await generateIds(model, PROMPTS, IDS, { maxNewTokens: 6, seed: 1 });
  await generateIds(model, PROMPTS, IDS, { maxNewTokens: 6, seed: 1, useCache: false });
  assert.equal(tf.memory().numTensors, start);
});

test('text generation wraps prompts in the episode format and decodes answers', async () => {
  const tok = trainTokenizer(['the cat sat on the mat. the dog sat on the log.'], { vocabSize: 270, minFrequency: 1 });
  const m = new GPT({ ...CFG, vocabSize: tok.vocabSize });
  const out = await generate(m, tok, ['Where is the cat?', 'Hi'], { maxNewTokens: 6, seed: 2 });
  assert.equal(out.texts.length, 2);
  assert.deepEqual(out.promptTokens[1], tok.encodePrompt('Hi'));
  out.texts.forEach((t, b) => assert.equal(t, tok.decode(out.tokens[b], { skipSpecial: true })));
  const raw = await generate(m, tok, ['Hi'], { maxNewTokens: 2, raw: true, greedy: true });
  assert.deepEqual(raw.promptTokens[0], [tok.bosId, ...tok.encode('Hi')]);
  m.dispose();
});
