/**
 * Every rule that turns a measurement into a verdict on one of the paper's claims. The run
 * summary (summary.ts) calls only these; each rule is tested in test/eval/verdicts.test.ts,
 * and the history of the rules (which bar, since when, why) is this file's git log.
 *
 * Inputs are counts, never bare rates: a proportion is {k, n} (k may end in .5 where a tie
 * counts half), a win-rate is wins / ties / losses. Every rule fails closed:
 *
 * - no row, or a row without its sample count: "not measured" (never a verdict);
 * - the smoke profile, or fewer than MIN_SAMPLES samples (evidence.ts, n = 0 included):
 *   "not judged", with the figures still given;
 * - a claim that needs an interval the data cannot give: "not judged", saying why;
 * - a comparison of two rates that are both 0 (or both 100%): the instrument is at its floor
 *   (ceiling) for these models and can show no difference: "not judged", saying so;
 * - an effect on the other side beyond noise: "does not reproduce";
 * - an effect within noise (the interval holds "no effect"): where the claim has a size (the
 *   paper's win-rate or difference, a ratio r, a reduction f), "does not reproduce" only when
 *   the interval also rules that size out; an interval that holds both no effect and the
 *   paper's effect is too little data to tell them apart: "not judged", saying so. A claim
 *   given no size keeps "does not reproduce" (the data do not show it).
 *
 * Each rule returns {verdict, estimate, lower, upper, n, measure, why}: the estimate the verdict
 * rests on, its 95% interval, the samples behind it (the smaller side of a comparison), what
 * the estimate is, and the reason in words.
 *
 * The rules:
 *
 * - aboveHalf(win counts, paper?): preferred to the baseline. Win-rate with ties counted half
 *   and its 95% Wilson interval; reproduces when the whole interval lies above 0.5. Reaching 0.5
 *   with the paper's win-rate inside the interval: not judged.
 * - moreOftenThan(a, b) / lessOftenThan(a, b): rate a above (below) rate b beyond noise. The
 *   difference a - b with Newcombe's hybrid score interval (method 10 of Newcombe 1998, built
 *   from the two Wilson intervals, treating the two samples as independent: where they share
 *   prompts the true interval is narrower, so this errs against the claim); reproduces when
 *   the interval excludes 0 on the claimed side. With the paper's difference given (`paper`),
 *   an interval holding both 0 and it: not judged.
 * - atLeastRatio(a, b, r): a is about r times b. The ratio a / b; its interval is the ratio of
 *   the Wilson bounds, [lower a / upper b, upper a / lower b], which excludes 1 exactly when the
 *   two Wilson intervals are apart (conservative: each side's bound is a 95% bound).
 *   Reproduces when the intervals are apart and the ratio is at least r; apart but below r is
 *   "partly"; overlapping intervals with r still inside the ratio's interval: not judged.
 * - fewerByAtLeast(a, b, f): a is at least a fraction f fewer than b. The reduction 1 - a / b
 *   with the same ratio interval; reproduces when the intervals are apart (fewer beyond noise)
 *   and the reduction is at least f; fewer beyond noise but by less is "partly"; overlapping
 *   intervals with f still inside the reduction's interval: not judged. A b of 0 has nothing to
 *   reduce: "not judged".
 * - aboutAsOften(a, b, margin): equivalence. The difference a - b with Newcombe's interval;
 *   reproduces when the whole interval lies within +-margin (equivalence shown), else it does
 *   not (the why says whether the difference is beyond the margin or only not yet inside it).
 * - notLowerBy(a, b, margin): non-inferiority, rate a not below rate b by more than margin.
 *   The difference a - b with Newcombe's interval; a below b beyond noise (the interval below 0)
 *   does not reproduce; an interval whose lower end is at least -margin reproduces (no drop
 *   beyond noise, and any drop larger than the margin ruled out); an interval that holds both no
 *   drop and a drop larger than the margin is too little data: not judged.
 * - notHigher(a, b, tolerance): mean a is not higher than mean b by more than tolerance
 *   (non-inferiority the other way). The difference of means with a normal interval
 *   +-1.96 sqrt(se_a^2 + se_b^2); reproduces when its upper bound is at most the tolerance. Means
 *   without standard errors have no interval: "not judged".
 * - allOf(parts): a claim made of several parts (every size, or two comparisons): any part not
 *   measured or not judged makes the claim so; all parts reproduce: reproduces; some: partly;
 *   none: does not reproduce. Its figures are those of the part named as its headline.
 */
import { MIN_SAMPLES, notJudged } from './evidence';
import { wilsonInterval, WinCounts, Z95 } from './stats';

export type Verdict = 'reproduces' | 'does not reproduce' | 'partly' | 'not measured' | 'not judged';

/** k successes of n trials; k may be fractional where a tie counts half. */
export interface Proportion {
  k: number;
  n: number;
}

/** What a judgement's estimate is: a rate, a difference of rates, a ratio of rates, a reduction (1 - ratio), a difference of means. */
export type Measure = 'rate' | 'rate difference' | 'ratio' | 'reduction' | 'mean difference';

export interface Judgement {
  verdict: Verdict;
  /** the figure the verdict rests on (null: not measured, or not defined, e.g. a ratio over 0) */
  estimate: number | null;
  /** its 95% interval (null: none, or unbounded) */
  lower: number | null;
  upper: number | null;
  /** samples behind it: the smaller side of a comparison (null: unknown) */
  n: number | null;
  measure: Measure;
  why: string;
}

/** Who judges: the profile (smoke judges nothing) and the fewest samples a verdict needs. */
export interface JudgeContext {
  profile?: string;
  min?: number;
}

/** A mean with its standard error; `stdErr` null or absent: no interval can be given. */
export interface MeanEstimate {
  mean: number;
  stdErr?: number | null;
  n?: number | null;
}

/** Counts as they arrive from a table: any field may be missing. */
export type MaybeProportion = { k?: number | null; n?: number | null } | null | undefined;
export type MaybeWinCounts = { wins?: number | null; ties?: number | null; losses?: number | null } | null | undefined;

// ------------------------------------------------------------------ intervals

function checkProportion(p: Proportion, what: string): void {
  if (!(Number.isInteger(p.n) && p.n >= 0)) throw new Error(`${what}: n must be a whole number >= 0, got ${p.n}`);
  if (!(Number.isFinite(p.k) && p.k >= 0 && p.k <= p.n)) throw new Error(`${what}: k must be a number in [0, n = ${p.n}], got ${p.k}`);
  if (!Number.isInteger(2 * p.k)) throw new Error(`${what}: k must be a count (a tie counts half), got ${p.k}`);
}

/** Wins + ties / 2 of n judgements. */
export function winProportion(c: WinCounts): Proportion {
  for (const f of ['wins', 'ties', 'losses'] as const)
    if (!(Number.isInteger(c[f]) && c[f] >= 0)) throw new Error(`winProportion: ${f} must be a whole number >= 0, got ${c[f]}`);
  return { k: c.wins + c.ties / 2, n: c.wins + c.ties + c.losses };
}

/** The rate k / n with its 95% Wilson interval. n must be > 0. */
export function wilson(p: Proportion): { rate: number; lower: number; upper: number } {
  checkProportion(p, 'wilson');
  const rate = p.k / p.n;
  const [lower, upper] = wilsonInterval(rate, p.n);
  // exactly 0 and 1 at the ends (the formula leaves rounding dust, which would make a ratio over 0 finite)
  return { rate, lower: p.k === 0 ? 0 : lower, upper: p.k === p.n ? 1 : upper };
}

/** a - b with Newcombe's hybrid score interval (method 10), from the two Wilson intervals. */
export function newcombeDifference(a: Proportion, b: Proportion): { estimate: number; lower: number; upper: number } {
  const A = wilson(a);
  const B = wilson(b);
  const d = A.rate - B.rate;
  return {
    estimate: d,
    lower: d - Math.sqrt((A.rate - A.lower) ** 2 + (B.upper - B.rate) ** 2),
    upper: d + Math.sqrt((A.upper - A.rate) ** 2 + (B.rate - B.lower) ** 2),
  };
}

/** a / b with the ratio of the Wilson bounds [lower a / upper b, upper a / lower b]; null where a bound divides by 0. */
export function ratioOfBounds(a: Proportion, b: Proportion): { estimate: number | null; lower: number | null; upper: number | null; apart: boolean } {
  const A = wilson(a);
  const B = wilson(b);
  const div = (x: number, y: number) => (y > 0 ? x / y : null);
  return { estimate: div(A.rate, B.rate), lower: div(A.lower, B.upper), upper: div(A.upper, B.lower), apart: A.lower > B.upper };
}

// ------------------------------------------------------------------ helpers

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`;

/** Format an estimate (or a bound) the way its measure reads. */
export function formatEstimate(measure: Measure, x: number | null): string {
  if (x === null) return '—';
  if (measure === 'rate') return pct(x);
  if (measure === 'rate difference') return pts(x);
  if (measure === 'ratio') return `${x.toFixed(2)}x`;
  if (measure === 'reduction') return `${(100 * x).toFixed(1)}% fewer`;
  return `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
}

const NONE = { estimate: null, lower: null, upper: null } as const;

/** A judgement with no figures: the rows a claim needs are missing (`why` says which). */
export function notMeasured(measure: Measure, why: string, n: number | null = null): Judgement {
  return { verdict: 'not measured', ...NONE, n, measure, why };
}

/** A proportion from a row, or the reason it is missing. */
function present(p: MaybeProportion, name: string): Proportion | string {
  if (!p) return `${name}: not measured in this run`;
  if (p.n === null || p.n === undefined || !Number.isFinite(p.n)) return `${name}: no sample count`;
  if (p.k === null || p.k === undefined || !Number.isFinite(p.k)) return `${name}: no count`;
  const q = { k: p.k, n: p.n };
  checkProportion(q, name);
  return q;
}

/** Wins / ties / losses as a proportion, or the reason they are missing. */
export function fromWins(c: MaybeWinCounts): MaybeProportion {
  if (!c) return null;
  const { wins, ties, losses } = c;
  if (typeof wins !== 'number' || typeof ties !== 'number' || typeof losses !== 'number') return { k: null, n: null };
  return winProportion({ wins, ties, losses });
}

/**
 * The gate every rule passes before its test: the smoke profile or too few samples give "not
 * judged" with the figures kept, the rule's words after the reason.
 */
function gate(ctx: JudgeContext, j: Omit<Judgement, 'verdict' | 'why'>, rule: string): Judgement | null {
  const reason = notJudged(ctx.profile ?? '', j.n ?? 0, ctx.min ?? MIN_SAMPLES) ?? (j.n === 0 ? 'not judged: 0 samples' : null);
  return reason ? { ...j, verdict: 'not judged', why: `${reason} (the rule: ${rule})` } : null;
}

/** Two proportions present and with samples, or the judgement that stops there. */
function pair(
  a: MaybeProportion,
  b: MaybeProportion,
  names: [string, string],
  measure: Measure,
  ctx: JudgeContext,
  rule: string,
): [Proportion, Proportion] | Judgement {
  const A = present(a, names[0]);
  const B = present(b, names[1]);
  if (typeof A === 'string' || typeof B === 'string') return notMeasured(measure, [A, B].filter((x) => typeof x === 'string').join('; '));
  const n = Math.min(A.n, B.n);
  if (n === 0) return gate(ctx, { ...NONE, n, measure }, rule)!;
  return [A, B];
}

/**
 * Both sides at 0 (or both at n): the instrument is at its floor (ceiling) for these models, so
 * it cannot show a difference either way; "not judged" instead of a verdict about the claim.
 */
function atBound(j: Omit<Judgement, 'verdict' | 'why'>, A: Proportion, B: Proportion, names: [string, string], rule: string): Judgement | null {
  const bound = A.k === 0 && B.k === 0 ? 'floor' : A.k === A.n && B.k === B.n ? 'ceiling' : null;
  if (!bound) return null;
  const v = bound === 'floor' ? 0 : 1;
  const why = `not judged: ${names[0]} and ${names[1]} are both ${v ? 'at 100%' : 'at 0'} (${A.k}/${A.n}, ${B.k}/${B.n}): the instrument is at its ${bound} for these models and cannot show a difference (the rule: ${rule})`;
  return { ...j, verdict: 'not judged', why };
}

/**
 * a - b with Newcombe's interval (and n, the smaller side) for two present proportions, past the
 * gate (and, with `atBounds`, past the floor/ceiling check); or the judgement that stops there.
 */
function difference(
  a: MaybeProportion,
  b: MaybeProportion,
  names: [string, string],
  ctx: JudgeContext,
  rule: string,
  atBounds = false,
): (Omit<Judgement, 'verdict' | 'why'> & { estimate: number; lower: number; upper: number }) | Judgement {
  const got = pair(a, b, names, 'rate difference', ctx, rule);
  if (!Array.isArray(got)) return got;
  const d = newcombeDifference(got[0], got[1]);
  const j = { ...d, n: Math.min(got[0].n, got[1].n), measure: 'rate difference' as const };
  return gate(ctx, j, rule) ?? (atBounds ? atBound(j, got[0], got[1], names, rule) : null) ?? j;
}

/**
 * An effect within noise: the interval holds "no effect". When it also holds the size the claim
 * stands for (`inside`), the samples are too few to tell the two apart: "not judged"; when it
 * rules that size out, "does not reproduce".
 */
function withinNoise(j: Omit<Judgement, 'verdict' | 'why'>, inside: boolean, interval: string, size: string, noise: string): Judgement {
  return inside
    ? {
        ...j,
        verdict: 'not judged',
        why: `not judged: too few samples: ${noise}, and the 95% interval ${interval} also holds ${size}, so the data cannot tell the two apart`,
      }
    : { ...j, verdict: 'does not reproduce', why: `${noise}, and the 95% interval ${interval} rules out ${size}` };
}

const span = (m: Measure, lo: number | null, hi: number | null) =>
  `[${lo === null ? 'unbounded' : formatEstimate(m, lo)}, ${hi === null ? 'unbounded' : formatEstimate(m, hi)}]`;

// ------------------------------------------------------------------ the rules

/**
 * Preferred to the baseline: the Wilson interval of the win-rate (ties half) lies above 0.5.
 * `paper`: the paper's win-rate for this comparison; an interval reaching 0.5 that still holds it
 * is "not judged" (too few samples), one that rules it out "does not reproduce".
 */
export function aboveHalf(c: MaybeWinCounts, ctx: JudgeContext = {}, name = 'win-rate', paper?: number): Judgement {
  if (paper !== undefined && !(paper > 0.5 && paper <= 1)) throw new Error(`aboveHalf: paper must be a win-rate in (0.5, 1], got ${paper}`);
  const rule = 'the 95% Wilson interval of the win-rate lies above 0.5';
  const p = present(fromWins(c), name);
  if (typeof p === 'string') return notMeasured('rate', p);
  if (p.n === 0) return gate(ctx, { ...NONE, n: 0, measure: 'rate' }, rule)!;
  const w = wilson(p);
  const j = { estimate: w.rate, lower: w.lower, upper: w.upper, n: p.n, measure: 'rate' as const };
  const stop = gate(ctx, j, rule);
  if (stop) return stop;
  if (w.lower > 0.5) return { ...j, verdict: 'reproduces', why: rule };
  if (w.upper < 0.5) return { ...j, verdict: 'does not reproduce', why: 'the 95% interval lies below 0.5: the baseline is preferred' };
  const noise = `${pct(w.rate)}: the 95% interval reaches 0.5, not preferred beyond noise`;
  if (paper === undefined) return { ...j, verdict: 'does not reproduce', why: `the 95% interval reaches 0.5: not preferred beyond noise` };
  return withinNoise(j, w.upper >= paper, span('rate', w.lower, w.upper), `the paper's ${pct(paper)}`, noise);
}

function differenceRule(
  a: MaybeProportion,
  b: MaybeProportion,
  side: 'above' | 'below',
  ctx: JudgeContext,
  names: [string, string],
  paper?: number,
): Judgement {
  if (paper !== undefined && !(side === 'above' ? paper > 0 : paper < 0))
    throw new Error(`${side === 'above' ? 'moreOftenThan' : 'lessOftenThan'}: paper must be a difference ${side} 0, got ${paper}`);
  const rule = `the 95% Newcombe interval of ${names[0]} - ${names[1]} lies ${side} 0`;
  const d = difference(a, b, names, ctx, rule, true);
  if ('verdict' in d) return d;
  const holds = side === 'above' ? d.lower > 0 : d.upper < 0;
  const opposite = side === 'above' ? d.upper < 0 : d.lower > 0;
  if (holds) return { ...d, verdict: 'reproduces', why: rule };
  if (opposite)
    return { ...d, verdict: 'does not reproduce', why: `${names[0]} is ${side === 'above' ? 'below' : 'above'} ${names[1]} beyond noise (${pts(d.estimate)})` };
  const noise = `${pts(d.estimate)}, but the 95% interval [${pts(d.lower)}, ${pts(d.upper)}] includes 0: within noise`;
  if (paper === undefined) return { ...d, verdict: 'does not reproduce', why: noise };
  return withinNoise(
    d,
    d.lower <= paper && paper <= d.upper,
    span('rate difference', d.lower, d.upper),
    `${pts(paper)}, the paper's effect`,
    `${pts(d.estimate)}: within noise of 0`,
  );
}

/** Rate a above rate b beyond noise: Newcombe's interval of a - b lies above 0. `paper`: the paper's difference (> 0), which a within-noise interval must rule out to say "does not reproduce". */
export function moreOftenThan(a: MaybeProportion, b: MaybeProportion, ctx: JudgeContext = {}, names: [string, string] = ['a', 'b'], paper?: number): Judgement {
  return differenceRule(a, b, 'above', ctx, names, paper);
}

/** Rate a below rate b beyond noise: Newcombe's interval of a - b lies below 0. `paper`: the paper's difference (< 0), as for moreOftenThan. */
export function lessOftenThan(a: MaybeProportion, b: MaybeProportion, ctx: JudgeContext = {}, names: [string, string] = ['a', 'b'], paper?: number): Judgement {
  return differenceRule(a, b, 'below', ctx, names, paper);
}

/** a about r times b: the Wilson intervals apart and the ratio at least r (apart but below r: partly). */
export function atLeastRatio(a: MaybeProportion, b: MaybeProportion, r: number, ctx: JudgeContext = {}, names: [string, string] = ['a', 'b']): Judgement {
  if (!(r > 1)) throw new Error(`atLeastRatio: r must be > 1, got ${r}`);
  const rule = `${names[0]} / ${names[1]} >= ${r} with the two 95% Wilson intervals apart`;
  const got = pair(a, b, names, 'ratio', ctx, rule);
  if (!Array.isArray(got)) return got;
  const q = ratioOfBounds(got[0], got[1]);
  const j = { estimate: q.estimate, lower: q.lower, upper: q.upper, n: Math.min(got[0].n, got[1].n), measure: 'ratio' as const };
  const stop = gate(ctx, j, rule) ?? atBound(j, got[0], got[1], names, rule);
  if (stop) return stop;
  const big = q.estimate === null ? got[0].k > 0 : q.estimate >= r; // b = 0 and a > 0: unbounded
  if (q.apart && big) return { ...j, verdict: 'reproduces', why: rule };
  if (q.apart) return { ...j, verdict: 'partly', why: `higher beyond noise (intervals apart), but ${formatEstimate('ratio', q.estimate)} is below ${r}x` };
  if (wilson(got[0]).upper < wilson(got[1]).lower)
    return { ...j, verdict: 'does not reproduce', why: `${names[0]} is below ${names[1]} beyond noise (intervals apart)` };
  const noise = big
    ? `${formatEstimate('ratio', q.estimate)}, but the 95% intervals overlap: within noise`
    : `${formatEstimate('ratio', q.estimate)}: the 95% intervals overlap`;
  return withinNoise(j, q.upper === null || q.upper >= r, span('ratio', q.lower, q.upper), `${r}x`, noise);
}

/** a at least a fraction f fewer than b: the Wilson intervals apart and 1 - a / b >= f (apart but less: partly). */
export function fewerByAtLeast(a: MaybeProportion, b: MaybeProportion, f: number, ctx: JudgeContext = {}, names: [string, string] = ['a', 'b']): Judgement {
  if (!(f > 0 && f < 1)) throw new Error(`fewerByAtLeast: f must be in (0, 1), got ${f}`);
  const rule = `1 - ${names[0]} / ${names[1]} >= ${f} with the two 95% Wilson intervals apart`;
  const got = pair(a, b, names, 'reduction', ctx, rule);
  if (!Array.isArray(got)) return got;
  const q = ratioOfBounds(got[0], got[1]);
  const flip = (x: number | null) => (x === null ? null : 1 - x);
  const j = { estimate: flip(q.estimate), lower: flip(q.upper), upper: flip(q.lower), n: Math.min(got[0].n, got[1].n), measure: 'reduction' as const };
  const stop = gate(ctx, j, rule);
  if (stop) return stop;
  if (got[1].k === 0) return { ...j, verdict: 'not judged', why: `not judged: ${names[1]} is 0 of ${got[1].n}, nothing to reduce, so the claim is not tested` };
  const reduction = j.estimate as number;
  // apart with a below b (apart in ratioOfBounds means a above b; here b's lower bound must exceed a's upper)
  const fewerApart = wilson(got[0]).upper < wilson(got[1]).lower;
  if (fewerApart && reduction >= f) return { ...j, verdict: 'reproduces', why: rule };
  if (fewerApart) return { ...j, verdict: 'partly', why: `fewer beyond noise (intervals apart), but by ${pct(reduction)}, less than ${pct(f)}` };
  if (wilson(got[0]).lower > wilson(got[1]).upper)
    return { ...j, verdict: 'does not reproduce', why: `${names[0]} is above ${names[1]} beyond noise (intervals apart): more, not fewer` };
  const noise =
    reduction <= 0
      ? `not fewer: ${names[0]} ${pct(got[0].k / got[0].n)} vs ${names[1]} ${pct(got[1].k / got[1].n)}, the 95% intervals overlapping`
      : `${pct(reduction)} fewer, but the 95% intervals overlap: within noise`;
  return withinNoise(j, j.upper === null || j.upper >= f, span('reduction', j.lower, j.upper), `${pct(f)} fewer`, noise);
}

/** Equivalence: Newcombe's interval of a - b lies within +-margin. */
export function aboutAsOften(a: MaybeProportion, b: MaybeProportion, margin: number, ctx: JudgeContext = {}, names: [string, string] = ['a', 'b']): Judgement {
  if (!(margin > 0 && margin < 1)) throw new Error(`aboutAsOften: margin must be in (0, 1), got ${margin}`);
  const rule = `the 95% Newcombe interval of ${names[0]} - ${names[1]} lies within +-${(100 * margin).toFixed(0)} points`;
  const d = difference(a, b, names, ctx, rule);
  if ('verdict' in d) return d;
  if (d.lower >= -margin && d.upper <= margin) return { ...d, verdict: 'reproduces', why: rule };
  const beyond = d.lower > margin || d.upper < -margin;
  return {
    ...d,
    verdict: 'does not reproduce',
    why: beyond
      ? `${pts(d.estimate)}: differs by more than ${(100 * margin).toFixed(0)} points beyond noise`
      : `${pts(d.estimate)}, but the 95% interval [${pts(d.lower)}, ${pts(d.upper)}] reaches beyond +-${(100 * margin).toFixed(0)} points: equivalence not shown`,
  };
}

/**
 * Rate a not below rate b by more than `margin` (non-inferiority): below beyond noise does not
 * reproduce; Newcombe's interval of a - b with its lower end at or above -margin reproduces; an
 * interval reaching past -margin that still holds 0 is not judged.
 */
export function notLowerBy(a: MaybeProportion, b: MaybeProportion, margin: number, ctx: JudgeContext = {}, names: [string, string] = ['a', 'b']): Judgement {
  if (!(margin > 0 && margin < 1)) throw new Error(`notLowerBy: margin must be in (0, 1), got ${margin}`);
  const rule = `the 95% Newcombe interval of ${names[0]} - ${names[1]} lies above -${(100 * margin).toFixed(0)} points`;
  const d = difference(a, b, names, ctx, rule);
  if ('verdict' in d) return d;
  if (d.upper < 0) return { ...d, verdict: 'does not reproduce', why: `${names[0]} is below ${names[1]} beyond noise (${pts(d.estimate)})` };
  if (d.lower >= -margin) return { ...d, verdict: 'reproduces', why: rule };
  return withinNoise(
    d,
    true,
    span('rate difference', d.lower, d.upper),
    `a drop of more than ${(100 * margin).toFixed(0)} points`,
    `${pts(d.estimate)}: no drop beyond noise`,
  );
}

/** Mean a not higher than mean b by more than `tolerance`: the upper bound of the difference's normal interval is at most the tolerance. */
export function notHigher(
  a: MeanEstimate | null | undefined,
  b: MeanEstimate | null | undefined,
  tolerance: number,
  ctx: JudgeContext = {},
  names: [string, string] = ['a', 'b'],
): Judgement {
  if (!(tolerance >= 0)) throw new Error(`notHigher: tolerance must be >= 0, got ${tolerance}`);
  const rule = `the 95% interval of ${names[0]} - ${names[1]} lies below +${tolerance}`;
  const missing = [
    !a || !Number.isFinite(a.mean) ? `${names[0]}: not measured in this run` : '',
    !b || !Number.isFinite(b.mean) ? `${names[1]}: not measured in this run` : '',
  ].filter(Boolean);
  if (missing.length) return notMeasured('mean difference', missing.join('; '));
  const d = a!.mean - b!.mean;
  const ns = [a!.n, b!.n].filter((x): x is number => typeof x === 'number');
  const n = ns.length === 2 ? Math.min(...ns) : null;
  const ses = [a!.stdErr, b!.stdErr];
  const se = ses.every((s) => typeof s === 'number' && Number.isFinite(s) && s >= 0) ? Math.hypot(ses[0] as number, ses[1] as number) : null;
  const j = { estimate: d, lower: se === null ? null : d - Z95 * se, upper: se === null ? null : d + Z95 * se, n, measure: 'mean difference' as const };
  const reason = notJudged(ctx.profile ?? '', n, ctx.min ?? MIN_SAMPLES);
  if (reason) return { ...j, verdict: 'not judged', why: `${reason} (the rule: ${rule})` };
  if (se === null)
    return {
      ...j,
      verdict: 'not judged',
      why: `not judged: no standard errors, so no interval; the point difference is ${formatEstimate('mean difference', d)}, which alone cannot tell "not higher" from noise (the rule: ${rule})`,
    };
  if (j.upper! <= tolerance) return { ...j, verdict: 'reproduces', why: rule };
  return {
    ...j,
    verdict: 'does not reproduce',
    why:
      j.lower! > tolerance
        ? `${names[0]} is higher by more than ${tolerance} beyond noise (${formatEstimate('mean difference', d)})`
        : `${formatEstimate('mean difference', d)}, but the 95% interval reaches above +${tolerance}: a rise cannot be ruled out`,
  };
}

/**
 * A claim of several parts (every size; two comparisons). Any part not measured: not measured;
 * any not judged: not judged; all reproduce: reproduces; some: partly; none: does not
 * reproduce. Estimate, interval, n and measure come from `headline` (a part's label).
 */
export function allOf(parts: readonly { label: string; judgement: Judgement }[], headline: string): Judgement {
  if (!parts.length) throw new Error('allOf: no parts');
  const head = parts.find((p) => p.label === headline);
  if (!head) throw new Error(`allOf: headline "${headline}" is not one of the parts (${parts.map((p) => p.label).join(', ')})`);
  const figures = {
    estimate: head.judgement.estimate,
    lower: head.judgement.lower,
    upper: head.judgement.upper,
    n: head.judgement.n,
    measure: head.judgement.measure,
  };
  const tagged = (v: Verdict) => parts.filter((p) => p.judgement.verdict === v);
  const list = (ps: typeof parts) => ps.map((p) => `${p.label}: ${p.judgement.why}`).join('; ');
  const missing = tagged('not measured');
  if (missing.length) return { ...figures, verdict: 'not measured', why: list(missing) };
  const unjudged = tagged('not judged');
  // the first reason leads (summary.ts recognises the smoke reason by its start)
  if (unjudged.length) return { ...figures, verdict: 'not judged', why: `${unjudged[0].judgement.why} [${unjudged.map((p) => p.label).join(', ')}]` };
  const yes = tagged('reproduces');
  const summary = parts.map((p) => `${p.label} ${p.judgement.verdict}`).join('; ');
  if (yes.length === parts.length) return { ...figures, verdict: 'reproduces', why: `every part holds: ${list(parts)}` };
  if (yes.length) return { ...figures, verdict: 'partly', why: `${yes.length} of ${parts.length} parts hold (${summary})` };
  return { ...figures, verdict: 'does not reproduce', why: `no part holds: ${list(parts)}` };
}
