/**
 * `npm run rankings` as a user calls it: people's rankings in any of the three formats are
 * checked and written as the rankings table; a file with bad lines gets every one of them
 * reported (file:line: reason), exit 2, and nothing written.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadRankings, toComparisons } from '../../src/data/tables';
import { importRankings } from '../../src/data/humans';
import { sha256 } from '../../src/util/hash';

const ROOT = path.resolve(__dirname, '../..');
const PEOPLE = path.join(ROOT, 'test/fixtures/people-rankings.jsonl');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-rankings-cli-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function rankings(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/tools/rankings-cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, out: r.stdout.split('\n').filter(Boolean), err: r.stderr.split('\n').filter(Boolean) };
}

test('a K-way file is checked, summarised and written as the rankings table the loader reads', () => {
  const check = rankings('--in', PEOPLE);
  assert.equal(check.status, 0, check.err.join('\n'));
  assert.deepEqual(check.out, [`${PEOPLE}: 24 rankings from 6 users and 1 labeler: 96 answers, 134 comparisons, 10 ties`]);
  for (const ext of ['jsonl', 'csv']) {
    const out = path.join(work, `table.${ext}`);
    const r = rankings('--in', PEOPLE, '--out', out);
    assert.equal(r.status, 0, r.err.join('\n'));
    assert.equal(r.out[1], `-> ${out} (sha256 ${sha256(fs.readFileSync(out))})`);
    assert.match(r.out[2], new RegExp(`npm run workbook -- --param reward.rankings=${out}`));
    assert.deepEqual(loadRankings(out, { human: true }), importRankings(PEOPLE));
  }
  // the table itself is a valid input (format told from its first line), and so are pairs
  const again = rankings('--in', path.join(work, 'table.jsonl'));
  assert.equal(again.status, 0, again.err.join('\n'));
  const pairs = path.join(work, 'pairs.jsonl');
  fs.writeFileSync(
    pairs,
    toComparisons(importRankings(PEOPLE))
      .map((c) => JSON.stringify(c))
      .join('\n') + '\n',
  );
  const fromPairs = rankings('--in', pairs, '--out', path.join(work, 'from-pairs.jsonl'));
  assert.equal(fromPairs.status, 0, fromPairs.err.join('\n'));
  assert.match(fromPairs.out[0], /24 rankings from 6 users and 1 labeler: 96 answers, 134 comparisons, 10 ties$/);
});

test('every bad line is reported at once, exit 2, and nothing is written', () => {
  const bad = path.join(work, 'bad.jsonl');
  const good = fs.readFileSync(PEOPLE, 'utf8').split('\n').slice(0, 3);
  fs.writeFileSync(
    bad,
    [
      ...good,
      JSON.stringify({ prompt: 'Q?', answers: ['same', 'same'], ranks: [1, 2] }),
      '{not json',
      JSON.stringify({ prompt: 'Q2?', answers: ['a', 'b'], ranks: [1, 1] }),
    ].join('\n') + '\n',
  );
  const out = path.join(work, 'never.jsonl');
  const r = rankings('--in', bad, '--out', out);
  assert.equal(r.status, 2);
  assert.equal(r.err.length, 4, r.err.join('\n'));
  assert.equal(r.err[0], `rankings: ${bad}: 3 bad lines:`);
  assert.equal(r.err[1], `  ${bad}:4: prompt human-000004: answers A and B are the same text but ranked 1 and 2`);
  assert.ok(r.err[2].startsWith(`  ${bad}:5: not valid JSON (`), r.err[2]);
  assert.equal(r.err[3], `  ${bad}:6: prompt human-000006: all 2 answers tie (rank 1): the ranking holds no comparison`);
  assert.ok(!fs.existsSync(out), 'nothing written');
  assert.deepEqual(
    fs.readdirSync(work).filter((f) => f.includes('.tmp')),
    [],
    'no temporary file left',
  );
});

test('bad options: the format, the output name, writing over the input', () => {
  const cases: [string[], string][] = [
    [['--in', PEOPLE, '--format', 'csv'], 'rankings: --format must be one of kway, pairwise, table, got "csv"'],
    [['--in', PEOPLE, '--out', path.join(work, 'x.txt')], `rankings: --out must end in .jsonl or .csv, got "${path.join(work, 'x.txt')}"`],
    [['--in', PEOPLE, '--out', PEOPLE], `rankings: --out is the --in file ${PEOPLE}; write the table elsewhere`],
    [['--in', PEOPLE, '--format', 'pairwise'], `rankings: ${PEOPLE}: 24 bad lines:`],
  ];
  for (const [args, line] of cases) {
    const r = rankings(...args);
    assert.equal(r.status, 2, r.err.join('\n'));
    assert.equal(r.err[0], line);
  }
});
