/**
 * Evaluation tables at the edge: rows -> a danfo DataFrame, saved as CSV (RFC 4180, answers
 * may hold commas and newlines) and JSON (an array of row objects) under runDir/eval/, each
 * written atomically.
 */
import * as path from 'path';
import * as dfd from 'danfojs-node';
import { toCsv } from '../data/csv';
import { toRows } from '../util/rows';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';

/** A DataFrame of plain rows (columns in first-seen order; missing cells null). */
export function frame(objects: readonly object[]): dfd.DataFrame {
  if (!objects.length) throw new Error('frame: no rows');
  const rows = objects as readonly Record<string, unknown>[];
  const { columns } = toRows(rows as Record<string, unknown>[]);
  return new dfd.DataFrame(
    rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] === undefined ? null : r[c]]))),
    { columns },
  );
}

/** Write `<dir>/<name>.csv` and `<dir>/<name>.json`; returns both paths. */
export function saveTable(table: dfd.DataFrame | readonly object[], dir: string, name: string): { csv: string; json: string } {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`saveTable: name must be lowercase letters, digits and dashes, got "${name}"`);
  const { columns, rows } = toRows(table);
  const clean = rows.map((r) =>
    Object.fromEntries(columns.map((c) => [c, typeof r[c] === 'number' && !Number.isFinite(r[c] as number) ? null : (r[c] ?? null)])),
  );
  const csv = path.join(dir, `${name}.csv`);
  const json = path.join(dir, `${name}.json`);
  writeFileAtomic(csv, toCsv(columns, clean));
  writeJsonAtomic(json, clean);
  return { csv, json };
}
