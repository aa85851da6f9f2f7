import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadRankings, RankedPrompt, rankingsCsv, rankingsJsonl, toComparisons, toRows } from '../../src/data/tables';
import { exportPairwise, importPairwise, importRankings } from '../../src/data/humans';
import { parseCsv } from '../../src/data/csv';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tables-'));
const ranked: RankedPrompt[] = [
  { prompt_id: 'p1', user_id: 'u1', labeler_id: 'L01', prompt: 'What is the capital of France?', answers: ['Paris.', 'Berlin, "maybe".', 'I am not sure,\nreally.', 'Paris, you idiot.'], ranks: [3, 3, 2, 1].map((r) => 4 - r) },
  { prompt_id: 'p2', user_id: 'u2', labeler_id: 'L02', prompt: 'List 2 elements.', answers: ['1. Gold\n2. Iron', 'gold'], ranks: [1, 2] },
];

test('rankings round-trip through JSONL and CSV (quotes, commas, newlines in answers)', () => {
  const j = path.join(dir, 'r.jsonl');
  const c = path.join(dir, 'r.csv');
  fs.writeFileSync(j, rankingsJsonl(ranked));
  fs.writeFileSync(c, rankingsCsv(ranked));
  assert.deepEqual(loadRankings(j), ranked);
  assert.deepEqual(loadRankings(c), ranked);
  assert.equal(toRows(ranked).length, 6);
  assert.deepEqual(Object.keys(toRows(ranked)[0]), ['prompt_id', 'user_id', 'labeler_id', 'answer_id', 'rank', 'prompt', 'answer']);
});

test('ties are dropped from pairwise comparisons; the better answer is chosen', () => {
  const pairs = toComparisons(ranked);
  // p1 ranks [1,1,2,3]: C(4,2)=6 pairs minus 1 tie = 5; p2: 1
  assert.equal(pairs.length, 6);
  assert.ok(!pairs.some((p) => (p.chosen === 'Paris.' && p.rejected === 'Berlin, "maybe".') || (p.chosen === 'Berlin, "maybe".' && p.rejected === 'Paris.')));
  assert.ok(pairs.some((p) => p.chosen === 'Paris.' && p.rejected === 'Paris, you idiot.'));
});

test('import/export round trip: rankings -> pairwise JSONL -> import -> same comparisons', () => {
  const file = path.join(dir, 'pairs.jsonl');
  const exported = exportPairwise(file, ranked);
  const back = importPairwise(file);
  assert.equal(back.length, exported.length);
  assert.deepEqual(toComparisons(back), exported);
  // a bare TRL / HH-RLHF line works too, and the same prompt maps to the same user
  const bare = path.join(dir, 'bare.jsonl');
  fs.writeFileSync(bare, '{"prompt":"Hi?","chosen":"Hello.","rejected":"Go away."}\n{"prompt":"Hi?","chosen":"Hey.","rejected":"..."}\n');
  const b = importPairwise(bare);
  assert.equal(b[0].labeler_id, 'human');
  assert.equal(b[0].user_id, b[1].user_id);
  assert.notEqual(b[0].prompt_id, b[1].prompt_id);
});

test('K-way human rankings import into the same table', () => {
  const file = path.join(dir, 'human.jsonl');
  fs.writeFileSync(file, JSON.stringify({ prompt: 'Name a colour.', answers: ['Red.', 'Blue.', 'Fish.'], ranks: [1, 1, 2], labeler_id: 'ann' }) + '\n');
  const [r] = importRankings(file);
  assert.deepEqual(r.ranks, [1, 1, 2]);
  assert.equal(r.labeler_id, 'ann');
  assert.equal(toComparisons([r]).length, 2);
});

test('a malformed row fails with the file, the line and what was expected', () => {
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, '{"prompt":"a","answers":["x","y"],"ranks":[1,2]}\n\n{"prompt":"b","answers":["x","y"],"ranks":[1]}\n');
  assert.throws(() => importRankings(bad), (e: Error) => e.message.startsWith(`${bad}:3: "ranks" must be 2 integers`));
  fs.writeFileSync(bad, '{"prompt":"a","chosen":"x"}\n');
  assert.throws(() => importPairwise(bad), new RegExp(`${bad}:1: "rejected" must be a string`));
  fs.writeFileSync(bad, '{"prompt":"a","chosen":"x","rejected":"y"}\n{oops\n');
  assert.throws(() => importPairwise(bad), new RegExp(`${bad}:2: not valid JSON`));
  const rows = rankingsJsonl(ranked).split('\n');
  rows[4] = rows[4].replace('"rank":1', '"rank":0');
  fs.writeFileSync(bad, rows.join('\n'));
  assert.throws(() => loadRankings(bad), new RegExp(`${bad}:5: "rank" must be an integer >= 1`));
  const csv = path.join(dir, 'bad.csv');
  fs.writeFileSync(csv, rankingsCsv(ranked).replace('L02,A', 'L02,AA'));
  assert.throws(() => loadRankings(csv), /bad\.csv:\d+: "answer_id" must be one letter/);
});

test('CSV records report the line they start on, across quoted newlines', () => {
  const recs = parseCsv('a,b\n"x\ny",2\nz,3\n');
  assert.deepEqual(recs.map((r) => r.line), [1, 2, 4]);
  assert.deepEqual(recs[1].fields, ['x\ny', '2']);
  assert.throws(() => parseCsv('a\n"open'), /line 2: unterminated/);
});
