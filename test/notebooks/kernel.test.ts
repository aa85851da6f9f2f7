/**
 * The kernel the workbook registers (environment/tslab-kernel.cjs) against tslab bare, on a
 * cell that shows 3000 outputs from one synchronous loop, through the real runner script
 * (environment/run_notebook.py) and Jupyter. tslab bare fails at zeromq's 513th send on a
 * socket (EBUSY); that is the bug which killed the default profile's 04 kernel. The
 * workbook's kernel must deliver every output, in order, and go on to the next cell.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pythonExecutable } from '../../src/workbook/execute';
import { jupyterEnv, kernelSpecRoot, kernelSpecs, TSLAB_LAUNCHER } from '../../src/workbook/kernel-spec';
import { codeNotebook } from './build-notebook';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-kernel-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const specs = kernelSpecs();
const skip = specs === null ? 'Jupyter not installed (run npm run setup)' : false;
const OUTPUTS = 3000;

function notebook(kernel: string): string {
  const nb = codeNotebook(
    [`import * as tslab from "tslab";\nfor (let i = 0; i < ${OUTPUTS}; i++) tslab.display.text("line " + i);`, 'console.log("next cell ran");'],
    kernel,
  );
  const file = path.join(work, `${kernel}.ipynb`);
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

function run(kernel: string, env: Record<string, string> = {}, extra: string[] = []) {
  const input = notebook(kernel);
  const output = path.join(work, `${kernel}.out.ipynb`);
  const r = spawnSync(
    pythonExecutable(),
    [path.join(ROOT, 'environment/run_notebook.py'), input, output, '--cwd', ROOT, '--kernel', kernel, '--timeout', '120', ...extra],
    {
      encoding: 'utf8',
      env: { ...jupyterEnv(), ...env },
    },
  );
  const events = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const nb = fs.existsSync(output) ? JSON.parse(fs.readFileSync(output, 'utf8')) : null;
  return { status: r.status, events, nb, stderr: r.stderr };
}

const texts = (cell: any): string[] => cell.outputs.map((o: any) => [].concat(o.data?.['text/plain'] ?? o.text ?? '').join(''));

test('the tslab kernel this checkout finds is its own spec, starting its own launcher', { skip }, () => {
  assert.ok(specs!.tslab, 'no tslab kernel spec; run npm run setup');
  assert.equal(specs!.tslab.dir, path.join(kernelSpecRoot(), 'kernels', 'tslab'), "the spec in this checkout's folder (npm run setup writes it)");
  assert.equal(specs!.tslab.program, TSLAB_LAUNCHER, "the spec starts this checkout's launcher, by full path");
});

test('the workbook kernel delivers 3000 outputs from one synchronous loop, in order, and runs the next cell', { skip }, () => {
  const r = run('tslab');
  assert.equal(r.status, 0, JSON.stringify(r.events.slice(-2)) + r.stderr.slice(-2000));
  const lines = texts(r.nb.cells[0]);
  assert.equal(lines.length, OUTPUTS);
  assert.deepEqual(
    lines,
    Array.from({ length: OUTPUTS }, (_, i) => `line ${i}`),
  );
  assert.equal(texts(r.nb.cells[1]).join('').trim(), 'next cell ran');
});

test('outputs that do not arrive in time stop the notebook with a clear error; they are never dropped silently', { skip }, () => {
  // nbclient's own default (4 s, then go on without them) lost outputs on a busy machine
  const r = run('tslab', {}, ['--iopub-timeout', '0']);
  assert.equal(r.status, 1, JSON.stringify(r.events.slice(-2)));
  const error = r.events.find((e: any) => e.event === 'error');
  assert.match(error.stderr, /the cell ran, but its outputs did not all arrive within 0 s \(--iopub-timeout\)/);
  assert.ok(!r.events.some((e: any) => e.event === 'done'), 'the notebook did not go on to report done');
});

test("tslab bare fails on the same cell at zeromq's 513th send (the bug the launcher fixes)", { skip }, () => {
  const kernels = path.join(work, 'jupyter/kernels/tslab-bare');
  fs.mkdirSync(kernels, { recursive: true });
  const bare = path.join(ROOT, 'node_modules/.bin/tslab');
  fs.writeFileSync(
    path.join(kernels, 'kernel.json'),
    JSON.stringify({ argv: [bare, 'kernel', '--config-path', '{connection_file}'], display_name: 'tslab bare', language: 'typescript' }),
  );
  const r = run('tslab-bare', { JUPYTER_PATH: path.join(work, 'jupyter') });
  assert.notEqual(r.status, 0, 'tslab bare ran the cell; if tslab or zeromq now queue sends, the launcher may be dropped');
  const shown = r.nb ? texts(r.nb.cells[0]).length : 0;
  assert.ok(shown < 512, `tslab bare showed ${shown} outputs before failing`);
});

/** A ROUTER socket that receives while its bind is still completing, then gets one message. */
const RECEIVE_DURING_BIND = `
const zmq = require(process.argv[1]);
(async () => {
  const router = new zmq.Router();
  const bound = router.bind('tcp://127.0.0.1:0');
  let got;
  try { got = router.receive(); } catch (e) { console.log('refused ' + e.code); router.close(); return; }
  await bound;
  const dealer = new zmq.Dealer();
  dealer.connect(router.lastEndpoint);
  await dealer.send('hello');
  const [, body] = await got;
  console.log('received ' + body.toString());
  router.close();
  dealer.close();
})();
`;

function receiveDuringBind(preload: string[]): string {
  const zmq = require.resolve('zeromq', { paths: [path.dirname(require.resolve('tslab/package.json'))] });
  const r = spawnSync(process.execPath, [...preload, '-e', RECEIVE_DURING_BIND, zmq], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a receive made while its socket is binding waits for the bind instead of failing (tslab starts its loops before binding)', () => {
  assert.equal(receiveDuringBind([]), 'refused EBUSY', 'bare zeromq refuses it; if it now waits, the launcher may drop its wait');
  assert.equal(receiveDuringBind(['--require', TSLAB_LAUNCHER]), 'received hello');
});
