/**
 * Tree-wide checks that keep the GPU path working: no synchronous tensor read in `src/`
 * (webgpu cannot do one in Node), and no promise started and left un-awaited in `src/` or
 * `test/` (after a function became async, a missed `await` type-checks but runs out of order).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { floatingPromises } from './floating-promises';

const ROOT = path.resolve(__dirname, '../..');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('src/ reads tensors only asynchronously (no dataSync / arraySync / bufferSync)', () => {
  const hits: string[] = [];
  for (const file of tsFiles(path.join(ROOT, 'src'))) {
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, ''); // comments may name them
        if (/\.(dataSync|arraySync|bufferSync)\s*\(/.test(code)) hits.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(hits, [], 'use engine/readback.ts (await t.data()) instead');
});

test('no promise is left un-awaited in src/ or test/', () => {
  const files = [...tsFiles(path.join(ROOT, 'src')), ...tsFiles(path.join(ROOT, 'test'))];
  const found = floatingPromises(files, path.join(ROOT, 'tsconfig.json')).map((f) => `${f.file}:${f.line}: ${f.text}`);
  assert.deepEqual(found, []);
});

test('the checker itself finds a floating promise and accepts the awaited, voided and handled ones', () => {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'floating-'));
  const file = path.join(dir, 'sample.ts');
  fs.writeFileSync(
    file,
    [
      'async function f(): Promise<number> { return 1; }',
      'async function g(): Promise<void> {',
      '  f();',
      '  await f();',
      '  void f();',
      '  f().catch(() => 0);',
      '  [1, 2].forEach(async () => { await f(); });',
      '}',
      'void g();',
    ].join('\n'),
  );
  const found = floatingPromises([file], path.join(ROOT, 'tsconfig.json'));
  fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(
    found.map((f) => f.line),
    [3, 7],
  );
});
