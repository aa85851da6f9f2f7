/**
 * Over-optimisation (Gao et al. 2022, beyond the paper): as a policy moves away from SFT the
 * proxy reward (our RM) keeps rising while the gold reward (the held-out labelers) rises,
 * peaks and falls. Distance is d = sqrt(KL(pi || pi_SFT)).
 *
 *   best-of-n   sample n answers from SFT, keep the one the RM scores highest;
 *               KL_bon = log n - (n - 1) / n (exact for distinct samples); R_bon(d) = d (a - b d)
 *   RL          PPO checkpoints; KL estimated on their own samples as
 *               E_y~pi[log pi(y|x) - log pi_SFT(y|x)];              R_RL(d) = d (a - b log d)
 * Rewards are gains over SFT's (R(0) = 0), fitted with `fitOveroptimisation` (stats.ts).
 */
import { fitOveroptimisation } from './stats';

/** KL of best-of-n sampling to the sampling policy: log n - (n - 1) / n. */
export function bestOfNKl(n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`bestOfNKl: n must be an integer >= 1, got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(n - i) - Math.log(i + 1);
  return s;
}

/**
 * Expected proxy and gold reward of the best-of-n pick, from N >= n samples of one prompt,
 * without resampling noise: over all n-subsets, the pick is the i-th lowest by proxy with
 * probability C(i-1, n-1) / C(N, n). Ties in proxy keep sample order.
 */
export function bestOfNExpectation(proxy: readonly number[], gold: readonly number[], n: number): { proxy: number; gold: number } {
  const N = proxy.length;
  if (gold.length !== N) throw new Error(`bestOfNExpectation: ${N} proxy scores but ${gold.length} gold scores`);
  if (!(Number.isInteger(n) && n >= 1 && n <= N)) throw new Error(`bestOfNExpectation: n must be an integer in [1, ${N}], got ${n}`);
  const order = proxy.map((_, i) => i).sort((a, b) => proxy[a] - proxy[b] || b - a);
  const total = logChoose(N, n);
  let p = 0;
  let g = 0;
  order.forEach((j, r) => {
    if (r + 1 < n) return;
    const w = Math.exp(logChoose(r, n - 1) - total);
    p += w * proxy[j];
    g += w * gold[j];
  });
  return { proxy: p, gold: g };
}

export interface CurvePoint {
  /** "best-of-4", "ppo step 120", ... */
  label: string;
  kl: number;
  /** sqrt(KL) */
  d: number;
  /** mean RM score */
  proxy: number;
  /** mean held-out labeler score */
  gold: number;
}

/** The best-of-n curve from per-prompt samples: proxy[i][s], gold[i][s]. */
export function bestOfNCurve(proxy: readonly number[][], gold: readonly number[][], ns: readonly number[]): CurvePoint[] {
  if (!proxy.length) throw new Error('bestOfNCurve: no prompts');
  return ns.map((n) => {
    let p = 0;
    let g = 0;
    proxy.forEach((row, i) => {
      const e = bestOfNExpectation(row, gold[i], n);
      p += e.proxy;
      g += e.gold;
    });
    const kl = bestOfNKl(n);
    return { label: `best-of-${n}`, kl, d: Math.sqrt(kl), proxy: p / proxy.length, gold: g / proxy.length };
  });
}

export interface GaoFit {
  form: 'bestOfN' | 'rl';
  target: 'proxy' | 'gold';
  a: number;
  b: number;
  r2: number;
  points: number;
}

/**
 * Gao et al.'s fits of gains over the d = 0 point (first point must be d = 0: SFT itself).
 * Returns null for a curve with fewer than 3 points or too few distinct d > 0.
 */
export function gaoFits(points: readonly CurvePoint[], form: 'bestOfN' | 'rl'): GaoFit[] {
  const base = points.find((p) => p.d === 0);
  if (!base) throw new Error('gaoFits: the curve needs its d = 0 point (the SFT policy) to measure gains from');
  const out: GaoFit[] = [];
  for (const target of ['proxy', 'gold'] as const) {
    const d = points.map((p) => p.d);
    const y = points.map((p) => p[target] - base[target]);
    if (new Set(d.filter((x) => x > 0).map((x) => x.toFixed(9))).size < 2) continue;
    try {
      const f = fitOveroptimisation(d, y, form);
      out.push({ form, target, a: f.a, b: f.b, r2: f.r2, points: points.length });
    } catch {
      // too few or too alike points to fit: reported as no fit
    }
  }
  return out;
}

/** Gao's curve R(d) for plotting. */
export function gaoCurve(fit: GaoFit, d: number): number {
  if (fit.form === 'bestOfN') return d * (fit.a - fit.b * d);
  return d > 0 ? d * (fit.a - fit.b * Math.log(d)) : 0;
}
