/**
 * A kernel that drew a chart PNG (headless Chromium through puppeteer) and is then shut down
 * the way the runner does it (nbclient, through the real run_notebook.py), or killed outright
 * (SIGKILL), leaves no Chromium running and no Chromium profile behind. The kernel gets a temp folder of its own, so only
 * its own Chromium is counted.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBrowser } from '../../src/report/png';
import { pythonExecutable } from '../../src/workbook/execute';
import { jupyterEnv, kernelSpecs } from '../../src/workbook/kernel-spec';
import { codeNotebook } from './build-notebook';

const ROOT = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-png-kernel-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const skip = kernelSpecs() === null ? 'Jupyter not installed (run npm run setup)' : findBrowser() === null ? 'no headless Chromium here' : false;

/** Chromium processes started with a profile under `dir`. */
function chromiums(dir: string): string[] {
  // `--` first: a pattern that starts with "--" is otherwise taken for an option, and pgrep finds nothing
  const r = spawnSync('pgrep', ['-af', '--', `--user-data-dir=${dir}`], { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `pgrep failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
}

test('a kernel shut down after drawing a chart PNG leaves no Chromium and no profile', { skip, timeout: 180_000 }, async () => {
  const nb = codeNotebook(['import { showPlot } from "./src/report/index";\nawait showPlot({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }] });']);
  const input = path.join(tmp, 'png.ipynb');
  const output = path.join(tmp, 'png.out.ipynb');
  fs.writeFileSync(input, JSON.stringify(nb));
  const r = spawnSync(
    pythonExecutable(),
    [path.join(ROOT, 'environment/run_notebook.py'), input, output, '--cwd', path.join(ROOT, 'notebooks'), '--kernel', 'tslab', '--timeout', '120'],
    {
      encoding: 'utf8',
      env: { ...jupyterEnv(), TMPDIR: tmp, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    },
  );
  assert.equal(r.status, 0, r.stdout.slice(-2000) + r.stderr.slice(-2000));
  const outputs = JSON.parse(fs.readFileSync(output, 'utf8')).cells[0].outputs;
  assert.ok(
    outputs.some((o: any) => o.data?.['image/png']),
    'the chart got its PNG (so Chromium ran)',
  );
  // give a dying Chromium a moment, then count what is left of this kernel's
  await new Promise((res) => setTimeout(res, 2000));
  assert.deepEqual(chromiums(tmp), [], 'no Chromium of this kernel still running');
  assert.deepEqual(
    fs.readdirSync(tmp).filter((d) => d.startsWith('rlhf-workbook-chromium-')),
    [],
    'no Chromium profile left',
  );
});

test('a kernel killed outright (SIGKILL) after drawing a chart PNG leaves no Chromium and no profile', { skip, timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'killed-'));
  const pidFile = path.join(dir, 'kernel.pid');
  const nb = codeNotebook([
    'import { showPlot } from "./src/report/index";\nawait showPlot({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }] });\n' +
      `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nawait new Promise((r) => setTimeout(r, 120000));`,
  ]);
  const input = path.join(dir, 'png.ipynb');
  fs.writeFileSync(input, JSON.stringify(nb));
  const driver = spawn(
    pythonExecutable(),
    [
      path.join(ROOT, 'environment/run_notebook.py'),
      input,
      path.join(dir, 'out.ipynb'),
      '--cwd',
      path.join(ROOT, 'notebooks'),
      '--kernel',
      'tslab',
      '--timeout',
      '150',
    ],
    { env: { ...jupyterEnv(), TMPDIR: dir, PYDEVD_DISABLE_FILE_VALIDATION: '1' }, stdio: 'ignore' },
  );
  try {
    const until = Date.now() + 120_000;
    while (!fs.existsSync(pidFile) && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
    assert.ok(fs.existsSync(pidFile), 'the kernel drew the chart and wrote its pid');
    assert.ok(chromiums(dir).length > 0, 'its Chromium is running (the browser idles 3 s after a chart)');
    process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    // the reaper polls every 0.5 s; give it time to see the kernel gone and to clean up
    const deadline = Date.now() + 10_000;
    while ((chromiums(dir).length || fs.readdirSync(dir).some((d) => d.startsWith('rlhf-workbook-chromium-'))) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.deepEqual(chromiums(dir), [], 'no Chromium of the killed kernel still running');
    assert.deepEqual(
      fs.readdirSync(dir).filter((d) => d.startsWith('rlhf-workbook-chromium-')),
      [],
      'no Chromium profile left',
    );
  } finally {
    driver.kill('SIGKILL');
  }
});
