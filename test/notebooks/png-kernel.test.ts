/**
 * A kernel that drew a chart PNG (headless Chromium through puppeteer) and is then shut down
 * the way the runner does it (nbclient, through the real run_notebook.py) leaves no Chromium
 * running and no Chromium profile behind. The kernel gets a temp folder of its own, so only
 * its own Chromium is counted.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBrowser } from '../../src/report/png';
import { pythonExecutable } from '../../src/workbook/execute';
import { jupyterEnv, kernelSpecs } from '../../src/workbook/kernel-spec';

const ROOT = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-png-kernel-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const skip = kernelSpecs() === null ? 'Jupyter not installed (run npm run setup)' : findBrowser() === null ? 'no headless Chromium here' : false;

/** Chromium processes started with a profile under `dir`. */
function chromiums(dir: string): string[] {
  const r = spawnSync('pgrep', ['-af', `--user-data-dir=${dir}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
}

test('a kernel shut down after drawing a chart PNG leaves no Chromium and no profile', { skip, timeout: 180_000 }, async () => {
  const cell = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [cell('import { showPlot } from "./src/report/index";\nawait showPlot({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }] });')],
  };
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
