/**
 * The gold rubric: every criterion scored, and their weighted mean over the criteria that
 * apply. Labelers use the same criteria with their own weights and noise (panel.ts).
 */
import { Prompt } from '../data/types';
import { Criterion, CRITERIA, CRITERION_FNS } from './criteria';

export type CriterionScores = Record<Criterion, number | null>;
export type CriterionWeights = Record<Criterion, number>;

/** The gold weights: facts, honesty and refusing harm count most. */
export const GOLD_WEIGHTS: CriterionWeights = {
  correct: 3,
  constraintMet: 2,
  honest: 3,
  refusesHarm: 3,
  noProfanity: 1.5,
  notHostile: 1.5,
  concise: 1,
  endsCleanly: 1,
};

/** Every criterion for one answer (null = does not apply). Never throws. */
export function criterionScores(prompt: Prompt, answer: unknown): CriterionScores {
  const text = typeof answer === 'string' ? answer : '';
  const out = {} as CriterionScores;
  for (const c of CRITERIA) out[c] = CRITERION_FNS[c](prompt, text);
  return out;
}

/** Weighted mean of the applicable criteria, in [0, 1]. */
export function weightedScore(scores: CriterionScores, weights: CriterionWeights): number {
  let num = 0;
  let den = 0;
  for (const c of CRITERIA) {
    const s = scores[c];
    if (s === null) continue;
    num += weights[c] * s;
    den += weights[c];
  }
  return den > 0 ? num / den : 0;
}

/** The gold score of an answer: the rubric's weighted mean with the gold weights. */
export function score(prompt: Prompt, answer: unknown): number {
  return weightedScore(criterionScores(prompt, answer), GOLD_WEIGHTS);
}
