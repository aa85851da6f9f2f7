import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { folderKind, markFolder, MARKER } from '../../src/util/atomic';
import { InputError } from '../../src/util/jsonl';
import { main } from '../../src/tools/results-cli';
import { blockBegin, blockEnd, inspectSource, MAX_TABLE_BYTES, readmeBlocks, resultsBlock, updateReadme } from '../../src/tools/results';
import { replicate, Replication } from '../../src/eval/replication';
import { writeReplication } from '../../src/workbook/replication';

const made: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-results-'));
  made.push(dir);
  return dir;
};
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const CLAIMS = [
  {
    id: 'ptx-vs-gpt',
    claim: 'PPO-ptx large preferred to GPT large',
    paper: '85% ± 3%',
    ours: '61.0% [54.1%, 67.5%]',
    verdict: 'reproduces',
    why: 'w',
    estimate: 0.61,
    lower: 0.541,
    upper: 0.675,
    n: 200,
    measure: 'rate',
  },
  {
    id: 'bias',
    claim: 'no improvement | in bias',
    paper: 'p',
    ours: 'o',
    verdict: 'not judged',
    why: 'no se',
    estimate: -0.01,
    lower: null,
    upper: null,
    n: null,
    measure: 'mean difference',
  },
];
const README = `# x\n\nintro\n\n## Checked-in results\n\ntext\n\n## Next\n\nmore\n`;

/** A run folder as the runner leaves it. */
function fakeRun(
  runsDir: string,
  runId: string,
  o: { profile?: string; status?: string; summary?: boolean; seed?: number; big?: boolean; split?: string } = {},
): string {
  const dir = path.join(runsDir, runId);
  fs.mkdirSync(path.join(dir, 'eval'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'setup'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  markFolder(dir, 'run');
  const profile = o.profile ?? 'default';
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ profile, params: o.seed === undefined ? {} : { seed: o.seed }, config: { evaluation: { split: o.split ?? 'eval' } } }),
  );
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      runId,
      status: o.status ?? 'ok',
      profile,
      seed: o.seed ?? 1234,
      git: { commit: 'abcdef1234567890', dirty: false },
      backend: { backend: 'wasm' },
    }),
  );
  if (o.summary !== false)
    fs.writeFileSync(path.join(dir, 'eval', 'summary.json'), JSON.stringify(CLAIMS.map((c) => ({ ...c, estimate: c.estimate + (o.seed ?? 0) / 100 }))));
  fs.writeFileSync(path.join(dir, 'eval', 'summary.csv'), 'id\n');
  fs.writeFileSync(path.join(dir, 'eval', 'win-rates.csv'), 'kind\n');
  fs.writeFileSync(path.join(dir, 'eval', 'answers.jsonl'), '{}\n');
  if (o.big) fs.writeFileSync(path.join(dir, 'eval', 'big.json'), 'x'.repeat(MAX_TABLE_BYTES));
  fs.writeFileSync(path.join(dir, 'data', 'contamination.json'), '{}');
  fs.writeFileSync(path.join(dir, 'setup', 'engine.json'), '{}');
  fs.writeFileSync(path.join(dir, 'setup', 'versions.json'), '[]');
  return dir;
}

function cli(args: string[]): string[] {
  const lines: string[] = [];
  main(args, (l) => lines.push(l));
  return lines;
}

test('a finished run: its small tables and records into results/<profile>/, and README gets its block', () => {
  const runs = tmp();
  const out = tmp();
  const readme = path.join(tmp(), 'README.md');
  fs.writeFileSync(readme, README);
  fakeRun(runs, 'r1', { big: true });
  const lines = cli(['--from', path.join(runs, 'r1'), '--out', out, '--readme-file', readme]);
  assert.equal(lines.length, 2);
  const dir = path.join(out, 'default');
  assert.equal(folderKind(dir), 'results');
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    MARKER,
    'README.md',
    'config.json',
    'contamination.json',
    'engine.json',
    'manifest.json',
    'summary.csv',
    'summary.json',
    'versions.json',
    'win-rates.csv',
  ]);
  const generated = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  assert.match(generated, /- run: `r1`/);
  assert.match(generated, /- made by: `npm run workbook -- --profile default --run-id r1`/);
  assert.match(generated, /- commit of the run: `abcdef1234567890`; backend `wasm`/);
  assert.match(generated, /Left out \(200 kB or more\): `eval\/big\.json \(200 kB\)`/);
  const text = fs.readFileSync(readme, 'utf8');
  assert.deepEqual(
    readmeBlocks(text).map((b) => b.profile),
    ['default'],
  );
  assert.ok(text.includes(`text\n\n${resultsBlock(dir)}\n\n## Next\n`), text);
  assert.match(resultsBlock(dir), /^<!-- results:default:begin -->\nRun `r1` \(profile `default`, commit abcdef1\)/);
  assert.match(resultsBlock(dir), /\| no improvement \\\| in bias \| p \| o \| \*\*not judged\*\* \|/);
  // again: the folder is replaced whole, README unchanged
  assert.deepEqual(cli(['--from', path.join(runs, 'r1'), '--out', out, '--readme-file', readme]).slice(1), [
    `${path.relative(process.cwd(), readme)}: results blocks already up to date`,
  ]);
});

test('refusals: one line naming the folder, nothing written', () => {
  const runs = tmp();
  const out = tmp();
  const readme = path.join(tmp(), 'README.md');
  fs.writeFileSync(readme, README);
  const refused = (args: string[], re: RegExp) =>
    assert.throws(
      () => cli([...args, '--out', out, '--readme-file', readme]),
      (e: Error) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'),
    );
  const plain = path.join(runs, 'plain');
  fs.mkdirSync(plain);
  refused(['--from', plain], /plain: not a workbook run folder \(no \.rlhf-workbook marker of kind run\)/);
  refused(['--from', path.join(runs, 'nope')], /nope: not found/);
  fakeRun(runs, 'failed', { status: 'failed' });
  refused(['--from', path.join(runs, 'failed')], /failed: the run did not finish \(manifest status "failed"\)/);
  fakeRun(runs, 'smoke', { profile: 'smoke' });
  refused(['--from', path.join(runs, 'smoke')], /smoke: a smoke run .*--allow-smoke/);
  fakeRun(runs, 'dev', { split: 'dev' });
  refused(['--from', path.join(runs, 'dev')], /dev: evaluated on the dev split \(a tuning read-out\); results come only from the sealed evaluation/);
  fakeRun(runs, 'no-eval', { summary: false });
  refused(['--from', path.join(runs, 'no-eval')], /no-eval: no eval\/summary\.json/);
  fakeRun(runs, 'a');
  fakeRun(runs, 'b');
  refused(['--from', path.join(runs, 'a'), '--from', path.join(runs, 'b')], /two sources of profile default/);
  refused([], /give --from runs\/<run-id> \(repeatable\) or --readme/);
  assert.deepEqual(fs.readdirSync(out), []);
  assert.equal(fs.readFileSync(readme, 'utf8'), README);
  // smoke with --allow-smoke is copied into results/smoke/
  cli(['--from', path.join(runs, 'smoke'), '--allow-smoke', '--out', out, '--readme-file', readme]);
  assert.equal(folderKind(path.join(out, 'smoke')), 'results');
  // a folder at results/<profile> that npm run results did not make is never replaced
  fs.mkdirSync(path.join(out, 'default'));
  fs.writeFileSync(path.join(out, 'default', 'notes.txt'), 'mine');
  assert.throws(() => cli(['--from', path.join(runs, 'a'), '--out', out, '--readme-file', readme]), /default: folder exists and was not made by the workbook/);
  assert.equal(fs.readFileSync(path.join(out, 'default', 'notes.txt'), 'utf8'), 'mine');
});

test('a replication: its table, each seed under seed-<N>/, and a README block across seeds', () => {
  const runs = tmp();
  const out = tmp();
  const readme = path.join(tmp(), 'README.md');
  fs.writeFileSync(readme, README);
  const seeds = [1, 2];
  for (const s of seeds) fakeRun(runs, `rep-seed${s}`, { seed: s });
  // 07 ran in both seeds: its table goes along and into the README block
  const method = (m: string, n: number, win: number | null, seconds: number) => ({
    size: 'large',
    method: m,
    n,
    winRate: win,
    lower: win === null ? null : win - 0.05,
    upper: win === null ? null : win + 0.05,
    kl: m === 'SFT' ? 0 : 1,
    rmScore: 0.5,
    taxAccuracy: m === 'best-of-n' ? null : 0.2,
    seconds,
    optimiserSteps: 10,
  });
  for (const s of seeds) {
    fs.mkdirSync(path.join(runs, `rep-seed${s}`, 'after'), { recursive: true });
    fs.writeFileSync(
      path.join(runs, `rep-seed${s}`, 'after', 'after-methods.json'),
      JSON.stringify([method('SFT', 0, null, 0), method('best-of-n', 4, 0.5 + s / 100, 10 * s), method('DPO', 0, 0.6, 100)]),
    );
  }
  const r: Replication = {
    runId: 'rep',
    profile: 'default',
    params: {},
    seeds,
    runs: seeds.map((seed) => ({ seed, runId: `rep-seed${seed}` })),
    claims: replicate(
      seeds.map((seed) => ({
        seed,
        runId: `rep-seed${seed}`,
        claims: JSON.parse(fs.readFileSync(path.join(runs, `rep-seed${seed}`, 'eval', 'summary.json'), 'utf8')),
      })),
    ),
  };
  writeReplication(path.join(runs, 'rep-replication'), r);
  assert.equal(inspectSource(path.join(runs, 'rep-replication')).kind, 'replication');
  cli(['--from', path.join(runs, 'rep-replication'), '--out', out, '--readme-file', readme]);
  const dir = path.join(out, 'default');
  assert.deepEqual(fs.readdirSync(dir).sort(), [MARKER, 'README.md', 'replication.csv', 'replication.json', 'replication.md', 'seed-1', 'seed-2']);
  assert.ok(fs.existsSync(path.join(dir, 'seed-2', 'summary.json')));
  assert.ok(fs.existsSync(path.join(dir, 'seed-2', 'after-methods.json')), "07's table copied with its seed");
  const generated = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  assert.match(generated, /- replication `rep-replication` of runs: `rep-seed1`, `rep-seed2`/);
  assert.match(generated, /- made by: `npm run workbook -- --profile default --run-id rep --seeds 1,2`/);
  const block = resultsBlock(dir);
  assert.match(block, /^<!-- results:default:begin -->\nReplication `rep` over seeds 1, 2/);
  assert.match(
    block,
    /\| PPO-ptx large preferred to GPT large \| 85% ± 3% \| mean 62\.5% \(62\.0%\.\.63\.0%, sd 0\.7 points\) over 2 of 2 seeds \| \*\*reproduces\*\* \|/,
  );
  assert.ok(fs.readFileSync(readme, 'utf8').includes(block));
  assert.match(block, /07-after-instructgpt, from `after-methods\.json` \(seeds 1 \/ 2\)/);
  assert.match(block, /\| large \| SFT \| baseline \/ baseline \| 0\.00 \| 0\.500 \| 20\.0% \| 0 \| 10 \|/);
  assert.match(block, /\| large \| best-of-4 \| 51\.0% \[46\.0%, 56\.0%\] \/ 52\.0% \[47\.0%, 57\.0%\] \| 1\.00 \| 0\.500 \| — \| 15 \| 10 \|/);
  // a seed that did not finish refuses the whole replication
  fs.writeFileSync(
    path.join(runs, 'rep-seed2', 'manifest.json'),
    JSON.stringify({ runId: 'rep-seed2', status: 'interrupted', profile: 'default', reason: 'SIGINT during 03-sft' }),
  );
  assert.throws(
    () => inspectSource(path.join(runs, 'rep-replication')),
    /rep-seed2: the run did not finish \(manifest status "interrupted": SIGINT during 03-sft\)/,
  );
});

test('updateReadme: replaces a block in place, adds a missing one to its section, removes one whose folder is gone', () => {
  const out = tmp();
  const runs = tmp();
  const readmeFile = path.join(tmp(), 'README.md');
  fs.writeFileSync(readmeFile, README);
  fakeRun(runs, 'r');
  cli(['--from', path.join(runs, 'r'), '--out', out, '--readme-file', readmeFile]);
  const current = fs.readFileSync(readmeFile, 'utf8');
  const stale = current.replace(/61\.0%/, '99.9%');
  assert.notEqual(stale, current);
  assert.equal(updateReadme(stale, out), current);
  const orphan = `${current}\n${blockBegin('gone')}\nold\n${blockEnd('gone')}\n`;
  assert.equal(updateReadme(orphan, out), current);
  assert.equal(updateReadme(current, tmp()), README, 'no results: every block removed, the README as it was');
  assert.throws(() => updateReadme('# no section\n', out), /no "## Checked-in results" section/);
});
