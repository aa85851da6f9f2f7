/**
 * The dev-split ablation table: what each tuning lever changed. A base run and one run per
 * lever, every one evaluated with `--param evaluation.split=dev` (dev prompts, dev judges), are
 * read side by side:
 *
 *   npm run ablation -- --base runs/A --run "value head at 0=runs/B" --run "RM large=runs/C" [--out docs/ablations/NAME]
 *
 * One row per (run, size): PPO-ptx's and PPO's win-rate against the same-size SFT model with its
 * 95% interval (from eval/win-rates.json), W/T/L, and the change against the base run's same
 * cell with a 95% interval for the difference (paired: each dev prompt's judgement in the run against
 * the same prompt's in the base, re-judged from both runs' eval/answers.jsonl, when the two runs
 * share their dev prompts and dev judges; otherwise the two runs' counts as independent samples);
 * the PPO-ptx model's RM reward, KL to SFT and
 * share of answers ending with EOS (ppo/summary.json); the dev judges' score and refusal rate of
 * PPO-ptx's last iteration (ppo/metrics.csv). Below the table, each run's lever: how its
 * config.json differs from the base run's, key by key, and its git commit.
 *
 * The mirror image of `npm run results`: a run evaluated on the sealed split is refused here
 * (tuning never reads it), as a dev-split run is refused there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { InputError } from '../util/jsonl';
import { parseCsv, toCsv } from '../data/csv';
import { meanWithStdErr, WinCounts, winRate, Z95 } from '../eval/stats';
import type { WinRow } from '../eval/three-h';
import { answersFor, loadAnswerBook } from '../eval/answer-book';
import { heldOutPanel, judgingPanel } from '../eval/judge';
import { loadRunPanel, loadSplitPrompts } from '../eval/run-data';
import { assignLabeler, prefer } from '../labelers/panel';
import { finishedRunManifest, readJson } from './results';

/** What every table here is, said at its top. */
export const DEV_NOTE = 'dev split: tuning read-out, not a result';

/** The label of the base run's rows. */
export const BASE_LABEL = 'base';

/** The policies compared, in table order: kind in eval/win-rates.json -> its label. */
export const POLICIES = [
  { kind: 'ppo-ptx', label: 'PPO-ptx' },
  { kind: 'ppo', label: 'PPO' },
] as const;
export type PolicyKind = (typeof POLICIES)[number]['kind'];

export interface RunSpec {
  label: string;
  dir: string;
}

/** `label=dir` as given to --run; refused in one line unless both parts are there. */
export function parseRunSpec(spec: string): RunSpec {
  const at = spec.indexOf('=');
  const label = at < 0 ? '' : spec.slice(0, at).trim();
  const dir = at < 0 ? '' : spec.slice(at + 1).trim();
  if (!label || !dir) throw new InputError(`--run "${spec}": expected "label=runs/<run-id>" (a label for the row, then the run folder)`);
  return { label, dir };
}

/** A same-size win-rate cell: the policy against the SFT model of its size (a row of
 *  win-rates.json, as 06 writes it, plus its n). `note` says why a cell is empty, or ''. */
export type WinCell = Pick<WinRow, 'winRate' | 'lower' | 'upper' | 'wins' | 'ties' | 'losses' | 'note'> & { n: number | null };

/** A change in win-rate against the base run, with its 95% interval: `paired` when it was
 *  computed prompt by prompt, else from the two runs' counts as independent samples. */
export interface Change {
  difference: number;
  lower: number;
  upper: number;
  paired: boolean;
}

/** Each dev prompt's judgement (1 win, 0.5 tie, 0 loss) of each policy against the SFT model of
 *  its size, in prompt order, as the run's own dev judges give it. */
export interface PromptOutcomes {
  promptIds: string[];
  /** the dev judges, as a string: two runs pair only when they were judged by the same ones */
  judges: string;
  bySize: Record<string, Record<PolicyKind, number[]>>;
}

export interface RunMeasures {
  'RM reward': number | null;
  /** PPO-ptx's RM reward minus the same-size SFT's, both from this run's summary (one RM, one scale) */
  'RM gain over SFT': number | null;
  'KL to SFT': number | null;
  'ends with EOS': number | null;
  'dev/judge_score': number | null;
  'dev/refusal_rate': number | null;
}

/** One read run folder. */
export interface AblationRun {
  label: string;
  /** the folder as given */
  dir: string;
  runId: string;
  profile: string;
  commit: string | null;
  dirty: boolean;
  /** config.json's `config` */
  config: Record<string, unknown>;
  /** size -> policy kind -> cell */
  cells: Record<string, Record<PolicyKind, WinCell>>;
  /** size -> PPO-ptx measures */
  measures: Record<string, RunMeasures>;
  sizes: string[];
  /** per-prompt judgements, or why there are none (the change is then computed from counts) */
  outcomes: PromptOutcomes | { missing: string };
}

export interface ConfigChange {
  key: string;
  /** the value in the base run's config, or null when the key is absent there */
  base: string | null;
  run: string | null;
}

export interface AblationRow {
  label: string;
  size: string;
  policies: Record<PolicyKind, WinCell & { change: Change | null }>;
  measures: RunMeasures;
}

type AboutRun = Omit<AblationRun, 'config' | 'cells' | 'measures' | 'outcomes'>;

export interface Ablation {
  base: AboutRun;
  /** `unpaired`: why this run's changes are not paired with the base's, or null when they are */
  runs: (AboutRun & { configChanges: ConfigChange[]; unpaired: string | null })[];
  rows: AblationRow[];
}

// ------------------------------------------------------------------ reading a run

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function count(v: unknown, file: string, key: string): number {
  if (!(Number.isInteger(v) && (v as number) >= 0)) throw new InputError(`${file}: ${key} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return v as number;
}

/** The same-size PPO-ptx and PPO cells of eval/win-rates.json, by size (in file order). */
function readWinCells(file: string): { sizes: string[]; cells: Record<string, Record<PolicyKind, WinCell>> } {
  const rows = readJson(file, path.dirname(path.dirname(file)));
  if (!Array.isArray(rows)) throw new InputError(`${file}: expected an array of win-rate rows`);
  const sizes: string[] = [];
  const cells: Record<string, Partial<Record<PolicyKind, WinCell>>> = {};
  for (const r of rows) {
    const policy = POLICIES.find((p) => p.kind === r?.kind);
    if (!policy || typeof r.size !== 'string' || r.baseline !== `SFT ${r.size}`) continue;
    const where = `${r.model ?? `${policy.label} ${r.size}`} vs ${r.baseline}`;
    let cell: WinCell;
    if (r.wins === null || r.wins === undefined)
      cell = { winRate: null, lower: null, upper: null, wins: null, ties: null, losses: null, n: null, note: r.note ?? '' };
    else {
      const wins = count(r.wins, file, `${where}: wins`);
      const ties = count(r.ties, file, `${where}: ties`);
      const losses = count(r.losses, file, `${where}: losses`);
      const n = wins + ties + losses;
      if (n === 0) throw new InputError(`${file}: ${where}: no judgements (wins + ties + losses = 0)`);
      cell = { winRate: finite(r.winRate) ?? (wins + ties / 2) / n, lower: finite(r.lower), upper: finite(r.upper), wins, ties, losses, n, note: r.note ?? '' };
    }
    if (!sizes.includes(r.size)) sizes.push(r.size);
    (cells[r.size] ??= {})[policy.kind] = cell;
  }
  if (!sizes.length) throw new InputError(`${file}: no PPO or PPO-ptx row against the SFT model of its size`);
  for (const s of sizes) for (const p of POLICIES) if (!cells[s][p.kind]) throw new InputError(`${file}: no ${p.label} ${s} row against SFT ${s}`);
  return { sizes, cells: cells as Record<string, Record<PolicyKind, WinCell>> };
}

/** The last iteration's value of `column` for PPO-ptx of `size` in ppo/metrics.csv, or null. */
function lastIteration(records: { header: string[]; rows: string[][] }, size: string, column: string): number | null {
  const col = records.header.indexOf(column);
  const [si, ki, ii] = ['size', 'kind', 'iteration'].map((c) => records.header.indexOf(c));
  if (col < 0 || si < 0 || ki < 0 || ii < 0) return null;
  let best: string[] | null = null;
  for (const f of records.rows) {
    if (f[si] !== size || f[ki] !== 'ppo-ptx') continue;
    if (!best || Number(f[ii]) > Number(best[ii])) best = f;
  }
  if (!best || best[col] === undefined || best[col].trim() === '') return null;
  return finite(Number(best[col]));
}

function readMeasures(abs: string, sizes: string[]): Record<string, RunMeasures> {
  const summaryFile = path.join(abs, 'ppo', 'summary.json');
  const summary = fs.existsSync(summaryFile) ? readJson(summaryFile, abs)?.summary : null;
  const metricsFile = path.join(abs, 'ppo', 'metrics.csv');
  let metrics = { header: [] as string[], rows: [] as string[][] };
  if (fs.existsSync(metricsFile)) {
    let records;
    try {
      records = parseCsv(fs.readFileSync(metricsFile, 'utf8'));
    } catch (e) {
      throw new InputError(`${metricsFile}: ${(e as Error).message}`);
    }
    if (records.length) metrics = { header: records[0].fields, rows: records.slice(1).map((r) => r.fields) };
  }
  const out: Record<string, RunMeasures> = {};
  for (const size of sizes) {
    const find = (model: string) => (Array.isArray(summary) ? summary.find((r: any) => r?.size === size && r?.model === model) : undefined);
    const row = find('PPO-ptx');
    const rm = finite(row?.['RM reward']);
    const sftRm = finite(find('SFT')?.['RM reward']);
    out[size] = {
      'RM reward': rm,
      'RM gain over SFT': rm === null || sftRm === null ? null : rm - sftRm,
      'KL to SFT': finite(row?.['KL to SFT']),
      'ends with EOS': finite(row?.['ends with EOS']),
      'dev/judge_score': lastIteration(metrics, size, 'dev/judge_score'),
      'dev/refusal_rate': lastIteration(metrics, size, 'dev/refusal_rate'),
    };
  }
  return out;
}

/**
 * Re-judge the run's dev-split answers prompt by prompt, as 06 judged them (the same prompts,
 * answers and dev judges), for a paired change. What is missing (an answer book, a model's
 * answers) is returned as the reason, not thrown: the table then falls back on counts. A
 * re-judgement that does not give the counts 06 wrote (the judging code changed since the run)
 * is a reason too, so a paired interval is only ever computed from the judgements the table shows.
 */
function readOutcomes(abs: string, dir: string, config: any, sizes: string[], cells: AblationRun['cells']): PromptOutcomes | { missing: string } {
  const answersFile = path.join(abs, 'eval', 'answers.jsonl');
  for (const [file, what] of [
    [answersFile, 'eval/answers.jsonl'],
    [path.join(abs, 'data', 'prompts-dev.jsonl'), 'data/prompts-dev.jsonl'],
    [path.join(abs, 'data', 'panel.json'), 'data/panel.json'],
  ])
    if (!fs.existsSync(file)) return { missing: `${dir} has no ${what}` };
  const limit = Number(config?.evaluation?.prompts ?? 0);
  const all = loadSplitPrompts(abs, 'dev');
  const prompts = limit > 0 ? all.slice(0, limit) : all;
  const judges = heldOutPanel(judgingPanel(loadRunPanel(abs), 'dev'));
  const book = loadAnswerBook(answersFile);
  const bySize: PromptOutcomes['bySize'] = {};
  for (const size of sizes) {
    const sft = answersFor(book, `sft/${size}`, prompts);
    if (!sft) return { missing: `${dir}: eval/answers.jsonl has no answers of SFT ${size}` };
    bySize[size] = {} as Record<PolicyKind, number[]>;
    for (const p of POLICIES) {
      const answers = answersFor(book, `${p.kind}/${size}`, prompts);
      if (!answers) return { missing: `${dir}: eval/answers.jsonl has no answers of ${p.label} ${size}` };
      const scores = prompts.map((q, i) => (prefer(assignLabeler(judges, q, true), q, answers[i], sft[i]) + 1) / 2);
      const c = cells[size][p.kind];
      const wins = scores.filter((x) => x === 1).length;
      const ties = scores.filter((x) => x === 0.5).length;
      if (c.wins !== wins || c.ties !== ties || c.losses !== scores.length - wins - ties)
        return {
          missing: `${dir}: re-judging ${p.label} ${size} gives ${wins}/${ties}/${scores.length - wins - ties}, not eval/win-rates.json's ${c.wins}/${c.ties}/${c.losses} (the judging code changed since the run)`,
        };
      bySize[size][p.kind] = scores;
    }
  }
  return { promptIds: prompts.map((q) => q.prompt_id), judges: JSON.stringify(judges), bySize };
}

/**
 * A finished run evaluated on the dev split, read for the table. Refused in one line: a missing
 * folder, one that is not a run, a run that did not finish, a run evaluated on the sealed split,
 * a run without eval/win-rates.json.
 */
export function readAblationRun(spec: RunSpec): AblationRun {
  const { label, dir } = spec;
  const abs = path.resolve(dir);
  const m = finishedRunManifest(abs, dir);
  const c = readJson(path.join(abs, 'config.json'), dir);
  if (c?.config?.evaluation?.split !== 'dev') throw new InputError(`tuning reads the dev split only; ${dir} was evaluated on the sealed split`);
  const winFile = path.join(abs, 'eval', 'win-rates.json');
  if (!fs.existsSync(winFile)) throw new InputError(`${dir}: no eval/win-rates.json (06-evaluation did not run in it)`);
  const { sizes, cells } = readWinCells(winFile);
  return {
    outcomes: readOutcomes(abs, dir, c.config, sizes, cells),
    label,
    dir,
    runId: typeof m.runId === 'string' ? m.runId : path.basename(abs),
    profile: String(m.profile ?? c.profile ?? '?'),
    commit: typeof m.git?.commit === 'string' ? m.git.commit : null,
    dirty: !!m.git?.dirty,
    config: c.config,
    cells,
    measures: readMeasures(abs, sizes),
    sizes,
  };
}

// ------------------------------------------------------------------ the statistics

/**
 * The change in win-rate from `base` to `run` (per-prompt score 1, 0.5, 0 for a win, tie, loss),
 * with a 95% interval d ± z sqrt(v1/n1 + v2/n2), each v = (W + T/4)/n - p² the variance of the
 * per-prompt score from the counts. The two runs are treated as independent samples; when they
 * are judged on the same prompts a paired interval would be narrower, so this one is conservative.
 */
export function winRateChange(base: WinCounts, run: WinCounts): Change {
  const stats = (c: WinCounts) => {
    const p = winRate(c); // ties half; refuses no judgements
    const n = c.wins + c.ties + c.losses;
    return { n, p, v: Math.max(0, (c.wins + c.ties / 4) / n - p * p) };
  };
  const a = stats(base);
  const b = stats(run);
  const difference = b.p - a.p;
  const half = Z95 * Math.sqrt(a.v / a.n + b.v / b.n);
  return { difference, lower: difference - half, upper: difference + half, paired: false };
}

/**
 * The change in win-rate from `base` to `run` judged on the same prompts, prompt by prompt: the
 * mean of d_i = run_i - base_i (each 1, 0.5 or 0) with the 95% interval mean ± z·s_d/sqrt(n). The
 * same SFT answer and the same judge sit on both sides of each d_i, so what the prompt alone
 * decides cancels, and the interval is narrower than the independent one whenever the two runs'
 * judgements go together.
 */
export function pairedWinRateChange(base: readonly number[], run: readonly number[]): Change {
  if (base.length !== run.length) throw new Error(`pairedWinRateChange: ${base.length} base judgements but ${run.length} run judgements`);
  const { mean, stdErr } = meanWithStdErr(run.map((x, i) => x - base[i]));
  return { difference: mean, lower: mean - Z95 * stdErr, upper: mean + Z95 * stdErr, paired: true };
}

/** Why `run`'s judgements cannot be paired with `base`'s, or null when they can. */
export function unpairedReason(base: AblationRun, run: AblationRun): string | null {
  if ('missing' in base.outcomes) return base.outcomes.missing;
  if ('missing' in run.outcomes) return run.outcomes.missing;
  if (JSON.stringify(base.outcomes.promptIds) !== JSON.stringify(run.outcomes.promptIds)) return `${run.dir} was judged on other dev prompts than the base run`;
  if (base.outcomes.judges !== run.outcomes.judges) return `${run.dir} was judged by other dev judges than the base run`;
  return null;
}

/** Every leaf of `value` by its dotted key (array items by index). */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (!entries.length) out[prefix] = value;
    for (const [k, v] of entries) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
  return out;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** How `run`'s config differs from `base`'s, one dotted key each, sorted by key. */
export function configChanges(base: unknown, run: unknown): ConfigChange[] {
  const a = flattenConfig(base);
  const b = flattenConfig(run);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => !(k in a && k in b && JSON.stringify(a[k]) === JSON.stringify(b[k])))
    .map((key) => ({ key, base: key in a ? show(a[key]) : null, run: key in b ? show(b[key]) : null }));
}

/** `key: base -> run`, an absent side written (absent). */
export const changeLine = (c: ConfigChange) => `${c.key}: ${c.base ?? '(absent)'} -> ${c.run ?? '(absent)'}`;

// ------------------------------------------------------------------ the table

/** Read the base run and each lever's run, and put them side by side. */
export function buildAblation(baseDir: string, specs: RunSpec[]): Ablation {
  if (!specs.length) throw new InputError('give at least one --run "label=runs/<run-id>" to compare with the base run');
  const labels = [BASE_LABEL, ...specs.map((s) => s.label)];
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice) throw new InputError(`--run label "${twice}" given twice${twice === BASE_LABEL ? ' (it names the base run)' : ''}; each row needs its own label`);
  const base = readAblationRun({ label: BASE_LABEL, dir: baseDir });
  const runs = specs.map(readAblationRun);
  for (const r of runs) {
    const same = r.sizes.length === base.sizes.length && r.sizes.every((s) => base.sizes.includes(s));
    if (!same)
      throw new InputError(
        `${path.join(r.dir, 'eval', 'win-rates.json')}: sizes ${r.sizes.join(', ')} differ from the base run's (${base.sizes.join(', ')}); compare runs of the same sizes`,
      );
  }
  const unpaired = new Map(runs.map((r) => [r, unpairedReason(base, r)]));
  const rows: AblationRow[] = [];
  for (const r of [base, ...runs])
    for (const size of base.sizes) {
      const policies = {} as AblationRow['policies'];
      for (const p of POLICIES) {
        const cell = r.cells[size][p.kind];
        const was = base.cells[size][p.kind];
        let change: Change | null = null;
        if (r !== base && cell.wins !== null && was.wins !== null)
          change =
            unpaired.get(r) === null && !('missing' in base.outcomes) && !('missing' in r.outcomes)
              ? pairedWinRateChange(base.outcomes.bySize[size][p.kind], r.outcomes.bySize[size][p.kind])
              : winRateChange({ wins: was.wins, ties: was.ties!, losses: was.losses! }, { wins: cell.wins, ties: cell.ties!, losses: cell.losses! });
        policies[p.kind] = { ...cell, change };
      }
      rows.push({ label: r.label, size, policies, measures: r.measures[size] });
    }
  const about = ({ config, cells, measures, outcomes, ...rest }: AblationRun) => rest;
  return {
    base: about(base),
    runs: runs.map((r) => ({ ...about(r), configChanges: configChanges(base.config, r.config), unpaired: unpaired.get(r)! })),
    rows,
  };
}

const cell = (s: string) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));
const signed = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);
const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
const commitWords = (r: { commit: string | null; dirty: boolean }) =>
  r.commit ? `\`${r.commit.slice(0, 7)}\`${r.dirty ? ' (with uncommitted changes)' : ''}` : 'unknown';

function winText(c: WinCell): string {
  if (c.winRate === null) return '-';
  return c.lower === null || c.upper === null ? pct(c.winRate) : `${pct(c.winRate)} [${pct(c.lower)}, ${pct(c.upper)}]`;
}

const changeText = (row: AblationRow, kind: PolicyKind) => {
  if (row.label === BASE_LABEL) return '(base)';
  const ch = row.policies[kind].change;
  return ch ? `${points(ch.difference)} [${points(ch.lower)}, ${points(ch.upper)}]${ch.paired ? '' : ' (i)'}` : '-';
};

export const NOTE_CHANGE =
  'The change is the difference in win-rate from the base run, in percentage points (per-prompt score 1, 0.5, 0 for a win, tie, loss), ' +
  "with a 95% interval. Paired, where both runs were judged on the same dev prompts by the same dev judges: each prompt's judgement " +
  "in the run minus the same prompt's in the base (re-judged from both runs' eval/answers.jsonl and checked against their counts), " +
  'mean ± 1.96·s_d/√n. Marked (i) where they cannot be paired (the reason is under the run below): the two runs as independent ' +
  'samples, d ± 1.96·sqrt(v₁/n₁ + v₂/n₂) with v = (W + T/4)/n − p² from the counts, which is wider.';

/** The ablation as markdown: the table, then the notes and each run's lever. */
export function ablationMarkdown(a: Ablation, command?: string): string {
  const wtl = (c: WinCell) => (c.wins === null ? '-' : `${c.wins}/${c.ties}/${c.losses}`);
  const header = [
    'run',
    'size',
    'PPO-ptx vs SFT',
    'W/T/L',
    'change vs base (pts)',
    'PPO vs SFT',
    'W/T/L',
    'change vs base (pts)',
    'RM reward (PPO-ptx)',
    'RM gain over SFT',
    'KL to SFT',
    'ends with EOS',
    'dev judges (last it.)',
    'dev refusals (last it.)',
  ];
  const rows = a.rows.map((r) => {
    const x = r.policies['ppo-ptx'];
    const y = r.policies.ppo;
    const m = r.measures;
    return [
      r.label,
      r.size,
      winText(x),
      wtl(x),
      changeText(r, 'ppo-ptx'),
      winText(y),
      wtl(y),
      changeText(r, 'ppo'),
      num(m['RM reward']),
      signed(m['RM gain over SFT']),
      num(m['KL to SFT']),
      pct(m['ends with EOS']),
      num(m['dev/judge_score']),
      pct(m['dev/refusal_rate']),
    ];
  });
  const empty = a.rows.flatMap((r) =>
    POLICIES.filter((p) => r.policies[p.kind].winRate === null).map(
      (p) => `- ${r.label}, ${p.label} ${r.size}: no win-rate (${r.policies[p.kind].note || 'no note'})`,
    ),
  );
  const lever = (r: Ablation['runs'][number]) => {
    const lines = r.configChanges.map((c) => `  - \`${cell(changeLine(c))}\``);
    const code =
      r.commit && r.commit === a.base.commit && !r.dirty && !a.base.dirty
        ? ', same commit as the base'
        : r.commit && a.base.commit && r.commit !== a.base.commit
          ? ', another commit than the base: the code differs too'
          : '';
    return [
      `- **${cell(r.label)}**: \`${r.dir}\` (run \`${r.runId}\`, profile \`${r.profile}\`, commit ${commitWords(r)}${code})`,
      ...(lines.length ? lines : ['  - same config as the base run (the change, if any, is in the code: compare the commits)']),
      ...(r.unpaired ? [`  - changes not paired (i): ${cell(r.unpaired)}`] : []),
    ];
  };
  return [
    '# Ablation (dev split)',
    '',
    `**${DEV_NOTE}.** Every run here was evaluated with \`evaluation.split=dev\` (dev prompts, dev judges); ` +
      'results come only from the sealed split (`npm run results`).',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    '## Notes',
    '',
    "- Win-rates are against the SFT model of the same size, ties counted half, with the 95% interval from each run's `eval/win-rates.json`.",
    `- ${NOTE_CHANGE}`,
    "- RM reward, KL to SFT and ends with EOS: the PPO-ptx row of each run's `ppo/summary.json` (dev prompts). The RM reward is each run's own reward model's: when a lever changes the reward model, its rewards are on another scale. The RM gain is PPO-ptx's reward minus the same-size SFT's in the same summary (one RM, so one scale): how far PPO moved the score it optimises, on prompts it did not train on.",
    "- Dev judges and dev refusals: PPO-ptx's last iteration in each run's `ppo/metrics.csv` (the dev judges' mean score and refusal rate of its rollout); " +
      '"-" where the run did not record them.',
    ...empty,
    '',
    '## Runs',
    '',
    `- **${BASE_LABEL}**: \`${a.base.dir}\` (run \`${a.base.runId}\`, profile \`${a.base.profile}\`, commit ${commitWords(a.base)})`,
    ...a.runs.flatMap(lever),
    ...(command ? ['', `Written by \`${command}\`.`] : []),
    '',
  ].join('\n');
}

/** One CSV row per (run, size), rates as fractions. */
export function ablationCsv(a: Ablation): string {
  const commit = new Map([[BASE_LABEL, a.base.commit], ...a.runs.map((r) => [r.label, r.commit] as const)]);
  const columns = ['run', 'size'];
  for (const p of ['ppo_ptx', 'ppo'])
    columns.push(
      ...['win_rate', 'lower', 'upper', 'wins', 'ties', 'losses', 'n', 'change', 'change_lower', 'change_upper', 'change_paired'].map((c) => `${p}_${c}`),
    );
  columns.push('rm_reward', 'rm_gain_over_sft', 'kl_to_sft', 'ends_with_eos', 'dev_judge_score', 'dev_refusal_rate', 'commit');
  const rows = a.rows.map((r) => {
    const out: Record<string, unknown> = { run: r.label, size: r.size };
    for (const [p, kind] of [
      ['ppo_ptx', 'ppo-ptx'],
      ['ppo', 'ppo'],
    ] as const) {
      const c = r.policies[kind];
      Object.assign(out, {
        [`${p}_win_rate`]: c.winRate,
        [`${p}_lower`]: c.lower,
        [`${p}_upper`]: c.upper,
        [`${p}_wins`]: c.wins,
        [`${p}_ties`]: c.ties,
        [`${p}_losses`]: c.losses,
        [`${p}_n`]: c.n,
        [`${p}_change`]: c.change?.difference,
        [`${p}_change_lower`]: c.change?.lower,
        [`${p}_change_upper`]: c.change?.upper,
        [`${p}_change_paired`]: c.change?.paired,
      });
    }
    return {
      ...out,
      rm_reward: r.measures['RM reward'],
      rm_gain_over_sft: r.measures['RM gain over SFT'],
      kl_to_sft: r.measures['KL to SFT'],
      ends_with_eos: r.measures['ends with EOS'],
      dev_judge_score: r.measures['dev/judge_score'],
      dev_refusal_rate: r.measures['dev/refusal_rate'],
      commit: commit.get(r.label),
    };
  });
  return toCsv(columns, rows);
}

/** Write ablation.md, ablation.csv and ablation.json into `outDir` (made if missing); returns the files. */
export function writeAblation(a: Ablation, outDir: string, command?: string): string[] {
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new InputError(`--out: ${outDir} is a file, not a folder`);
  fs.mkdirSync(outDir, { recursive: true });
  const files = ['ablation.md', 'ablation.csv', 'ablation.json'].map((f) => path.join(outDir, f));
  writeFileAtomic(files[0], ablationMarkdown(a, command));
  writeFileAtomic(files[1], ablationCsv(a));
  writeJsonAtomic(files[2], { split: 'dev', readOut: DEV_NOTE, note: NOTE_CHANGE, command: command ?? null, ...a });
  return files;
}
