import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';

test('same seed gives the same stream, different seeds differ', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => c.next()),
  );
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test('uniform mean and normal moments are right', () => {
  const r = new Rng('moments');
  let s = 0,
    s2 = 0,
    m = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
    m += r.next();
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  assert.ok(Math.abs(m / n - 0.5) < 0.01);
});

test('shuffle is a permutation; categorical follows weights; fork is independent', () => {
  const r = new Rng(1);
  assert.deepEqual(r.shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 9000; i++) counts[r.categorical([1, 0, 2])]++;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[2] / counts[0] - 2) < 0.2);
  assert.notEqual(r.fork('a').next(), r.fork('b').next());
  assert.throws(() => r.categorical([0, 0]), /positive sum/);
});
