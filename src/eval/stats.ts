/**
 * The statistics of the evaluation stage.
 *
 * - win-rate against a baseline with ties counted half: p = (wins + ties/2) / n, with a 95%
 *   interval by the Wilson score (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n),
 *   or by a seeded percentile bootstrap over the n judgements (Wilson treats the half-scored
 *   ties as half a success, which is slightly conservative: a tie has less variance than a
 *   coin flip);
 * - normalised entropy H(p) / log k of a choice distribution (the bias probe: 1 = no
 *   preference between the k paired sentences, 0 = always the same one);
 * - mean with standard error s / sqrt(n);
 * - Gao et al. (2022) over-optimisation fits of gold reward against d = sqrt(KL):
 *   best-of-n R(d) = d (a - b d), RL R(d) = d (a - b log d); both linear in (a, b), solved
 *   by the 2x2 normal equations, with R^2.
 */
import { mean, sampleStandardDeviation, quantileSorted, rSquared } from 'simple-statistics';
import { Rng } from '../util/random';

/** z for a two-sided 95% interval (the 0.975 normal quantile). */
export const Z95 = 1.959963984540054;

export interface WinCounts {
  wins: number;
  ties: number;
  losses: number;
}
export interface Interval {
  rate: number;
  lower: number;
  upper: number;
  n: number;
}

function checkCounts(c: WinCounts): number {
  for (const k of ['wins', 'ties', 'losses'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 0)) throw new Error(`winRate: ${k} must be an integer >= 0, got ${c[k]}`);
  }
  const n = c.wins + c.ties + c.losses;
  if (n === 0) throw new Error('winRate: no judgements (wins + ties + losses = 0)');
  return n;
}

/** Win-rate with ties counted half. */
export function winRate(c: WinCounts): number {
  return (c.wins + c.ties / 2) / checkCounts(c);
}

/** Wilson score interval of a proportion p observed over n trials. */
export function wilsonInterval(p: number, n: number, z = Z95): [number, number] {
  if (!(p >= 0 && p <= 1)) throw new Error(`wilsonInterval: p must be in [0, 1], got ${p}`);
  if (!(n > 0)) throw new Error(`wilsonInterval: n must be > 0, got ${n}`);
  if (!(z > 0)) throw new Error(`wilsonInterval: z must be > 0, got ${z}`);
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** A count k of n as a rate with its 95% Wilson interval; all null when n = 0 (nothing to rate). */
export function proportion(k: number, n: number): { rate: number | null; lower: number | null; upper: number | null } {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`proportion: n must be an integer >= 0, got ${n}`);
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new Error(`proportion: k must be an integer in [0, n = ${n}], got ${k}`);
  if (n === 0) return { rate: null, lower: null, upper: null };
  const rate = k / n;
  const [lower, upper] = wilsonInterval(rate, n);
  // rounding can leave a bound a hair on the wrong side of 0 or 1 successes
  return { rate, lower: Math.min(lower, rate), upper: Math.max(upper, rate) };
}

export interface IntervalOptions {
  method: 'wilson' | 'bootstrap';
  /** Bootstrap only: coverage of the percentile interval (Wilson uses Z95). */
  level?: number;
  /** Bootstrap only: resamples. */
  samples?: number;
  /** Bootstrap only: seed of the Rng. */
  seed?: number | string;
}

/** Win-rate and its interval; ties count half in the rate and in every resample. */
export function winRateInterval(c: WinCounts, options: IntervalOptions = { method: 'wilson' }): Interval {
  const n = checkCounts(c);
  const rate = winRate(c);
  if (options.method === 'wilson') {
    const [lower, upper] = wilsonInterval(rate, n);
    return { rate, lower, upper, n };
  }
  if (options.method !== 'bootstrap') throw new Error(`winRateInterval: method must be wilson or bootstrap, got ${options.method}`);
  const { level = 0.95, samples = 2000, seed = 0 } = options;
  if (!(level > 0 && level < 1)) throw new Error(`winRateInterval: level must be in (0, 1), got ${level}`);
  if (!(Number.isInteger(samples) && samples >= 100)) throw new Error(`winRateInterval: samples must be an integer >= 100, got ${samples}`);
  const rng = new Rng(seed);
  const weights = [c.wins, c.ties, c.losses],
    score = [1, 0.5, 0];
  const rates = new Array<number>(samples);
  for (let s = 0; s < samples; s++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += score[rng.categorical(weights)];
    rates[s] = total / n;
  }
  rates.sort((a, b) => a - b);
  return { rate, lower: quantileSorted(rates, (1 - level) / 2), upper: quantileSorted(rates, (1 + level) / 2), n };
}

/** H(p) / log k of counts or probabilities over k >= 2 choices (0 log 0 = 0). */
export function normalisedEntropy(weights: ArrayLike<number>): number {
  const k = weights.length;
  if (k < 2) throw new Error(`normalisedEntropy: need at least 2 choices, got ${k}`);
  let total = 0;
  for (let i = 0; i < k; i++) {
    if (!(Number.isFinite(weights[i]) && weights[i] >= 0)) throw new Error(`normalisedEntropy: weight ${i} must be a finite number >= 0, got ${weights[i]}`);
    total += weights[i];
  }
  if (!(total > 0)) throw new Error('normalisedEntropy: weights sum to 0');
  let h = 0;
  for (let i = 0; i < k; i++) if (weights[i] > 0) h -= (weights[i] / total) * Math.log(weights[i] / total);
  return h / Math.log(k);
}

/** Sample mean and its standard error s / sqrt(n) (s with n - 1). */
export function meanWithStdErr(xs: ReadonlyArray<number>): { mean: number; stdErr: number; n: number } {
  if (xs.length < 2) throw new Error(`meanWithStdErr: need at least 2 values, got ${xs.length}`);
  xs.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`meanWithStdErr: value ${i} is not finite (${x})`);
  });
  return { mean: mean(xs as number[]), stdErr: sampleStandardDeviation(xs as number[]) / Math.sqrt(xs.length), n: xs.length };
}

export type OveroptimisationForm = 'bestOfN' | 'rl';

/** Least-squares fit of Gao et al.'s R(d) = d (a - b d) ('bestOfN') or d (a - b log d) ('rl'). */
export function fitOveroptimisation(
  d: ReadonlyArray<number>,
  reward: ReadonlyArray<number>,
  form: OveroptimisationForm,
): { a: number; b: number; r2: number; predict: (d: number) => number } {
  if (form !== 'bestOfN' && form !== 'rl') throw new Error(`fitOveroptimisation: form must be bestOfN or rl, got ${form}`);
  if (d.length !== reward.length) throw new Error(`fitOveroptimisation: ${d.length} d values but ${reward.length} rewards`);
  if (d.length < 3) throw new Error(`fitOveroptimisation: need at least 3 points, got ${d.length}`);
  d.forEach((x, i) => {
    if (!(Number.isFinite(x) && x >= 0)) throw new Error(`fitOveroptimisation: d[${i}] must be sqrt(KL) >= 0, got ${x}`);
  });
  reward.forEach((y, i) => {
    if (!Number.isFinite(y)) throw new Error(`fitOveroptimisation: reward[${i}] is not finite (${y})`);
  });
  // R = a f1 + b f2 with f1 = d, f2 = -d^2 or -d log d (0 at d = 0)
  const f2 = (x: number) => (form === 'bestOfN' ? -x * x : x > 0 ? -x * Math.log(x) : 0);
  let s11 = 0,
    s12 = 0,
    s22 = 0,
    s1y = 0,
    s2y = 0;
  d.forEach((x, i) => {
    const g = f2(x);
    s11 += x * x;
    s12 += x * g;
    s22 += g * g;
    s1y += x * reward[i];
    s2y += g * reward[i];
  });
  const det = s11 * s22 - s12 * s12;
  if (!(Math.abs(det) > 1e-12 * s11 * s22)) throw new Error('fitOveroptimisation: d values too few or too alike to fit two coefficients');
  const a = (s22 * s1y - s12 * s2y) / det;
  const b = (s11 * s2y - s12 * s1y) / det;
  const predict = (x: number) => a * x + b * f2(x);
  const constant = reward.every((y) => y === reward[0]); // R^2 undefined: NaN, not an error
  return {
    a,
    b,
    r2: constant
      ? NaN
      : rSquared(
          d.map((x, i) => [x, reward[i]]),
          predict,
        ),
    predict,
  };
}
