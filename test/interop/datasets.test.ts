import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { exportDatasets } from '../../src/interop/datasets';
import { importRankings } from '../../src/data/humans';
import { RankedPrompt, rankingsJsonl, toComparisons } from '../../src/data/tables';
import { formatPrompt } from '../../src/model/tokenizer';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-data-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const ranked: RankedPrompt[] = [
  { prompt_id: 'p1', user_id: 'u1', labeler_id: 'L1', prompt: 'Name a capital.', answers: ['Paris.', 'A city.', 'Blue.'], ranks: [1, 2, 3] },
  { prompt_id: 'p2', user_id: 'u2', labeler_id: 'L2', prompt: 'Say "hi"\nnicely.', answers: ['Hi!', 'hi', 'Go away.'], ranks: [1, 1, 2] },
];

/** A run folder with what 01-data writes (and 04's comparisons when `withReward`). */
function runDir(name: string, withReward: boolean): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const demo = (i: number) => ({
    prompt_id: `d${i}`,
    user_id: `u${i}`,
    labeler_id: 'L1',
    category: 'closed_qa',
    prompt: `Question ${i}?`,
    answer: `Answer ${i}.`,
  });
  fs.writeFileSync(path.join(dir, 'data', 'demonstrations.jsonl'), [demo(1), demo(2)].map((d) => JSON.stringify(d)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'data', 'rankings.jsonl'), rankingsJsonl(ranked));
  const prompt = (i: number) => ({
    prompt_id: `q${i}`,
    user_id: `v${i}`,
    category: 'closed_qa',
    instruction: 'none',
    text: `PPO prompt ${i}`,
    facts: { answers: ['x'] },
  });
  fs.writeFileSync(path.join(dir, 'data', 'prompts-ppo.jsonl'), [prompt(1), prompt(2), prompt(3)].map((p) => JSON.stringify(p)).join('\n') + '\n');
  if (withReward) {
    fs.mkdirSync(path.join(dir, 'reward', 'comparisons'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'reward', 'comparisons', 'train.jsonl'), rankingsJsonl(ranked.slice(0, 1)));
    fs.writeFileSync(path.join(dir, 'reward', 'comparisons', 'train-sources.jsonl'), '{"not":"rankings"}\n');
  }
  return dir;
}

const readRows = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('datasets export as TRL-style JSONL in the episode format, K-way rankings reading back with importRankings', () => {
  const out = path.join(root, 'out');
  const r = exportDatasets(runDir('run', true), out);
  assert.deepEqual(
    r.files.map((f) => f.file),
    ['sft.jsonl', 'preferences-labelers.jsonl', 'rankings-labelers.jsonl', 'preferences-rm-train.jsonl', 'rankings-rm-train.jsonl', 'prompts.jsonl'],
  );
  assert.deepEqual(readRows(path.join(out, 'sft.jsonl'))[1], { prompt: formatPrompt('Question 2?'), completion: 'Answer 2.<|eos|>' });
  const pairs = readRows(path.join(out, 'preferences-labelers.jsonl'));
  const want = toComparisons(ranked);
  assert.equal(pairs.length, want.length); // 3 + 2 strict pairs; the tie is dropped
  assert.equal(pairs.length, 5);
  pairs.forEach((p, i) =>
    assert.deepEqual(p, { prompt: formatPrompt(want[i].prompt), chosen: want[i].chosen + '<|eos|>', rejected: want[i].rejected + '<|eos|>' }),
  );
  const back = importRankings(path.join(out, 'rankings-labelers.jsonl'));
  assert.deepEqual(back, ranked);
  assert.equal(readRows(path.join(out, 'preferences-rm-train.jsonl')).length, 3);
  assert.deepEqual(
    readRows(path.join(out, 'prompts.jsonl')),
    [1, 2, 3].map((i) => ({ prompt: formatPrompt(`PPO prompt ${i}`) })),
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.files.find((f: { file: string }) => f.file === 'sft.jsonl').rows, 2);
  assert.equal(manifest.eos, true);
});

test('eos: false (export --no-eos) leaves <|eos|> off answers, for trainers that append EOS themselves', () => {
  const out = path.join(root, 'out-no-eos');
  const r = exportDatasets(runDir('run-no-eos', true), out, 'episode', { eos: false });
  assert.equal(r.eos, false);
  assert.deepEqual(readRows(path.join(out, 'sft.jsonl'))[1], { prompt: formatPrompt('Question 2?'), completion: 'Answer 2.' });
  const want = toComparisons(ranked);
  readRows(path.join(out, 'preferences-labelers.jsonl')).forEach((p, i) =>
    assert.deepEqual(p, { prompt: formatPrompt(want[i].prompt), chosen: want[i].chosen, rejected: want[i].rejected }),
  );
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).eos, false);
});

test('raw format writes bare texts; a run without 04 exports the labelers rankings only', () => {
  const out = path.join(root, 'raw');
  const r = exportDatasets(runDir('run-raw', false), out, 'raw');
  assert.ok(!r.files.some((f) => f.file.includes('rm-')));
  assert.deepEqual(readRows(path.join(out, 'sft.jsonl'))[0], { prompt: 'Question 1?', completion: 'Answer 1.' });
  assert.deepEqual(readRows(path.join(out, 'preferences-labelers.jsonl'))[0], { prompt: 'Name a capital.', chosen: 'Paris.', rejected: 'A city.' });
});

test('bad input names the file and line; missing data names the notebook; nothing is replaced on failure', () => {
  const run = runDir('run-bad', false);
  const out = path.join(root, 'kept');
  exportDatasets(run, out);
  const before = fs.readFileSync(path.join(out, 'sft.jsonl'), 'utf8');
  const demos = path.join(run, 'data', 'demonstrations.jsonl');
  fs.appendFileSync(demos, '{"prompt_id": "d3"}\n');
  assert.throws(
    () => exportDatasets(run, out),
    (e: Error) => e.message.includes(`${demos}:3`),
  );
  assert.equal(fs.readFileSync(path.join(out, 'sft.jsonl'), 'utf8'), before, 'the earlier export is intact');
  assert.throws(() => exportDatasets(path.join(root, 'nowhere'), path.join(root, 'x')), /run notebook 01-data first/);
  const mine = path.join(root, 'mine');
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, 'a.txt'), 'keep');
  assert.throws(() => exportDatasets(runDir('run-ok', false), mine), /not made by the workbook as a dataset export/);
  assert.throws(() => exportDatasets(runDir('run-ok2', false), path.join(root, 'y'), 'yaml' as never), /--format must be "episode" or "raw"/);
  // never the run folder itself (nor a folder holding it), and never a folder of another kind
  const self = runDir('run-self', false);
  const files = fs.readdirSync(self).sort();
  assert.throws(() => exportDatasets(self, self), /is the run folder .* or holds it; refusing to replace it/);
  assert.throws(() => exportDatasets(self, path.dirname(self)), /or holds it; refusing/);
  assert.throws(() => exportDatasets(self, path.join(self, 'data')), /not made by the workbook as a dataset export/);
  assert.deepEqual(fs.readdirSync(self).sort(), files);
});
