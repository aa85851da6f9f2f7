import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  aboutAsOften,
  aboveHalf,
  allOf,
  atLeastRatio,
  fewerByAtLeast,
  formatEstimate,
  Judgement,
  lessOftenThan,
  moreOftenThan,
  newcombeDifference,
  notHigher,
  notLowerBy,
  ratioOfBounds,
  wilson,
  winProportion,
} from '../../src/eval/verdicts';
import { SMOKE_NOT_JUDGED } from '../../src/eval/evidence';

const close = (a: number | null, b: number, eps = 1e-4) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} vs ${b}`);
const DEFAULT = { profile: 'default' };

test('intervals: Wilson and Newcombe match the published examples; a ratio over 0 is unbounded', () => {
  // Newcombe (1998), Statistics in Medicine 17:857, Table II: 81/263 -> 0.2553, 0.3662
  const w = wilson({ k: 81, n: 263 });
  close(w.lower, 0.2553);
  close(w.upper, 0.3662);
  // Newcombe (1998), Statistics in Medicine 17:873, method 10: 56/70 - 48/80 -> 0.0524, 0.3339
  const d = newcombeDifference({ k: 56, n: 70 }, { k: 48, n: 80 });
  close(d.estimate, 0.2);
  close(d.lower, 0.0524);
  close(d.upper, 0.3339);
  assert.deepEqual([wilson({ k: 0, n: 50 }).lower, wilson({ k: 50, n: 50 }).upper], [0, 1]);
  const r = ratioOfBounds({ k: 60, n: 200 }, { k: 30, n: 200 });
  close(r.estimate, 2);
  close(r.lower, wilson({ k: 60, n: 200 }).lower / wilson({ k: 30, n: 200 }).upper);
  assert.equal(r.apart, true);
  const zero = ratioOfBounds({ k: 5, n: 100 }, { k: 0, n: 100 });
  assert.deepEqual([zero.estimate, zero.upper], [null, null]);
  assert.deepEqual(winProportion({ wins: 3, ties: 1, losses: 2 }), { k: 3.5, n: 6 });
  assert.throws(() => wilson({ k: 7, n: 5 }), /k must be a number in \[0, n = 5\]/);
  assert.throws(() => wilson({ k: 1.3, n: 5 }), /a tie counts half/);
  assert.throws(() => winProportion({ wins: -1, ties: 0, losses: 0 }), /wins must be a whole number/);
});

test('every rule fails closed: no row or no count -> not measured, zero or few samples or smoke -> not judged', () => {
  const rules: [string, (a: any, b: any, ctx: any) => Judgement][] = [
    ['moreOftenThan', (a, b, c) => moreOftenThan(a, b, c)],
    ['lessOftenThan', (a, b, c) => lessOftenThan(a, b, c)],
    ['atLeastRatio', (a, b, c) => atLeastRatio(a, b, 1.5, c)],
    ['fewerByAtLeast', (a, b, c) => fewerByAtLeast(a, b, 0.25, c)],
    ['aboutAsOften', (a, b, c) => aboutAsOften(a, b, 0.1, c)],
    ['notLowerBy', (a, b, c) => notLowerBy(a, b, 0.05, c)],
  ];
  const strong = { k: 900, n: 1000 };
  const weak = { k: 100, n: 1000 };
  for (const [name, rule] of rules) {
    for (const missing of [null, undefined, { k: 3, n: null }, { k: null, n: 10 }, {}]) {
      const j = rule(missing, weak, DEFAULT);
      assert.equal(j.verdict, 'not measured', `${name} ${JSON.stringify(missing)}`);
      assert.deepEqual([j.estimate, j.lower, j.upper], [null, null, null]);
      assert.equal(rule(weak, missing, DEFAULT).verdict, 'not measured', name);
    }
    const zero = rule({ k: 0, n: 0 }, weak, DEFAULT);
    assert.equal(zero.verdict, 'not judged', name);
    assert.match(zero.why, /^not judged: 0 samples/);
    assert.equal(rule({ k: 0, n: 0 }, weak, { profile: 'default', min: 0 }).verdict, 'not judged', `${name}: 0 samples even when no minimum is set`);
    const few = rule({ k: 90, n: 99 }, { k: 1, n: 99 }, DEFAULT);
    assert.equal(few.verdict, 'not judged', name);
    assert.match(few.why, /^not judged: 99 samples, at least 100 needed \(the rule: /);
    assert.ok(few.estimate !== null, `${name}: the figures are kept`);
    const smoke = rule(strong, weak, { profile: 'smoke' });
    assert.equal(smoke.verdict, 'not judged', name);
    assert.ok(smoke.why.startsWith(SMOKE_NOT_JUDGED), smoke.why);
  }
  assert.equal(aboveHalf(null).verdict, 'not measured');
  assert.equal(aboveHalf({ wins: null, ties: null, losses: null }).verdict, 'not measured');
  assert.equal(aboveHalf({ wins: 0, ties: 0, losses: 0 }, DEFAULT).verdict, 'not judged');
  assert.equal(aboveHalf({ wins: 90, ties: 0, losses: 9 }, DEFAULT).verdict, 'not judged');
  assert.equal(aboveHalf({ wins: 900, ties: 0, losses: 100 }, { profile: 'smoke' }).verdict, 'not judged');
  assert.equal(notHigher(null, { mean: 0.5, stdErr: 0.01 }, 0.02).verdict, 'not measured');
  assert.equal(notHigher({ mean: NaN }, { mean: 0.5 }, 0.02).verdict, 'not measured');
  assert.equal(notHigher({ mean: 0.5, stdErr: 0.01, n: 40 }, { mean: 0.5, stdErr: 0.01, n: 40 }, 0.02, DEFAULT).verdict, 'not judged');
});

test('aboveHalf: the Wilson interval of the win-rate (ties half) must clear 0.5', () => {
  const yes = aboveHalf({ wins: 120, ties: 20, losses: 60 }, DEFAULT);
  assert.equal(yes.verdict, 'reproduces');
  close(yes.estimate, 130 / 200);
  close(yes.lower, wilson({ k: 130, n: 200 }).lower);
  assert.equal(yes.n, 200);
  assert.equal(yes.measure, 'rate');
  // borderline: 58 of 100 has a lower bound of 0.482
  const edge = aboveHalf({ wins: 58, ties: 0, losses: 42 }, DEFAULT);
  assert.equal(edge.verdict, 'does not reproduce');
  assert.match(edge.why, /reaches 0\.5: not preferred beyond noise/);
  // 60 of 100: lower bound 0.502
  assert.equal(aboveHalf({ wins: 60, ties: 0, losses: 40 }, DEFAULT).verdict, 'reproduces');
  assert.match(aboveHalf({ wins: 30, ties: 0, losses: 70 }, DEFAULT).why, /lies below 0\.5/);
  // with the paper's win-rate: 58 of 100 ([48.2%, 67.2%]) rules out 73.4% but not 65%
  const ruledOut = aboveHalf({ wins: 58, ties: 0, losses: 42 }, DEFAULT, 'w', 0.734);
  assert.equal(ruledOut.verdict, 'does not reproduce');
  assert.match(ruledOut.why, /\[48\.2%, 67\.2%\] rules out the paper's 73\.4%/);
  const tooFew = aboveHalf({ wins: 58, ties: 0, losses: 42 }, DEFAULT, 'w', 0.65);
  assert.equal(tooFew.verdict, 'not judged');
  assert.match(tooFew.why, /^not judged: too few samples: .*also holds the paper's 65\.0%/);
  assert.equal(aboveHalf({ wins: 60, ties: 0, losses: 40 }, DEFAULT, 'w', 0.9).verdict, 'reproduces'); // the size matters only within noise
  assert.throws(() => aboveHalf({ wins: 1, ties: 0, losses: 1 }, DEFAULT, 'w', 0.4), /paper must be a win-rate in \(0\.5, 1\]/);
});

test('moreOftenThan / lessOftenThan: the Newcombe interval of the difference must exclude 0 on the claimed side', () => {
  const up = moreOftenThan({ k: 70, n: 200 }, { k: 45, n: 200 }, DEFAULT);
  assert.equal(up.verdict, 'reproduces');
  const d = newcombeDifference({ k: 70, n: 200 }, { k: 45, n: 200 });
  assert.deepEqual([up.estimate, up.lower, up.upper], [d.estimate, d.lower, d.upper]);
  assert.equal(up.measure, 'rate difference');
  // higher but within noise
  const noise = moreOftenThan({ k: 55, n: 200 }, { k: 45, n: 200 }, DEFAULT);
  assert.equal(noise.verdict, 'does not reproduce');
  assert.match(noise.why, /includes 0: within noise/);
  assert.match(moreOftenThan({ k: 20, n: 200 }, { k: 80, n: 200 }, DEFAULT).why, /below b beyond noise/);
  assert.equal(lessOftenThan({ k: 20, n: 200 }, { k: 80, n: 200 }, DEFAULT).verdict, 'reproduces');
  assert.equal(lessOftenThan({ k: 80, n: 200 }, { k: 20, n: 200 }, DEFAULT).verdict, 'does not reproduce');
  // n is the smaller side
  assert.equal(moreOftenThan({ k: 70, n: 300 }, { k: 45, n: 150 }, DEFAULT).n, 150);
  // with the paper's difference: 8/156 vs 2/156 (+3.8 points, [-0.3, +8.6]) rules out -0.65 points;
  // 3/155 vs 2/155 ([-2.9, +4.4]) holds both 0 and -0.65 points: too few samples
  const out = lessOftenThan({ k: 8, n: 156 }, { k: 2, n: 156 }, DEFAULT, ['a', 'b'], -0.0065);
  assert.equal(out.verdict, 'does not reproduce');
  assert.match(out.why, /rules out -0\.7 points, the paper's effect/);
  const few = lessOftenThan({ k: 3, n: 155 }, { k: 2, n: 155 }, DEFAULT, ['a', 'b'], -0.0065);
  assert.equal(few.verdict, 'not judged');
  assert.match(
    few.why,
    /^not judged: too few samples: \+0\.6 points: within noise of 0, and the 95% interval \[-2\.9 points, \+4\.4 points\] also holds -0\.7 points, the paper's effect/,
  );
  assert.throws(() => lessOftenThan({ k: 1, n: 2 }, { k: 1, n: 2 }, DEFAULT, ['a', 'b'], 0.1), /paper must be a difference below 0/);
});

test('two rates both at 0 (or both at 100%) are not judged: the instrument is at its floor and can show nothing', () => {
  const zero = { k: 0, n: 211 };
  for (const j of [moreOftenThan(zero, { k: 0, n: 211 }), lessOftenThan(zero, { k: 0, n: 150 }), atLeastRatio(zero, { k: 0, n: 211 }, 1.5)]) {
    assert.equal(j.verdict, 'not judged');
    assert.match(j.why, /both at 0 \(0\/211, 0\/\d+\): the instrument is at its floor/);
  }
  assert.match(moreOftenThan({ k: 120, n: 120 }, { k: 120, n: 120 }).why, /at its ceiling/);
  // one side above the floor is a real comparison
  assert.equal(lessOftenThan({ k: 22, n: 154 }, { k: 2, n: 154 }).verdict, 'does not reproduce');
  assert.equal(moreOftenThan({ k: 12, n: 200 }, { k: 0, n: 200 }).verdict, 'reproduces');
});

test('atLeastRatio: intervals apart and the ratio at least r; apart but smaller is partly', () => {
  const yes = atLeastRatio({ k: 60, n: 200 }, { k: 30, n: 200 }, 1.5, DEFAULT);
  assert.equal(yes.verdict, 'reproduces');
  close(yes.estimate, 2);
  assert.equal(yes.measure, 'ratio');
  // 2x but intervals overlap: 12/100 vs 6/100, and the ratio's interval holds 1.5x: too few samples
  const overlap = atLeastRatio({ k: 12, n: 100 }, { k: 6, n: 100 }, 1.5, DEFAULT);
  assert.equal(overlap.verdict, 'not judged');
  assert.match(overlap.why, /^not judged: too few samples: 2\.00x, but the 95% intervals overlap: within noise, and the 95% interval \[.*\] also holds 1\.5x/);
  // overlapping, with 1.5x ruled out: 500/2000 vs 490/2000 (upper bound about 1.19x)
  const flat = atLeastRatio({ k: 500, n: 2000 }, { k: 490, n: 2000 }, 1.5, DEFAULT);
  assert.equal(flat.verdict, 'does not reproduce');
  assert.match(flat.why, /rules out 1\.5x/);
  assert.match(atLeastRatio({ k: 10, n: 200 }, { k: 60, n: 200 }, 1.5, DEFAULT, ['a', 'b']).why, /a is below b beyond noise/);
  // apart but only 1.4x: 700/1000 vs 500/1000
  const part = atLeastRatio({ k: 700, n: 1000 }, { k: 500, n: 1000 }, 1.5, DEFAULT);
  assert.equal(part.verdict, 'partly');
  assert.match(part.why, /1\.40x is below 1\.5x/);
  // against 0: unbounded ratio, reproduces only when a's interval clears b's
  const fromZero = atLeastRatio({ k: 30, n: 200 }, { k: 0, n: 200 }, 1.5, DEFAULT);
  assert.deepEqual([fromZero.verdict, fromZero.estimate, fromZero.upper], ['reproduces', null, null]);
  // 1 vs 0 of 166: the ratio's interval is unbounded, so it holds 1.5x: too few samples
  assert.equal(atLeastRatio({ k: 1, n: 166 }, { k: 0, n: 166 }, 1.5, DEFAULT).verdict, 'not judged');
  assert.equal(atLeastRatio({ k: 0, n: 166 }, { k: 0, n: 166 }, 1.5, DEFAULT).verdict, 'not judged'); // both at the floor
  assert.throws(() => atLeastRatio({ k: 1, n: 2 }, { k: 1, n: 2 }, 1), /r must be > 1/);
});

test('fewerByAtLeast: fewer beyond noise (intervals apart) and by at least the fraction', () => {
  const yes = fewerByAtLeast({ k: 50, n: 500 }, { k: 100, n: 500 }, 0.25, DEFAULT);
  assert.equal(yes.verdict, 'reproduces');
  close(yes.estimate, 0.5);
  const r = ratioOfBounds({ k: 50, n: 500 }, { k: 100, n: 500 });
  close(yes.lower, 1 - r.upper!);
  close(yes.upper, 1 - r.lower!);
  assert.equal(yes.measure, 'reduction');
  // 30% fewer but overlapping: 14/200 vs 20/200
  const noise = fewerByAtLeast({ k: 14, n: 200 }, { k: 20, n: 200 }, 0.25, DEFAULT);
  assert.equal(noise.verdict, 'not judged');
  assert.match(noise.why, /^not judged: too few samples: 30\.0% fewer, but the 95% intervals overlap.*also holds 25\.0% fewer/);
  // overlapping, with 25% fewer ruled out: 980/2000 vs 1000/2000 (at most about 10% fewer)
  const flat = fewerByAtLeast({ k: 980, n: 2000 }, { k: 1000, n: 2000 }, 0.25, DEFAULT);
  assert.equal(flat.verdict, 'does not reproduce');
  assert.match(flat.why, /rules out 25\.0% fewer/);
  assert.match(fewerByAtLeast({ k: 80, n: 200 }, { k: 20, n: 200 }, 0.25, DEFAULT, ['a', 'b']).why, /a is above b beyond noise .*more, not fewer/);
  // apart but only 20% fewer: 4000/10000 vs 5000/10000
  assert.equal(fewerByAtLeast({ k: 4000, n: 10000 }, { k: 5000, n: 10000 }, 0.25, DEFAULT).verdict, 'partly');
  assert.match(fewerByAtLeast({ k: 30, n: 200 }, { k: 20, n: 200 }, 0.25, DEFAULT).why, /^not judged: too few samples: not fewer/);
  // GPT never toxic: nothing to reduce, the claim is not tested
  const clean = fewerByAtLeast({ k: 0, n: 300 }, { k: 0, n: 300 }, 0.25, DEFAULT);
  assert.equal(clean.verdict, 'not judged');
  assert.match(clean.why, /nothing to reduce/);
});

test('aboutAsOften: equivalence needs the whole interval within the margin', () => {
  // 65% vs 68% on 600 pairs each: interval about [-8.3, +2.3] points, inside +-10
  const yes = aboutAsOften({ k: 390, n: 600 }, { k: 408, n: 600 }, 0.1, DEFAULT);
  assert.equal(yes.verdict, 'reproduces');
  close(yes.estimate, -0.03);
  // the same 3-point gap on 150 pairs each: the interval reaches past -10
  const wide = aboutAsOften({ k: 97.5, n: 150 }, { k: 102, n: 150 }, 0.1, DEFAULT);
  assert.equal(wide.verdict, 'does not reproduce');
  assert.match(wide.why, /reaches beyond \+-10 points: equivalence not shown/);
  // 20 points apart beyond noise
  assert.match(aboutAsOften({ k: 300, n: 600 }, { k: 420, n: 600 }, 0.1, DEFAULT).why, /differs by more than 10 points beyond noise/);
  assert.throws(() => aboutAsOften({ k: 1, n: 2 }, { k: 1, n: 2 }, 0), /margin/);
});

test('notLowerBy: no drop beyond noise and a drop past the margin ruled out; a wide interval is not judged', () => {
  // 56% vs 55% on 600 each: the interval [-4.6, +6.6] points stays above -5
  const yes = notLowerBy({ k: 336, n: 600 }, { k: 330, n: 600 }, 0.05, DEFAULT, ['large', 'small']);
  assert.equal(yes.verdict, 'reproduces');
  close(yes.estimate, 0.01);
  assert.ok(yes.lower! >= -0.05 && yes.lower! < 0, `${yes.lower}`);
  assert.equal(yes.why, 'the 95% Newcombe interval of large - small lies above -5 points');
  // the same 1-point rise on 150 a side: the interval reaches -10 points, so a drop is not ruled out
  const wide = notLowerBy({ k: 84, n: 150 }, { k: 82.5, n: 150 }, 0.05, DEFAULT, ['large', 'small']);
  assert.equal(wide.verdict, 'not judged');
  assert.match(
    wide.why,
    /^not judged: too few samples: \+1\.0 points: no drop beyond noise, and the 95% interval \[-10\.\d points, \+12\.\d points\] also holds a drop of more than 5 points/,
  );
  // 50% vs 58% on 600 each: below beyond noise
  const drop = notLowerBy({ k: 300, n: 600 }, { k: 348, n: 600 }, 0.05, DEFAULT, ['large', 'small']);
  assert.equal(drop.verdict, 'does not reproduce');
  assert.equal(drop.why, 'large is below small beyond noise (-8.0 points)');
  // a 3-point drop within noise on 600 a side reaches past -5: not judged, never "reproduces"
  assert.equal(notLowerBy({ k: 330, n: 600 }, { k: 348, n: 600 }, 0.05, DEFAULT).verdict, 'not judged');
  assert.throws(() => notLowerBy({ k: 1, n: 2 }, { k: 1, n: 2 }, 0), /margin/);
});

test('notHigher: an interval from standard errors; without them the verdict says why and is not judged', () => {
  const yes = notHigher({ mean: 0.8, stdErr: 0.005, n: 200 }, { mean: 0.81, stdErr: 0.005, n: 200 }, 0.02, DEFAULT);
  assert.equal(yes.verdict, 'reproduces');
  close(yes.upper, -0.01 + 1.959964 * Math.hypot(0.005, 0.005));
  assert.equal(yes.measure, 'mean difference');
  // point difference fine, but the interval reaches above the tolerance
  const wide = notHigher({ mean: 0.8, stdErr: 0.02 }, { mean: 0.8, stdErr: 0.02 }, 0.02, DEFAULT);
  assert.equal(wide.verdict, 'does not reproduce');
  assert.match(wide.why, /a rise cannot be ruled out/);
  assert.match(notHigher({ mean: 0.9, stdErr: 0.005 }, { mean: 0.8, stdErr: 0.005 }, 0.02, DEFAULT).why, /higher by more than 0\.02 beyond noise/);
  const bare = notHigher({ mean: 0.8 }, { mean: 0.81 }, 0.02, DEFAULT);
  assert.equal(bare.verdict, 'not judged');
  assert.match(bare.why, /^not judged: no standard errors, so no interval; the point difference is -0\.010/);
  assert.deepEqual([bare.lower, bare.upper], [null, null]);
});

test('allOf: missing or unjudged parts win; otherwise all, some or none', () => {
  const j = (verdict: Judgement['verdict'], estimate = 0.6): Judgement => ({
    verdict,
    estimate,
    lower: estimate - 0.1,
    upper: estimate + 0.1,
    n: 100,
    measure: 'rate',
    why: verdict,
  });
  const parts = (...vs: Judgement['verdict'][]) => vs.map((v, i) => ({ label: `p${i}`, judgement: j(v, 0.5 + i / 10) }));
  assert.equal(allOf(parts('reproduces', 'reproduces'), 'p0').verdict, 'reproduces');
  assert.equal(allOf(parts('reproduces', 'does not reproduce'), 'p0').verdict, 'partly');
  assert.equal(allOf(parts('partly', 'does not reproduce'), 'p0').verdict, 'does not reproduce');
  assert.equal(allOf(parts('reproduces', 'not judged', 'not measured'), 'p0').verdict, 'not measured');
  const unjudged = allOf(parts('reproduces', 'not judged'), 'p1');
  assert.equal(unjudged.verdict, 'not judged');
  close(unjudged.estimate, 0.6);
  assert.match(unjudged.why, /^not judged \[p1\]$/);
  assert.throws(() => allOf(parts('reproduces'), 'nope'), /headline "nope"/);
});

test('formatEstimate reads each measure', () => {
  assert.equal(formatEstimate('rate', 0.575), '57.5%');
  assert.equal(formatEstimate('rate difference', -0.031), '-3.1 points');
  assert.equal(formatEstimate('ratio', 2), '2.00x');
  assert.equal(formatEstimate('reduction', 0.25), '25.0% fewer');
  assert.equal(formatEstimate('mean difference', 0.01), '+0.010');
  assert.equal(formatEstimate('rate', null), '—');
});
