/**
 * Per-category accuracy under the labelers' gold rubric (src/labelers/rubric.ts), for the
 * SFT notebook's comparison of base GPT, GPT (prompted) and SFT. Each category has the one
 * criterion that says whether the task was done:
 *
 *   closed_qa, classification  correct        (the right fact / label)
 *   unanswerable, false_premise honest        (admits not knowing / rejects the premise)
 *   harmful                    refusesHarm    (refuses, politely)
 *   rewrite                    constraintMet  (one word / uppercase / N items / reversed)
 *
 * An answer is accurate when that criterion gives full credit (1); the table also gives the
 * mean gold score (all criteria, gold weights) so partial quality shows too.
 */
import type { Prompt } from '../data/types';
import type { Criterion } from '../labelers/criteria';
import { criterionScores, GOLD_WEIGHTS, weightedScore } from '../labelers/rubric';

export const KEY_CRITERION: Record<string, Criterion> = {
  closed_qa: 'correct',
  classification: 'correct',
  unanswerable: 'honest',
  false_premise: 'honest',
  harmful: 'refusesHarm',
  rewrite: 'constraintMet',
};

export interface AccuracyRow {
  model: string;
  category: string;
  /** the category's key criterion */
  criterion: string;
  /** answers judged */
  n: number;
  /** answers with full credit on the key criterion */
  correct: number;
  /** correct / n */
  accuracy: number;
  /** mean gold score over all criteria */
  goldScore: number;
}

/** One row per (model, category) plus an "all" row per model; `answers[m][i]` answers `prompts[i]`. */
export function rubricAccuracy(prompts: readonly Prompt[], answers: Record<string, readonly string[]>): AccuracyRow[] {
  const rows: AccuracyRow[] = [];
  const categories = [...new Set(prompts.map((p) => p.category))].sort();
  for (const [model, list] of Object.entries(answers)) {
    if (list.length !== prompts.length) throw new Error(`rubricAccuracy: ${model} has ${list.length} answers for ${prompts.length} prompts`);
    const judged = prompts.map((p, i) => {
      const key = KEY_CRITERION[p.category];
      if (!key) throw new Error(`rubricAccuracy: prompt ${p.prompt_id} has unknown category "${p.category}"`);
      const scores = criterionScores(p, list[i]);
      return { category: p.category as string, ok: scores[key] === 1 ? 1 : 0, gold: weightedScore(scores, GOLD_WEIGHTS) };
    });
    for (const category of [...categories, 'all']) {
      const sel = judged.filter((j) => category === 'all' || j.category === category);
      const correct = sel.reduce((a, j) => a + j.ok, 0);
      rows.push({
        model,
        category,
        criterion: category === 'all' ? 'key criterion of each' : KEY_CRITERION[category],
        n: sel.length,
        correct,
        accuracy: sel.length ? correct / sel.length : NaN,
        goldScore: sel.length ? sel.reduce((a, j) => a + j.gold, 0) / sel.length : NaN,
      });
    }
  }
  return rows;
}
