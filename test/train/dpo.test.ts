import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { DivergenceError } from '../../src/train/ppo';
import { pairAccuracy, DpoRow, dpoLoss, PreferencePair, rankingsToPairs, trainDpo } from '../../src/train/dpo';
import { DPO_DEFAULTS, DpoConfig, validateDpoConfig } from '../../src/train/dpo-config';

let tok: Tokenizer;
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

before(async () => {
  await initEngine({ backend: 'wasm' }); // the backend notebooks train on
  tok = trainTokenizer(['the answer is good. the answer is bad. what is the capital? paris is fine, rome is wrong.'], { vocabSize: 300, minFrequency: 1 });
});

test('dpoLoss: the hand-computed loss, accuracy, margin and implicit rewards', async () => {
  // beta 0.1; pair 1: policy (-1, -3), reference (-2, -2); pair 2: policy (-4, -1), reference (-3, -2)
  //   implicit rewards r = beta * (log pi - log pi_ref):
  //     pair 1: chosen 0.1 * (-1 + 2) = 0.1, rejected 0.1 * (-3 + 2) = -0.1 -> z1 = 0.2
  //     pair 2: chosen 0.1 * (-4 + 3) = -0.1, rejected 0.1 * (-1 + 2) = 0.1 -> z2 = -0.2
  //   loss = mean(log(1 + exp(-z))) = (log(1 + e^-0.2) + log(1 + e^0.2)) / 2
  //        = (0.598138869381 + 0.798138869381) / 2 = 0.698138869381
  //   accuracy = 1/2 (only z1 > 0), margin = (0.2 - 0.2) / 2 = 0,
  //   chosen reward = (0.1 - 0.1) / 2 = 0, rejected reward = (-0.1 + 0.1) / 2 = 0
  const out = dpoLoss(tf.tensor1d([-1, -4]), tf.tensor1d([-3, -1]), tf.tensor1d([-2, -3]), tf.tensor1d([-2, -2]), 0.1);
  close(out.loss.dataSync()[0], 0.698138869381);
  close(out.accuracy.dataSync()[0], 0.5);
  close(out.margin.dataSync()[0], 0);
  close(out.chosenReward.dataSync()[0], 0);
  close(out.rejectedReward.dataSync()[0], 0);
  // one pair, beta 0.5: z = 0.5 * ((-1 - -2) - (-3 - -2)) = 1 -> loss = log(1 + e^-1) = 0.313261687518
  const one = dpoLoss(tf.tensor1d([-1]), tf.tensor1d([-3]), tf.tensor1d([-2]), tf.tensor1d([-2]), 0.5);
  close(one.loss.dataSync()[0], 0.313261687518);
  close(one.margin.dataSync()[0], 1);
  close(one.accuracy.dataSync()[0], 1);
  // a huge margin stays finite (log sigma computed stably): z = -2000 -> loss 2000
  const far = dpoLoss(tf.tensor1d([-1000]), tf.tensor1d([0]), tf.tensor1d([0]), tf.tensor1d([-1000]), 1);
  close(far.loss.dataSync()[0], 2000, 1e-3);
  assert.throws(() => dpoLoss(tf.tensor1d([1, 2]), tf.tensor1d([1]), tf.tensor1d([1, 2]), tf.tensor1d([1, 2]), 0.1), /shape \[2\]/);
});

test('rankingsToPairs: every pair with different ranks, chosen = lower rank, ties dropped, in order', () => {
  const pairs = rankingsToPairs([
    { prompt: 'p', answers: ['a', 'b', 'c'], ranks: [2, 1, 2] }, // b best, a and c tie
    { prompt: 'q', answers: ['x', 'y'], ranks: [1, 1] }, // all tie: no pair
  ]);
  assert.deepEqual(pairs, [
    { prompt: 'p', chosen: 'b', rejected: 'a' },
    { prompt: 'p', chosen: 'b', rejected: 'c' },
  ]);
  assert.throws(() => rankingsToPairs([{ prompt: 'p', answers: ['a', 'b'], ranks: [1] }]), /ranking 0 has 2 answers but 1 ranks/);
});

const PAIRS: PreferencePair[] = [
  { prompt: 'what is the capital?', chosen: 'paris is fine.', rejected: 'rome is wrong.' },
  { prompt: 'is the answer good?', chosen: 'the answer is good.', rejected: 'the answer is bad.' },
  { prompt: 'rome or paris?', chosen: 'paris.', rejected: 'rome.' },
  { prompt: 'what is wrong?', chosen: 'rome is wrong.', rejected: 'paris is wrong.' },
];
const config: Partial<DpoConfig> = { beta: 0.5, epochs: 8, batchSize: 2, lr: 1e-2, minLr: 1e-2, warmupSteps: 0, seed: 3 };
const strip = (rows: DpoRow[]) => rows.map(({ seconds, ...r }) => r);

async function run(): Promise<DpoRow[]> {
  const reference = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 16, seed: 4 });
  const policy = new GPT(reference.config, reference.weights); // the SFT model, trained from here
  try {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    // before training the policy is its reference: every pair ties, accuracy one half
    assert.deepEqual(await pairAccuracy(policy, reference, tok, PAIRS), { right: 2, n: 4, accuracy: 0.5 });
    const r = await trainDpo({ policy, reference, tokenizer: tok, pairs: PAIRS, config, onStep: (row, total) => void seen.push(row.step, total) });
    // after: the implicit reward orders every training pair as its labeler did
    assert.equal((await pairAccuracy(policy, reference, tok, PAIRS, 32, 3)).accuracy, 1);
    assert.equal(tf.memory().numTensors, before, 'trainDpo and pairAccuracy leave no tensors behind');
    assert.equal(r.steps, 16);
    assert.equal(r.rows.length, 16);
    assert.deepEqual(seen.slice(0, 4), [1, 16, 2, 16]);
    return r.rows;
  } finally {
    policy.dispose();
    reference.dispose();
  }
}

test('trainDpo: a tiny GPT learns the training pairs; the same seed repeats every number', async () => {
  const rows = await run();
  // step 1: policy = reference, so every implicit reward is 0 and the loss is log 2
  close(rows[0].loss, Math.log(2), 1e-5);
  close(rows[0].margin, 0, 1e-5);
  const lastEpoch = rows.slice(-2);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(lastEpoch.map((r) => r.loss)) < 0.3, `loss did not fall: ${rows.map((r) => r.loss.toFixed(3))}`);
  assert.equal(mean(lastEpoch.map((r) => r.accuracy)), 1);
  assert.ok(lastEpoch.every((r) => r.margin > 0 && r.chosen_reward > r.rejected_reward));
  for (const r of rows) for (const v of Object.values(r)) assert.ok(Number.isFinite(v));
  assert.deepEqual(strip(await run()), strip(rows));
});

test('trainDpo: rankings are expanded to pairs; input errors name what is wrong', async () => {
  const reference = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 16, seed: 4 });
  const policy = new GPT(reference.config, reference.weights);
  try {
    const rankings = [{ prompt: 'rome or paris?', answers: ['rome.', 'paris.', 'lima.'], ranks: [2, 1, 2] }];
    const r = await trainDpo({ policy, reference, tokenizer: tok, rankings, config: { epochs: 1, batchSize: 4 } });
    assert.equal(r.steps, 1); // two pairs, one batch
    await assert.rejects(trainDpo({ policy, reference, tokenizer: tok, pairs: [] }), /no preference pairs/);
    await assert.rejects(trainDpo({ policy, reference, tokenizer: tok, pairs: PAIRS, rankings }), /either pairs or rankings/);
    await assert.rejects(trainDpo({ policy, reference, tokenizer: tok, pairs: PAIRS, config: { batchsize: 2 } as any }), /unknown key "batchsize"/);
    await assert.rejects(trainDpo({ policy, reference, tokenizer: tok, pairs: PAIRS, blockSize: 64 }), /reads at most 32 tokens/);
    // beta 1e300 is Infinity in float32: 0 * Infinity makes the first loss NaN
    await assert.rejects(trainDpo({ policy, reference, tokenizer: tok, pairs: PAIRS, config: { beta: 1e300 } }), (e: Error) => {
      assert.ok(e instanceof DivergenceError);
      assert.match(e.message, /DPO diverged at step 1: the loss is NaN/);
      return true;
    });
  } finally {
    policy.dispose();
    reference.dispose();
  }
});

test('validateDpoConfig: a bad value is named in a one-line error', () => {
  validateDpoConfig(DPO_DEFAULTS);
  const bad: [Partial<DpoConfig>, RegExp][] = [
    [{ beta: 0 }, /^Error: DpoConfig: beta must be a finite number > 0, got 0$/],
    [{ batchSize: 1.5 }, /^Error: DpoConfig: batchSize must be an integer >= 1, got 1.5$/],
    [{ epochs: 0 }, /epochs must be an integer >= 1/],
    [{ lr: NaN }, /lr must be a finite number > 0/],
    [{ minLr: 1 }, /minLr must be in \[0, lr=0.0001\], got 1/],
    [{ clipNorm: -1 }, /clipNorm must be a finite number >= 0/],
  ];
  for (const [override, message] of bad) assert.throws(() => validateDpoConfig({ ...DPO_DEFAULTS, ...override }), message);
  assert.throws(() => validateDpoConfig({ ...DPO_DEFAULTS, beta: -1 }, 'profile smoke dpo'), /^Error: profile smoke dpo: beta/);
});
