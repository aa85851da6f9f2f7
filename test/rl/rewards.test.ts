import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { shapeRewards, tokenKl, endsWithEos, leaveOneOutBaseline, penaliseMissingEos } from '../../src/rl/rewards';

const closeAll = (got: ArrayLike<number>, want: number[], tol = 1e-6) => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < tol, `[${i}] ${got[i]} != ${want[i]}`);
};

// two answers, T = 3: the first 3 tokens long, the second 2 (one padding slot)
const input = {
  scores: [2, -1],
  logprobs: [-1, -2, -0.5, -1, -1, 0],
  refLogprobs: [-1.5, -1, -0.5, -2, -0.5, 0],
  mask: [1, 1, 1, 1, 1, 0],
  batch: 2,
  length: 3,
};

test('per-token reward is -beta*KL_t with the RM score added at the last answer token', () => {
  // k1 = logp - logq = [0.5, -1, 0 | 1, -0.5, pad];  beta = 0.1
  // rewards = [-0.05, 0.1, 0 + 2 | -0.1, 0.05 - 1, 0]
  const { rewards, kl, klPerAnswer } = shapeRewards(input, 0.1);
  closeAll(kl, [0.5, -1, 0, 1, -0.5, 0]);
  closeAll(rewards, [-0.05, 0.1, 2, -0.1, -0.95, 0]);
  closeAll(klPerAnswer, [-0.5, 0.5]);
  closeAll(shapeRewards(input, 0).rewards, [0, 0, 2, 0, -1, 0]);
});

test('KL estimators on known log-probs: k1 = log p/q, k3 = (q/p - 1) - log q/p, never negative', () => {
  // p = 0.5, q = 0.25: k1 = ln2, k3 = (1/2 - 1) + ln2; p = 0.25, q = 0.5: k1 = -ln2, k3 = 1 - ln2
  assert.ok(Math.abs(tokenKl(Math.log(0.5), Math.log(0.25), 'k1') - Math.LN2) < 1e-12);
  assert.ok(Math.abs(tokenKl(Math.log(0.25), Math.log(0.5), 'k1') + Math.LN2) < 1e-12);
  assert.ok(Math.abs(tokenKl(Math.log(0.5), Math.log(0.25), 'k3') - 0.1931471805599453) < 1e-12);
  assert.ok(Math.abs(tokenKl(Math.log(0.25), Math.log(0.5), 'k3') - 0.3068528194400547) < 1e-12);
  assert.throws(() => tokenKl(0, 0, 'k2' as any), /estimator must be k1 or k3/);
  const { kl } = shapeRewards(input, 0.02, 'k3');
  const want = Array.from(input.logprobs, (lp, i) => (input.mask[i] ? Math.exp(input.refLogprobs[i] - lp) - 1 - (input.refLogprobs[i] - lp) : 0)); // padding is not scored
  closeAll(kl, want);
  for (const k of kl) assert.ok(k >= 0);
  assert.equal(tokenKl(-1, -1, 'k3'), 0);
});

test('the no-EOS penalty: subtract (default) or replace, only on answers without EOS', () => {
  const eos = 7;
  const flags = endsWithEos([4, 5, 7, 4, 7, 0, 4, 5, 6], [1, 1, 1, 1, 1, 0, 1, 1, 1], 3, 3, eos);
  assert.deepEqual(flags, [true, true, false]);
  closeAll(penaliseMissingEos([0.5, -2, 0.5], flags), [0.5, -2, -0.5]);
  closeAll(penaliseMissingEos([0.5, -2, 3], flags, { mode: 'replace', penalty: 1 }), [0.5, -2, -1]);
});

test('bad inputs are rejected by name', () => {
  assert.throws(() => shapeRewards(input, -1), /klCoef \(beta\) must be a finite number >= 0/);
  assert.throws(() => shapeRewards({ ...input, scores: [1] }, 0.1), /scores has 1 entries, expected B = 2/);
  assert.throws(() => shapeRewards({ ...input, refLogprobs: [0] }, 0.1), /refLogprobs has 1 entries, expected B\*T = 2\*3/);
  assert.throws(() => shapeRewards({ ...input, mask: [1, 1, 1, 0, 0, 0] }, 0.1), /answer 1 is empty/);
  assert.throws(() => shapeRewards({ ...input, logprobs: [-1, -Infinity, 0, 0, 0, 0] }, 0.1), /log-probs at \[0, 1\] are not finite/);
  assert.throws(() => shapeRewards(input, 0.1, 'k2' as any), /estimator must be k1 or k3/);
  assert.throws(() => endsWithEos([1, 2], [1, 1, 1], 1, 3, 0), /tokens has 2 entries/);
  assert.throws(() => penaliseMissingEos([1], [true, false]), /1 scores but 2 EOS flags/);
  assert.throws(() => penaliseMissingEos([1], [false], { mode: 'subtract', penalty: -1 }), /penalty must be a finite number >= 0/);
});

test('leave-one-out baseline: each score minus the mean of the other answers to its prompt', () => {
  // two prompts, three answers each
  const out = leaveOneOutBaseline([1, 2, 6, 0, 0, 3], 3);
  const want = [1 - 4, 2 - 3.5, 6 - 1.5, 0 - 1.5, 0 - 1.5, 3 - 0];
  out.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `row ${i}: ${v} vs ${want[i]}`));
  // a group's centred scores sum to k/(k-1) times (sum - k*mean) = 0
  assert.ok(Math.abs(out[0] + out[1] + out[2]) < 1e-6);
  assert.deepEqual(Array.from(leaveOneOutBaseline([0.5, -2], 1)), [0.5, -2]);
  assert.throws(() => leaveOneOutBaseline([1, 2, 3], 2), /3 scores do not split into groups of 2/);
  assert.throws(() => leaveOneOutBaseline([1, 2], 0), /k must be an integer >= 1/);
});
