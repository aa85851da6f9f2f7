/**
 * The one validator of rankings, shared by the importers of people's files (K-way rankings,
 * pairwise preferences) and the loader of the rankings table. It checks a ranking as a whole
 * (not only its fields) and a file as a whole (one ranking per prompt and labeler), and it
 * returns every problem, so a user fixes a file in one pass.
 *
 * Two strengths. Every file must be coherent: 2..26 answers, ranks >= 1, and one text never
 * ranked against itself (a "same > same" pair teaches the reward model nothing but noise).
 * Rankings made by people (`human: true`: the importers, and files passed to the reward
 * model with `reward.rankings`) must also be useful and clean: no empty answer, no answer
 * twice, and at least two different ranks. The workbook's own sampled answers may be empty
 * or repeat (a small model stops at once, or says the same thing twice), so its files are
 * read with the first strength only.
 */
import type { RankedPrompt } from './tables';

/** Answers are labelled A..Z. */
export const MAX_ANSWERS = 26;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export interface RankingCheck {
  /** Rankings made by people: also refuse empty answers, repeated answers and all-tie rows. */
  human?: boolean;
}

/** Everything wrong with one ranking, one message each (empty when it is fine). */
export function rankingProblems(r: RankedPrompt, opts: RankingCheck = {}): string[] {
  const out: string[] = [];
  if (!r.prompt.trim()) out.push('the prompt is empty');
  const k = r.answers.length;
  if (k < 2 || k > MAX_ANSWERS) out.push(`a ranking needs 2 to ${MAX_ANSWERS} answers, this one has ${k}`);
  if (r.ranks.length !== k) out.push(`${k} answers but ${r.ranks.length} ranks`);
  if (r.ranks.some((x) => !Number.isInteger(x) || x < 1)) out.push(`ranks must be integers >= 1 (1 = best), got ${JSON.stringify(r.ranks)}`);
  if (out.length) return out;
  const firstAt = new Map<string, number>();
  r.answers.forEach((a, i) => {
    if (opts.human && !a.trim()) out.push(`answer ${LETTERS[i]} is empty`);
    const j = firstAt.get(a);
    if (j === undefined) firstAt.set(a, i);
    else if (r.ranks[i] !== r.ranks[j]) out.push(`answers ${LETTERS[j]} and ${LETTERS[i]} are the same text but ranked ${r.ranks[j]} and ${r.ranks[i]}`);
    else if (opts.human && a.trim()) out.push(`answers ${LETTERS[j]} and ${LETTERS[i]} are the same text`);
  });
  if (opts.human && new Set(r.ranks).size === 1) out.push(`all ${k} answers tie (rank ${r.ranks[0]}): the ranking holds no comparison`);
  return out;
}

/**
 * Problems of a whole file of rankings, each as `<file>:<line>: <reason>`: those of every
 * ranking, a (prompt_id, labeler_id) ranked twice, and a prompt_id whose text or user
 * differs between rankings.
 */
export function rankingsProblems(items: readonly { ranking: RankedPrompt; line: number }[], file: string, opts: RankingCheck = {}): string[] {
  const out: string[] = [];
  const seen = new Map<string, number>();
  const prompts = new Map<string, { prompt: string; user_id: string; line: number }>();
  for (const { ranking: r, line } of items) {
    for (const p of rankingProblems(r, opts)) out.push(`${file}:${line}: prompt ${r.prompt_id}: ${p}`);
    const key = `${r.prompt_id}\u0000${r.labeler_id}`;
    const first = seen.get(key);
    if (first !== undefined) out.push(`${file}:${line}: prompt ${r.prompt_id} is ranked again by labeler ${r.labeler_id} (first on line ${first})`);
    else seen.set(key, line);
    const p = prompts.get(r.prompt_id);
    if (!p) prompts.set(r.prompt_id, { prompt: r.prompt, user_id: r.user_id, line });
    else if (p.prompt !== r.prompt) out.push(`${file}:${line}: prompt ${r.prompt_id} has another prompt text than on line ${p.line}`);
    else if (p.user_id !== r.user_id) out.push(`${file}:${line}: prompt ${r.prompt_id} has another user_id than on line ${p.line}`);
  }
  return out;
}
