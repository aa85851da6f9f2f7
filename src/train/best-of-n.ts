/**
 * Best-of-n (rejection sampling at inference): for each prompt x draw n answers from the SFT
 * model, score each with the reward model, and answer with the one the RM likes best.
 *
 *   y_best = argmax_{y in {y_1..y_n}, y_i ~ pi_SFT(.|x)} r_theta(x, y)
 *
 * Nothing is trained; the cost is n samples and n RM reads per prompt. Its distance from SFT
 * is known exactly (Stiennon et al. 2020, appendix; Gao et al. 2022): when the RM's scores
 * have no ties,
 *
 *   KL(pi_best-of-n || pi_SFT) = log n - (n - 1) / n        (nats)
 *
 * One draw of N = max(n) answers per prompt serves every n: best-of-n takes the first n of
 * them, so the smaller n are nested in the larger ones and the comparison across n is paired.
 * Prompt i's s-th sample is row i * N + s. Sampling and scoring are the caller's (the same
 * sampler and RM reads as every other model of the comparison); this file picks.
 */
/** KL(best-of-n || the sampler it picks from), in nats: log n - (n - 1) / n. */
export function bestOfNKl(n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`bestOfNKl: n must be a whole number >= 1, got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

/**
 * For each prompt, the row (i * N + s) of its best-scored answer among its first n samples;
 * a tie keeps the earlier sample.
 */
export function bestOfNRows(scores: ArrayLike<number>, N: number, n: number): number[] {
  if (!(Number.isInteger(N) && N >= 1)) throw new Error(`bestOfNRows: N must be a whole number >= 1, got ${N}`);
  if (!(Number.isInteger(n) && n >= 1 && n <= N)) throw new Error(`bestOfNRows: n must be a whole number in [1, N = ${N}], got ${n}`);
  if (scores.length % N !== 0) throw new Error(`bestOfNRows: ${scores.length} scores is not a whole number of prompts of ${N} samples`);
  const rows: number[] = [];
  for (let i = 0; i < scores.length / N; i++) {
    let best = i * N;
    for (let s = 1; s < n; s++) if (scores[i * N + s] > scores[best]) best = i * N + s;
    rows.push(best);
  }
  return rows;
}

export interface BestOfNSamples {
  /** N answers per prompt, prompt i's s-th at row i * N + s (the caller samples them) */
  answers: readonly string[];
  /** the RM's score of each, read at EOS as every stage reads it */
  scores: ArrayLike<number>;
  N: number;
}

/** Best-of-n picked from the samples: the answers, their RM scores and the exact KL. */
export function bestOfN(s: BestOfNSamples, n: number): { answers: string[]; scores: number[]; kl: number } {
  const rows = bestOfNRows(s.scores, s.N, n);
  return { answers: rows.map((r) => s.answers[r]), scores: rows.map((r) => s.scores[r]), kl: bestOfNKl(n) };
}
