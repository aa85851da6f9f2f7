/**
 * Every notebook in notebooks/ runs on the smoke profile through the real runner, with no
 * error output, and the run gets a portable HTML report with one shared copy of plotly.js.
 * The run folder, runs/test-smoke-<pid>, is removed afterwards (WORKBOOK_KEEP_TEST_RUNS=1
 * keeps it to look at), as are those older runs left.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const RUNS = path.join(ROOT, 'runs');
const runId = `test-smoke-${process.pid}`;
const runDir = path.join(RUNS, runId);
after(() => {
  if (process.env.WORKBOOK_KEEP_TEST_RUNS !== '1') fs.rmSync(runDir, { recursive: true, force: true });
});

function folderBytes(dir: string): number {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce((n, e) => n + (e.isDirectory() ? folderBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
}

/** 06's win-rates by prompt category: sane rows, and each policy's 'all' row is its same-size row of win-rates.json. */
function checkWinRatesByCategory(evalDir: string): void {
  const rows = JSON.parse(fs.readFileSync(path.join(evalDir, 'win-rates-by-category.json'), 'utf8'));
  assert.ok(fs.existsSync(path.join(evalDir, 'win-rates-by-category.csv')), 'win-rates-by-category.csv written');
  const overall = JSON.parse(fs.readFileSync(path.join(evalDir, 'win-rates.json'), 'utf8'));
  assert.ok(rows.length > 0 && rows.every((r: any) => r.kind !== 'sft'), 'rows for every policy but SFT');
  for (const r of rows) {
    assert.ok(Number.isInteger(r.n) && r.n > 0, `${r.size} ${r.policy} ${r.category}: n = ${r.n}`);
    if (r.winRate === null) continue;
    assert.equal(r.wins + r.ties + r.losses, r.n, `${r.size} ${r.policy} ${r.category}: wins + ties + losses = n`);
    assert.equal(r.winRate, (r.wins + r.ties / 2) / r.n);
    assert.ok(0 <= r.lower && r.lower <= r.winRate && r.winRate <= r.upper && r.upper <= 1, `${r.size} ${r.policy} ${r.category}: interval`);
  }
  const alls = rows.filter((r: any) => r.category === 'all');
  assert.ok(
    alls.some((r: any) => r.winRate !== null),
    'some policy judged',
  );
  for (const a of alls) {
    const same = overall.find((o: any) => o.kind === a.kind && o.size === a.size && o.baseline === a.baseline);
    assert.ok(same, `${a.size} ${a.policy}: a row against ${a.baseline} in win-rates.json`);
    assert.deepEqual([a.wins, a.ties, a.losses, a.winRate, a.lower, a.upper], [same.wins, same.ties, same.losses, same.winRate, same.lower, same.upper]);
    const cats = rows.filter((r: any) => r.kind === a.kind && r.size === a.size && r.category !== 'all');
    assert.equal(
      cats.reduce((n: number, r: any) => n + r.n, 0),
      a.n,
      `${a.size} ${a.policy}: the categories add up to all`,
    );
  }
}

test('every notebook executes on the smoke profile with no error output, and the report is portable', () => {
  fs.mkdirSync(RUNS, { recursive: true });
  for (const old of fs.readdirSync(RUNS).filter((d) => d.startsWith('test-smoke-'))) fs.rmSync(path.join(RUNS, old), { recursive: true, force: true });
  const notebooks = fs
    .readdirSync(path.join(ROOT, 'notebooks'))
    .filter((f) => f.endsWith('.ipynb'))
    .sort();
  assert.ok(notebooks.includes('00-setup.ipynb'));

  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/workbook/cli.ts', '--profile', 'smoke', '--run-id', runId], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.status, 0, r.stderr.slice(-4000));

  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'ok');
  assert.deepEqual(
    manifest.notebooks.map((n: any) => `${n.name}:${n.status}`),
    notebooks.map((f) => `${f.replace('.ipynb', '')}:ok`),
  );
  assert.ok(manifest.backend && manifest.backend.backend, 'backend recorded by 00-setup');
  checkWinRatesByCategory(path.join(runDir, 'eval'));

  for (const f of notebooks) {
    const nb = JSON.parse(fs.readFileSync(path.join(runDir, 'notebooks', f), 'utf8'));
    assert.ok(!JSON.stringify(nb).includes('* plotly.js v'), `${f}: plotly.js is not inlined in the executed notebook`);
    nb.cells.forEach((c: any, i: number) => {
      if (c.cell_type !== 'code') return;
      assert.ok(Number.isInteger(c.execution_count), `${f} cell ${i} executed`);
      for (const o of c.outputs) assert.notEqual(o.output_type, 'error', `${f} cell ${i}: ${JSON.stringify(o).slice(0, 500)}`);
    });
  }

  // 05 logs the dev judges' view of every rollout beside the RM's score: every size, both kinds
  const ppoDir = path.join(runDir, 'ppo');
  const sizes = fs
    .readdirSync(ppoDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.ok(sizes.length > 0, 'PPO ran');
  for (const size of sizes) {
    for (const kind of ['ppo', 'ppo-ptx']) {
      const rows = fs
        .readFileSync(path.join(ppoDir, size, kind, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(rows.length > 0, `${size} ${kind}: metrics rows`);
      for (const row of rows) {
        for (const k of ['objective/scores', 'objective/kl', 'dev/judge_score', 'dev/refusal_rate'])
          assert.ok(Number.isFinite(row[k]), `${size} ${kind} iteration ${row.iteration}: ${k} = ${row[k]}`);
        assert.ok(row['dev/refusal_rate'] >= 0 && row['dev/refusal_rate'] <= 1, `${size} ${kind}: refusal rate ${row['dev/refusal_rate']}`);
      }
    }
  }
  assert.ok(fs.existsSync(path.join(ppoDir, 'judge-curves-figures.json')), '05 charts the RM against the dev judges');
  // 05's summary records the per-size multipliers its runs trained with
  const ppoSummary = JSON.parse(fs.readFileSync(path.join(ppoDir, 'summary.json'), 'utf8'));
  assert.deepEqual([ppoSummary.lrScale, ppoSummary.ptxScale], [sizes.map(() => 1), sizes.map(() => 1)], '05 summary: lrScale and ptxScale');
  // smoke fine-tunes its largest policy on the RM's best of 4 answers before PPO (05's rejection
  // sampling): the policy checkpoint, one picked answer per prompt, and the notebook's line
  const largest = sizes.includes('large') ? 'large' : sizes[sizes.length - 1];
  assert.deepEqual(ppoSummary.rejection.samples, [0, 0, 4], '05 summary: rejection sampling');
  assert.ok(fs.existsSync(path.join(ppoDir, largest, 'rejection-sft', 'model.safetensors')), 'the rejection-sampling policy is saved');
  const picked = fs
    .readFileSync(path.join(ppoDir, largest, 'rejection-sft.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(picked.length, 16, 'one picked answer per prompt');
  assert.ok(
    picked.some((p: any) => p.ended),
    'some picked answer ended and was trained on',
  );
  assert.ok(!sizes.filter((s) => s !== largest).some((s) => fs.existsSync(path.join(ppoDir, s, 'rejection-sft'))), 'only the largest size');
  const ppoNotebook = fs.readFileSync(path.join(runDir, 'notebooks', '05-ppo.ipynb'), 'utf8');
  assert.match(ppoNotebook, /large: rejection-sampling fine-tuning done in \d+ s: best of 4 answers to 16 PPO prompts/);
  assert.deepEqual(
    ppoSummary.summary.filter((r: any) => r.model === 'rejection SFT').map((r: any) => r.size),
    [largest],
    "05 measures the policy PPO starts from, after rejection sampling, beside SFT's",
  );
  // smoke's models end some answers, so the RM score PPO sees moves (no answer stuck at a fixed penalty)
  const rollouts = sizes.flatMap((size) =>
    fs
      .readFileSync(path.join(ppoDir, size, 'ppo', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
  );
  assert.ok(
    rollouts.some((r) => r['val/num_eos_tokens'] > 0),
    'some rollout answer ends with EOS',
  );
  assert.ok(new Set(rollouts.map((r) => r['objective/scores'].toFixed(4))).size > 1, "the rollouts' RM score moves");

  // 07 puts every method of every size in one table, judged against same-size SFT
  const after = JSON.parse(fs.readFileSync(path.join(runDir, 'after', 'after-methods.json'), 'utf8'));
  for (const size of sizes) {
    const mine = after.filter((r: any) => r.size === size);
    assert.deepEqual([...new Set(mine.map((r: any) => r.method))], ['SFT', 'best-of-n', 'PPO-ptx', 'DPO', 'RLOO'], `${size}: every method`);
    const judged = mine.filter((x: any) => x.method !== 'SFT');
    const n = judged[0].wins + judged[0].ties + judged[0].losses;
    assert.ok(n > 0, `${size}: prompts judged`);
    for (const r of judged) {
      assert.equal(r.wins + r.ties + r.losses, n, `${size} ${r.method}: judged on the same ${n} prompts`);
      assert.ok(r.lower <= r.winRate && r.winRate <= r.upper, `${size} ${r.method}: a win-rate with its interval`);
      assert.ok(Number.isFinite(r.kl) && Number.isFinite(r.rmScore), `${size} ${r.method}: KL and RM score`);
    }
    for (const r of mine.filter((x: any) => x.method === 'best-of-n')) assert.equal(r.kl, Math.log(r.n) - (r.n - 1) / r.n, `${size} best-of-${r.n}: exact KL`);
    for (const m of ['dpo', 'rloo']) assert.ok(fs.existsSync(path.join(runDir, 'after', size, m, 'result.json')), `${size} ${m}: trained and kept`);
  }
  for (const f of ['after-kl-frontier.json', 'after-compute-frontier.json']) assert.ok(fs.existsSync(path.join(runDir, 'after', f)), `07 saved ${f}`);

  const timings = JSON.parse(fs.readFileSync(path.join(runDir, 'timings.json'), 'utf8'));
  assert.equal(timings.notebooks.length, notebooks.length);
  // The 5-minute budget is a measured figure (printed here, listed in the README), not an
  // assertion: a timed test fails on a busy machine and proves nothing on a fast one.
  process.stdout.write(`# smoke run: ${timings.totalSeconds.toFixed(1)} s in notebooks, ${seconds.toFixed(1)} s in all\n`);

  const report = path.join(runDir, 'report');
  const pages = fs
    .readdirSync(report)
    .filter((f) => f.endsWith('.html'))
    .sort();
  assert.deepEqual(pages, ['index.html', ...notebooks.map((f) => f.replace('.ipynb', '.html'))].sort());
  for (const p of pages) {
    const html = fs.readFileSync(path.join(report, p), 'utf8');
    for (const machinePath of [ROOT, os.homedir() + '/', 'file:///usr/share']) assert.ok(!html.includes(machinePath), `${p} mentions ${machinePath}`);
  }
  const index = fs.readFileSync(path.join(report, 'index.html'), 'utf8');
  assert.match(index, /Nothing is judged in this run:<\/b> smoke proves the pipeline/, 'the front page says smoke judges nothing');
  assert.ok(!/<b>(reproduces|partly|does not reproduce)<\/b>/.test(index), 'the smoke front page claims nothing');
  const setup = fs.readFileSync(path.join(report, '00-setup.html'), 'utf8');
  assert.ok(setup.includes('Plotly.newPlot'), 'chart drawn by plotly in the report');
  assert.ok(
    setup.includes('<script src="assets/plotly.min.js"></script>') && fs.existsSync(path.join(report, 'assets/plotly.min.js')),
    'one shared plotly.js beside the report',
  );
  for (const p of pages) assert.ok(!fs.readFileSync(path.join(report, p), 'utf8').includes('* plotly.js v'), `${p}: plotly.js not inlined`);
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  process.stdout.write(
    `# smoke run folder ${mb(folderBytes(runDir))} MB: report ${mb(folderBytes(report))} MB, executed notebooks ${mb(folderBytes(path.join(runDir, 'notebooks')))} MB\n`,
  );
  assert.ok(folderBytes(report) < 10 * 2 ** 20, `report under 10 MB (${mb(folderBytes(report))} MB)`);
  assert.ok(setup.includes('assets/tex-svg.js') && fs.existsSync(path.join(report, 'assets/tex-svg.js')), 'MathJax beside the report');
  assert.ok(setup.includes('id="wb-code"'), 'code can be hidden');
});
