import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bestOfNCurve, bestOfNExpectation, bestOfNKl, gaoCurve, gaoFits } from '../../src/eval/overoptimisation';
import { Rng } from '../../src/util/random';

test('best-of-n KL: 0 at n = 1, log n - (n-1)/n', () => {
  assert.equal(bestOfNKl(1), 0);
  assert.ok(Math.abs(bestOfNKl(4) - (Math.log(4) - 0.75)) < 1e-12);
  assert.throws(() => bestOfNKl(0), /n must be an integer >= 1/);
});

test('best-of-n expectation equals brute force over all subsets', () => {
  const rng = new Rng(3);
  const proxy = Array.from({ length: 6 }, () => rng.normal());
  const gold = Array.from({ length: 6 }, () => rng.normal());
  for (const n of [1, 2, 3, 6]) {
    let p = 0,
      g = 0,
      count = 0;
    for (let mask = 0; mask < 64; mask++) {
      const idx = [0, 1, 2, 3, 4, 5].filter((i) => mask & (1 << i));
      if (idx.length !== n) continue;
      const best = idx.reduce((a, b) => (proxy[b] > proxy[a] ? b : a));
      p += proxy[best];
      g += gold[best];
      count++;
    }
    const e = bestOfNExpectation(proxy, gold, n);
    assert.ok(Math.abs(e.proxy - p / count) < 1e-9 && Math.abs(e.gold - g / count) < 1e-9, `n=${n}`);
  }
  assert.ok(Math.abs(bestOfNExpectation(proxy, gold, 1).proxy - proxy.reduce((a, b) => a + b) / 6) < 1e-12);
});

test('Gao fits on a curve built from known parameters recover them', () => {
  const ds = [0, 0.3, 0.6, 0.9, 1.2, 1.5];
  const points = ds.map((d, i) => ({ label: `p${i}`, kl: d * d, d, proxy: 1 + d * (2 - 0.1 * d), gold: 1 + d * (1.5 - 0.8 * d) }));
  const fits = gaoFits(points, 'bestOfN');
  const gold = fits.find((f) => f.target === 'gold')!;
  assert.ok(Math.abs(gold.a - 1.5) < 1e-9 && Math.abs(gold.b - 0.8) < 1e-9);
  assert.ok(Math.abs(gaoCurve(gold, 1) - 0.7) < 1e-9);
  const rl = ds.map((d, i) => ({ label: `s${i}`, kl: d * d, d, proxy: 0, gold: d > 0 ? d * (0.5 - 0.3 * Math.log(d)) : 0 }));
  const g = gaoFits(rl, 'rl').find((f) => f.target === 'gold')!;
  assert.ok(Math.abs(g.a - 0.5) < 1e-9 && Math.abs(g.b - 0.3) < 1e-9);
  assert.throws(() => gaoFits(points.slice(1), 'rl'), /d = 0 point/);
  assert.deepEqual(gaoFits(points.slice(0, 2), 'rl'), []);
});

test('best-of-n curve: gold of the pick rises with n when proxy and gold agree', () => {
  const rng = new Rng(9);
  const proxy = Array.from({ length: 20 }, () => Array.from({ length: 8 }, () => rng.normal()));
  const gold = proxy.map((row) => row.map((x) => x + 0.1 * rng.normal()));
  const curve = bestOfNCurve(proxy, gold, [1, 2, 4, 8]);
  assert.deepEqual(
    curve.map((c) => c.label),
    ['best-of-1', 'best-of-2', 'best-of-4', 'best-of-8'],
  );
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i].gold > curve[i - 1].gold && curve[i].d > curve[i - 1].d);
});
