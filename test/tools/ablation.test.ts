/**
 * `npm run ablation`: dev-split runs side by side with a base run. Run folders are fabricated the
 * way the runner leaves them (marker, manifest, config, eval/win-rates.json, ppo/summary.json,
 * ppo/metrics.csv, and for paired changes data/prompts-dev.jsonl, data/panel.json and
 * eval/answers.jsonl); changes and intervals are checked against hand computations.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { markFolder, writeJsonlAtomic } from '../../src/util/atomic';
import { InputError } from '../../src/util/jsonl';
import { parseCsv } from '../../src/data/csv';
import { winRateInterval } from '../../src/eval/stats';
import { heldOutPanel, judgingPanel, winCounts } from '../../src/eval/judge';
import { makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { main } from '../../src/tools/ablation-cli';
import {
  ablationMarkdown,
  buildAblation,
  configChanges,
  changeLine,
  DEV_NOTE,
  pairedWinRateChange,
  parseRunSpec,
  winRateChange,
} from '../../src/tools/ablation';
import { prompt } from '../eval/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-ablation-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

type Counts = [number, number, number];
const CONFIG = {
  seed: 1234,
  models: { sizes: [{ name: 'small' }, { name: 'large' }] },
  reward: { size: 'small' },
  ppo: { trainer: { valueInit: 'reward', iterations: 40 } },
  evaluation: { split: 'dev' },
};

/** A finished run folder as the runner leaves it; `counts`: size -> [PPO-ptx W/T/L, PPO W/T/L]. */
function fakeRun(
  id: string,
  o: {
    status?: string;
    split?: string;
    config?: (c: any) => void;
    counts?: Record<string, [Counts, Counts]>;
    winRates?: boolean;
    devMetrics?: boolean;
    commit?: string;
  } = {},
): string {
  const dir = path.join(work, id);
  fs.mkdirSync(path.join(dir, 'eval'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'ppo'), { recursive: true });
  markFolder(dir, 'run');
  const config = JSON.parse(JSON.stringify(CONFIG));
  config.evaluation.split = o.split ?? 'dev';
  o.config?.(config);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ profile: 'default', params: { 'evaluation.split': config.evaluation.split }, config }));
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      runId: id,
      status: o.status ?? 'ok',
      profile: 'default',
      seed: 1234,
      params: {},
      git: { commit: o.commit ?? 'abcdef1234567890', dirty: false },
    }),
  );
  const counts = o.counts ?? { small: [[50, 20, 30] as Counts, [40, 20, 40] as Counts], large: [[55, 10, 35] as Counts, [45, 10, 45] as Counts] };
  const rows: object[] = [
    // a row against SFT large for every size: not a same-size row, never read
    {
      model: 'PPO-ptx small',
      kind: 'ppo-ptx',
      size: 'small',
      baseline: 'SFT large',
      winRate: 0.1,
      lower: 0,
      upper: 0.2,
      wins: 1,
      ties: 0,
      losses: 9,
      note: '',
    },
    { model: 'GPT small', kind: 'gpt', size: 'small', baseline: 'SFT small', winRate: 0.2, lower: 0.1, upper: 0.3, wins: 2, ties: 0, losses: 8, note: '' },
  ];
  for (const [size, [ptx, ppo]] of Object.entries(counts))
    for (const [kind, label, c] of [
      ['ppo-ptx', 'PPO-ptx', ptx],
      ['ppo', 'PPO', ppo],
    ] as const) {
      const ci = winRateInterval({ wins: c[0], ties: c[1], losses: c[2] });
      rows.push({
        model: `${label} ${size}`,
        kind,
        size,
        baseline: `SFT ${size}`,
        winRate: ci.rate,
        lower: ci.lower,
        upper: ci.upper,
        wins: c[0],
        ties: c[1],
        losses: c[2],
        note: '',
      });
    }
  if (o.winRates !== false) fs.writeFileSync(path.join(dir, 'eval', 'win-rates.json'), JSON.stringify(rows));
  fs.writeFileSync(path.join(dir, 'eval', 'win-rates-by-category.json'), '[]');
  const summary = Object.keys(counts).flatMap((size) =>
    ['SFT', 'PPO', 'PPO-ptx'].map((model, i) => ({
      size,
      model,
      'RM reward': 0.1 * i,
      'KL to SFT': 2 * i,
      'entropy / token': 1,
      'ends with EOS': 0.25 * (i + 1),
    })),
  );
  fs.writeFileSync(path.join(dir, 'ppo', 'summary.json'), JSON.stringify({ profile: 'default', summary, trainer: {} }));
  const dev = o.devMetrics !== false;
  const header = ['size', 'kind', 'iteration', 'objective/scores', 'objective/kl', ...(dev ? ['dev/judge_score', 'dev/refusal_rate'] : [])];
  const lines = [header.join(',')];
  for (const size of Object.keys(counts))
    for (const kind of ['ppo', 'ppo-ptx'])
      for (const it of [1, 2, 3]) lines.push([size, kind, it, 0.1, 0.01, ...(dev ? [kind === 'ppo' ? 0.9 : 0.5 + it / 10, it / 20] : [])].join(','));
  fs.writeFileSync(path.join(dir, 'ppo', 'metrics.csv'), lines.join('\n') + '\n');
  return dir;
}

const base = fakeRun('base');
const zero = fakeRun('zero', {
  config: (c) => (c.ppo.trainer.valueInit = 'zero'),
  counts: {
    small: [
      [60, 20, 20],
      [40, 20, 40],
    ],
    large: [
      [55, 10, 35],
      [45, 10, 45],
    ],
  },
  commit: '1234567abcdef',
});
const rmLarge = fakeRun('rm-large', { config: (c) => ((c.reward.size = 'large'), (c.reward.extra = true)), devMetrics: false });

function cli(args: string[]): string[] {
  const lines: string[] = [];
  main(args, (l) => lines.push(l));
  return lines;
}

const refused = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'), `expected one line matching ${re}`);

test('winRateChange: the hand-computed difference and its 95% interval (runs treated as independent)', () => {
  // base 50/20/30: p = 0.6, v = (50 + 20/4)/100 - 0.36 = 0.19; run 60/20/20: p = 0.7, v = 0.65 - 0.49 = 0.16
  // d = 0.1, half = 1.959964 * sqrt(0.19/100 + 0.16/100) = 1.959964 * 0.0591608 = 0.1159530
  const c = winRateChange({ wins: 50, ties: 20, losses: 30 }, { wins: 60, ties: 20, losses: 20 });
  assert.ok(Math.abs(c.difference - 0.1) < 1e-12, String(c.difference));
  assert.ok(Math.abs(c.lower - -0.015953033) < 1e-8, String(c.lower));
  assert.ok(Math.abs(c.upper - 0.215953033) < 1e-8, String(c.upper));
  // no change, all ties: no variance, a zero-width interval
  assert.deepEqual(winRateChange({ wins: 0, ties: 10, losses: 0 }, { wins: 0, ties: 4, losses: 0 }), { difference: 0, lower: 0, upper: 0, paired: false });
});

test('the table: each lever row, its change against the base, the PPO-ptx measures, and the config diff naming the lever', () => {
  const a = buildAblation(base, [
    { label: 'value head at 0', dir: zero },
    { label: 'RM large', dir: rmLarge },
  ]);
  assert.deepEqual(
    a.rows.map((r) => [r.label, r.size]),
    [
      ['base', 'small'],
      ['base', 'large'],
      ['value head at 0', 'small'],
      ['value head at 0', 'large'],
      ['RM large', 'small'],
      ['RM large', 'large'],
    ],
  );
  const cellRow = a.rows[2];
  assert.equal(cellRow.policies['ppo-ptx'].wins, 60);
  assert.equal(cellRow.policies['ppo-ptx'].n, 100);
  const ch = cellRow.policies['ppo-ptx'].change!;
  assert.ok(Math.abs(ch.difference - 0.1) < 1e-12 && Math.abs(ch.lower - -0.015953033) < 1e-8 && Math.abs(ch.upper - 0.215953033) < 1e-8);
  assert.equal(cellRow.policies.ppo.change!.difference, 0);
  assert.equal(a.rows[0].policies['ppo-ptx'].change, null, 'the base has no change against itself');
  // the PPO-ptx row of ppo/summary.json, the last ppo-ptx iteration of metrics.csv; '-' (null) when not recorded
  assert.deepEqual(cellRow.measures, {
    'RM reward': 0.2,
    'RM gain over SFT': 0.2,
    'KL to SFT': 4,
    'ends with EOS': 0.75,
    'dev/judge_score': 0.8,
    'dev/refusal_rate': 0.15,
  });
  assert.equal(a.rows[4].measures['dev/judge_score'], null);
  assert.deepEqual(a.runs[0].configChanges.map(changeLine), ['ppo.trainer.valueInit: reward -> zero']);
  assert.deepEqual(a.runs[1].configChanges.map(changeLine), ['reward.extra: (absent) -> true', 'reward.size: small -> large']);
  assert.equal(a.runs[0].commit, '1234567abcdef');
  assert.deepEqual(configChanges({ a: [1, 2] }, { a: [1, 3, 4] }).map(changeLine), ['a.1: 2 -> 3', 'a.2: (absent) -> 4']);

  // the markdown on stdout
  const md = cli(['--base', base, '--run', `value head at 0=${zero}`, '--run', `RM large=${rmLarge}`]).join('\n');
  assert.ok(md.includes(`**${DEV_NOTE}.**`), md);
  assert.match(
    md,
    /\| value head at 0 \| small \| 70\.0% \[60\.4%, 78\.1%\] \| 60\/20\/20 \| \+10\.0 \[−1\.6, \+21\.6\] \(i\) \| 50\.0% \[40\.4%, 59\.6%\] \| 40\/20\/40 \| \+0\.0 \[−12\.4, \+12\.4\] \(i\) \| 0\.200 \| \+0\.200 \| 4\.000 \| 75\.0% \| 0\.800 \| 15\.0% \|/,
  );
  assert.match(md, /\| base \| small \| 60\.0% \[50\.2%, 69\.1%\] \| 50\/20\/30 \| \(base\) \|/);
  assert.match(md, /\| RM large \| large \| .* \| - \| - \|$/m);
  // these fabricated runs have no answers to re-judge: every change is from the counts, marked (i), with the reason
  assert.match(md, /Marked \(i\) where they cannot be paired .* d ± 1\.96·sqrt\(v₁\/n₁ \+ v₂\/n₂\)/);
  assert.match(md, /  - changes not paired \(i\): .*base has no eval\/answers\.jsonl/);
  assert.match(
    md,
    /- \*\*value head at 0\*\*: `.*zero` \(run `zero`, profile `default`, commit `1234567`, another commit than the base: the code differs too\)\n  - `ppo\.trainer\.valueInit: reward -> zero`/,
  );
  assert.match(
    md,
    /- \*\*RM large\*\*: .*commit `abcdef1`, same commit as the base\)\n  - `reward\.extra: \(absent\) -> true`\n  - `reward\.size: small -> large`/,
  );
});

test('--out: ablation.md, .csv and .json in a folder made if missing; files beside them are kept', () => {
  const out = path.join(work, 'docs', 'ablations', 'value-head');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const lines = cli(['--base', base, '--run', `value head at 0=${zero}`, '--out', out]);
  assert.equal(lines.length, 3);
  assert.deepEqual(fs.readdirSync(out).sort(), ['ablation.csv', 'ablation.json', 'ablation.md', 'notes.txt']);
  const csv = parseCsv(fs.readFileSync(path.join(out, 'ablation.csv'), 'utf8'));
  const header = csv[0].fields;
  const row = csv.find((r) => r.fields[0] === 'value head at 0' && r.fields[1] === 'small')!.fields;
  assert.equal(Number(row[header.indexOf('ppo_ptx_change')]).toFixed(6), '0.100000');
  assert.equal(Number(row[header.indexOf('ppo_ptx_change_lower')]).toFixed(6), '-0.015953');
  assert.equal(row[header.indexOf('commit')], '1234567abcdef');
  const json = JSON.parse(fs.readFileSync(path.join(out, 'ablation.json'), 'utf8'));
  assert.equal(json.split, 'dev');
  assert.equal(json.readOut, DEV_NOTE);
  assert.deepEqual(json.runs[0].configChanges, [{ key: 'ppo.trainer.valueInit', base: 'reward', run: 'zero' }]);
  assert.match(fs.readFileSync(path.join(out, 'ablation.md'), 'utf8'), /^# Ablation \(dev split\)/);
  assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  const fresh = path.join(work, 'new', 'deeper');
  cli(['--base', base, '--run', `value head at 0=${zero}`, '--out', fresh]);
  assert.deepEqual(fs.readdirSync(fresh).sort(), ['ablation.csv', 'ablation.json', 'ablation.md']);
  refused(() => cli(['--base', base, '--run', `value head at 0=${zero}`, '--out', path.join(out, 'notes.txt')]), /--out: .*notes\.txt is a file, not a folder/);
});

test('refusals: one line naming the folder, file or key', () => {
  const sealed = fakeRun('sealed', { split: 'eval' });
  refused(() => cli(['--base', base, '--run', `x=${sealed}`]), new RegExp(`^tuning reads the dev split only; ${sealed} was evaluated on the sealed split$`));
  refused(() => cli(['--base', sealed, '--run', `x=${zero}`]), /tuning reads the dev split only; .*sealed was evaluated on the sealed split/);
  const unfinished = fakeRun('unfinished', { status: 'interrupted' });
  refused(() => cli(['--base', base, '--run', `x=${unfinished}`]), /unfinished: the run did not finish \(manifest status "interrupted"\)/);
  refused(() => cli(['--base', base, '--run', `x=${path.join(work, 'nope')}`]), /nope: not found/);
  const plain = path.join(work, 'plain');
  fs.mkdirSync(plain, { recursive: true });
  refused(() => cli(['--base', base, '--run', `x=${plain}`]), /plain: not a workbook run folder/);
  const noEval = fakeRun('no-eval', { winRates: false });
  refused(() => cli(['--base', base, '--run', `x=${noEval}`]), /no-eval: no eval\/win-rates\.json/);
  const smallOnly = fakeRun('small-only', {
    counts: {
      small: [
        [1, 0, 1],
        [1, 0, 1],
      ],
    },
  });
  refused(() => cli(['--base', base, '--run', `x=${smallOnly}`]), /small-only\/eval\/win-rates\.json: sizes small differ from the base run's \(small, large\)/);
  refused(() => cli(['--base', base, '--run', `a=${zero}`, '--run', `a=${rmLarge}`]), /--run label "a" given twice/);
  refused(() => cli(['--base', base, '--run', `base=${zero}`]), /--run label "base" given twice \(it names the base run\)/);
  refused(() => cli(['--base', base, '--run', zero]), /--run ".*zero": expected "label=runs\/<run-id>"/);
  refused(() => cli(['--base', base, '--run', `=${zero}`]), /expected "label=runs\/<run-id>"/);
  refused(() => cli(['--base', base]), /give at least one --run/);
  refused(() => cli(['--run', `a=${zero}`]), /required option '--base <dir>' not specified/);
  assert.throws(() => parseRunSpec('no-equals'), InputError);
  assert.deepEqual(parseRunSpec('RM = large=runs/x'), { label: 'RM', dir: 'large=runs/x' });
});

test('the CLI as a user calls it: bad input is one line on stderr and exit 2, nothing written', () => {
  const out = path.join(work, 'cli-out');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/tools/ablation-cli.ts'), '--base', base, '--run', 'no label here', '--out', out],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'ablation: --run "no label here": expected "label=runs/<run-id>" (a label for the row, then the run folder)\n');
  assert.ok(!fs.existsSync(out));
});

test('paired changes: each dev prompt re-judged in both runs from their answers, checked against their counts, narrower than independent', () => {
  // 20 dev prompts; SFT answers every one wrong; PPO-ptx answers the first 8 (base) or 12 (lever)
  // right and the rest as SFT does (a tie); PPO answers as SFT does everywhere
  const prompts = Array.from({ length: 20 }, (_, i) =>
    prompt(`d${i}`, 'closed_qa', 'country_capital', `What is the capital of Country${i}?`, { subject: `Country${i}`, answers: [`City${i}`] }),
  );
  const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 2, devLabelers: 2, heldOutLabelers: 2 });
  const judges = heldOutPanel(judgingPanel(panel, 'dev'));
  const sft = prompts.map(() => 'It is Atlantis.');
  const right = (k: number) => prompts.map((p, i) => (i < k ? `It is ${p.facts.answers[0]}.` : sft[i]));
  function pairedRun(id: string, k: number, o: { panel?: typeof panel; counts?: Counts } = {}): string {
    const ptx = right(k);
    const c = winCounts(heldOutPanel(judgingPanel(o.panel ?? panel, 'dev')), prompts, ptx, sft);
    const dir = fakeRun(id, {
      counts: {
        small: [o.counts ?? [c.wins, c.ties, c.losses], [0, 20, 0]],
        large: [o.counts ?? [c.wins, c.ties, c.losses], [0, 20, 0]],
      },
    });
    writeJsonlAtomic(path.join(dir, 'data', 'prompts-dev.jsonl'), prompts);
    fs.writeFileSync(path.join(dir, 'data', 'panel.json'), JSON.stringify(o.panel ?? panel));
    const rows = ['small', 'large'].flatMap((size) =>
      (
        [
          ['sft', sft],
          ['ppo', sft],
          ['ppo-ptx', ptx],
        ] as const
      ).flatMap(([kind, answers]) => prompts.map((p, i) => ({ model: `${kind}/${size}`, prompt: p.text, answer: answers[i] }))),
    );
    writeJsonlAtomic(path.join(dir, 'eval', 'answers.jsonl'), rows);
    return dir;
  }
  // every dev judge prefers the right capital, and identical answers tie
  assert.deepEqual(winCounts(judges, prompts, right(8), sft), { wins: 8, ties: 12, losses: 0 });
  const pBase = pairedRun('paired-base', 8);
  const pLever = pairedRun('paired-lever', 12);
  const a = buildAblation(pBase, [{ label: 'lever', dir: pLever }]);
  assert.equal(a.runs[0].unpaired, null);
  const ch = a.rows.find((r) => r.label === 'lever' && r.size === 'small')!.policies['ppo-ptx'].change!;
  // d_i = +0.5 on 4 prompts (tie -> win), 0 on 16: mean 0.1, s_d = sqrt((4·0.16 + 16·0.01)/19) = 0.2051957,
  // half = 1.959964 · 0.2051957 / sqrt(20) = 0.0899292; independent it would be ±0.1518182
  assert.ok(ch.paired);
  assert.ok(Math.abs(ch.difference - 0.1) < 1e-12, String(ch.difference));
  assert.ok(Math.abs(ch.lower - 0.0100708) < 1e-6 && Math.abs(ch.upper - 0.1899292) < 1e-6, JSON.stringify(ch));
  const independent = winRateChange({ wins: 8, ties: 12, losses: 0 }, { wins: 12, ties: 8, losses: 0 });
  assert.ok(Math.abs(independent.upper - independent.difference - 0.1518182) < 1e-6);
  assert.deepEqual(pairedWinRateChange([0.5, 1], [0.5, 1]), { difference: 0, lower: 0, upper: 0, paired: true });
  const md = ablationMarkdown(a);
  assert.match(md, /\| lever \| small \| 80\.0% \[.*\] \| 12\/8\/0 \| \+10\.0 \[\+1\.0, \+19\.0\] \| 50\.0% .* \| 0\/20\/0 \| \+0\.0 \[\+0\.0, \+0\.0\] \|/);
  assert.doesNotMatch(md, /not paired/);
  assert.equal(JSON.parse(JSON.stringify(a)).runs[0].unpaired, null);

  // other judges, or counts that re-judging does not reproduce: the counts, marked (i), with the reason
  const otherJudges = pairedRun('paired-other', 12, { panel: makePanel({ ...PANEL_DEFAULTS, trainLabelers: 2, devLabelers: 2, heldOutLabelers: 2, seed: 7 }) });
  const b = buildAblation(pBase, [{ label: 'other judges', dir: otherJudges }]);
  assert.match(b.runs[0].unpaired!, /paired-other was judged by other dev judges than the base run/);
  assert.equal(b.rows.find((r) => r.label === 'other judges')!.policies['ppo-ptx'].change!.paired, false);
  const stale = pairedRun('paired-stale', 12, { counts: [11, 9, 0] });
  const c = buildAblation(pBase, [{ label: 'stale', dir: stale }]);
  assert.match(
    c.runs[0].unpaired!,
    /paired-stale: re-judging PPO-ptx small gives 12\/8\/0, not eval\/win-rates\.json's 11\/9\/0 \(the judging code changed since the run\)/,
  );
  assert.match(ablationMarkdown(c), /\+[0-9.]+ \[.*\] \(i\)/);
});
