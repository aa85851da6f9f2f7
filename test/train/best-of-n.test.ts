import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bestOfN, bestOfNKl, bestOfNRows } from '../../src/train/best-of-n';

test('bestOfNKl is log n - (n - 1) / n: 0 at n = 1, about 1.82 nats at n = 16', () => {
  assert.equal(bestOfNKl(1), 0);
  // n = 4: ln 4 - 3/4 = 1.386294 - 0.75 = 0.636294
  assert.ok(Math.abs(bestOfNKl(4) - 0.636294) < 1e-6);
  // n = 16: ln 16 - 15/16 = 2.772589 - 0.9375 = 1.835089
  assert.ok(Math.abs(bestOfNKl(16) - 1.835089) < 1e-6);
  assert.throws(() => bestOfNKl(0), /n must be a whole number >= 1, got 0/);
});

test('bestOfNRows picks the best of the first n samples of each prompt, the earlier on a tie', () => {
  // two prompts, N = 4 samples each: rows 0..3 and 4..7
  const scores = [0.1, 0.9, 0.3, 2.0, /* prompt 1 */ 0.5, 0.5, -1, 0.7];
  assert.deepEqual(bestOfNRows(scores, 4, 1), [0, 4]);
  assert.deepEqual(bestOfNRows(scores, 4, 2), [1, 4]); // 0.5 = 0.5: the earlier sample
  assert.deepEqual(bestOfNRows(scores, 4, 3), [1, 4]);
  assert.deepEqual(bestOfNRows(scores, 4, 4), [3, 7]);
  assert.throws(() => bestOfNRows(scores, 4, 5), /n must be a whole number in \[1, N = 4\], got 5/);
  assert.throws(() => bestOfNRows(scores, 3, 1), /8 scores is not a whole number of prompts of 3 samples/);
});

test('bestOfN returns the picked answers with their scores and the exact KL', () => {
  const picked = bestOfN({ answers: ['a0', 'a1', 'b0', 'b1'], scores: Float32Array.from([1, 3, 2, 0]), N: 2 }, 2);
  assert.deepEqual(picked.answers, ['a1', 'b0']);
  assert.deepEqual(picked.scores, [3, 2]);
  assert.equal(picked.kl, bestOfNKl(2));
});
