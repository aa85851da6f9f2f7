/**
 * Tables at the edges: a danfo DataFrame, an arquero table, or plain rows become one
 * escaped HTML table (and a text table for terminals). Cell values are always escaped.
 */
import { escapeHtml } from '../util/escape';
import { sendBundle } from './kernel';
import { Row, toRows } from '../util/rows';

export type { Row };

export interface TableOptions {
  /** rows shown; the rest are counted in a footer */
  maxRows: number;
  /** a caption above the table */
  caption?: string;
  /** digits after the point for non-integer numbers */
  digits: number;
}

export const TABLE_DEFAULTS: TableOptions = { maxRows: 20, digits: 4 };

function format(v: unknown, digits: number): string {
  if (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v)) return v.toFixed(digits);
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function tableHtml(table: unknown, options: Partial<TableOptions> = {}): string {
  const o = { ...TABLE_DEFAULTS, ...options };
  const { columns, rows } = toRows(table);
  const shown = rows.slice(0, o.maxRows);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = shown.map((r) => '<tr>' + columns.map((c) => `<td>${escapeHtml(format(r[c], o.digits))}</td>`).join('') + '</tr>').join('\n');
  const caption = o.caption ? `<caption>${escapeHtml(o.caption)}</caption>` : '';
  const more = rows.length > shown.length ? `<p>… ${rows.length - shown.length} more rows (${rows.length} in all)</p>` : '';
  return `<table class="wb-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${more}`;
}

export function tableText(table: unknown, options: Partial<TableOptions> = {}): string {
  const o = { ...TABLE_DEFAULTS, ...options };
  const { columns, rows } = toRows(table);
  const shown = rows.slice(0, o.maxRows);
  const cells = [columns, ...shown.map((r) => columns.map((c) => format(r[c], o.digits).replace(/\s+/g, ' ')))];
  const widths = columns.map((_, i) => Math.min(40, Math.max(...cells.map((r) => r[i].length))));
  const line = (r: string[]) => r.map((s, i) => (s.length > widths[i] ? s.slice(0, widths[i] - 1) + '…' : s.padEnd(widths[i]))).join('  ');
  const lines = [o.caption ?? '', line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].filter((l, i) => i > 0 || l);
  if (rows.length > shown.length) lines.push(`… ${rows.length - shown.length} more rows (${rows.length} in all)`);
  return lines.join('\n');
}

/** Show a table: escaped HTML in a notebook, aligned text in a terminal. */
export function showTable(table: unknown, options: Partial<TableOptions> = {}): void {
  sendBundle({ 'text/html': tableHtml(table, options), 'text/plain': tableText(table, options) });
}
