/**
 * Bring your own humans: import real K-way rankings and pairwise {prompt, chosen, rejected}
 * preferences (the format TRL and HH-RLHF use) into the same tables the simulated panel
 * fills, and export rankings as pairwise JSONL. Every line is checked by the validator the
 * rankings loader uses (rankings-check.ts, at its stricter strength for people's files) and
 * every bad line is reported at once as `file:line: reason`; nothing is returned on error.
 * `npm run rankings` turns such a file into the rankings table that 04 trains on.
 */
import * as fs from 'fs';
import { InputError, problemsError, readJsonlRows, readUtf8 } from '../util/jsonl';
import { hashSeed } from '../util/random';
import { writeJsonlAtomic } from '../util/atomic';
import { ComparisonRow, loadRankings, RankedPrompt, toComparisons } from './tables';
import { MAX_ANSWERS, rankingsProblems } from './rankings-check';
import { holdOutUsers } from './splits';
import { sha256 } from '../util/hash';

function optionalString(row: Record<string, unknown>, key: string, fallback: string): string {
  const v = row[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !v.trim()) throw new Error(`"${key}" must be a non-empty string when given, got ${JSON.stringify(v)}`);
  return v;
}

function requiredText(row: Record<string, unknown>, key: string): string {
  const v = row[key];
  if (typeof v !== 'string') throw new Error(`"${key}" must be a string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  return v;
}

function asObject(v: unknown, want: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`expected an object ${want}`);
  return v as Record<string, unknown>;
}

/** Same prompt text -> same user id, so a split by user keeps one prompt's data together. */
function userFor(prompt: string): string {
  return `human-${hashSeed(prompt).toString(16).padStart(8, '0')}`;
}

/**
 * K-way rankings, one JSON object per line:
 * `{"prompt": str, "answers": [str, ...], "ranks": [int, ...], "prompt_id"?, "user_id"?, "labeler_id"?}`
 * with 2..26 answers and ranks >= 1 (1 = best, equal ranks are ties).
 */
export function importRankings(file: string): RankedPrompt[] {
  return checked(
    file,
    readJsonlRows(file, (v, line) => {
      const row = asObject(v, '{"prompt", "answers", "ranks"}');
      const prompt = requiredText(row, 'prompt');
      if (!prompt.trim()) throw new Error('"prompt" must not be empty');
      const answers = row.answers;
      const ranks = row.ranks;
      if (!Array.isArray(answers) || answers.length < 2 || answers.length > MAX_ANSWERS || answers.some((a) => typeof a !== 'string')) {
        throw new Error(`"answers" must be an array of 2 to ${MAX_ANSWERS} strings, got ${JSON.stringify(answers)?.slice(0, 80)}`);
      }
      if (!Array.isArray(ranks) || ranks.length !== answers.length || ranks.some((r) => !Number.isInteger(r) || r < 1)) {
        throw new Error(`"ranks" must be ${answers.length} integers >= 1 (one per answer, 1 = best), got ${JSON.stringify(ranks)}`);
      }
      return {
        prompt_id: optionalString(row, 'prompt_id', `human-${String(line).padStart(6, '0')}`),
        user_id: optionalString(row, 'user_id', userFor(prompt)),
        labeler_id: optionalString(row, 'labeler_id', 'human'),
        prompt,
        answers: answers as string[],
        ranks: ranks as number[],
      };
    }),
  );
}

/**
 * Pairwise preferences, one per line: `{"prompt": str, "chosen": str, "rejected": str}`
 * (optional prompt_id, user_id, labeler_id). The pairs one labeler gave for one prompt_id
 * become one ranking when they are exactly the strict pairs of a ranking (as `exportPairwise`
 * writes a K-way ranking); otherwise each pair is a K = 2 ranking of its own, its prompt_id
 * suffixed `#1`, `#2`, ... so no two rankings share an id.
 */
export function importPairwise(file: string): RankedPrompt[] {
  const read = readJsonlRows(file, (v, line) => {
    const row = asObject(v, '{"prompt", "chosen", "rejected"}');
    const prompt = requiredText(row, 'prompt');
    if (!prompt.trim()) throw new Error('"prompt" must not be empty');
    const chosen = requiredText(row, 'chosen');
    const rejected = requiredText(row, 'rejected');
    return {
      prompt_id: optionalString(row, 'prompt_id', `pair-${String(line).padStart(6, '0')}`),
      user_id: optionalString(row, 'user_id', userFor(prompt)),
      labeler_id: optionalString(row, 'labeler_id', 'human'),
      prompt,
      answers: [chosen, rejected],
      ranks: [1, 2],
    };
  });
  const groups = new Map<string, { line: number; value: RankedPrompt }[]>();
  for (const r of read.rows) {
    const key = `${r.value.prompt_id}\u0000${r.value.labeler_id}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: { line: number; value: RankedPrompt }[] = [];
  for (const pairs of groups.values()) {
    const merged = pairs.length > 1 ? asRanking(pairs.map((p) => p.value)) : pairs[0].value;
    if (merged) rows.push({ line: pairs[0].line, value: merged });
    else pairs.forEach((p, k) => rows.push({ line: p.line, value: { ...p.value, prompt_id: `${p.value.prompt_id}#${k + 1}` } }));
  }
  return checked(file, { rows, problems: read.problems });
}

/**
 * The one ranking whose strict pairs are exactly these pairs (same prompt, user, labeler),
 * or null. Ranks are levels of the preference graph: 1 + the longest chain above an answer.
 */
function asRanking(pairs: readonly RankedPrompt[]): RankedPrompt | null {
  const first = pairs[0];
  if (pairs.some((p) => p.prompt !== first.prompt || p.user_id !== first.user_id)) return null;
  const answers = [...new Set(pairs.flatMap((p) => p.answers))];
  if (answers.length > MAX_ANSWERS) return null;
  const above = answers.map(() => new Set<number>());
  for (const p of pairs) above[answers.indexOf(p.answers[1])].add(answers.indexOf(p.answers[0]));
  const depth: number[] = answers.map(() => -1);
  const visiting = new Set<number>();
  const level = (i: number): number => {
    if (depth[i] >= 0) return depth[i];
    if (visiting.has(i)) return Infinity; // a cycle: no ranking
    visiting.add(i);
    depth[i] = 1 + Math.max(0, ...[...above[i]].map(level));
    visiting.delete(i);
    return depth[i];
  };
  const ranks = answers.map((_, i) => level(i));
  if (ranks.some((r) => !Number.isFinite(r))) return null;
  const ranking = { ...first, answers, ranks };
  const want = new Set(pairs.map((p) => JSON.stringify(p.answers)));
  const got = toComparisons([ranking]).map((c) => JSON.stringify([c.chosen, c.rejected]));
  return want.size === pairs.length && got.length === want.size && got.every((g) => want.has(g)) ? ranking : null;
}

/** The rankings of a read file, or every problem of it (its lines', then its rankings'). */
function checked(file: string, read: { rows: { line: number; value: RankedPrompt }[]; problems: string[] }): RankedPrompt[] {
  const problems = [
    ...read.problems,
    ...rankingsProblems(
      read.rows.map((r) => ({ ranking: r.value, line: r.line })),
      file,
      { human: true },
    ),
  ];
  if (problems.length) throw problemsError(file, problems);
  return read.rows.map((r) => r.value);
}

/** Write rankings as pairwise JSONL (all strict pairs; ties dropped). Returns the rows. */
export function exportPairwise(file: string, ranked: readonly RankedPrompt[]): ComparisonRow[] {
  const rows = toComparisons(ranked);
  writeJsonlAtomic(file, rows);
  return rows;
}

/** The three shapes a file of people's rankings may have. */
export const RANKINGS_FORMATS = ['kway', 'pairwise', 'table'] as const;
export type RankingsFormat = (typeof RANKINGS_FORMATS)[number];

/**
 * Which of the three a file is: `.csv` is the rankings table; a JSONL file is told by the
 * keys of its first line (`answers` K-way, `chosen` pairwise, `answer_id` the table).
 */
export function rankingsFormat(file: string): RankingsFormat {
  if (file.endsWith('.csv')) return 'table';
  const lines = readUtf8(file).split('\n');
  const at = lines.findIndex((l) => l.trim());
  if (at < 0) throw new InputError(`${file}: empty file, expected rankings as JSONL`);
  let row: unknown;
  try {
    row = JSON.parse(lines[at]);
  } catch (e) {
    throw new InputError(`${file}:${at + 1}: not valid JSON (${(e as Error).message})`);
  }
  const keys = row && typeof row === 'object' ? Object.keys(row) : [];
  if (keys.includes('answers')) return 'kway';
  if (keys.includes('chosen')) return 'pairwise';
  if (keys.includes('answer_id')) return 'table';
  throw new InputError(
    `${file}: cannot tell the format from the first line's keys (${keys.join(', ') || 'none'}): expected "answers" (K-way), "chosen" (pairwise) or "answer_id" (rankings table)`,
  );
}

/** People's rankings in any of the three formats, held to the stricter check. */
export function readHumanRankings(file: string, format: RankingsFormat = rankingsFormat(file)): RankedPrompt[] {
  if (format === 'kway') return importRankings(file);
  if (format === 'pairwise') return importPairwise(file);
  return loadRankings(file, { human: true });
}

/** People's rankings for the reward model (`reward.rankings`), split by user. */
export interface HumanRankings {
  /** The file read, and the sha256 of its bytes: what the run trained on. */
  file: string;
  sha256: string;
  format: RankingsFormat;
  train: RankedPrompt[];
  validation: RankedPrompt[];
}

/**
 * Read people's rankings (any of the three formats, held to the stricter check) and hold out
 * a `fraction` of their users for validation, as the panel's are. Refuses a file whose users
 * cannot fill both sides.
 */
export function readHumanRankingsSplit(file: string, fraction: number, seed: number | string): HumanRankings {
  const format = rankingsFormat(file);
  const ranked = readHumanRankings(file, format);
  const users = new Set(ranked.map((r) => r.user_id)).size;
  const split = holdOutUsers(ranked, fraction, seed);
  if (!split.train.length || !split.validation.length) {
    throw new InputError(
      `${file}: ${ranked.length} rankings from ${users} user${users === 1 ? '' : 's'} leave no ${split.train.length ? 'validation' : 'training'} rankings when ${Math.round(100 * fraction)}% of users are held out; rankings from more users are needed`,
    );
  }
  return { file, sha256: sha256(fs.readFileSync(file)), format, ...split };
}
