/**
 * --seeds orchestration on a stub of the per-seed runner (not the real notebooks): the seed
 * reaches each run as --param seed=N, each run gets its own folder, and the table is written
 * only when every seed ran ok.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { folderKind, MARKER } from '../../src/util/atomic';
import { InputError } from '../../src/util/jsonl';
import { parseSeeds, RunOne, runSeeds } from '../../src/workbook/replication';
import type { RunOptions } from '../../src/workbook/runner';

const quiet = () => undefined;

/** A stub runner: writes runs/<id>/eval/summary.json whose one claim's estimate is the seed / 10; `fail` seeds exit 1. */
const made: string[] = [];
function tempRuns(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-seeds-'));
  made.push(dir);
  return dir;
}
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function stub(runsDir: string, fail: number[] = []): { runOne: RunOne; calls: Partial<RunOptions>[] } {
  const calls: Partial<RunOptions>[] = [];
  const runOne: RunOne = async (o) => {
    calls.push(o);
    const id = (o.continueRun ?? o.runId)!;
    const seed = Number(o.params!.find((p) => p.startsWith('seed='))!.slice(5));
    const runDir = path.join(runsDir, id);
    fs.mkdirSync(path.join(runDir, 'eval'), { recursive: true });
    const claim = {
      id: 'x',
      claim: 'X',
      paper: 'P',
      ours: '',
      verdict: seed === 3 ? 'does not reproduce' : 'reproduces',
      why: '',
      estimate: seed / 10,
      lower: null,
      upper: null,
      n: 200,
      measure: 'rate',
    };
    fs.writeFileSync(path.join(runDir, 'eval', 'summary.json'), JSON.stringify([claim]));
    return { status: fail.includes(seed) ? 1 : 0, runDir };
  };
  return { runOne, calls };
}

test('one run per seed with --param seed=N, then runs/<id>-replication with the joined table', async () => {
  const runsDir = tempRuns();
  const { runOne, calls } = stub(runsDir);
  const r = await runSeeds({ profile: 'smoke', params: ['data.sftPrompts=30'], runsDir, runId: 'rep', seeds: [1, 2] }, runOne, quiet);
  assert.equal(r.status, 0);
  assert.deepEqual(
    calls.map((c) => [c.runId, c.continueRun, c.params]),
    [
      ['rep-seed1', undefined, ['data.sftPrompts=30', 'seed=1']],
      ['rep-seed2', undefined, ['data.sftPrompts=30', 'seed=2']],
    ],
  );
  const dir = path.join(runsDir, 'rep-replication');
  assert.equal(r.replicationDir, dir);
  assert.equal(folderKind(dir), 'replication');
  assert.deepEqual(fs.readdirSync(dir).sort(), [MARKER, 'replication.csv', 'replication.json', 'replication.md']);
  const rep = JSON.parse(fs.readFileSync(path.join(dir, 'replication.json'), 'utf8'));
  assert.deepEqual([rep.runId, rep.profile, rep.params, rep.seeds], ['rep', 'smoke', { 'data.sftPrompts': 30 }, [1, 2]]);
  assert.equal(rep.claims[0].verdict, 'reproduces');
  assert.ok(Math.abs(rep.claims[0].mean - 0.15) < 1e-12);

  // a fresh run over taken seed folders is refused before anything runs
  await assert.rejects(
    runSeeds({ profile: 'smoke', params: [], runsDir, runId: 'rep', seeds: [2, 3] }, stub(runsDir).runOne, quiet),
    /rep-seed2 already exists/,
  );
  // --continue: existing seeds are continued, a new one starts fresh; the table is replaced whole
  const again = stub(runsDir);
  const c = await runSeeds({ profile: 'smoke', params: [], runsDir, continueRun: 'rep', seeds: [1, 3] }, again.runOne, quiet);
  assert.equal(c.status, 0);
  assert.deepEqual(
    again.calls.map((x) => [x.runId, x.continueRun]),
    [
      [undefined, 'rep-seed1'],
      ['rep-seed3', undefined],
    ],
  );
  const rep2 = JSON.parse(fs.readFileSync(path.join(dir, 'replication.json'), 'utf8'));
  assert.deepEqual(rep2.seeds, [1, 3]);
  assert.equal(rep2.claims[0].verdict, 'not judged');
  assert.match(rep2.claims[0].why, /seeds disagree/);
});

test('a failing seed stops the loop and writes no table', async () => {
  const runsDir = tempRuns();
  const { runOne, calls } = stub(runsDir, [2]);
  const r = await runSeeds({ profile: 'smoke', params: [], runsDir, runId: 'f', seeds: [1, 2, 3] }, runOne, quiet);
  assert.equal(r.status, 1);
  assert.equal(calls.length, 2);
  assert.equal(r.replicationDir, null);
  assert.ok(!fs.existsSync(path.join(runsDir, 'f-replication')));
});

test('bad input is refused in one line before any run', async () => {
  const runsDir = tempRuns();
  const { runOne, calls } = stub(runsDir);
  const bad = async (o: Partial<RunOptions> & { seeds: number[] }, re: RegExp) => {
    await assert.rejects(runSeeds({ profile: 'smoke', params: [], runsDir, ...o }, runOne, quiet), (e: Error) => e instanceof InputError && re.test(e.message));
  };
  await bad({ seeds: [1], params: ['seed=4'] }, /--param seed=\.\.\. and --seeds exclude each other/);
  await bad({ seeds: [1], runId: 'a', continueRun: 'a' }, /exclude each other/);
  await bad({ seeds: [1], params: ['data.nope=1'] }, /data\.nope/);
  fs.mkdirSync(path.join(runsDir, 'z-replication'));
  fs.writeFileSync(path.join(runsDir, 'z-replication', 'mine.txt'), 'keep');
  await bad({ seeds: [1], runId: 'z' }, /z-replication: folder exists and was not made by the workbook/);
  assert.equal(calls.length, 0);
  assert.deepEqual(parseSeeds(['1', '2', '30']), [1, 2, 30]);
  assert.throws(() => parseSeeds(['1', 'x']), /--seeds: expected whole numbers >= 0 separated by commas, got "x"/);
  assert.throws(() => parseSeeds(['-1']), /got "-1"/);
  assert.throws(() => parseSeeds(['2', '2']), /seed 2 is given twice/);
  assert.throws(() => parseSeeds([]), /at least one seed/);
});

test('--continue keeps a seed whose run finished with the same params, so side-by-side seed runs can be joined', async () => {
  const runsDir = tempRuns();
  // seeds 1 and 2 ran on their own as --run-id j-seed<N> --param seed=<N>; seed 2 did not finish
  const made = (seed: number, status: string, params: Record<string, unknown>) => {
    const dir = path.join(runsDir, `j-seed${seed}`, 'eval');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(runsDir, `j-seed${seed}`, 'manifest.json'), JSON.stringify({ status }));
    fs.writeFileSync(path.join(runsDir, `j-seed${seed}`, 'config.json'), JSON.stringify({ profile: 'smoke', params }));
    fs.writeFileSync(
      path.join(dir, 'summary.json'),
      JSON.stringify([
        { id: 'x', claim: 'X', paper: 'P', ours: '', verdict: 'reproduces', why: '', estimate: 0.1, lower: null, upper: null, n: 200, measure: 'rate' },
      ]),
    );
  };
  made(1, 'ok', { seed: 1 });
  made(2, 'failed', { seed: 2 });
  const first = stub(runsDir);
  const r = await runSeeds({ profile: 'smoke', params: [], runsDir, continueRun: 'j', seeds: [1, 2, 3] }, first.runOne, quiet);
  assert.equal(r.status, 0);
  assert.deepEqual(
    r.runDirs,
    [1, 2, 3].map((s) => path.join(runsDir, `j-seed${s}`)),
  );
  assert.deepEqual(
    first.calls.map((x) => [x.runId, x.continueRun]),
    [
      [undefined, 'j-seed2'],
      ['j-seed3', undefined],
    ],
  );
  assert.ok(fs.existsSync(path.join(runsDir, 'j-replication', 'replication.json')));

  // other params are not "finished for this replication": the runner is asked (and refuses in one line)
  made(1, 'ok', { seed: 1, 'data.sftPrompts': 30 });
  const second = stub(runsDir);
  await runSeeds({ profile: 'smoke', params: [], runsDir, continueRun: 'j', seeds: [1] }, second.runOne, quiet);
  assert.deepEqual(
    second.calls.map((x) => x.continueRun),
    ['j-seed1'],
  );
  // --from asks for notebooks again even in a finished run
  made(1, 'ok', { seed: 1 });
  const third = stub(runsDir);
  await runSeeds({ profile: 'smoke', params: [], runsDir, continueRun: 'j', seeds: [1], from: '06' }, third.runOne, quiet);
  assert.deepEqual(
    third.calls.map((x) => x.continueRun),
    ['j-seed1'],
  );
});
