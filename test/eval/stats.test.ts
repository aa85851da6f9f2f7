import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { winRate, wilsonInterval, winRateInterval, normalisedEntropy, meanWithStdErr, fitOveroptimisation } from '../../src/eval/stats';
import { Rng } from '../../src/util/random';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

test('win-rate counts ties half', () => {
  close(winRate({ wins: 50, ties: 20, losses: 30 }), 0.6);
  close(winRate({ wins: 0, ties: 4, losses: 0 }), 0.5);
});

test('Wilson interval on known counts: 60/100 -> [0.502, 0.691]', () => {
  // centre = (0.6 + 1.96^2/200) / (1 + 1.96^2/100) = 0.59628; half = 1.96 sqrt(0.0024 + 0.0000960) / 1.038415 = 0.09432
  const ci = winRateInterval({ wins: 60, ties: 0, losses: 40 });
  assert.deepEqual([ci.rate, ci.n], [0.6, 100]);
  close(ci.lower, 0.502, 5e-5);
  close(ci.upper, 0.69057, 5e-5);
  // with ties: 50 wins + 20 ties of 100 is the same proportion
  assert.deepEqual(winRateInterval({ wins: 50, ties: 20, losses: 30 }), ci);
  // extremes stay inside [0, 1] and are not degenerate: 10/10 -> [0.7225, 1]
  const [lo, hi] = wilsonInterval(1, 10);
  close(lo, 0.722467, 1e-6);
  close(hi, 1, 1e-12);
});

test('seeded bootstrap: repeatable, close to Wilson, covers the rate', () => {
  const c = { wins: 55, ties: 10, losses: 35 };
  const a = winRateInterval(c, { method: 'bootstrap', seed: 7, samples: 1000 });
  const b = winRateInterval(c, { method: 'bootstrap', seed: 7, samples: 1000 });
  assert.deepEqual(a, b);
  const w = winRateInterval(c);
  assert.ok(a.lower < a.rate && a.rate < a.upper);
  assert.ok(Math.abs(a.lower - w.lower) < 0.02 && Math.abs(a.upper - w.upper) < 0.02, JSON.stringify([a, w]));
  assert.notDeepEqual(winRateInterval(c, { method: 'bootstrap', seed: 8, samples: 1000 }), a);
});

test('normalised entropy: uniform = 1, point mass = 0, half the choices = 1/2', () => {
  close(normalisedEntropy([0.5, 0.5]), 1);
  close(normalisedEntropy([3, 3, 3, 3, 3]), 1);
  assert.equal(normalisedEntropy([0, 7, 0]), 0);
  close(normalisedEntropy([1, 1, 0, 0]), 0.5); // ln 2 / ln 4
});

test('mean with standard error', () => {
  const m = meanWithStdErr([1, 2, 3, 4]);
  close(m.mean, 2.5);
  close(m.stdErr, Math.sqrt(5 / 3) / 2);
  assert.equal(m.n, 4); // s^2 = 5/3
});

test('Gao et al. fits recover known a, b from synthetic data', () => {
  const d = Array.from({ length: 12 }, (_, i) => 0.25 + 0.5 * i);
  const bon = fitOveroptimisation(
    d,
    d.map((x) => x * (2 - 0.3 * x)),
    'bestOfN',
  );
  close(bon.a, 2);
  close(bon.b, 0.3);
  close(bon.r2, 1);
  const rl = fitOveroptimisation(
    d,
    d.map((x) => x * (1.5 - 0.7 * Math.log(x))),
    'rl',
  );
  close(rl.a, 1.5);
  close(rl.b, 0.7);
  close(rl.r2, 1);
  close(rl.predict(2), 2 * (1.5 - 0.7 * Math.log(2)));
  // with seeded noise the fit stays close and R^2 drops below 1
  const rng = new Rng('gao');
  const noisy = fitOveroptimisation(
    d,
    d.map((x) => x * (2 - 0.3 * x) + rng.normal(0, 0.05)),
    'bestOfN',
  );
  assert.ok(Math.abs(noisy.a - 2) < 0.05 && Math.abs(noisy.b - 0.3) < 0.02 && noisy.r2 > 0.95 && noisy.r2 < 1, JSON.stringify(noisy));
  // d = 0 is allowed (R(0) = 0); constant rewards leave R^2 undefined
  assert.ok(Number.isNaN(fitOveroptimisation([0, 1, 2], [0, 0, 0], 'rl').r2));
});

test('bad inputs are rejected by name', () => {
  assert.throws(() => winRate({ wins: 0, ties: 0, losses: 0 }), /no judgements/);
  assert.throws(() => winRate({ wins: -1, ties: 0, losses: 3 }), /wins must be an integer >= 0/);
  assert.throws(() => wilsonInterval(1.2, 10), /p must be in \[0, 1\]/);
  assert.throws(() => winRateInterval({ wins: 1, ties: 0, losses: 1 }, { method: 'bootstrap', level: 95 }), /level must be in \(0, 1\)/);
  assert.throws(() => winRateInterval({ wins: 1, ties: 0, losses: 1 }, { method: 'exact' as any }), /method must be wilson or bootstrap/);
  assert.throws(() => normalisedEntropy([1]), /at least 2 choices/);
  assert.throws(() => normalisedEntropy([1, -1]), /weight 1 must be a finite number >= 0/);
  assert.throws(() => normalisedEntropy([0, 0]), /sum to 0/);
  assert.throws(() => meanWithStdErr([1]), /at least 2 values/);
  assert.throws(() => fitOveroptimisation([1, 2, 3], [1, 2], 'rl'), /3 d values but 2 rewards/);
  assert.throws(() => fitOveroptimisation([1, -2, 3], [1, 2, 3], 'rl'), /d\[1\] must be sqrt\(KL\) >= 0/);
  assert.throws(() => fitOveroptimisation([1, 1, 1], [1, 2, 3], 'bestOfN'), /too few or too alike/);
  assert.throws(() => fitOveroptimisation([1, 2, 3], [1, 2, 3], 'linear' as any), /form must be bestOfN or rl/);
});
