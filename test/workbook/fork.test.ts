/**
 * --fork: a new run that copies the notebooks before its first selected one from another
 * run. Unit checks of the plan (what may differ, what must have finished), then one fork
 * through the real runner and kernel: the copied stage is not run again, the re-run stage
 * sees the new param, the base is untouched, and a refused fork writes nothing.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { differences, planFork, SECTION_FIRST_READER } from '../../src/workbook/fork';
import { parseParams } from '../../src/workbook/params';
import { profileConfig } from '../../src/workbook/profiles';
import { InputError } from '../../src/util/jsonl';
import { codeNotebook, PARAMETERS_CELL } from '../notebooks/build-notebook';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-fork-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const NAMES = ['00-setup', '01-data', '02-pretrain', '03-sft', '04-reward-model', '05-ppo', '06-evaluation'];

/** A finished base run folder (no notebooks executed: only what planFork reads). */
function baseRun(id: string, params: string[], status: Record<string, string> = {}): string {
  const dir = path.join(work, 'plan', id);
  const { params: p, config } = parseParams('smoke', params);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ profile: 'smoke', params: p, config }));
  const notebooks = NAMES.map((name) => ({ name, status: status[name] ?? 'ok', seconds: 1 }));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ runId: id, git: { commit: 'abc' }, notebooks }));
  for (const f of ['setup', 'data', 'tokenizer', 'pretrain', 'sft', 'reward', 'ppo', 'eval']) fs.mkdirSync(path.join(dir, f));
  return dir;
}

test('every config section names the first notebook that reads it, and no earlier notebook mentions it', () => {
  const sections = Object.keys(profileConfig('default')).sort();
  assert.deepEqual(Object.keys(SECTION_FIRST_READER).sort(), sections);
  for (const file of fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb'))) {
    const source = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', file), 'utf8'))
      .cells.filter((c: any) => c.cell_type === 'code')
      .map((c: any) => [].concat(c.source).join(''))
      .join('\n');
    for (const [section, reader] of Object.entries(SECTION_FIRST_READER)) {
      if (file.slice(0, 2) < reader)
        assert.ok(!new RegExp(`\\bcfg\\.${section}\\b`).test(source), `${file} reads cfg.${section}, whose first reader is said to be ${reader}`);
    }
  }
});

test('differences lists changed leaves by dotted path, absent keys included', () => {
  assert.deepEqual(differences({ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [1, 2], d: true } }), [
    ['a.b', '1', '2'],
    ['a.d', 'absent', 'true'],
  ]);
  assert.deepEqual(differences({ x: { y: 1 } }, { x: { y: 1 } }), []);
});

test('a fork from 05 may change ppo.* and evaluation.*, and copies 00-04', () => {
  const base = baseRun('b1', []);
  const { config } = parseParams('smoke', ['ppo.trainer.ptxCoef=0.5', 'evaluation.split=dev']);
  const plan = planFork(base, 'smoke', config, NAMES, '05-ppo');
  assert.deepEqual(plan.copied, NAMES.slice(0, 5));
  assert.equal(plan.baseCommit, 'abc');
});

test('a fork refuses a param read by a copied notebook, naming the key, both values and the notebook', () => {
  const base = baseRun('b2', ['reward.lr=0.001']);
  const { config } = parseParams('smoke', []);
  assert.throws(
    () => planFork(base, 'smoke', config, NAMES, '05-ppo'),
    (e: Error) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /reward\.lr is 0\.001 in b2 and .* here, but 04-reward-model reads it and would be copied, not run; run from 04/);
      return true;
    },
  );
  // the same change is fine when 04 is run again
  assert.equal(planFork(base, 'smoke', config, NAMES, '04-reward-model').copied.length, 4);
});

test('a fork refuses a base whose copied notebook did not finish, another profile, or nothing to copy', () => {
  const { config } = parseParams('smoke', []);
  const failed = baseRun('b3', [], { '03-sft': 'failed' });
  assert.throws(() => planFork(failed, 'smoke', config, NAMES, '05-ppo'), /03-sft did not finish in b3 \(failed\); finish it there first \(--continue b3\)/);
  assert.throws(() => planFork(baseRun('b4', []), 'default', parseParams('default', []).config, NAMES, '05-ppo'), /b4 was made with --profile smoke/);
  assert.throws(() => planFork(baseRun('b5', []), 'smoke', config, NAMES, '00-setup'), /nothing would be copied from b5/);
  assert.throws(() => planFork(path.join(work, 'plan', 'nope'), 'smoke', config, NAMES, '05-ppo'), /--fork: .*nope not found/);
  fs.rmSync(path.join(work, 'plan', 'b5', 'sft'), { recursive: true });
  assert.throws(() => planFork(path.join(work, 'plan', 'b5'), 'smoke', config, NAMES, '05-ppo'), /b5\/sft not found, though 03-sft finished there/);
});

// --- through the real runner and kernel ---------------------------------------------------

const notebooksDir = path.join(work, 'notebooks');
const runsDir = path.join(work, 'runs');

function notebook(file: string, body: string) {
  fs.writeFileSync(path.join(notebooksDir, file), JSON.stringify(codeNotebook([PARAMETERS_CELL, body])));
}

function workbook(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/workbook/cli.ts'), '--notebooks-dir', notebooksDir, '--runs-dir', runsDir, ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', WORKBOOK_PNG: '0' },
    },
  );
  return { status: r.status, stderr: r.stderr };
}

const readJson = (...p: string[]) => JSON.parse(fs.readFileSync(path.join(...p), 'utf8'));

test('a fork through the runner: 00 copied (not run again), 05 run with the new param, the base untouched', () => {
  fs.mkdirSync(notebooksDir, { recursive: true });
  // 00 writes a random number: a copy keeps it, a re-run would not
  notebook(
    '00-first.ipynb',
    'import * as fs from "fs";\nfs.mkdirSync(`${runDir}/setup`, { recursive: true });\nfs.writeFileSync(`${runDir}/setup/first.json`, JSON.stringify({ draw: Math.random() }));',
  );
  notebook(
    '05-second.ipynb',
    'import * as fs from "fs";\nconst first = JSON.parse(fs.readFileSync(`${runDir}/setup/first.json`, "utf8"));\nfs.mkdirSync(`${runDir}/ppo`, { recursive: true });\nfs.writeFileSync(`${runDir}/ppo/second.json`, JSON.stringify({ draw: first.draw, params: params }));',
  );
  const base = workbook('--profile', 'smoke', '--run-id', 'base', '--no-report');
  assert.equal(base.status, 0, base.stderr);
  const baseFiles = () => fs.readdirSync(path.join(runsDir, 'base'), { recursive: true }).map(String).sort();
  const before = { files: baseFiles(), second: readJson(runsDir, 'base/ppo/second.json') };

  const fork = workbook('--profile', 'smoke', '--fork', 'base', '--run-id', 'fork', '--from', '05', '--param', 'ppo.trainer.ptxCoef=0.5');
  assert.equal(fork.status, 0, fork.stderr);
  assert.match(fork.stderr, /copying 00-first from base/);
  const dir = path.join(runsDir, 'fork');
  assert.deepEqual(readJson(dir, 'setup/first.json'), readJson(runsDir, 'base/setup/first.json'), '00 copied, not run again');
  const second = readJson(dir, 'ppo/second.json');
  assert.equal(second.draw, readJson(runsDir, 'base/setup/first.json').draw, '05 read the copied artefact');
  assert.equal(second.params['ppo.trainer.ptxCoef'], 0.5, '05 ran with the new param');
  const manifest = readJson(dir, 'manifest.json');
  assert.equal(manifest.status, 'ok');
  assert.deepEqual(manifest.forkedFrom, { runId: 'base', commit: readJson(runsDir, 'base/manifest.json').git.commit, notebooks: ['00-first'] });
  assert.deepEqual(
    manifest.notebooks.map((n: any) => `${n.name}:${n.status}`),
    ['00-first:ok', '05-second:ok'],
  );
  assert.deepEqual(
    readJson(dir, 'timings.json').notebooks.map((n: any) => n.name),
    ['00-first', '05-second'],
  );
  assert.ok(fs.existsSync(path.join(dir, 'notebooks/00-first.ipynb')), "the copied notebook's executed copy is there for the report");
  assert.ok(fs.existsSync(path.join(dir, 'report/index.html')), fork.stderr);
  const index = fs.readFileSync(path.join(dir, 'report/index.html'), 'utf8');
  assert.match(index, /Forked from run <code>base<\/code> \(commit <code>[^<]+<\/code>\): 00-first copied from it, not run here/);
  assert.match(index, /ok \(copied from run base\)/);
  assert.ok(fs.existsSync(path.join(dir, 'report/00-first.html')), 'the copied notebook has its page');
  assert.deepEqual(baseFiles(), before.files, 'the base gained or lost no file');
  assert.deepEqual(readJson(runsDir, 'base/ppo/second.json'), before.second, "the base's own 05 output is unchanged");

  // a fork that would copy a notebook reading the changed param: one line, exit 2, nothing written
  const refused = workbook('--profile', 'smoke', '--fork', 'base', '--run-id', 'fork2', '--from', '05', '--param', 'data.sftPrompts=9', '--no-report');
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr.trim(), /^workbook: --fork: data\.sftPrompts is \d+ in base and 9 here, but 00-first reads it/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
  assert.ok(!fs.existsSync(path.join(runsDir, 'fork2')), 'nothing written');
});
