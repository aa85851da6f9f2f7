/** Read JSONL (and any UTF-8 text) with errors that name the file and line. */
import * as fs from 'fs';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The file as UTF-8 text. Bytes that are not UTF-8 (a file saved as Latin-1, say) are an
 * error naming the line and column, instead of turning silently into U+FFFD.
 */
export function readUtf8(file: string): string {
  if (!fs.existsSync(file)) throw new InputError(`${file}: file not found`);
  if (fs.statSync(file).isDirectory()) throw new InputError(`${file}: is a folder, expected a file`);
  const bytes = fs.readFileSync(file);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, at);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const column = at - (before.lastIndexOf(0x0a) + 1) + 1;
    throw new InputError(
      `${file}:${line}: not valid UTF-8 (byte 0x${bytes[at].toString(16).padStart(2, '0')}, byte ${column} of the line); save the file as UTF-8`,
    );
  }
}

/** Offset of the first byte of the first sequence that is not well-formed UTF-8. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  // streaming decodes accept a prefix that stops inside a sequence, so "this prefix holds no
  // error" only grows false once: bisect for the longest such prefix
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length + 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  // the error shows at byte lo; it belongs to the sequence whose lead byte comes just before
  let at = lo;
  let k = at - 1;
  while (k >= 0 && k >= at - 3 && (bytes[k] & 0xc0) === 0x80) k--;
  if (k >= 0 && k >= at - 3 && bytes[k] >= 0xc0) at = k;
  return Math.min(at, bytes.length - 1);
}

/** One parsed line: its 1-based number and the validated value. */
export interface JsonlRow<T> {
  line: number;
  value: T;
}

/**
 * Parse every non-blank line as JSON and validate it, collecting every bad line as
 * `<file>:<line>: <message>` instead of stopping at the first.
 */
export function readJsonlRows<T = unknown>(file: string, validate?: (row: unknown, line: number) => T): { rows: JsonlRow<T>[]; problems: string[] } {
  const text = readUtf8(file);
  const rows: JsonlRow<T>[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      problems.push(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
      continue;
    }
    try {
      rows.push({ line: i + 1, value: validate ? validate(value, i + 1) : (value as T) });
    } catch (e) {
      problems.push(`${file}:${i + 1}: ${(e as Error).message}`);
    }
  }
  return { rows, problems };
}

/**
 * Parse every non-blank line as JSON; `validate` may throw a message for a bad row, which
 * is re-thrown as `<file>:<line>: <message>` (the first bad line).
 */
export function readJsonl<T = unknown>(file: string, validate?: (row: unknown, line: number) => T): T[] {
  const { rows, problems } = readJsonlRows(file, validate);
  if (problems.length) throw new InputError(problems[0]);
  return rows.map((r) => r.value);
}

/** Every problem of a file in one error: the problem itself, or a count and then one
 *  `file:line: reason` per line. */
export function problemsError(file: string, problems: readonly string[], what = 'bad lines', shown = 40): InputError {
  if (problems.length === 1) return new InputError(problems[0]);
  // in file order: "<file>:<line>: ..." sorts by its line, whatever found it
  const lineOf = (p: string) => (p.startsWith(`${file}:`) ? parseInt(p.slice(file.length + 1), 10) || 0 : 0);
  problems = [...problems].sort((a, b) => lineOf(a) - lineOf(b));
  const more = problems.length > shown ? `\n  ... and ${problems.length - shown} more` : '';
  return new InputError(
    `${file}: ${problems.length} ${what}:\n${problems
      .slice(0, shown)
      .map((p) => `  ${p}`)
      .join('\n')}${more}`,
  );
}
