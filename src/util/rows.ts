/** Tables as plain rows: what every table helper (HTML, text, CSV, the evaluation's) reads. */

export type Row = Record<string, unknown>;

/** Rows of a danfo DataFrame (`columns` + `values`), an arquero table (`objects()`), or rows. */
export function toRows(table: unknown): { columns: string[]; rows: Row[] } {
  const t = table as any;
  if (Array.isArray(t)) {
    const columns: string[] = [];
    for (const r of t) for (const k of Object.keys(r ?? {})) if (!columns.includes(k)) columns.push(k);
    return { columns, rows: t };
  }
  if (t && typeof t.columnNames === 'function' && typeof t.objects === 'function') {
    return { columns: t.columnNames(), rows: t.objects() };
  }
  if (t && Array.isArray(t.columns) && Array.isArray(t.values)) {
    const columns: string[] = t.columns.map(String);
    const values: unknown[][] = t.values.map((v: unknown) => (Array.isArray(v) ? v : [v]));
    return { columns, rows: values.map((v) => Object.fromEntries(columns.map((c, i) => [c, v[i]]))) };
  }
  throw new Error(`toRows: expected a danfo DataFrame, an arquero table or an array of rows, got ${t === null ? 'null' : typeof t}`);
}
