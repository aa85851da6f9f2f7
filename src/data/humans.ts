/**
 * Bring your own humans: import real K-way rankings and pairwise {prompt, chosen, rejected}
 * preferences (the format TRL and HH-RLHF use) into the same tables the simulated panel
 * fills, and export rankings as pairwise JSONL. Every row is validated; errors name the file
 * and line.
 */
import { readJsonl } from '../util/jsonl';
import { hashSeed } from '../util/random';
import { writeJsonlAtomic } from '../util/atomic';
import { ComparisonRow, RankedPrompt, toComparisons } from './tables';

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
  return readJsonl(file, (v, line) => {
    const row = asObject(v, '{"prompt", "answers", "ranks"}');
    const prompt = requiredText(row, 'prompt');
    if (!prompt.trim()) throw new Error('"prompt" must not be empty');
    const answers = row.answers;
    const ranks = row.ranks;
    if (!Array.isArray(answers) || answers.length < 2 || answers.length > 26 || answers.some((a) => typeof a !== 'string')) {
      throw new Error(`"answers" must be an array of 2 to 26 strings, got ${JSON.stringify(answers)?.slice(0, 80)}`);
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
  });
}

/**
 * Pairwise preferences, one per line: `{"prompt": str, "chosen": str, "rejected": str}`
 * (optional prompt_id, user_id, labeler_id). Each becomes a K = 2 ranking [1, 2].
 */
export function importPairwise(file: string): RankedPrompt[] {
  return readJsonl(file, (v, line) => {
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
}

/** Write rankings as pairwise JSONL (all strict pairs; ties dropped). Returns the rows. */
export function exportPairwise(file: string, ranked: readonly RankedPrompt[]): ComparisonRow[] {
  const rows = toComparisons(ranked);
  writeJsonlAtomic(file, rows);
  return rows;
}
