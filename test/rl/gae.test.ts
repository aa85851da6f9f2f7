import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { gae, whiten, answerLengths, DEFAULTS } from '../../src/rl/gae';
import { Rng } from '../../src/util/random';

const closeAll = (got: ArrayLike<number>, want: number[], tol = 1e-6) => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < tol, `[${i}] ${got[i]} != ${want[i]}`);
};

// One 3-token answer (reward at the end) and a padded 1-token answer in the same batch.
const ep = {
  rewards: [0, 0, 1, 2, 0, 0],
  values: [0.5, 0.6, 0.7, 0.4, 9, 9],
  mask: [1, 1, 1, 1, 0, 0],
  batch: 2,
  length: 3,
};

test("hand-computed 3-step GAE, the paper's gamma 1 lambda 0.95", () => {
  // delta_2 = 1 - 0.7 = 0.3;  delta_1 = 0 + 0.7 - 0.6 = 0.1;  delta_0 = 0 + 0.6 - 0.5 = 0.1
  // A_2 = 0.3;  A_1 = 0.1 + 0.95 * 0.3 = 0.385;  A_0 = 0.1 + 0.95 * 0.385 = 0.46575
  // row 1: one token, A = 2 - 0.4 = 1.6 (padding values 9 never read); padding -> 0
  const { advantages, returns } = gae(ep, DEFAULTS);
  closeAll(advantages, [0.46575, 0.385, 0.3, 1.6, 0, 0]);
  closeAll(returns, [0.96575, 0.985, 1.0, 2.0, 0, 0]);
});

test('hand-computed with discount: gamma 0.9 lambda 0.8', () => {
  // delta_2 = 0.3;  delta_1 = 0.9*0.7 - 0.6 = 0.03;  delta_0 = 0.9*0.6 - 0.5 = 0.04
  // A_1 = 0.03 + 0.72 * 0.3 = 0.246;  A_0 = 0.04 + 0.72 * 0.246 = 0.21712
  closeAll(gae(ep, { gamma: 0.9, lambda: 0.8 }).advantages.subarray(0, 3), [0.21712, 0.246, 0.3]);
});

test('gamma = lambda = 1 reduces to reward-to-go minus value', () => {
  const rng = new Rng('gae');
  const B = 3,
    T = 6,
    lens = [6, 4, 1];
  const mask = new Float32Array(B * T),
    rewards = new Float32Array(B * T),
    values = new Float32Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      mask[b * T + t] = t < lens[b] ? 1 : 0;
      rewards[b * T + t] = rng.normal();
      values[b * T + t] = rng.normal();
    }
  const { advantages, returns } = gae({ rewards, values, mask, batch: B, length: T }, { gamma: 1, lambda: 1 });
  for (let b = 0; b < B; b++)
    for (let t = 0; t < lens[b]; t++) {
      let togo = 0;
      for (let s = t; s < lens[b]; s++) togo += rewards[b * T + s];
      assert.ok(Math.abs(advantages[b * T + t] - (togo - values[b * T + t])) < 1e-5);
      assert.ok(Math.abs(returns[b * T + t] - togo) < 1e-5);
    }
});

test('whiten: zero mean, unit (unbiased) variance over the mask; shiftMean=false keeps the mean', () => {
  closeAll(whiten([1, 2, 3, 100], [1, 1, 1, 0]), [-1, 0, 1, 0]);
  closeAll(whiten([1, 2, 3, 100], [1, 1, 1, 0], false), [1, 2, 3, 0]);
  // [2, 4, 6, 8]: mean 5, unbiased var 20/3
  closeAll(
    whiten([2, 4, 6, 8], [1, 1, 1, 1]),
    [-3, -1, 1, 3].map((d) => d / Math.sqrt(20 / 3)),
  );
});

test('bad inputs are rejected by name and position', () => {
  assert.throws(() => gae({ ...ep, mask: [1, 0, 1, 1, 0, 0] }), /mask row 0 has a 1 after padding at 2/);
  assert.throws(() => gae({ ...ep, mask: [1, 1, 1, 0.5, 0, 0] }), /mask\[1, 0\] must be 0 or 1/);
  assert.throws(() => gae({ ...ep, values: [1, 2] }), /values has 2 entries, expected B\*T = 2\*3/);
  assert.throws(() => gae({ ...ep, rewards: [0, NaN, 1, 2, 0, 0] }), /reward or value at \[0, 1\] is not finite/);
  assert.throws(() => gae(ep, { gamma: 1.5, lambda: 0.95 }), /gamma must be in \[0, 1\]/);
  assert.throws(() => gae(ep, { gamma: 1, lambda: -1 }), /lambda must be in \[0, 1\]/);
  assert.throws(() => answerLengths([1], 0, 1), /batch and length must be integers >= 1/);
  assert.throws(() => whiten([1, 2], [1, 0]), /at least 2 unmasked entries, got 1/);
  assert.throws(() => whiten([1, 2], [1]), /x has 2 entries but mask has 1/);
});
