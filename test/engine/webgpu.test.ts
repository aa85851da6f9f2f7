/**
 * The webgpu group: the workbook's model, optimizer (and its fused webgpu Adam shaders),
 * sampler, heads and one stage on the webgpu backend, each against wasm on the same seeds. On a machine without a GPU it runs on
 * the SwiftShader software adapter (Debian's chromium ships it), allowed by
 * RLHF_WEBGPU_SOFTWARE=1, which this file sets when it sees no GPU. In CI a missing adapter
 * is a failure, never a skip.
 *
 * Tolerances: webgpu and wasm sum in different orders in float32, so values agree to ~1e-5
 * relative and greedy tokens exactly (a tie broken differently would show here).
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { Adam, trainStep } from '../../src/engine/optimizer';
import { readFloats } from '../../src/engine/readback';
import { ADAM_UPDATE } from '../../src/engine/wasm-adam';
import { gpuDeviceVisible, SWIFTSHADER_ICD } from '../../src/engine/webgpu';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { generateIds } from '../../src/model/generate';
import { GPT, GPTConfig } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { languageModelLoss } from '../../src/model/logprobs';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { encodeStream } from '../../src/train/batches';
import { pretrain } from '../../src/train/pretrain';
import { PRETRAIN_DEFAULTS } from '../../src/train/pretrain-config';
import { RewardModel } from '../../src/train/reward';

const TEXT = [
  'We hold these truths to be self-evident, that all men are created equal.',
  'The state of the union is strong, and the people of this nation are at work.',
  'Congress shall make no law respecting an establishment of religion.',
];
const CONFIG: GPTConfig = { vocabSize: 300, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0, seed: 3 };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let tok: Tokenizer;
let why = '';

/** max |a - b| / (1 + |b|) over all entries */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same length');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

/** Run `f` on wasm, then on webgpu; returns both results. */
async function onBoth<T>(f: () => Promise<T>): Promise<{ wasm: T; webgpu: T }> {
  await initEngine({ backend: 'wasm', threads: 1 });
  const wasm = await f();
  await initEngine({ backend: 'webgpu' });
  const webgpu = await f();
  return { wasm, webgpu };
}

function tokens(B: number, T: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: B * T }, (_, i) => (i * 7 + seed * 13) % CONFIG.vocabSize),
    [B, T],
    'int32',
  );
}

before(async () => {
  if (!gpuDeviceVisible() && !process.env.RLHF_WEBGPU_SOFTWARE) process.env.RLHF_WEBGPU_SOFTWARE = '1';
  if (process.env.RLHF_WEBGPU_SOFTWARE === '1' && !process.env.VK_ICD_FILENAMES && !fs.existsSync(SWIFTSHADER_ICD)) {
    why = `no GPU and no software adapter (${SWIFTSHADER_ICD}: install Debian's chromium and libvulkan1, as npm run setup does)`;
  }
  if (!why) {
    try {
      const info = await initEngine({ backend: 'webgpu' });
      assert.equal(info.backend, 'webgpu');
      console.log(`# webgpu adapter: ${info.candidates[0].why}`);
    } catch (e) {
      why = (e as Error).message;
    }
  }
  if (why && process.env.CI) throw new Error(`the webgpu group must run in CI: ${why}`);
  tok = trainTokenizer(TEXT, { vocabSize: 300, minFrequency: 1 });
});

const skip = () => (why ? `webgpu unavailable: ${why}` : false);

test('GPT forward and backward on webgpu equal wasm (logits and every gradient to 1e-4)', { skip: skip() }, async () => {
  const { wasm, webgpu } = await onBoth(async () => {
    const m = new GPT(CONFIG);
    const x = tokens(3, 17, 1);
    const mask = tf.onesLike(x) as tf.Tensor2D;
    const logits = await readFloats(tf.tidy(() => m.forward(x.slice([0, 0], [3, 16])).logits));
    const { value, grads } = tf.variableGrads(() => languageModelLoss(m, x, mask), m.trainableVariables());
    const g = new Map<string, Float32Array>();
    for (const [name, v] of m.weights) g.set(name, await readFloats(grads[v.name]));
    const loss = (await readFloats(value))[0];
    tf.dispose([x, mask]);
    m.dispose();
    return { logits, g, loss };
  });
  assert.ok(relErr(webgpu.logits, wasm.logits) < 1e-4, `logits: ${relErr(webgpu.logits, wasm.logits)}`);
  assert.ok(Math.abs(webgpu.loss - wasm.loss) < 1e-4, `loss ${webgpu.loss} vs ${wasm.loss}`);
  for (const [name, g] of wasm.g) assert.ok(relErr(webgpu.g.get(name)!, g) < 1e-4, `gradient of ${name}: ${relErr(webgpu.g.get(name)!, g)}`);
});

test('one Adam step (clipping included) on webgpu moves every weight as on wasm; no tensor leaks', { skip: skip() }, async () => {
  const { wasm, webgpu } = await onBoth(async () => {
    const m = new GPT(CONFIG);
    const x = tokens(4, 17, 2);
    const mask = tf.onesLike(x) as tf.Tensor2D;
    const adam = new Adam({ lr: 1e-2, clipNorm: 0.5 });
    const vars = m.trainableVariables();
    await trainStep(() => languageModelLoss(m, x, mask), vars, adam); // creates the moments
    const before = tf.memory().numTensors;
    const loss = await trainStep(() => languageModelLoss(m, x, mask), vars, adam);
    const leak = tf.memory().numTensors - before;
    const w = new Map<string, Float32Array>();
    for (const [name, v] of m.weights) w.set(name, await readFloats(v, { keep: true }));
    const norm = adam.lastGradNorm;
    adam.dispose();
    tf.dispose([x, mask]);
    m.dispose();
    return { loss, norm, w, leak };
  });
  assert.equal(wasm.leak, 0, 'tensors leaked by a wasm step');
  assert.equal(webgpu.leak, 0, 'tensors leaked by a webgpu step');
  assert.ok(Math.abs(webgpu.loss - wasm.loss) < 1e-4, `loss ${webgpu.loss} vs ${wasm.loss}`);
  assert.ok(Math.abs(webgpu.norm - wasm.norm) / wasm.norm < 1e-4, `grad norm ${webgpu.norm} vs ${wasm.norm}`);
  for (const [name, w] of wasm.w) assert.ok(relErr(webgpu.w.get(name)!, w) < 1e-5, `${name} after the step: ${relErr(webgpu.w.get(name)!, w)}`);
});

test('KV-cache greedy generation on webgpu samples the same tokens as wasm, with and without the cache', { skip: skip() }, async () => {
  const prompts = [
    [1, 5, 9, 14],
    [2, 7],
    [3, 3, 3, 8, 21, 40],
  ];
  const { wasm, webgpu } = await onBoth(async () => {
    const m = new GPT(CONFIG);
    const cached = await generateIds(m, prompts, { eosId: -1, padId: 0 }, { maxNewTokens: 12, greedy: true });
    const full = await generateIds(m, prompts, { eosId: -1, padId: 0 }, { maxNewTokens: 12, greedy: true, useCache: false });
    const sampled = await generateIds(m, prompts, { eosId: -1, padId: 0 }, { maxNewTokens: 12, temperature: 1, seed: 4 });
    m.dispose();
    return { cached, full, sampled };
  });
  assert.deepEqual(webgpu.cached.tokens, wasm.cached.tokens);
  assert.deepEqual(webgpu.full.tokens, wasm.cached.tokens);
  for (let b = 0; b < prompts.length; b++) assert.ok(relErr(webgpu.cached.logprobs[b], wasm.cached.logprobs[b]) < 1e-4, `log-probs of row ${b}`);
  // sampling reads the probabilities back and draws in JS with the same seeded stream
  assert.deepEqual(webgpu.sampled.tokens, wasm.sampled.tokens);
});

test('reward and value heads on webgpu score as on wasm', { skip: skip() }, async () => {
  const items = [
    { prompt: 'What is the capital of France?', answer: 'Paris is the capital.' },
    { prompt: 'Say something kind.', answer: 'The people of this nation are at work.' },
    { prompt: 'Name a law.', answer: 'Congress shall make no law.' },
  ];
  const { wasm, webgpu } = await onBoth(async () => {
    const gpt = new GPT({ ...CONFIG, vocabSize: tok.vocabSize });
    const rm = new RewardModel(gpt, new ScalarHead('reward_head', CONFIG.nEmbd, 5), tok);
    const rewards = Array.from(await rm.score(items));
    const value = new ScalarHead('value_head', CONFIG.nEmbd, 6);
    const x = tokens(2, 9, 3);
    const values = await readFloats(tf.tidy(() => value.apply(gpt.hiddenStates(x).hidden)));
    x.dispose();
    value.dispose();
    rm.dispose();
    return { rewards, values };
  });
  assert.ok(relErr(webgpu.rewards, wasm.rewards) < 1e-4, `rewards ${webgpu.rewards} vs ${wasm.rewards}`);
  assert.ok(relErr(webgpu.values, wasm.values) < 1e-4, `values: ${relErr(webgpu.values, wasm.values)}`);
});

test('a short pretraining stage runs end to end on webgpu: its losses track wasm and its checkpoint loads', { skip: skip() }, async () => {
  const config = { ...PRETRAIN_DEFAULTS, steps: 4, batchSize: 4, warmupSteps: 1, evalEvery: 2, evalWindows: 2, checkpointEvery: 2, dropout: 0, seed: 5 };
  const modelConfig: GPTConfig = { vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0, seed: 2 };
  const train = encodeStream(tok, TEXT.slice(0, 2));
  const validation = encodeStream(tok, TEXT.slice(2));
  let run = 0;
  const { wasm, webgpu } = await onBoth(async () => {
    const dir = path.join(root, `pretrain-${run++}`);
    const r = await pretrain({ dir, modelConfig, tokenizer: tok, train, validation, config });
    r.model.dispose();
    const ck = loadCheckpoint(dir, { withOptimizer: true });
    const step = ck.extra.step;
    ck.model.dispose();
    for (const t of ck.optimizerState?.values() ?? []) t.dispose();
    return { losses: r.metrics.map((m) => m.loss), valLosses: r.metrics.flatMap((m) => (m.valLoss === undefined ? [] : [m.valLoss])), step };
  });
  assert.equal(webgpu.step, 4);
  assert.equal(webgpu.valLosses.length, 2);
  assert.ok(relErr(webgpu.losses, wasm.losses) < 1e-3, `losses ${webgpu.losses} vs ${wasm.losses}`);
  assert.ok(relErr(webgpu.valLosses, wasm.valLosses) < 1e-3, `validation losses ${webgpu.valLosses} vs ${wasm.valLosses}`);
});

test('the fused Adam update on webgpu (three shaders) equals the update written out, decay and clipping scale included', { skip: skip() }, async () => {
  await initEngine({ backend: 'webgpu' });
  const n = 300; // not a multiple of the 64-wide workgroup: the bounds check matters
  const rnd = (k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + k) * (k + 1) * 0.1);
  const [P, G, M] = [rnd(0), rnd(1), rnd(2)];
  const V = rnd(3).map(Math.abs);
  const attrs = { beta1: 0.9, beta2: 0.95, eps: 1e-8, stepSize: 0.01 / (1 - 0.9 ** 3), vCorrection: 1 / (1 - 0.95 ** 3), decay: 1e-3 };
  const s = 0.5;
  const inputs = { p: tf.tensor1d(P), g: tf.tensor1d(G), m: tf.tensor1d(M), v: tf.tensor1d(V), scale: tf.scalar(s) };
  const [t1, t2, t3] = tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const [p1, m1, v1] = [await readFloats(t1), await readFloats(t2), await readFloats(t3)];
  tf.dispose(Object.values(inputs));
  for (let i = 0; i < n; i++) {
    const g = G[i] * s;
    const m = attrs.beta1 * M[i] + (1 - attrs.beta1) * g;
    const v = attrs.beta2 * V[i] + (1 - attrs.beta2) * g * g;
    const p = P[i] - (attrs.stepSize * m) / (Math.sqrt(v * attrs.vCorrection) + attrs.eps) - attrs.decay * P[i];
    assert.ok(Math.abs(m1[i] - m) < 1e-6 && Math.abs(v1[i] - v) < 1e-6, `moments at ${i}`);
    assert.ok(Math.abs(p1[i] - p) < 1e-5 * (1 + Math.abs(p)), `parameter at ${i}: ${p1[i]} vs ${p}`);
  }
});
