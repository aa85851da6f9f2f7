/** A small RFC 4180 CSV writer and reader (quoted fields may hold commas, quotes and
 *  newlines, which model answers do). The reader reports the line each record starts on. */

function field(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(field).join(',')];
  for (const r of rows) lines.push(columns.map((c) => field(r[c])).join(','));
  return lines.join('\n') + '\n';
}

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

/** Parse CSV text into records; throws `line N: ...` on an unterminated quote. */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let cur = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cur += ch;
      }
      continue;
    }
    if (ch === '"') {
      quoted = true;
      sawAny = true;
    } else if (ch === ',') {
      fields.push(cur);
      cur = '';
      sawAny = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (sawAny || cur.length) out.push({ line: start, fields: [...fields, cur] });
      fields = [];
      cur = '';
      sawAny = false;
      line++;
      start = line;
    } else {
      cur += ch;
      sawAny = true;
    }
  }
  if (quoted) throw new Error(`line ${start}: unterminated quoted field`);
  if (sawAny || cur.length) out.push({ line: start, fields: [...fields, cur] });
  return out;
}
