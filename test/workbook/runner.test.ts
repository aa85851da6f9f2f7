/**
 * The runner end to end on fixture notebooks (test/notebooks/fixtures), through the CLI as
 * a user calls it. Bad input must exit non-zero with one line and write nothing.
 */
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/notebooks/fixtures');
const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-runner-test-'));
// people's rankings with one bad line, and good ones from a single user (nobody to hold out)
const inputs = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-runner-inputs-'));
const badRankings = path.join(inputs, 'bad-rankings.jsonl');
fs.writeFileSync(badRankings, ['{"prompt":"Q?","answers":["a","b"],"ranks":[1,2]}', '{"prompt":"Q2?","answers":["x","x"],"ranks":[1,2]}'].join('\n') + '\n');
const oneUser = path.join(inputs, 'one-user.jsonl');
fs.writeFileSync(
  oneUser,
  ['{"prompt":"Q?","answers":["a","b"],"ranks":[1,2],"user_id":"u"}', '{"prompt":"Q2?","answers":["x","y"],"ranks":[2,1],"user_id":"u"}'].join('\n') + '\n',
);

function workbook(...args: string[]) {
  return workbookWithEnv({}, ...args);
}

function workbookWithEnv(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/workbook/cli.ts'), '--notebooks-dir', FIXTURES, '--runs-dir', runs, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', WORKBOOK_PNG: '0', ...env },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** A JUPYTER_PATH holding one kernel spec `name` that starts `program` (Jupyter searches it first). */
function kernelSpecDir(name: string, program: string): string {
  const jupyterPath = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-kernels-'));
  fs.mkdirSync(path.join(jupyterPath, 'kernels', name), { recursive: true });
  fs.writeFileSync(
    path.join(jupyterPath, 'kernels', name, 'kernel.json'),
    JSON.stringify({ argv: [program, 'kernel', '--config-path', '{connection_file}'], display_name: name, language: 'typescript' }),
  );
  return jupyterPath;
}

function outputsText(nbFile: string): string[] {
  const nb = JSON.parse(fs.readFileSync(nbFile, 'utf8'));
  return nb.cells.map((c: any) => (c.outputs ?? []).map((o: any) => [].concat(o.text ?? o.data?.['text/plain'] ?? '').join('')).join(''));
}

test('an injected parameter reaches the notebook', () => {
  const r = workbook('--only', 'params', '--profile', 'smoke', '--param', 'data.sftPrompts=7', '--run-id', 'params-ok', '--no-report');
  assert.equal(r.status, 0, r.stderr);
  const runDir = path.join(runs, 'params-ok');
  const nb = JSON.parse(fs.readFileSync(path.join(runDir, 'notebooks/params.ipynb'), 'utf8'));
  const tags = nb.cells.map((c: any) => c.metadata.tags?.[0] ?? '');
  assert.deepEqual(tags.slice(1, 3), ['parameters', 'injected-parameters'], 'injected right after the parameters cell');
  const printed = outputsText(path.join(runDir, 'notebooks/params.ipynb')).join('\n');
  const seen = JSON.parse(/PARAM-CHECK (.*)/.exec(printed)![1]);
  assert.deepEqual(seen, { profile: 'smoke', sft: 7, runDir });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'fixture/seen.json'), 'utf8')), { profile: 'smoke', params: { 'data.sftPrompts': 7 } });
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'ok');
  assert.equal(manifest.profile, 'smoke');
  assert.match(manifest.git.commit, /^[0-9a-f]{40}$/);
  assert.equal(manifest.versions['@tensorflow/tfjs'], '4.22.0');
  const timings = JSON.parse(fs.readFileSync(path.join(runDir, 'timings.json'), 'utf8'));
  assert.equal(timings.notebooks[0].cells.length, 4, 'a timing per code cell');
  const load = timings.notebooks[0].load;
  assert.ok(load.samples >= 2 && load.max >= load.mean && load.mean >= 0, `the load while it ran: ${JSON.stringify(load)}`);
  assert.equal(manifest.machine.cpus, os.cpus().length);
  assert.ok(manifest.machine.cpuModel.length > 0 && manifest.machine.memoryGiB > 0, JSON.stringify(manifest.machine));
  assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')).config.data.sftPrompts, 7);
});

test('a throwing cell: non-zero exit naming notebook and cell, its source and stderr; partial notebook kept', () => {
  const r = workbook('--only', 'throws', '--profile', 'smoke', '--run-id', 'throws');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /throws\.ipynb failed at cell index 3 \(code cell 4 of 5\)/);
  assert.match(r.stderr, /--- cell index 3: source ---\nconst answer: number = 41;/);
  assert.match(r.stderr, /--- stderr ---[\s\S]*Error: fixture failure: the answer is 41/);
  const file = path.join(runs, 'throws/notebooks/throws.ipynb');
  const outs = outputsText(file);
  assert.match(outs[2], /before the failure/, 'cells before the failure kept their output');
  assert.match(outs[3], /fixture failure/);
  assert.equal(outs[4], '', 'no cell ran after the failure');
  const manifest = JSON.parse(fs.readFileSync(path.join(runs, 'throws/manifest.json'), 'utf8'));
  assert.deepEqual(manifest.notebooks[0], { name: 'throws', status: 'failed', seconds: manifest.notebooks[0].seconds, failedCell: 3 });
  assert.equal(manifest.status, 'failed');
  assert.match(manifest.reason, /^throws: code cell 4 of 5 \(cell index 3\) failed: .*fixture failure: the answer is 41/);
  assert.ok(fs.existsSync(path.join(runs, 'throws/report/throws.html')), 'report of the partial run');
});

test('a cell past --cell-timeout: exit 1, and one line that says so and how to continue the run with more time', () => {
  const r = workbook('--only', 'sleeps', '--profile', 'smoke', '--run-id', 'cell-timeout', '--cell-timeout', '2', '--param', 'data.sftPrompts=7');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /A cell timed out while it was being executed, after 2 seconds/);
  assert.match(r.stderr, /\nthe cell ran past --cell-timeout 2 s \(a busy or slow machine\); it keeps what it checkpointed\.\n/);
  assert.match(
    r.stderr,
    /\ncontinue with: npm run workbook -- --continue cell-timeout --profile smoke --from sleeps --cell-timeout 4 --param data\.sftPrompts=7\n/,
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(runs, 'cell-timeout/manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'failed');
});

test("a kernel that dies: one line naming the notebook, the kernel's own stderr, and a failed manifest with the reason", () => {
  const r = workbook('--only', 'dies', '--profile', 'smoke', '--run-id', 'dies', '--no-report');
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /workbook: dies\.ipynb did not run: the kernel died: Kernel died\nkernel stderr:\n[\s\S]*fixture: the kernel ends itself with status 7/,
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(runs, 'dies/manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'failed');
  assert.equal(manifest.reason, 'dies: the kernel died: Kernel died');
  assert.match(outputsText(path.join(runs, 'dies/notebooks/dies.ipynb'))[2], /before the kernel ends/, 'the cells before it kept their output');
});

const BAD: [string, string[], RegExp][] = [
  ['unknown profile', ['--profile', 'huge'], /^workbook: --profile: unknown profile "huge" \(expected one of: smoke, default, gpu, paper\)$/],
  [
    'unknown --param key',
    ['--param', 'data.sftPrompt=3'],
    /^workbook: --param: unknown key "data.sftPrompt" \(known: sftPrompts, rmPrompts, ppoPrompts, devPrompts, evalPrompts[^)]*\)$/,
  ],
  ['wrong value type', ['--param', 'data.sftPrompts=many'], /^workbook: --param: "data.sftPrompts" must be a number, got "many"$/],
  ['notebook not valid JSON', ['--only', 'not-json'], /^workbook: .*not-json\.ipynb: not valid JSON \(.*\); expected a Jupyter notebook \(nbformat 4\)$/],
  ['notebook without a parameters cell', ['--only', 'no-params'], /^workbook: .*no-params\.ipynb: expected exactly one code cell tagged "parameters"/],
  [
    'missing kernel spec',
    ['--only', 'params', '--kernel', 'no-such-kernel'],
    /^workbook: kernel spec "no-such-kernel" not found \(installed: .*tslab.*\); run `npm run setup`/,
  ],
  ['unknown notebook', ['--only', '99'], /^workbook: --only "99" matches no notebook; expected one of: dies, no-params, not-json, params, sleeps, throws$/],
  [
    'run folder that exists',
    ['--only', 'params', '--run-id', 'params-ok'],
    /already exists; choose another --run-id, or --continue params-ok to add to it \(earlier runs are never overwritten\)$/,
  ],
  [
    '--continue with other params',
    ['--only', 'params', '--continue', 'params-ok'],
    /^workbook: --continue: params-ok was made with --profile smoke and params \{"data.sftPrompts":7\}; pass the same to continue it/,
  ],
  ['a count out of range', ['--only', 'params', '--param', 'data.sftPrompts=2.5'], /^workbook: --param: data\.sftPrompts must be an integer >= 1, got 2\.5$/],
  ['one model size', ['--only', 'params', '--param', 'models.sizes=[1]'], /^workbook: --param: models\.sizes must list three sizes/],
  ['a run id of dots', ['--only', 'params', '--run-id', '.'], /^workbook: run id "\.": expected letters, digits/],
  [
    '--only before --from',
    ['--from', 'throws', '--only', 'params'],
    /^workbook: --only params names no notebook at or after --from throws; drop one of the two$/,
  ],
  [
    "people's rankings with a bad line",
    ['--only', 'params', '--param', `reward.rankings=${badRankings}`],
    /^workbook: --param reward\.rankings: .*bad-rankings\.jsonl:2: prompt human-000002: answers A and B are the same text but ranked 1 and 2$/,
  ],
  [
    "people's rankings from one user",
    ['--only', 'params', '--param', `reward.rankings=${oneUser}`],
    /^workbook: --param reward\.rankings: .*one-user\.jsonl: 2 rankings from 1 user leave no training rankings when \d+% of users are held out; rankings from more users are needed$/,
  ],
  [
    "people's rankings that do not exist",
    ['--only', 'params', '--param', 'reward.rankings=no/such.jsonl'],
    /^workbook: --param reward\.rankings: .*no\/such\.jsonl: file not found$/,
  ],
  [
    '--continue of a run that does not exist',
    ['--only', 'params', '--continue', 'nope'],
    /^workbook: --continue: .*nope not found; expected a run folder made by npm run workbook$/,
  ],
];

for (const [what, args, message] of BAD) {
  test(`bad input, ${what}: one clear line, exit 2, nothing written`, () => {
    const before = fs.readdirSync(runs).sort();
    const stamp = fs.existsSync(path.join(runs, 'params-ok/manifest.json')) ? fs.readFileSync(path.join(runs, 'params-ok/manifest.json'), 'utf8') : null;
    const named = args.includes('--run-id') || args.includes('--continue');
    const r = workbook('--profile', 'smoke', ...args, ...(named ? [] : ['--run-id', `bad-${before.length}`]));
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], message);
    assert.deepEqual(fs.readdirSync(runs).sort(), before, 'no run folder created');
    if (stamp !== null) assert.equal(fs.readFileSync(path.join(runs, 'params-ok/manifest.json'), 'utf8'), stamp, 'earlier run untouched');
  });
}

test('--continue runs more notebooks in an existing run folder and merges manifest and timings', () => {
  const runDir = path.join(runs, 'params-ok');
  const r = workbook('--only', 'throws', '--profile', 'smoke', '--param', 'data.sftPrompts=7', '--continue', 'params-ok', '--no-report');
  assert.equal(r.status, 1, r.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
  assert.deepEqual(
    manifest.notebooks.map((n: any) => `${n.name}:${n.status}`),
    ['params:ok', 'throws:failed'],
  );
  assert.equal(manifest.status, 'failed');
  const timings = JSON.parse(fs.readFileSync(path.join(runDir, 'timings.json'), 'utf8'));
  assert.deepEqual(
    timings.notebooks.map((n: any) => n.name),
    ['params', 'throws'],
  );
  assert.ok(fs.existsSync(path.join(runDir, 'fixture/seen.json')), "the earlier notebook's artefacts are still there");
});

test('a kernel spec left by a deleted checkout (its tslab binary is gone): one clear line, exit 2, nothing written', () => {
  const gone = path.join(os.tmpdir(), `wb-deleted-clone-${process.pid}/environment/tslab-kernel.cjs`);
  const jupyterPath = kernelSpecDir('tslab', gone);
  const before = fs.readdirSync(runs).sort();
  const r = workbookWithEnv({ WORKBOOK_JUPYTER_PATH: jupyterPath }, '--profile', 'smoke', '--only', 'params', '--run-id', 'gone');
  fs.rmSync(jupyterPath, { recursive: true, force: true });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.equal(
    lines[0],
    `workbook: kernel spec "tslab" starts ${gone}, which does not exist (registered from another checkout?); run \`npm run setup\` here to re-register it`,
  );
  assert.deepEqual(fs.readdirSync(runs).sort(), before, 'no run folder created');
});

test('a tslab kernel spec registered bare (not the workbook launcher): one clear line, exit 2, nothing written', () => {
  const bare = path.join(ROOT, 'node_modules/.bin/tslab');
  const jupyterPath = kernelSpecDir('tslab', bare);
  const before = fs.readdirSync(runs).sort();
  const r = workbookWithEnv({ WORKBOOK_JUPYTER_PATH: jupyterPath }, '--profile', 'smoke', '--only', 'params', '--run-id', 'bare');
  fs.rmSync(jupyterPath, { recursive: true, force: true });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
  assert.deepEqual(lines, [
    `workbook: kernel spec "tslab" (${path.join(jupyterPath, 'kernels/tslab')}) starts ${bare}, not this checkout's ${path.join(ROOT, 'environment/tslab-kernel.cjs')}; run \`npm run setup\` here to register this checkout's kernel`,
  ]);
  assert.deepEqual(fs.readdirSync(runs).sort(), before, 'no run folder created');
});

test("this checkout's spec folder is empty and the machine's \"tslab\" starts another checkout's launcher: refused by full path", () => {
  // The other checkout's launcher exists and its path ends like ours: only the full path tells them apart.
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-other-checkout-'));
  const launcher = path.join(other, 'environment/tslab-kernel.cjs');
  fs.mkdirSync(path.dirname(launcher), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'environment/tslab-kernel.cjs'), launcher);
  const machineWide = kernelSpecDir('tslab', launcher);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-no-spec-'));
  const before = fs.readdirSync(runs).sort();
  const r = workbookWithEnv({ WORKBOOK_JUPYTER_PATH: empty, JUPYTER_PATH: machineWide }, '--profile', 'smoke', '--only', 'params', '--run-id', 'other');
  for (const d of [other, machineWide, empty]) fs.rmSync(d, { recursive: true, force: true });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^workbook: kernel spec "tslab" \\(.*\\) starts ${launcher.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not this checkout's `));
  assert.deepEqual(fs.readdirSync(runs).sort(), before, 'no run folder created');
});

test('--continue accepts the same params in another order', () => {
  const a = workbook(
    '--only',
    'params',
    '--profile',
    'smoke',
    '--param',
    'data.sftPrompts=9',
    '--param',
    'data.rmPrompts=90',
    '--run-id',
    'order',
    '--no-report',
  );
  assert.equal(a.status, 0, a.stderr);
  const b = workbook(
    '--only',
    'params',
    '--profile',
    'smoke',
    '--param',
    'data.rmPrompts=90',
    '--param',
    'data.sftPrompts=9',
    '--continue',
    'order',
    '--no-report',
  );
  assert.equal(b.status, 0, b.stderr);
});

test('a run folder in use by a live runner is refused in one line; a lock left by a dead runner is taken over', () => {
  const runDir = path.join(runs, 'params-ok');
  const lock = path.join(runDir, 'run.lock');
  const manifest = fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8');
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
  const busy = workbook('--only', 'params', '--profile', 'smoke', '--param', 'data.sftPrompts=7', '--continue', 'params-ok', '--no-report');
  assert.equal(busy.status, 2, busy.stderr);
  assert.match(
    busy.stderr.trim(),
    new RegExp(
      `^workbook: params-ok is in use by the runner with pid ${process.pid} on .* since 2026-01-01T00:00:00.000Z .*; wait for it to end or stop it first$`,
    ),
  );
  assert.equal(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'), manifest, "the live run's manifest untouched");
  fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
  const stale = workbook('--only', 'params', '--profile', 'smoke', '--param', 'data.sftPrompts=7', '--continue', 'params-ok', '--no-report');
  assert.equal(stale.status, 0, stale.stderr);
  assert.match(stale.stderr, /taking over the lock of runner pid 4194321 .*which is no longer running/);
  assert.equal(fs.existsSync(lock), false, 'released at the end');
});

/**
 * Start the runner on the sleeping fixture; resolves once its kernel is inside the long cell.
 * `viaTsxCli`: start it as `npm run workbook` does, through tsx's CLI (a parent process that
 * relays signals to the runner), in a process group of its own, as a terminal runs it.
 */
async function startSleeper(runId: string, viaTsxCli = false) {
  // a temp folder of its own: what the driver leaves behind when stopped can be counted
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-sleeper-tmp-'));
  const child = spawn(
    viaTsxCli ? path.join(ROOT, 'node_modules/.bin/tsx') : process.execPath,
    [
      ...(viaTsxCli ? [] : ['--import', 'tsx']),
      path.join(ROOT, 'src/workbook/cli.ts'),
      '--notebooks-dir',
      FIXTURES,
      '--runs-dir',
      runs,
      '--only',
      'sleeps',
      '--profile',
      'smoke',
      '--run-id',
      runId,
      '--no-report',
    ],
    { cwd: ROOT, env: { ...process.env, CI: 'true', WORKBOOK_PNG: '0', TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'], detached: viaTsxCli },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const pidFile = path.join(runs, runId, 'fixture/kernel.pid');
  const t0 = Date.now();
  while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, 'utf8')) {
    if (Date.now() - t0 > 90_000) throw new Error(`the sleeping fixture did not start its cell in 90 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, kernelPid: Number(fs.readFileSync(pidFile, 'utf8')), exited, stderr: () => stderr, tmp };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (isAlive(pid) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 100));
  return !isAlive(pid);
}

for (const [signal, status] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} to the runner: the kernel ends, the manifest says interrupted with the reason, exit ${status}`, async () => {
    const runId = `signal-${signal}`;
    const s = await startSleeper(runId);
    s.child.kill(signal);
    const end = await s.exited;
    assert.equal(end.code, status, s.stderr());
    assert.ok(await gone(s.kernelPid, 10_000), `kernel ${s.kernelPid} still running after the runner exited`);
    const manifest = JSON.parse(fs.readFileSync(path.join(runs, runId, 'manifest.json'), 'utf8'));
    assert.equal(manifest.status, 'interrupted');
    assert.equal(manifest.reason, `${signal} during sleeps`);
    assert.deepEqual(
      manifest.notebooks.map((n: any) => `${n.name}:${n.status}`),
      ['sleeps:interrupted'],
    );
    assert.match(s.stderr(), new RegExp(`interrupted by ${signal} during sleeps\\.ipynb`));
    assert.equal(fs.existsSync(path.join(runs, runId, 'run.lock')), false, 'lock released');
    const left = fs.readdirSync(s.tmp).filter((f) => /^workbook-kernel-.*\.log$|^tmp.*\.json$/.test(f));
    assert.deepEqual(left, [], "the notebook driver's kernel log and the kernel's connection file are removed");
    fs.rmSync(s.tmp, { recursive: true, force: true });
  });
}

/** The sleeper stopped once by `signal`: exit 128 + n, the kernel gone, the run recorded as interrupted, the lock released. */
async function assertOneStop(s: Awaited<ReturnType<typeof startSleeper>>, runId: string, signal: 'SIGINT' | 'SIGTERM') {
  const end = await s.exited;
  assert.equal(end.code, signal === 'SIGINT' ? 130 : 143, s.stderr());
  assert.ok(await gone(s.kernelPid, 10_000), `kernel ${s.kernelPid} still running after the runner exited`);
  const manifest = JSON.parse(fs.readFileSync(path.join(runs, runId, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'interrupted', s.stderr());
  assert.equal(manifest.reason, `${signal} during sleeps`);
  assert.equal(fs.existsSync(path.join(runs, runId, 'run.lock')), false, 'lock released');
  fs.rmSync(s.tmp, { recursive: true, force: true });
}

test('the same signal again 10 ms later (a group kill that tsx also relays): one stop, recorded as interrupted, not an exit at once', async () => {
  const s = await startSleeper('signal-twice');
  s.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 10)); // the same stop again, before the first has finished
  s.child.kill('SIGTERM');
  await assertOneStop(s, 'signal-twice', 'SIGTERM');
});

test('Ctrl-C in a terminal (SIGINT to the whole process group, which tsx also relays): one stop, recorded as interrupted', async () => {
  const s = await startSleeper('signal-group', true);
  process.kill(-s.child.pid!, 'SIGINT');
  await assertOneStop(s, 'signal-group', 'SIGINT');
});

test('SIGKILL to the runner: the kernel notices and exits, and never finishes its cell', async () => {
  const s = await startSleeper('signal-SIGKILL');
  s.child.kill('SIGKILL');
  await s.exited;
  assert.ok(await gone(s.kernelPid, 10_000), `kernel ${s.kernelPid} outlived a SIGKILLed runner`);
  assert.equal(fs.existsSync(path.join(runs, 'signal-SIGKILL/fixture/after-sleep')), false, 'the cell did not go on writing into the run');
  // its lock names a dead runner: the next --continue takes it over
  const r = workbook('--only', 'params', '--profile', 'smoke', '--continue', 'signal-SIGKILL', '--no-report');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /taking over the lock of runner pid \d+/);
  fs.rmSync(s.tmp, { recursive: true, force: true }); // a SIGKILLed driver cleans nothing up
});

after(() => {
  fs.rmSync(runs, { recursive: true, force: true });
  fs.rmSync(inputs, { recursive: true, force: true });
});
