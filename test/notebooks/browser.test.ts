/**
 * In a real browser (Debian's Chromium through puppeteer-core):
 *  (a) Debian's Jupyter Notebook server on loopback opens 00-setup.ipynb, runs its cells on
 *      the tslab kernel, and the page shows their outputs (backend line, tables, a chart);
 *  (b) the HTML report of a run shows a rendered plotly chart.
 * The notebook is served from a copy under runs/, so the repository's notebook is never
 * saved over. Screenshots: runs/test-browser-<pid>/*.png, removed with the folder after the
 * test unless WORKBOOK_KEEP_TEST_RUNS=1.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { PROFILE_NAMES } from '../../src/workbook/profiles';
import { jupyterEnv } from '../../src/workbook/kernel-spec';

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const JUPYTER = '/usr/bin/jupyter-notebook';
const missing = [CHROMIUM, JUPYTER].filter((p) => !fs.existsSync(p));
const skip = missing.length ? `not installed: ${missing.join(', ')} (run npm run setup)` : false;
const work = path.join(ROOT, 'runs', `test-browser-${process.pid}`);
const puppeteer = require('puppeteer-core');

let browser: any = null;
let server: ChildProcess | null = null;

after(async () => {
  if (browser) await browser.close().catch(() => undefined);
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  // the run folder, screenshots and Chromium's profile; WORKBOOK_KEEP_TEST_RUNS=1 keeps them to look at
  if (process.env.WORKBOOK_KEEP_TEST_RUNS !== '1') fs.rmSync(work, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | null | false>): Promise<T> {
  const end = Date.now() + seconds * 1000;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
}

async function launch(): Promise<any> {
  if (!browser)
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: path.join(work, 'chromium-profile'),
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  return browser;
}

test('(a) Jupyter Notebook runs 00-setup on tslab and shows its outputs', { skip, timeout: 240_000 }, async () => {
  const nbDir = path.join(work, 'notebooks');
  fs.mkdirSync(nbDir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'notebooks/00-setup.ipynb'), path.join(nbDir, '00-setup.ipynb'));
  fs.symlinkSync(path.join(ROOT, 'src'), path.join(nbDir, 'src'));
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  let log = '';
  server = spawn(
    JUPYTER,
    ['--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--notebook-dir=${nbDir}`, `--NotebookApp.token=${token}`],
    {
      cwd: nbDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    },
  );
  server.stdout!.on('data', (d) => (log += d));
  server.stderr!.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the notebook server', 60, async () => server!.exitCode === null && (await fetch(`${base}/api?token=${token}`)).ok).catch((e) => {
    throw new Error(`${e.message}\n${log.slice(-2000)}`);
  });

  const page = await (await launch()).newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${base}/notebooks/00-setup.ipynb?token=${token}`, { waitUntil: 'domcontentloaded' });
  await waitFor('the tslab kernel', 90, () =>
    page.evaluate(() => {
      const J = (globalThis as any).Jupyter;
      return Boolean(J && J.notebook && J.notebook.kernel && J.notebook.kernel.is_connected() && J.notebook.kernel.name === 'tslab');
    }),
  );
  await page.evaluate(() => {
    const nb = (globalThis as any).Jupyter.notebook;
    nb.set_autosave_interval(0); // never write the outputs back
    nb.execute_all_cells();
  });
  const done: number = await waitFor<number>('every cell to run', 150, () =>
    page.evaluate(() => {
      const cells = (globalThis as any).Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code');
      const finished = cells.every((c: any) => typeof c.input_prompt_number === 'number');
      return finished && (globalThis as any).Jupyter.notebook.kernel_busy !== true ? cells.length : 0;
    }),
  );
  await waitFor('the chart to render', 30, () =>
    page.evaluate(() => (globalThis as any).document.querySelectorAll('.output_area .js-plotly-plot .main-svg').length > 0),
  );
  const seen = await page.evaluate(() => {
    const doc = (globalThis as any).document;
    return {
      text: doc.querySelector('#notebook-container').innerText as string,
      errors: doc.querySelectorAll('.output_error, .output_stderr').length as number,
      tables: doc.querySelectorAll('.output_area table.wb-table').length as number,
      bars: doc.querySelectorAll('.output_area .js-plotly-plot .trace.bars').length as number,
    };
  });
  await page.evaluate(() => {
    const site = (globalThis as any).document.querySelector('#site');
    if (site) site.style.height = 'auto'; // let the full-page screenshot see every cell
  });
  await page.screenshot({ path: path.join(work, 'notebook-00-setup.png'), fullPage: true });
  assert.ok(done >= 5, `${done} code cells ran`);
  assert.equal(seen.errors, 0, 'no error or stderr output');
  assert.match(seen.text, /Backend: (tensorflow|webgpu|wasm|cpu)/);
  assert.match(seen.text, /TypeScript in tslab\s+5\.0\.4/);
  assert.ok(seen.tables >= 4, `${seen.tables} tables`);
  assert.equal(seen.bars, PROFILE_NAMES.length, 'one bar trace per profile');
  assert.match(seen.text, /demo .*20\/20/, 'progress bar updated in place to the end');
  await page.evaluate(() => (globalThis as any).Jupyter.notebook.kernel.kill());
  await page.close();
});

test('(b) the HTML report of a run shows a rendered plotly chart', { skip, timeout: 180_000 }, async () => {
  const runs = path.join(work, 'runs');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/workbook/cli.ts', '--profile', 'smoke', '--only', '00', '--run-id', 'run', '--runs-dir', runs],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', WORKBOOK_PNG: '0' },
    },
  );
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const page = await (await launch()).newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`file://${path.join(runs, 'run/report/index.html')}`);
  const link = await page.$eval('a[href="00-setup.html"]', (a: any) => a.href);
  await page.goto(link, { waitUntil: 'load' });
  await waitFor('the chart in the report', 30, () =>
    page.evaluate(
      (bars: number) => (globalThis as any).document.querySelectorAll('.js-plotly-plot .main-svg .trace.bars').length === bars,
      PROFILE_NAMES.length,
    ),
  );
  const math: number = await waitFor<number>('MathJax', 30, () => page.evaluate(() => (globalThis as any).document.querySelectorAll('mjx-container').length));
  assert.ok(math > 0, 'formulas typeset by MathJax');
  await page.screenshot({ path: path.join(work, 'report-00-setup-code.png'), fullPage: true });
  await page.click('#wb-code');
  const shown = await page.evaluate(() => {
    const g = globalThis as any;
    return {
      code: g.getComputedStyle(g.document.querySelector('.jp-CodeCell .jp-Cell-inputWrapper')).display,
      markdown: g.getComputedStyle(g.document.querySelector('.jp-MarkdownCell .jp-Cell-inputWrapper')).display,
    };
  });
  assert.deepEqual(shown, { code: 'none', markdown: shown.markdown === 'none' ? 'visible' : shown.markdown }, 'the button hides code, not prose');
  await page.screenshot({ path: path.join(work, 'report-00-setup.png'), fullPage: true });
  await page.close();
});
