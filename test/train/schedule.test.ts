import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { lrAt, DEFAULTS, LrSchedule } from '../../src/train/schedule';

const s: LrSchedule = { lr: 1e-3, warmupSteps: 9, totalSteps: 109, minLr: 1e-4 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-15, `${a} != ${b}`);

test('warm-up is linear from lr/(w+1) and reaches the peak at step w', () => {
  close(lrAt(0, s), 1e-4); // 1e-3 * 1/10
  close(lrAt(4, s), 5e-4); // 1e-3 * 5/10
  close(lrAt(8, s), 9e-4);
  close(lrAt(9, s), 1e-3); // cosine starts at the peak
});

test('cosine decay: half-way is the midpoint of lr and minLr, the end is the floor', () => {
  close(lrAt(59, s), 5.5e-4); // ratio 1/2: cos(pi/2) = 0 -> (lr + minLr) / 2
  // ratio 1/4: 1e-4 + 0.5 * (1 + cos(pi/4)) * 9e-4 = 1e-4 + 0.853553390593 * 9e-4
  close(lrAt(34, s), 1e-4 + 0.5 * (1 + Math.SQRT1_2) * 9e-4);
  close(lrAt(109, s), 1e-4);
  close(lrAt(10_000, s), 1e-4);
  for (let t = 10; t < 109; t++) assert.ok(lrAt(t, s) < lrAt(t - 1, s), `not decreasing at ${t}`);
});

test('no warm-up starts at the peak; the defaults are valid', () => {
  close(lrAt(0, { ...s, warmupSteps: 0 }), 1e-3);
  close(lrAt(0, DEFAULTS), DEFAULTS.lr / (DEFAULTS.warmupSteps + 1));
});

test('bad inputs are rejected by name', () => {
  assert.throws(() => lrAt(-1, s), /step must be an integer >= 0/);
  assert.throws(() => lrAt(1.5, s), /step must be an integer/);
  assert.throws(() => lrAt(0, { ...s, totalSteps: 5 }), /totalSteps must be an integer >= 9/);
  assert.throws(() => lrAt(0, { ...s, minLr: 2e-3 }), /minLr must be in \[0, lr/);
  assert.throws(() => lrAt(0, { ...s, lr: NaN }), /lr must be a finite number > 0/);
});
