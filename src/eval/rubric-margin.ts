/**
 * What a judged win-rate is made of. Every judge scores an answer by the gold rubric with their
 * own weights, adds noise of their own and rounds (labelers/panel.ts). This module asks the
 * rubric itself, with the gold weights and no noise, which of two answers is better, and how
 * many of a baseline's answers already meet every criterion that applies (the rubric's top,
 * a score of 1, where a demonstration scores).
 *
 * It explains a win-rate; it decides no claim. The rubric is the panel's own core: the training
 * labelers rank by it, so the reward model learned to please it too. What it separates:
 *  - pairs the rubric scores equal (both answers wrong the same way, both right, the same text):
 *    a judge's verdict on them is noise, which pulls every win-rate towards 50%;
 *  - answers already at the top: a policy cannot beat a baseline answer there, only tie it;
 *  - small rubric differences (an answer cut off mid-sentence): a judge's noise flips more of
 *    them than of large ones, so a margin built of them shrinks more once judged.
 */
import { CATEGORIES, Prompt } from '../data/types';
import { score } from '../labelers/rubric';
import { AnswerBook, answersFor, modelKey } from './answer-book';
import { KIND_LABELS, ModelEntry, ModelKind, NOT_TRAINED } from './roster';
import { winRateInterval } from './stats';
import type { CategoryWinRow } from './three-h';

/** A rubric score this close to 1 is the top (the weighted mean of criteria that are all 1). */
const TOP = 1 - 1e-9;

/**
 * One policy against its same-size SFT on one prompt category (or 'all'), by the noise-free
 * rubric: the columns of a judged CategoryWinRow, with `wins`, `ties`, `losses` and the interval
 * `lower`..`upper` the rubric's (a higher score wins, an equal score ties), and these:
 */
export interface RubricMarginRow extends Omit<CategoryWinRow, 'winRate'> {
  /** pairs whose two answers are the same text (a tie by any judge) */
  identical: number | null;
  /** (wins + ties / 2) / n by the rubric; its 95% Wilson interval is lower..upper */
  rubricRate: number | null;
  /** the judges' win-rate of the same pairs (from `judged`), for comparison; null when not given */
  judgedRate: number | null;
  /** share of the policy's answers at the rubric's top, and of the baseline's */
  policyAtTop: number | null;
  baselineAtTop: number | null;
  /** mean rubric score of the policy's answers minus the baseline's */
  meanGain: number | null;
}

function margin(prompts: readonly Prompt[], mine: readonly string[], base: readonly string[]) {
  let wins = 0,
    ties = 0,
    losses = 0,
    identical = 0,
    mineTop = 0,
    baseTop = 0,
    gain = 0;
  prompts.forEach((p, i) => {
    const a = score(p, mine[i]);
    const b = score(p, base[i]);
    if (a > b) wins++;
    else if (a < b) losses++;
    else ties++;
    if (mine[i] === base[i]) identical++;
    if (a >= TOP) mineTop++;
    if (b >= TOP) baseTop++;
    gain += a - b;
  });
  const n = prompts.length;
  return { wins, ties, losses, identical, policyAtTop: mineTop / n, baselineAtTop: baseTop / n, meanGain: gain / n };
}

/**
 * The rubric's margin of every policy of `kinds` over its same-size SFT: one row per (size,
 * policy, category present in `prompts`), then the policy's 'all' row. `judged` (the rows of
 * winRateByCategoryRows against same-size SFT) fills `judgedRate`; a missing policy or baseline
 * keeps its rows with null figures and why.
 */
export function rubricMarginRows(
  book: AnswerBook,
  roster: readonly ModelEntry[],
  prompts: readonly Prompt[],
  kinds: readonly ModelKind[] = ['ppo', 'ppo-ptx'],
  judged: readonly CategoryWinRow[] = [],
): RubricMarginRow[] {
  const categories = CATEGORIES.filter((c) => prompts.some((p) => p.category === c));
  const rows: RubricMarginRow[] = [];
  for (const e of roster.filter((x) => kinds.includes(x.kind))) {
    const baseKey = `sft/${e.size}`;
    for (const category of [...categories, 'all']) {
      const cell = category === 'all' ? prompts : prompts.filter((p) => p.category === category);
      const judgedRow = judged.find((r) => r.kind === e.kind && r.size === e.size && r.category === category && r.baseline === `SFT ${e.size}`);
      const row = {
        size: e.size,
        policy: KIND_LABELS[e.kind],
        kind: e.kind,
        baseline: `SFT ${e.size}`,
        category,
        n: cell.length,
        judgedRate: judgedRow?.winRate ?? null,
      };
      const mine = answersFor(book, modelKey(e), cell);
      const base = answersFor(book, baseKey, cell);
      if (!mine || !base || !cell.length) {
        const note = !mine ? e.note : !base ? `baseline ${baseKey}: ${NOT_TRAINED}` : 'no prompts';
        rows.push({
          ...row,
          wins: null,
          ties: null,
          losses: null,
          identical: null,
          rubricRate: null,
          lower: null,
          upper: null,
          policyAtTop: null,
          baselineAtTop: null,
          meanGain: null,
          note,
        });
        continue;
      }
      const m = margin(cell, mine, base);
      const ci = winRateInterval(m);
      rows.push({ ...row, ...m, rubricRate: ci.rate, lower: ci.lower, upper: ci.upper, note: '' });
    }
  }
  return rows;
}
