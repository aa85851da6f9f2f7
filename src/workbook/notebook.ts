/**
 * Notebook files: read and check them, find the `parameters` cell, inject the run's
 * parameters the papermill way (an `injected-parameters` cell right after it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../util/jsonl';

export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: any[];
  execution_count?: number | null;
  [key: string]: unknown;
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, any>;
  nbformat: number;
  nbformat_minor: number;
}

/** What the runner injects; the notebook's own `parameters` cell declares the same names. */
export interface NotebookParameters {
  profile: string;
  /** dotted overrides with typed values, e.g. {"data.sftPrompts": 200} */
  params: Record<string, unknown>;
  /** absolute run folder */
  runDir: string;
}

export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Read and check a notebook; every problem is one line naming the file. */
export function readNotebook(file: string): Notebook {
  if (!fs.existsSync(file)) throw new InputError(`${file}: notebook not found`);
  let nb: any;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message}); expected a Jupyter notebook (nbformat 4)`);
  }
  if (!nb || typeof nb !== 'object' || !Array.isArray(nb.cells)) throw new InputError(`${file}: expected a Jupyter notebook with a "cells" array`);
  if (nb.nbformat !== 4) throw new InputError(`${file}: expected nbformat 4, got ${JSON.stringify(nb.nbformat)}`);
  nb.cells.forEach((c: any, i: number) => {
    if (!c || !['code', 'markdown', 'raw'].includes(c.cell_type)) throw new InputError(`${file}: cell ${i}: expected cell_type code, markdown or raw`);
    if (typeof c.source !== 'string' && !Array.isArray(c.source)) throw new InputError(`${file}: cell ${i}: expected "source" text`);
    c.metadata = c.metadata ?? {};
  });
  nb.metadata = nb.metadata ?? {};
  return nb as Notebook;
}

export function hasTag(cell: Cell, tag: string): boolean {
  return Array.isArray(cell.metadata?.tags) && cell.metadata.tags.includes(tag);
}

/** Index of the one code cell tagged `parameters`. */
export function parametersCellIndex(nb: Notebook, file: string): number {
  const found = nb.cells.map((c, i) => (c.cell_type === 'code' && hasTag(c, 'parameters') ? i : -1)).filter((i) => i >= 0);
  if (found.length !== 1) {
    throw new InputError(`${file}: expected exactly one code cell tagged "parameters" (declaring profile, params, runDir), found ${found.length}`);
  }
  return found[0];
}

export function injectedSource(p: NotebookParameters): string {
  return [
    '// Parameters injected by the workbook runner (npm run workbook)',
    // Typed wide on purpose: tslab type-checks every cell, and a literal type ("default")
    // would make a later `profile === "smoke"` a compile error on every other profile.
    `const profile: string = ${JSON.stringify(p.profile)};`,
    `const params: Record<string, unknown> = ${JSON.stringify(p.params)};`,
    `const runDir: string = ${JSON.stringify(p.runDir)};`,
  ].join('\n');
}

/** A copy of `nb` with an `injected-parameters` cell after the `parameters` cell. */
export function injectParameters(nb: Notebook, p: NotebookParameters, file: string): Notebook {
  parametersCellIndex(nb, file);
  const cells: Cell[] = nb.cells.filter((c) => !hasTag(c, 'injected-parameters')).map((c) => ({ ...c, outputs: [], execution_count: null }));
  const injected: Cell = { cell_type: 'code', execution_count: null, metadata: { tags: ['injected-parameters'] }, outputs: [], source: injectedSource(p) };
  for (const c of cells)
    if (c.cell_type !== 'code') {
      delete c.outputs;
      delete c.execution_count;
    }
  const paramsAt = cells.findIndex((c) => hasTag(c, 'parameters'));
  cells.splice(paramsAt + 1, 0, injected);
  return { ...nb, cells };
}

/** `notebooks/*.ipynb`, sorted by name. */
export function listNotebooks(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new InputError(`${dir}: notebooks folder not found`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Pick notebooks: `only` (names or number prefixes, e.g. "02" or "02-sft") and/or `from`
 * (that notebook and every later one). Unknown names are rejected with the valid ones.
 */
export function selectNotebooks(all: string[], opts: { only?: string[]; from?: string }): string[] {
  const names = all.map((f) => path.basename(f, '.ipynb'));
  const find = (q: string, flag: string): number => {
    const key = q.replace(/\.ipynb$/, '');
    const exact = names.indexOf(key);
    if (exact >= 0) return exact;
    const hits = names.map((n, i) => (n.startsWith(key) ? i : -1)).filter((i) => i >= 0);
    if (hits.length === 1) return hits[0];
    const why = hits.length ? `is ambiguous (${hits.map((i) => names[i]).join(', ')})` : 'matches no notebook';
    throw new InputError(`${flag} "${q}" ${why}; expected one of: ${names.join(', ')}`);
  };
  let picked = all.map((_, i) => i);
  if (opts.from) {
    const start = find(opts.from, '--from');
    picked = picked.filter((i) => i >= start);
  }
  if (opts.only && opts.only.length) {
    const want = new Set(opts.only.map((q) => find(q, '--only')));
    picked = picked.filter((i) => want.has(i));
  }
  if (picked.length === 0 && opts.from && opts.only?.length) {
    throw new InputError(`--only ${opts.only.join(',')} names no notebook at or after --from ${opts.from}; drop one of the two`);
  }
  return picked.map((i) => all[i]);
}
