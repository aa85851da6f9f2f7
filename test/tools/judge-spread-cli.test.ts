/**
 * `npm run judge-spread`: a finished run folder fabricated as the runner leaves it (marker,
 * manifest, config, data/prompts-dev.jsonl, eval/answers.jsonl); the CLI's table against the
 * library's rows, and every refusal in one line with nothing written.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { markFolder, writeJsonlAtomic } from '../../src/util/atomic';
import { InputError } from '../../src/util/jsonl';
import { judgeSpread } from '../../src/eval/judge-spread';
import { workbookConfig } from '../../src/workbook/profiles';
import { dataConfig } from '../../src/workbook/stage-configs';
import { main, spreadMarkdown } from '../../src/tools/judge-spread-cli';
import { prompt } from '../eval/fixtures';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-judge-spread-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const prompts = Array.from({ length: 60 }, (_, i) =>
  prompt(`c${i}`, 'closed_qa', 'country_capital', `What is the capital of Country${i}?`, { subject: `Country${i}`, answers: [`City${i}`] }),
);
const right = prompts.map((p) => `The capital of ${p.facts.subject} is ${p.facts.answers[0]}.`);
const wrong = prompts.map((p) => `The capital of ${p.facts.subject} is Lyon.`);
const garbled = prompts.map(() => 'Lyon lyon lyon lyon');
const config = workbookConfig('default', { 'evaluation.split': 'dev' });

function fakeRun(id: string, o: { status?: string; models?: Record<string, string[]>; answers?: boolean } = {}): string {
  const dir = path.join(work, id);
  fs.mkdirSync(path.join(dir, 'eval'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  markFolder(dir, 'run');
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ profile: 'default', params: { 'evaluation.split': 'dev' }, config }));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ runId: id, status: o.status ?? 'ok', profile: 'default', seed: config.seed }));
  writeJsonlAtomic(path.join(dir, 'data', 'prompts-dev.jsonl'), prompts);
  const models = o.models ?? {
    'sft/small': garbled,
    'ppo-ptx/small': right,
    'sft/medium': wrong,
    'ppo-ptx/medium': right,
    'sft/large': right,
    'ppo-ptx/large': wrong,
  };
  if (o.answers !== false)
    writeJsonlAtomic(
      path.join(dir, 'eval', 'answers.jsonl'),
      Object.entries(models).flatMap(([model, answers]) => prompts.map((p, i) => ({ model, prompt: p.text, answer: answers[i] }))),
    );
  return dir;
}

const lines = (argv: string[]) => {
  const out: string[] = [];
  main(argv, (l) => out.push(l));
  return out;
};
const refused = (argv: string[], re: RegExp) =>
  assert.throws(
    () => lines(argv),
    (e: Error) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'),
    `expected one line matching ${re}`,
  );

test("the table is the library's rows for the run's answers, judges and panel; --out writes them", () => {
  const dir = fakeRun('ok');
  const out = path.join(work, 'spread.json');
  const got = lines(['--run', dir, '--draws', '5', '--prompts', '60,120', '--out', out]);
  const sizes = ['small', 'medium', 'large'].map((size, i) => ({ size, policy: [right, right, wrong][i], sft: [garbled, wrong, right][i] }));
  const rows = judgeSpread(prompts, sizes, { draws: 5, promptCounts: [60, 120], panel: dataConfig(config).panel, split: 'dev' });
  assert.match(got[0], /PPO-ptx against same-size SFT on the dev prompts \(60\), judged by 5 other panels/);
  assert.equal(got.slice(1, -1).join('\n'), spreadMarkdown(rows));
  assert.equal(got[got.length - 1], `-> ${out}`);
  const written = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual([written.split, written.prompts, written.rows], ['dev', 60, JSON.parse(JSON.stringify(rows))]);
  // large loses to its SFT in every draw, small and medium win: no draw passes
  assert.deepEqual([rows[0].everySizeAbove, rows[0].trendHeld], [0, 0]);
  assert.ok(rows[1].sizes[0].aboveHalf === 1 && rows[1].sizes[2].aboveHalf === 0);
  // the run's own prompt count when --prompts is not given
  assert.match(lines(['--run', dir, '--draws', '2']).join('\n').split('\n')[3], /^\| 60 \| 2 \|/);
});

test('refused in one line, nothing written: not a finished run, no answers, too few sizes, bad numbers', () => {
  const out = path.join(work, 'never.json');
  refused(['--run', path.join(work, 'missing')], /not found/);
  refused(['--run', fakeRun('running', { status: 'running' })], /did not finish/);
  refused(['--run', fakeRun('no-answers', { answers: false }), '--out', out], /no eval\/answers\.jsonl/);
  refused(
    ['--run', fakeRun('one-size', { models: { 'sft/small': garbled, 'ppo-ptx/small': right, 'sft/large': right } })],
    /at 1 size\(s\); the spread needs two or more/,
  );
  const noSplit = fakeRun('no-split');
  const c = JSON.parse(fs.readFileSync(path.join(noSplit, 'config.json'), 'utf8'));
  delete c.config.evaluation.split;
  fs.writeFileSync(path.join(noSplit, 'config.json'), JSON.stringify(c));
  refused(['--run', noSplit], /config\.json has no evaluation\.split of "dev" or "eval" \(got undefined\)/);
  const dir = fakeRun('ok2');
  refused(['--run', dir, '--draws', '1'], /--draws: expected an integer >= 2, got "1"/);
  refused(['--run', dir, '--prompts', '600,x'], /--prompts: expected positive integers separated by commas, got "600,x"/);
  assert.equal(fs.existsSync(out), false);
});
