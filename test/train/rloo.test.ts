import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { RLOO_METRICS, RlooModels, RlooRow, rlooAdvantages, rlooLoss, trainRloo } from '../../src/train/rloo';
import { RLOO_DEFAULTS, RlooConfig, validateRlooConfig } from '../../src/train/rloo-config';

let tok: Tokenizer;
const corpus = 'the answer is good. the answer is bad. what is the capital? paris is fine, rome is wrong. ';
const prompts = ['what is the capital?', 'is the answer good?', 'rome or paris?', 'say something fine', 'the capital is', 'what is wrong?'];

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer([corpus], { vocabSize: 300, minFrequency: 1 });
});

const C = 16;
function gpt(seed: number): GPT {
  return new GPT({ vocabSize: tok.vocabSize, blockSize: 40, nLayer: 1, nHead: 2, nEmbd: C, seed });
}

/** SFT stand-in (policy = reference at the start) and a random reward model. */
function models(): RlooModels {
  return { policy: gpt(1), reference: gpt(1), rewardModel: gpt(5), rewardHead: new ScalarHead('reward_head', C, 7), tokenizer: tok };
}

function dispose(m: RlooModels): void {
  for (const x of [m.policy, m.reference, m.rewardModel, m.rewardHead]) x.dispose();
}

const tiny: Partial<RlooConfig> = {
  iterations: 3,
  promptsPerIteration: 2,
  k: 3,
  maxNewTokens: 6,
  lr: 1e-3,
  beta: 0.05,
  missingEos: { mode: 'subtract', penalty: 1 },
};
const snapshot = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, v]) => [k, Array.from(v.dataSync())]));
const withoutTime = (rows: RlooRow[]) => rows.map((r) => ({ ...r, seconds: 0 }));

test('rlooAdvantages: the KL-shaped reward minus the mean of the other k - 1 in its group', () => {
  // k = 3, beta = 0.5, two prompts. R = score - 0.5 * KL:
  //   group 0: R = [1 - 0, 2 - 0.5, 4 - 1]     = [1, 1.5, 3]
  //     A_0 = 1   - (1.5 + 3) / 2 = -1.25;  A_1 = 1.5 - (1 + 3) / 2 = -0.5;  A_2 = 3 - (1 + 1.5) / 2 = 1.75
  //   group 1: R = [0.5 - 0, 0.5 - 1, 0.5 - 2] = [0.5, -0.5, -1.5]
  //     A_3 = 0.5 - (-0.5 - 1.5) / 2 = 1.5;  A_4 = -0.5 - (0.5 - 1.5) / 2 = 0;  A_5 = -1.5 - (0.5 - 0.5) / 2 = -1.5
  const scores = Float32Array.from([1, 2, 4, 0.5, 0.5, 0.5]);
  const seqKl = Float32Array.from([0, 1, 2, 0, 2, 4]);
  const a = rlooAdvantages(scores, seqKl, 0.5, 3);
  assert.deepEqual(Array.from(a), [-1.25, -0.5, 1.75, 1.5, 0, -1.5]);
  // each group's advantages sum to 0; beta 0 is the plain leave-one-out of the scores
  assert.deepEqual(Array.from(rlooAdvantages(scores, seqKl, 0, 3)), [-2, -0.5, 2.5, 0, 0, 0]);
  assert.throws(() => rlooAdvantages(scores, seqKl, 0.5, 1), /k must be an integer >= 2/);
  assert.throws(() => rlooAdvantages(scores, seqKl.subarray(1), 0.5, 3), /6 scores but 5 KL values/);
  assert.throws(() => rlooAdvantages(scores, seqKl, 0.5, 4), /do not split into groups of 4/);
});

test('rlooLoss: minus the mean over answers of A * (summed answer log-prob); its gradient is -mask * A / B', () => {
  // answer 0: tokens -1, -2 (the -3 is padding) -> sum -3, A = 2  -> A * sum = -6
  // answer 1: token -0.5 (the rest padding)     -> sum -0.5, A = -1 -> A * sum = 0.5
  // loss = -(-6 + 0.5) / 2 = 2.75
  const logprobs = tf.tensor2d([
    [-1, -2, -3],
    [-0.5, -4, -1],
  ]);
  const mask = tf.tensor2d([
    [1, 1, 0],
    [1, 0, 0],
  ]);
  const adv = tf.tensor1d([2, -1]);
  const loss = rlooLoss(logprobs, mask, adv);
  assert.equal(loss.dataSync()[0], 2.75);
  const grad = tf.grad((lp: tf.Tensor) => rlooLoss(lp as tf.Tensor2D, mask, adv))(logprobs);
  assert.deepEqual(
    Array.from(grad.dataSync(), (x) => x + 0),
    [-1, -1, 0, 0.5, 0, 0],
  ); // + 0: the padded -0s read as 0
  assert.throws(() => rlooLoss(logprobs, mask, tf.tensor1d([1])), /1 advantages for 2 answers/);
  tf.dispose([logprobs, mask, adv, loss, grad]);
});

test('trainRloo: finite rows of fixed names, only the policy trains, flat memory; the same seed repeats the rows', async () => {
  const a = models();
  const ref = snapshot(a.reference.weights);
  const rm = snapshot(a.rewardModel.weights);
  const policy = snapshot(a.policy.weights);
  const counts: number[] = [];
  const first = await trainRloo(a, { prompts }, tiny, { onIteration: () => void counts.push(tf.memory().numTensors) });
  assert.equal(first.iterations, 3);
  assert.equal(first.optimiserSteps, 3);
  assert.ok(first.seconds > 0);
  assert.equal(first.rows.length, 3);
  for (const row of first.rows) {
    assert.deepEqual(Object.keys(row), [...RLOO_METRICS]);
    for (const k of RLOO_METRICS) assert.ok(Number.isFinite(row[k]), `${k} = ${row[k]}`);
    assert.ok(row['val/num_eos_tokens'] <= 6 && row['val/mean_length'] >= 1 && row['val/mean_length'] <= 6);
  }
  assert.deepEqual(
    first.rows.map((r) => r.iteration),
    [1, 2, 3],
  );
  // the first rollout is sampled from the reference itself: KL 0
  assert.ok(Math.abs(first.rows[0]['objective/kl']) < 1e-4, `KL at the start ${first.rows[0]['objective/kl']}`);
  const changed = (before: Map<string, number[]>, vars: Map<string, tf.Variable>) =>
    [...vars].filter(([k, v]) => Array.from(v.dataSync()).some((x, i) => x !== before.get(k)![i])).map(([k]) => k);
  assert.ok(changed(policy, a.policy.weights).length > 0, 'the policy moved');
  assert.deepEqual(changed(ref, a.reference.weights), []);
  assert.deepEqual(changed(rm, a.rewardModel.weights), []);
  // the Adam moments appear at the first step; after that the tensor count is flat
  assert.equal(counts[2], counts[1], `tensors per iteration: ${counts}`);
  const b = models();
  const second = await trainRloo(b, { prompts }, tiny);
  assert.deepEqual(withoutTime(second.rows), withoutTime(first.rows));
  for (const [k, v] of a.policy.weights) assert.deepEqual(Array.from(b.policy.weights.get(k)!.dataSync()), Array.from(v.dataSync()), k);
  for (const m of [a, b]) dispose(m);
});

test('trainRloo: the step taken in chunks (gradientChunk) is the whole-batch step, up to float rounding, with flat memory', async () => {
  const whole = models();
  const chunked = models();
  const w = await trainRloo(whole, { prompts }, { ...tiny, gradientChunk: 6 }); // 2 prompts x 3 = 6 answers: one chunk
  const counts: number[] = [];
  const c = await trainRloo(chunked, { prompts }, { ...tiny, gradientChunk: 2 }, { onIteration: () => void counts.push(tf.memory().numTensors) });
  assert.equal(c.optimiserSteps, 3, 'one step per iteration, whatever the chunk');
  assert.equal(counts[2], counts[1], `tensors per iteration: ${counts}`);
  w.rows.forEach((r, i) => {
    for (const k of ['loss', 'objective/kl', 'objective/scores'] as const)
      assert.ok(Math.abs(r[k] - c.rows[i][k]) < 1e-4, `iteration ${i + 1} ${k}: ${r[k]} vs ${c.rows[i][k]}`);
  });
  for (const [k, v] of whole.policy.weights) {
    const a = v.dataSync();
    const b = chunked.policy.weights.get(k)!.dataSync();
    const d = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
    assert.ok(d < 1e-4, `${k}: max difference ${d}`);
  }
  assert.throws(() => validateRlooConfig({ ...RLOO_DEFAULTS, gradientChunk: 0 }), /RlooConfig: gradientChunk must be an integer >= 1, got 0/);
  for (const m of [whole, chunked]) dispose(m);
});

test('bad configs are rejected by name', async () => {
  assert.throws(() => validateRlooConfig({ ...RLOO_DEFAULTS, k: 1 }), /RlooConfig: k must be an integer >= 2, got 1/);
  assert.throws(() => validateRlooConfig({ ...RLOO_DEFAULTS, beta: -1 }), /RlooConfig: beta must be a finite number >= 0, got -1/);
  assert.throws(
    () => validateRlooConfig({ ...RLOO_DEFAULTS, missingEos: { mode: 'drop' as never, penalty: 1 } }),
    /missingEos.mode must be subtract or replace/,
  );
  validateRlooConfig(RLOO_DEFAULTS);
  const m = models();
  await assert.rejects(() => trainRloo(m, { prompts }, { ...tiny, k: 1 }), /RlooConfig: k must be an integer >= 2, got 1/);
  await assert.rejects(() => trainRloo(m, { prompts }, { ...tiny, klCoef: 1 } as Partial<RlooConfig>), /RlooConfig: unknown key "klCoef"/);
  await assert.rejects(() => trainRloo(m, { prompts: [] }, tiny), /RLOO: no prompts/);
  dispose(m);
});
