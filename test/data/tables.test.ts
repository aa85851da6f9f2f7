import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadRankings, RankedPrompt, rankingsCsv, rankingsJsonl, toComparisons, toRows } from '../../src/data/tables';
import { exportPairwise, importPairwise, importRankings } from '../../src/data/humans';
import { parseCsv } from '../../src/data/csv';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tables-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const ranked: RankedPrompt[] = [
  {
    prompt_id: 'p1',
    user_id: 'u1',
    labeler_id: 'L01',
    prompt: 'What is the capital of France?',
    answers: ['Paris.', 'Berlin, "maybe".', 'I am not sure,\nreally.', 'Paris, you idiot.'],
    ranks: [3, 3, 2, 1].map((r) => 4 - r),
  },
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
  // a K-way ranking's pairs merge back into that ranking (ties included), in one row per prompt
  assert.deepEqual(
    back.map((r) => r.prompt_id),
    ['p1', 'p2'],
  );
  const byText = (rs: RankedPrompt[]) => rs.map((r) => r.answers.map((a, i) => `${a}:${r.ranks[i]}`).sort());
  assert.deepEqual(byText(back), byText(ranked));
  const sorted = (rows: object[]) => rows.map((r) => JSON.stringify(r)).sort();
  assert.deepEqual(sorted(toComparisons(back)), sorted(exported));
  // a bare TRL / HH-RLHF line works too, and the same prompt maps to the same user
  const bare = path.join(dir, 'bare.jsonl');
  fs.writeFileSync(bare, '{"prompt":"Hi?","chosen":"Hello.","rejected":"Go away."}\n{"prompt":"Hi?","chosen":"Hey.","rejected":"..."}\n');
  const b = importPairwise(bare);
  assert.equal(b[0].labeler_id, 'human');
  assert.equal(b[0].user_id, b[1].user_id);
  assert.notEqual(b[0].prompt_id, b[1].prompt_id);
  // pairs of one prompt id that no single ranking explains stay pairs, with ids of their own
  const loose = path.join(dir, 'loose.jsonl');
  fs.writeFileSync(
    loose,
    ['{"prompt_id":"q","prompt":"Hi?","chosen":"a","rejected":"b"}', '{"prompt_id":"q","prompt":"Hi?","chosen":"c","rejected":"d"}'].join('\n') + '\n',
  );
  const l = importPairwise(loose);
  assert.deepEqual(
    l.map((r) => [r.prompt_id, ...r.answers]),
    [
      ['q#1', 'a', 'b'],
      ['q#2', 'c', 'd'],
    ],
  );
  const table = path.join(dir, 'loose-table.jsonl');
  fs.writeFileSync(table, rankingsJsonl(l));
  assert.deepEqual(loadRankings(table, { human: true }), l, 'what the importer accepts, the loader accepts');
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
  assert.throws(
    () => importRankings(bad),
    (e: Error) => e.message.startsWith(`${bad}:3: "ranks" must be 2 integers`),
  );
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

test("people's rankings: every bad line is reported at once, and nothing is returned", () => {
  const file = path.join(dir, 'people.jsonl');
  const lines = [
    { prompt: 'Best fruit?', answers: ['Apple.', 'Pear.'], ranks: [1, 2] },
    { prompt: 'Same twice?', answers: ['Yes.', 'Yes.'], ranks: [1, 2] },
    { prompt: 'All tie?', answers: ['One.', 'Two.', 'Three.'], ranks: [2, 2, 2] },
    { prompt: 'Empty?', answers: ['Something.', '  '], ranks: [1, 2] },
    { prompt_id: 'dup', prompt: 'First.', answers: ['a', 'b'], ranks: [1, 2] },
    { prompt_id: 'dup', prompt: 'First.', answers: ['c', 'd'], ranks: [2, 1] },
    { prompt: 'Short.', answers: ['x', 'y'], ranks: [1] },
  ];
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  let message = '';
  assert.throws(
    () => importRankings(file),
    (e: Error) => ((message = e.message), true),
  );
  assert.match(message, new RegExp(`^${file}: 5 bad lines:`));
  assert.match(message, new RegExp(`${file}:2: prompt human-000002: answers A and B are the same text but ranked 1 and 2`));
  assert.match(message, new RegExp(`${file}:3: prompt human-000003: all 3 answers tie`));
  assert.match(message, new RegExp(`${file}:4: prompt human-000004: answer B is empty`));
  assert.match(message, new RegExp(`${file}:6: prompt dup is ranked again by labeler human \\(first on line 5\\)`));
  assert.match(message, new RegExp(`${file}:7: "ranks" must be 2 integers`));
  assert.ok(!message.includes(`${file}:1:`), 'the good line is not blamed');
});

test('a file that is not UTF-8 is refused with its line, not read as U+FFFD', () => {
  const file = path.join(dir, 'latin1.jsonl');
  const good = JSON.stringify({ prompt: 'Bonjour?', answers: ['Oui.', 'Non.'], ranks: [1, 2] });
  fs.writeFileSync(
    file,
    Buffer.concat([Buffer.from(good + '\n'), Buffer.from('{"prompt":"Caf'), Buffer.from([0xe9]), Buffer.from('?","answers":["a","b"],"ranks":[1,2]}\n')]),
  );
  assert.throws(() => importRankings(file), new RegExp(`${file}:2: not valid UTF-8 \\(byte 0xe9, byte 15 of the line\\)`));
  assert.throws(() => loadRankings(file), /not valid UTF-8/);
});

test('the loader and the importer share the checks: the table refuses what the importer refuses', () => {
  const file = path.join(dir, 'table.jsonl');
  const same: RankedPrompt = { prompt_id: 's', user_id: 'u', labeler_id: 'L', prompt: 'Q?', answers: ['x', 'x', 'y'], ranks: [1, 2, 3] };
  const tied: RankedPrompt = { prompt_id: 't', user_id: 'u', labeler_id: 'L', prompt: 'Q2?', answers: ['', 'z'], ranks: [1, 1] };
  fs.writeFileSync(file, rankingsJsonl([same, tied]));
  // the workbook's own sampled answers may be empty or tie: only the contradiction is refused
  assert.throws(
    () => loadRankings(file),
    (e: Error) => e.message === `${file}:1: prompt s: answers A and B are the same text but ranked 1 and 2`,
  );
  fs.writeFileSync(file, rankingsJsonl([tied]));
  assert.equal(loadRankings(file).length, 1);
  // people's files are held to the stricter check
  assert.throws(() => loadRankings(file, { human: true }), /2 problems:[\s\S]*answer A is empty[\s\S]*all 2 answers tie/);
});

test('CSV records report the line they start on, across quoted newlines', () => {
  const recs = parseCsv('a,b\n"x\ny",2\nz,3\n');
  assert.deepEqual(
    recs.map((r) => r.line),
    [1, 2, 4],
  );
  assert.deepEqual(recs[1].fields, ['x\ny', '2']);
  assert.throws(() => parseCsv('a\n"open'), /line 2: unterminated/);
});
