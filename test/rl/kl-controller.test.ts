import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { KlController, DEFAULTS } from '../../src/rl/kl-controller';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);
const adaptive = { kind: 'adaptive' as const, initKlCoef: 0.1, target: 6, horizon: 100 };

test("fixed controller keeps the paper's beta", () => {
  const c = new KlController(DEFAULTS);
  assert.equal(c.value, 0.02);
  assert.equal(c.update(50, 64), 0.02);
});

test('adaptive: beta rises above the target KL, falls below, error clipped to +-0.2', () => {
  const c = new KlController(adaptive);
  // KL 9 vs target 6: e = 0.5 -> clipped 0.2; K = 10/100; beta = 0.1 * (1 + 0.02) = 0.102
  close(c.update(9, 10), 0.102);
  // KL 5.4: e = -0.1; beta = 0.102 * (1 - 0.01) = 0.10098
  close(c.update(5.4, 10), 0.10098);
  // at the target: unchanged
  close(c.update(6, 10), 0.10098);
  const low = new KlController(adaptive);
  for (let i = 0; i < 50; i++) low.update(0, 10);
  close(low.value, 0.1 * Math.pow(0.98, 50)); // clipped at -0.2 every step
});

test('adaptive controller steers a KL that responds to beta towards the target', () => {
  const c = new KlController({ ...adaptive, horizon: 50 });
  let kl = 0;
  for (let i = 0; i < 400; i++) {
    kl = 0.6 / c.value;
    c.update(kl, 10);
  } // toy: KL ~ 1/beta
  assert.ok(Math.abs(kl - 6) < 0.05, `KL ${kl} did not settle at 6`);
});

test('bad configs and updates are rejected by name', () => {
  assert.throws(() => new KlController({ ...adaptive, kind: 'pid' as any }), /kind must be fixed or adaptive/);
  assert.throws(() => new KlController({ ...adaptive, target: 0 }), /target must be a finite number > 0/);
  assert.throws(() => new KlController({ ...adaptive, horizon: -1 }), /horizon must be a finite number > 0/);
  assert.throws(() => new KlController({ ...adaptive, initKlCoef: NaN }), /initKlCoef must be a finite number >= 0/);
  const c = new KlController(adaptive);
  assert.throws(() => c.update(NaN, 1), /currentKl must be finite/);
  assert.throws(() => c.update(1, 0), /nSteps must be an integer > 0/);
});
