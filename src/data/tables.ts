/**
 * The rankings and comparisons tables: one row per (prompt, labeler, answer) with its rank
 * (1 = best, ties share a rank), saved as JSONL and CSV; loaders validate every row and name
 * the file and line of a bad one. `rankingsFrame` gives a danfo DataFrame for notebooks.
 */
import { InputError, problemsError, readJsonlRows, readUtf8 } from '../util/jsonl';
import { RankingCheck, rankingsProblems } from './rankings-check';
import { parseCsv, toCsv } from './csv';

/** One labeler's K-way ranking of the answers to one prompt (the form the RM trains on). */
export interface RankedPrompt {
  prompt_id: string;
  user_id: string;
  labeler_id: string;
  prompt: string;
  answers: string[];
  /** Dense ranks, 1 = best; equal ranks are ties. Same length as `answers`. */
  ranks: number[];
}

export interface RankingRow {
  prompt_id: string;
  user_id: string;
  labeler_id: string;
  /** "A", "B", ... in the order the answers were shown. */
  answer_id: string;
  rank: number;
  prompt: string;
  answer: string;
}

/** A pairwise comparison in the format TRL and HH-RLHF use, with our ids. */
export interface ComparisonRow {
  prompt_id: string;
  user_id: string;
  labeler_id: string;
  prompt: string;
  chosen: string;
  rejected: string;
}

export const RANKING_COLUMNS = ['prompt_id', 'user_id', 'labeler_id', 'answer_id', 'rank', 'prompt', 'answer'] as const;
export const COMPARISON_COLUMNS = ['prompt_id', 'user_id', 'labeler_id', 'prompt', 'chosen', 'rejected'] as const;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function toRows(ranked: readonly RankedPrompt[]): RankingRow[] {
  const rows: RankingRow[] = [];
  for (const r of ranked) {
    r.answers.forEach((answer, i) =>
      rows.push({ prompt_id: r.prompt_id, user_id: r.user_id, labeler_id: r.labeler_id, answer_id: LETTERS[i], rank: r.ranks[i], prompt: r.prompt, answer }),
    );
  }
  return rows;
}

/** All strict pairs of every ranking (ties dropped), better answer as `chosen`. */
export function toComparisons(ranked: readonly RankedPrompt[]): ComparisonRow[] {
  const out: ComparisonRow[] = [];
  for (const r of ranked) {
    for (let i = 0; i < r.answers.length; i++) {
      for (let j = 0; j < r.answers.length; j++) {
        if (i < j && r.ranks[i] !== r.ranks[j]) {
          const [w, l] = r.ranks[i] < r.ranks[j] ? [i, j] : [j, i];
          out.push({ prompt_id: r.prompt_id, user_id: r.user_id, labeler_id: r.labeler_id, prompt: r.prompt, chosen: r.answers[w], rejected: r.answers[l] });
        }
      }
    }
  }
  return out;
}

/** Non-tied comparisons and ties of a set of rankings: the numbers behind the loss's normaliser. */
export function comparisonCounts(rankings: readonly RankedPrompt[]): { prompts: number; answers: number; comparisons: number; ties: number } {
  let answers = 0;
  let comparisons = 0;
  let ties = 0;
  for (const r of rankings) {
    answers += r.answers.length;
    for (let i = 0; i < r.ranks.length; i++) for (let j = i + 1; j < r.ranks.length; j++) r.ranks[i] === r.ranks[j] ? ties++ : comparisons++;
  }
  return { prompts: rankings.length, answers, comparisons, ties };
}

function requireString(row: Record<string, unknown>, key: string, allowEmpty = false): string {
  const v = row[key];
  if (typeof v !== 'string') throw new Error(`"${key}" must be a string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  if (!allowEmpty && !v.trim()) throw new Error(`"${key}" must not be empty`);
  return v;
}

/** Validate one rankings row (throws a message naming the key). */
export function validateRankingRow(value: unknown): RankingRow {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`expected an object with ${RANKING_COLUMNS.join(', ')}`);
  const row = value as Record<string, unknown>;
  const rank = typeof row.rank === 'string' && /^\d+$/.test(row.rank) ? Number(row.rank) : row.rank;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) throw new Error(`"rank" must be an integer >= 1, got ${JSON.stringify(row.rank)}`);
  const answerId = requireString(row, 'answer_id');
  if (!/^[A-Z]$/.test(answerId)) throw new Error(`"answer_id" must be one letter A-Z, got ${JSON.stringify(answerId)}`);
  return {
    prompt_id: requireString(row, 'prompt_id'),
    user_id: requireString(row, 'user_id'),
    labeler_id: requireString(row, 'labeler_id'),
    answer_id: answerId,
    rank,
    prompt: requireString(row, 'prompt'),
    answer: requireString(row, 'answer', true),
  };
}

/** Group rows back into rankings, one per (prompt_id, labeler_id), each at the line of its
 *  first row; an answer_id twice, or another prompt text or user inside a group, is a problem. */
function groupRows(rows: readonly { line: number; value: RankingRow }[], file: string, problems: string[]): { ranking: RankedPrompt; line: number }[] {
  const groups = new Map<string, { ranking: RankedPrompt; ids: string[]; line: number }>();
  for (const { line, value: row } of rows) {
    const key = `${row.prompt_id}\u0000${row.labeler_id}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        ranking: { prompt_id: row.prompt_id, user_id: row.user_id, labeler_id: row.labeler_id, prompt: row.prompt, answers: [], ranks: [] },
        ids: [],
        line,
      };
      groups.set(key, g);
    }
    if (g.ids.includes(row.answer_id))
      problems.push(`${file}:${line}: answer_id "${row.answer_id}" appears twice for prompt ${row.prompt_id}, labeler ${row.labeler_id}`);
    else if (g.ranking.prompt !== row.prompt || g.ranking.user_id !== row.user_id)
      problems.push(`${file}:${line}: prompt ${row.prompt_id} has a different prompt text or user_id than on line ${g.line}`);
    else {
      g.ids.push(row.answer_id);
      g.ranking.answers.push(row.answer);
      g.ranking.ranks.push(row.rank);
    }
  }
  return [...groups.values()];
}

export function rankingsJsonl(ranked: readonly RankedPrompt[]): string {
  const rows = toRows(ranked);
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

export function rankingsCsv(ranked: readonly RankedPrompt[]): string {
  return toCsv(RANKING_COLUMNS, toRows(ranked) as unknown as Record<string, unknown>[]);
}

/**
 * Load the rankings table from JSONL (`.jsonl`) or CSV (`.csv`). Every row and every
 * ranking is checked (see rankings-check.ts; `{ human: true }` for files made by people) and
 * every problem is reported at once, each as `file:line: reason`.
 */
export function loadRankings(file: string, check: RankingCheck = {}): RankedPrompt[] {
  const problems: string[] = [];
  const rows = file.endsWith('.csv') ? csvRows(file, problems) : jsonlRows(file, problems);
  const groups = groupRows(rows, file, problems);
  problems.push(...rankingsProblems(groups, file, check));
  if (problems.length) throw problemsError(file, problems, 'problems');
  return groups.map((g) => g.ranking);
}

function jsonlRows(file: string, problems: string[]): { line: number; value: RankingRow }[] {
  const read = readJsonlRows(file, validateRankingRow);
  problems.push(...read.problems);
  return read.rows;
}

function csvRows(file: string, problems: string[]): { line: number; value: RankingRow }[] {
  let records;
  try {
    records = parseCsv(readUtf8(file));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  if (!records.length) throw new InputError(`${file}: empty file, expected a header ${RANKING_COLUMNS.join(',')}`);
  const header = records[0].fields;
  const missing = RANKING_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw new InputError(`${file}:1: header lacks column(s) ${missing.join(', ')}`);
  const rows: { line: number; value: RankingRow }[] = [];
  for (const rec of records.slice(1)) {
    if (rec.fields.length !== header.length) {
      problems.push(`${file}:${rec.line}: expected ${header.length} fields, got ${rec.fields.length}`);
      continue;
    }
    const obj: Record<string, unknown> = {};
    header.forEach((h, i) => (obj[h] = rec.fields[i]));
    try {
      rows.push({ line: rec.line, value: validateRankingRow(obj) });
    } catch (e) {
      problems.push(`${file}:${rec.line}: ${(e as Error).message}`);
    }
  }
  return rows;
}

/** The rankings as a danfo DataFrame (columns prompt_id, user_id, labeler_id, answer_id,
 *  rank, prompt, answer). danfo loads lazily: it brings TensorFlow.js with it. */
export function rankingsFrame(ranked: readonly RankedPrompt[]): any {
  const dfd = require('danfojs-node');
  const rows = toRows(ranked);
  return new dfd.DataFrame(
    rows.map((r) => RANKING_COLUMNS.map((c) => r[c])),
    { columns: [...RANKING_COLUMNS] },
  );
}

/** Pairwise comparisons (ties dropped) as a danfo DataFrame. */
export function comparisonsFrame(ranked: readonly RankedPrompt[]): any {
  const dfd = require('danfojs-node');
  const rows = toComparisons(ranked);
  return new dfd.DataFrame(
    rows.map((r) => COMPARISON_COLUMNS.map((c) => r[c])),
    { columns: [...COMPARISON_COLUMNS] },
  );
}
