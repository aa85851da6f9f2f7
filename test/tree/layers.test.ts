/**
 * The folders of src/ import one way, lowest first:
 *
 *   util -> engine -> model -> data -> labelers -> rl -> train -> eval | interop -> report -> workbook -> tools
 *
 * A file may import its own folder or any folder to its left, never one to its right (nor
 * the other of `eval | interop`). docs/ARCHITECTURE.md says what lives in each.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const LAYERS: string[][] = [
  ['util'],
  ['engine'],
  ['model'],
  ['data'],
  ['labelers'],
  ['rl'],
  ['train'],
  ['eval', 'interop'],
  ['report'],
  ['workbook'],
  ['tools'],
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as [string, number])));

/** Relative module specifiers of a TypeScript source: import/export ... from, import(), require(). */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)) out.push(m[2]);
  return out;
}

/** `file imports target` lines that go against the layers (paths relative to src/). */
function layerViolations(files: Map<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, source] of files) {
    const from = file.split('/')[0];
    if (!rank.has(from)) {
      bad.push(`${file}: src/${from}/ is in no layer; add it to LAYERS`);
      continue;
    }
    for (const spec of importsOf(source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const to = target.split('/')[0];
      if (to === from || target.startsWith('..')) continue;
      if (!rank.has(to)) bad.push(`${file} imports ${spec}: src/${to}/ is in no layer`);
      else if (rank.get(to)! >= rank.get(from)!) bad.push(`${file} imports ${spec}: ${from} may not import ${to}`);
    }
  }
  return bad;
}

function sources(dir: string, base = dir): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) for (const [k, v] of sources(p, base)) out.set(k, v);
    else if (e.name.endsWith('.ts')) out.set(path.relative(base, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
  }
  return out;
}

test('src/ imports one way through its layers', () => {
  assert.deepEqual(layerViolations(sources(path.join(ROOT, 'src'))), []);
});

test('the layer check finds an import against the order, in each form, and passes the right ones', () => {
  const files = new Map([
    ['train/a.ts', "import { x } from '../eval/x';\nexport { y } from '../report/y';\nconst z = require('../workbook/z');"],
    ['train/b.ts', "import type { T } from '../model/gpt';\nimport { r } from '../rl/gae';\nimport { s } from './c';\n// import { no } from '../tools/no';"],
    ['eval/c.ts', "const m = await import('../interop/m');"],
    ['nowhere/d.ts', ''],
  ]);
  assert.deepEqual(layerViolations(files), [
    'train/a.ts imports ../eval/x: train may not import eval',
    'train/a.ts imports ../report/y: train may not import report',
    'train/a.ts imports ../workbook/z: train may not import workbook',
    'eval/c.ts imports ../interop/m: eval may not import interop',
    'nowhere/d.ts: src/nowhere/ is in no layer; add it to LAYERS',
  ]);
});
