import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDatasets, DATA_DEFAULTS, writeDatasets } from '../../src/labelers/datasets';
import { loadPrompts } from '../../src/data/prompts';
import { sha256 } from '../../src/util/hash';
import { loadRankings } from '../../src/data/tables';
import { usersInSeveralSplits } from '../../src/data/splits';
import { contamination } from '../../src/data/contamination';
import { Prompt, Split, SPLITS } from '../../src/data/types';
import { comparisonsFrame, rankingsFrame, toComparisons } from '../../src/data/tables';

const small = { ...DATA_DEFAULTS, sizes: { sft: 20, rm: 15, ppo: 10, dev: 6, eval: 8 }, agreementPrompts: 10 };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('same seed -> byte-identical files; another seed -> different data', () => {
  const a = writeDatasets(path.join(root, 'a'), buildDatasets(small));
  const b = writeDatasets(path.join(root, 'b'), buildDatasets(small));
  assert.deepEqual(a.files, b.files);
  for (const f of a.files) {
    const text = fs.readFileSync(path.join(root, 'a', f.file));
    assert.equal(sha256(text), f.sha256, f.file);
    assert.deepEqual(text, fs.readFileSync(path.join(root, 'b', f.file)));
  }
  const c = writeDatasets(path.join(root, 'c'), buildDatasets({ ...small, seed: 2 }));
  assert.notEqual(c.files.find((f) => f.file === 'prompts-sft.jsonl')!.sha256, a.files.find((f) => f.file === 'prompts-sft.jsonl')!.sha256);
});

test('the written files load back: five clean splits without user leaks, their contamination table, rankings with K in range', () => {
  const dir = path.join(root, 'a');
  const splits = Object.fromEntries(SPLITS.map((s) => [s, loadPrompts(path.join(dir, `prompts-${s}.jsonl`))])) as Record<Split, Prompt[]>;
  assert.deepEqual(
    SPLITS.map((s) => splits[s].length),
    [20, 15, 10, 6, 8],
  );
  assert.deepEqual(usersInSeveralSplits(splits), []);
  const table = JSON.parse(fs.readFileSync(path.join(dir, 'contamination.json'), 'utf8'));
  assert.deepEqual(
    table.map((r: { split: string; other: string; prompts: number; verbatim: number; sameTaskSubject: number }) => [
      r.split,
      r.other,
      r.prompts,
      r.verbatim,
      r.sameTaskSubject,
    ]),
    contamination(splits).map((r) => [r.split, r.other, r.prompts, 0, 0]),
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  assert.ok(['prompts-dev.jsonl', 'contamination.json'].every((f) => manifest.files.some((e: { file: string }) => e.file === f)));
  const panel = JSON.parse(fs.readFileSync(path.join(dir, 'panel.json'), 'utf8'));
  assert.deepEqual(
    [panel.filter((l: { dev: boolean }) => l.dev).length, panel.filter((l: { heldOut: boolean }) => l.heldOut).length],
    [DATA_DEFAULTS.panel.devLabelers, DATA_DEFAULTS.panel.heldOutLabelers],
  );
  // demonstrations and rankings are by training labelers only
  const trainers = new Set(panel.filter((l: { dev: boolean; heldOut: boolean }) => !l.dev && !l.heldOut).map((l: { labeler_id: string }) => l.labeler_id));
  assert.ok(loadRankings(path.join(dir, 'rankings.jsonl')).every((r) => trainers.has(r.labeler_id)));
  const ranked = loadRankings(path.join(dir, 'rankings.jsonl'));
  assert.deepEqual(loadRankings(path.join(dir, 'rankings.csv')), ranked);
  assert.equal(ranked.length, 15);
  for (const r of ranked) assert.ok(r.answers.length >= small.kMin && r.answers.length <= small.kMax);
  const rmIds = new Set(splits.rm.map((p) => p.prompt_id));
  assert.ok(ranked.every((r) => rmIds.has(r.prompt_id)));
});

test('a failed write leaves the previous data intact', () => {
  const dir = path.join(root, 'a');
  const before = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
  const ds = buildDatasets(small);
  (ds.prompts as any).sft = null; // makes writing throw midway
  assert.throws(() => writeDatasets(dir, ds));
  assert.equal(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'), before);
  assert.deepEqual(
    fs.readdirSync(root).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('a folder the product did not make is refused and kept; so is a file', () => {
  const foreign = path.join(root, 'thesis');
  fs.mkdirSync(path.join(foreign, 'chapters'), { recursive: true });
  fs.writeFileSync(path.join(foreign, 'chapters', 'ch1.tex'), 'chapter one');
  const ds = buildDatasets(small);
  assert.throws(() => writeDatasets(foreign, ds), /thesis: folder exists and was not made by the workbook.*choose another --out/);
  assert.equal(fs.readFileSync(path.join(foreign, 'chapters', 'ch1.tex'), 'utf8'), 'chapter one');
  const file = path.join(root, 'notes.txt');
  fs.writeFileSync(file, 'keep me');
  assert.throws(() => writeDatasets(file, ds), /notes\.txt/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
  // a folder made by the build is replaced, and now carries its marker
  writeDatasets(path.join(root, 'a'), ds);
  assert.ok(fs.existsSync(path.join(root, 'a', '.rlhf-workbook')));
});

test('bad sizes are rejected by name', () => {
  assert.throws(() => buildDatasets({ ...small, kMin: 1 }), /kMin/);
  assert.throws(() => buildDatasets({ ...small, sizes: { ...small.sizes, rm: -1 } }), /sizes\.rm/);
  assert.throws(() => buildDatasets({ ...small, sizes: { ...small.sizes, dev: 1.5 } }), /sizes\.dev/);
});

test('rankings as a danfo DataFrame with the table columns', () => {
  const df = rankingsFrame(loadRankings(path.join(root, 'a', 'rankings.jsonl')));
  assert.deepEqual(df.columns, ['prompt_id', 'user_id', 'labeler_id', 'answer_id', 'rank', 'prompt', 'answer']);
  assert.ok(df.shape[0] >= 15 * small.kMin);
  const ranked = loadRankings(path.join(root, 'a', 'rankings.jsonl'));
  const pairs = comparisonsFrame(ranked);
  assert.deepEqual(pairs.columns, ['prompt_id', 'user_id', 'labeler_id', 'prompt', 'chosen', 'rejected']);
  assert.equal(pairs.shape[0], toComparisons(ranked).length);
});
