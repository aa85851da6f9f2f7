/** Read JSONL with errors that name the file and line. */
import * as fs from 'fs';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Parse every non-blank line as JSON; `validate` may throw a message for a bad row, which
 * is re-thrown as `<file>:<line>: <message>`.
 */
export function readJsonl<T = unknown>(file: string, validate?: (row: unknown, line: number) => T): T[] {
  if (!fs.existsSync(file)) throw new InputError(`${file}: file not found`);
  const text = fs.readFileSync(file, 'utf8');
  const rows: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new InputError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    try {
      rows.push(validate ? validate(value, i + 1) : (value as T));
    } catch (e) {
      throw new InputError(`${file}:${i + 1}: ${(e as Error).message}`);
    }
  }
  return rows;
}
