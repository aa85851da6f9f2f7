/**
 * Two checkouts on one machine, each after its own `npm run setup` (environment/setup.sh,
 * run for real): each keeps its own tslab kernel spec, starting its own launcher, and runs a
 * notebook whose tables and charts reach the notebook as rich outputs, even with a
 * machine-wide "tslab" spec pointing at the other checkout. A checkout whose own spec is
 * missing refuses the other's by full path. The checkouts are copies of this working tree's
 * tracked files (sharing node_modules by a link); per-user specs go to a temporary
 * JUPYTER_DATA_DIR, so the machine's Jupyter folders are not touched.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelSpecs } from '../../src/workbook/kernel-spec';
import { codeNotebook, PARAMETERS_CELL } from './build-notebook';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-checkouts-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const userData = path.join(work, 'user-jupyter');
const skip = kernelSpecs() === null ? 'Jupyter not installed (run npm run setup)' : false;

/** A checkout: this working tree's tracked (and new, not ignored) files that the runner needs. */
function checkout(name: string): string {
  const dir = path.join(work, name);
  const r = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '--', 'package.json', 'tsconfig.json', 'environment', 'src', 'notebooks/src'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  for (const f of r.stdout.split('\n').filter(Boolean)) {
    const from = path.join(ROOT, f);
    const st = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!st) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), path.join(dir, f));
    else fs.copyFileSync(from, path.join(dir, f));
  }
  fs.chmodSync(path.join(dir, 'environment/tslab-kernel.cjs'), 0o755);
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'notebooks', 'fixtures'), { recursive: true });
  fs.symlinkSync('../../src', path.join(dir, 'notebooks', 'fixtures', 'src'));
  fs.writeFileSync(path.join(dir, 'notebooks', 'fixtures', 'display.ipynb'), JSON.stringify(displayNotebook()));
  return dir;
}

function displayNotebook() {
  return codeNotebook([
    PARAMETERS_CELL,
    'import { showTable, showPlot, inKernel } from "./src/report/index";\nconsole.log(`IN-KERNEL ${inKernel()}`);\nshowTable([{ checkout: process.cwd(), ok: 1 }]);\nawait showPlot({ data: [{ type: "bar", x: ["a"], y: [1] }] });',
  ]);
}

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  CI: 'true',
  WORKBOOK_PNG: '0',
  JUPYTER_DATA_DIR: userData,
  WORKBOOK_JUPYTER_PATH: '',
  ...extra,
});

function setup(dir: string) {
  return spawnSync('bash', ['environment/setup.sh'], { cwd: dir, encoding: 'utf8', env: env() });
}

function workbook(dir: string, runId: string, extra: Record<string, string> = {}) {
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/workbook/cli.ts',
      '--profile',
      'smoke',
      '--notebooks-dir',
      'notebooks/fixtures',
      '--only',
      'display',
      '--run-id',
      runId,
      '--no-report',
    ],
    {
      cwd: dir,
      encoding: 'utf8',
      env: env(extra),
    },
  );
}

const spec = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'environment/jupyter/kernels/tslab/kernel.json'), 'utf8'));

test("two checkouts, each set up: own kernel specs, rich outputs in both, the other's spec refused", { skip, timeout: 600_000 }, () => {
  const a = checkout('a');
  const b = checkout('b');
  for (const dir of [a, b]) {
    const r = setup(dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  // Each spec starts its own checkout's launcher; b's set-up left a's alone.
  assert.equal(spec(a).argv[0], path.join(a, 'environment/tslab-kernel.cjs'));
  assert.equal(spec(b).argv[0], path.join(b, 'environment/tslab-kernel.cjs'));
  const userSpecs = fs.readdirSync(path.join(userData, 'kernels')).sort();
  assert.equal(userSpecs.length, 2, `one per-user spec per checkout: ${userSpecs}`);
  assert.ok(
    userSpecs.every((n) => /^tslab-[ab]-[0-9a-f]{8}$/.test(n)),
    userSpecs.join(', '),
  );

  // A machine-wide "tslab" that starts b's launcher (what a shared spec would be after b's set-up).
  const machineWide = path.join(work, 'machine-wide');
  fs.mkdirSync(path.join(machineWide, 'kernels/tslab'), { recursive: true });
  fs.writeFileSync(path.join(machineWide, 'kernels/tslab/kernel.json'), JSON.stringify(spec(b)));

  for (const dir of [a, b]) {
    const r = workbook(dir, 'display', { JUPYTER_PATH: machineWide });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const nb = JSON.parse(fs.readFileSync(path.join(dir, 'runs/display/notebooks/display.ipynb'), 'utf8'));
    const outputs = nb.cells[nb.cells.length - 1].outputs;
    const text = outputs.map((o: any) => [].concat(o.text ?? '').join('')).join('');
    assert.match(text, /IN-KERNEL true/);
    const rich = outputs.filter((o: any) => o.output_type === 'display_data');
    const html = rich.map((o: any) => [].concat(o.data['text/html'] ?? '').join(''));
    assert.ok(
      html.some((h: string) => h.includes('<table class="wb-table">') && h.includes(path.join(dir, 'notebooks/fixtures'))),
      'the table as HTML, from this checkout',
    );
    assert.ok(
      rich.some((o: any) => o.data['application/vnd.plotly.v1+json']),
      'the chart as a plotly bundle',
    );
  }

  // a without its own spec: the machine-wide one starts b's launcher, refused by full path.
  fs.rmSync(path.join(a, 'environment/jupyter'), { recursive: true });
  const r = workbook(a, 'refused', { JUPYTER_PATH: machineWide });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(
    lines[0].includes(`starts ${path.join(b, 'environment/tslab-kernel.cjs')}, not this checkout's ${path.join(a, 'environment/tslab-kernel.cjs')}`),
    lines[0],
  );
  assert.ok(!fs.existsSync(path.join(a, 'runs/refused')), 'nothing written');
});

test("a checkout's node_modules as a link to another checkout's is ignored: git add -A does not commit it", () => {
  // with the pattern "node_modules/" (directories only) git committed such a link, and checking
  // that commit out where node_modules is a real folder replaced the folder with the link
  const repo = path.join(work, 'ignore-link');
  fs.mkdirSync(repo, { recursive: true });
  fs.copyFileSync(path.join(ROOT, '.gitignore'), path.join(repo, '.gitignore'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'));
  fs.writeFileSync(path.join(repo, 'kept.txt'), 'kept\n');
  const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  assert.equal(git('init', '-q').status, 0);
  const added = git('add', '-A', '--dry-run');
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /kept\.txt/, 'git add sees the folder at all');
  assert.doesNotMatch(added.stdout, /node_modules/);
});
