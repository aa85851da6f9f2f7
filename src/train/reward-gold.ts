/**
 * The reward model against the noise-free rubric (src/labelers/rubric.ts): on pairs of
 * answers to the same prompt whose gold scores differ, how often the RM orders them as the
 * rubric does. The labelers' own accuracy measure (evaluateRankings) is capped near their
 * agreement, about 60% on default, because every label carries a labeler's noise; this one
 * is not, so it shows what PPO will be pushed towards. On default, using all 3300 RM prompts
 * instead of 900 moved it from 61.7% to 71.6% while the labeler measure stayed at 58%.
 */
import type { Prompt } from '../data/types';
import { score as goldScore } from '../labelers/rubric';

export interface GoldAgreementRow {
  /** a prompt category, or "all" */
  category: string;
  /** answer pairs whose gold scores differ */
  pairs: number;
  /** share of those the RM orders as the rubric does (an RM tie counts half) */
  agreement: number;
}

/** `score` maps (prompt, answer) items to RM scores (e.g. RewardModel.score). */
export async function rewardGoldAgreement(
  sampled: ReadonlyArray<{ prompt: Prompt; answers: readonly string[] }>,
  score: (items: { prompt: string; answer: string }[]) => ArrayLike<number> | Promise<ArrayLike<number>>,
): Promise<GoldAgreementRow[]> {
  const items = sampled.flatMap((s) => s.answers.map((answer) => ({ prompt: s.prompt.text, answer })));
  const rm = items.length ? await score(items) : [];
  if (rm.length !== items.length) throw new Error(`rewardGoldAgreement: the scorer returned ${rm.length} scores for ${items.length} answers`);
  const tally = new Map<string, { right: number; pairs: number }>();
  const add = (category: string, right: number) => {
    const t = tally.get(category) ?? { right: 0, pairs: 0 };
    t.right += right;
    t.pairs += 1;
    tally.set(category, t);
  };
  let at = 0;
  for (const s of sampled) {
    const gold = s.answers.map((a) => goldScore(s.prompt, a));
    const r = Array.from({ length: s.answers.length }, (_, i) => rm[at + i]);
    at += s.answers.length;
    for (let a = 0; a < gold.length; a++) {
      for (let b = a + 1; b < gold.length; b++) {
        if (Math.abs(gold[a] - gold[b]) < 1e-9) continue;
        const d = Math.sign(gold[a] - gold[b]) * (r[a] - r[b]);
        const right = d > 0 ? 1 : d === 0 ? 0.5 : 0;
        add(s.prompt.category, right);
        add('all', right);
      }
    }
  }
  return [...tally.entries()]
    .sort(([x], [y]) => (x === 'all' ? 1 : y === 'all' ? -1 : x.localeCompare(y)))
    .map(([category, t]) => ({ category, pairs: t.pairs, agreement: t.right / t.pairs }));
}

/**
 * The noise-free rubric as a labeler: of the ranked pairs in `rankings` (row i ranks the
 * answers of `sampled[i]`; ties skipped), the share it orders the same way (a gold tie counts
 * half). The ceiling a perfect learner of the rubric reaches against these labels.
 */
export function goldRankingAccuracy(
  rankings: ReadonlyArray<{ ranks: readonly number[] }>,
  sampled: ReadonlyArray<{ prompt: Prompt; answers: readonly string[] }>,
): number {
  if (rankings.length !== sampled.length) throw new Error(`goldRankingAccuracy: ${rankings.length} rankings for ${sampled.length} sampled prompts`);
  let right = 0;
  let n = 0;
  rankings.forEach((r, i) => {
    const g = sampled[i].answers.map((a) => goldScore(sampled[i].prompt, a));
    for (let a = 0; a < r.ranks.length; a++) {
      for (let b = a + 1; b < r.ranks.length; b++) {
        if (r.ranks[a] === r.ranks[b]) continue;
        const d = (r.ranks[a] < r.ranks[b] ? 1 : -1) * (g[a] - g[b]);
        right += d > 0 ? 1 : d === 0 ? 0.5 : 0;
        n++;
      }
    }
  });
  return right / n;
}
