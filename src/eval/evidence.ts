/**
 * When a result may be judged at all. A verdict with too little data says "not judged":
 * the smoke profile runs tiny models on a few samples to prove the pipeline, and any test
 * with fewer than MIN_SAMPLES samples cannot tell an effect from noise. Notebook prose that
 * makes a claim asks `notJudged` first; the run summary (summary.ts) applies it to every claim.
 */

/** Fewest samples (judged prompts, answer pairs) a test needs before its verdict is given: a 95% interval of about ±10 points. */
export const MIN_SAMPLES = 100;

export const SMOKE_NOT_JUDGED = "not judged: smoke proves the pipeline (tiny models, a few samples), not the paper's results";

/**
 * Why a result may not be judged: the smoke profile, or fewer than `min` samples. Null when
 * it may. Notebook prose that makes a claim asks this first.
 */
export function notJudged(profile: string, samples?: number | null, min = MIN_SAMPLES): string | null {
  if (profile === 'smoke') return SMOKE_NOT_JUDGED;
  if (samples !== undefined && samples !== null && samples < min) return `not judged: ${samples} samples, at least ${min} needed`;
  return null;
}
