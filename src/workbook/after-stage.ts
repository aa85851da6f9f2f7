/**
 * 07-after-instructgpt: the methods that came after the paper, each started from the same SFT
 * model, fed by the same labelers' comparisons or the same reward model, and judged by the
 * same evaluation as 06 (its split: the sealed prompts and judges, or the dev ones for tuning), one
 * size at a time:
 *
 *   SFT        the baseline every win-rate is against (06's answers)
 *   best-of-n  n samples from SFT, the RM's best kept; nothing trained; KL exact
 *   PPO-ptx    05's policy (06's answers)
 *   DPO        trained on the RM's training comparisons expanded to pairs, reference = SFT
 *   RLOO       REINFORCE with a leave-one-out baseline on the RM's score minus beta * KL
 *
 * For each, one row: win-rate against same-size SFT on 06's prompts (that split's judges,
 * 95% Wilson interval), KL to SFT (best-of-n: log n - (n-1)/n against the SFT sampler; the
 * trained policies: measured on their samples at the evaluation temperature), mean RM score,
 * the task suite's right answers (the alignment tax), wall seconds and optimiser steps.
 *
 * Defaults are not tuned on these prompts: DPO's beta is its paper's 0.1 and RLOO takes PPO's
 * rollout settings (the profile's `ppo.trainer`); what 07 reports is on the sealed prompts.
 * The trained policies are kept at after/<size>/<method>/ with result.json written last, so a
 * run resumes at the first method without one.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Prompt } from '../data/types';
import { factPool } from '../data/pool';
import { answerPrompts } from '../eval/answers';
import { loadAnswerBook, loadModel, answersFor, AnswerBook } from '../eval/answer-book';
import { judgingPanel, winCounts } from '../eval/judge';
import { measurePolicy } from '../eval/measure-policy';
import { probeSets } from '../eval/probes';
import { modelRoster } from '../eval/roster';
import { loadRunPanel, loadSplitPrompts } from '../eval/run-data';
import { winRateInterval, proportion } from '../eval/stats';
import { aboveHalf } from '../eval/verdicts';
import type { WinRow } from '../eval/three-h';
import { answerMatch, suiteContinuations, SuiteItem, taskSuite, TaskSuiteRow } from '../eval/task-suite';
import type { Labeler } from '../labelers/panel';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint';
import type { GPT } from '../model/gpt';
import { loadPrompts } from '../data/prompts';
import { loadRankings } from '../data/tables';
import { bestOfN } from '../train/best-of-n';
import { PreferencePair, rankingsToPairs, trainDpo } from '../train/dpo';
import { disposePpoModels, loadPpoModels } from '../train/ppo-models';
import type { PpoModels } from '../train/ppo-types';
import { RewardModel } from '../train/reward';
import { readJsonl } from '../util/jsonl';
import { trainRloo } from '../train/rloo';
import { writeJsonAtomic } from '../util/atomic';
import { artifacts, requireArtifact } from '../util/artifacts';
import { hashSeed, Rng } from '../util/random';
import type { WorkbookConfig } from './profiles';
import { dpoTrainerConfig, rlooTrainerConfig } from './stage-configs';

export const METHODS = ['SFT', 'best-of-n', 'PPO-ptx', 'DPO', 'RLOO'] as const;
export type Method = (typeof METHODS)[number];

/**
 * One method at one size: the row of 07's table. winRate, its interval and counts are against
 * same-size SFT on the sealed prompts (ties half, 95% Wilson interval); null for SFT itself.
 */
export interface MethodRow extends Pick<WinRow, 'winRate' | 'lower' | 'upper' | 'wins' | 'ties' | 'losses'> {
  size: string;
  method: Method;
  /** best-of-n's n; 0 otherwise */
  n: number;
  /** KL to SFT in nats per answer */
  kl: number | null;
  /** mean RM score of its answers */
  rmScore: number | null;
  /** task suite: right answers of n (all tasks) */
  taxCorrect: number | null;
  taxN: number | null;
  taxAccuracy: number | null;
  /** wall seconds of the method's own work (training; best-of-n: its share of sampling and scoring) */
  seconds: number | null;
  optimiserSteps: number;
  note: string;
}

/** What 07 reads from the run folder. */
export interface AfterStageData {
  /** 06's split (`evaluation.split`): 07 answers and judges the same prompts with the same judges */
  split: 'eval' | 'dev';
  prompts: Prompt[];
  /** the run's panel with that split's judges marked held out */
  panel: Labeler[];
  book: AnswerBook;
  ppoPrompts: string[];
  pairs: PreferencePair[];
  suiteItems: SuiteItem[];
  /** 06's task-suite rows (SFT and PPO-ptx are read from here) */
  suiteRows: TaskSuiteRow[];
  sizes: string[];
}

export function prepareAfterStage(runDir: string, cfg: WorkbookConfig): AfterStageData {
  const a = artifacts(runDir);
  const ev = cfg.evaluation;
  const evalFile = requireArtifact(path.join(a.eval, 'answers.jsonl'), "06's answers", '06-evaluation');
  const suiteFile = requireArtifact(path.join(a.eval, 'task-suite.json'), "06's task-suite table", '06-evaluation');
  const all = loadSplitPrompts(runDir, ev.split); // 06's answer book holds this split's prompts only
  const evalPrompts = ev.prompts > 0 ? all.slice(0, ev.prompts) : all;
  const main = probeSets(evalPrompts).main;
  const prompts = cfg.after.prompts > 0 ? main.slice(0, cfg.after.prompts) : main;
  return {
    split: ev.split,
    prompts,
    panel: judgingPanel(loadRunPanel(runDir), ev.split),
    book: loadAnswerBook(evalFile),
    ppoPrompts: loadPrompts(requireArtifact(path.join(a.data, 'prompts-ppo.jsonl'), 'PPO prompts', '01-data')).map((p) => p.text),
    pairs: dpoPairs(runDir, cfg),
    suiteItems: taskSuite(evalPrompts, factPool(cfg.seed), ev, cfg.seed), // the items 06 asked
    suiteRows: JSON.parse(fs.readFileSync(suiteFile, 'utf8')),
    sizes: cfg.models.sizes.map((s) => s.name),
  };
}

/**
 * DPO's training pairs: 04's training rankings (the ones the RM learned from) expanded to every
 * pair with different ranks, then `after.dpoPairs` of them drawn with the run's seed (0 = all).
 * `file`: another comparisons file of 04 (e.g. validation-training-labelers.jsonl, held-out users).
 */
export function dpoPairs(runDir: string, cfg: WorkbookConfig, file = 'train.jsonl', count = cfg.after.dpoPairs): PreferencePair[] {
  const at = requireArtifact(path.join(artifacts(runDir).reward, 'comparisons', file), `04's comparisons ${file}`, '04-reward-model');
  const expanded = rankingsToPairs(loadRankings(at));
  const label = file === 'train.jsonl' ? `${cfg.seed}:dpo-pairs` : `${cfg.seed}:dpo-pairs:${file}`;
  return count > 0 ? new Rng(label).shuffle(expanded).slice(0, count) : expanded;
}

export interface AfterStageHooks {
  /** a step of the size's work begins (e.g. "DPO: training") */
  onStep?: (size: string, step: string) => void | Promise<void>;
  /** progress inside a step: done of total */
  onProgress?: (size: string, step: string, done: number, total: number) => void | Promise<void>;
  onRow?: (row: MethodRow) => void | Promise<void>;
}

const EMPTY = { winRate: null, lower: null, upper: null, wins: null, ties: null, losses: null } as const;

/** Every method at every size; rows in METHODS order per size. */
export async function runAfterStage(runDir: string, cfg: WorkbookConfig, data: AfterStageData, hooks: AfterStageHooks = {}): Promise<MethodRow[]> {
  const rows: MethodRow[] = [];
  for (const size of data.sizes) {
    for (const r of await runSize(runDir, cfg, data, size, hooks)) {
      rows.push(r);
      await hooks.onRow?.(r);
    }
  }
  return rows;
}

async function runSize(runDir: string, cfg: WorkbookConfig, data: AfterStageData, size: string, hooks: AfterStageHooks): Promise<MethodRow[]> {
  const ev = cfg.evaluation;
  const t = cfg.ppo.trainer;
  const step = async (s: string) => hooks.onStep?.(size, s);
  const texts = data.prompts.map((p) => p.text);
  const sftAnswers = answersFor(data.book, `sft/${size}`, data.prompts);
  if (!sftAnswers)
    throw new Error(`${path.join(artifacts(runDir).eval, 'answers.jsonl')}: no answers of SFT ${size}: run notebook 06-evaluation first (same runDir)`);
  const sampler = { maxNewTokens: ev.maxNewTokens, temperature: ev.temperature, topP: ev.topP };
  const versusSft = (answers: readonly string[]) => {
    const c = winCounts(data.panel, data.prompts, answers, sftAnswers);
    const ci = winRateInterval(c);
    return { winRate: ci.rate, lower: ci.lower, upper: ci.upper, wins: c.wins, ties: c.ties, losses: c.losses };
  };
  const from06 = (kind: string) => {
    const r = data.suiteRows.find((x) => x.kind === kind && x.size === size && x.task === 'all');
    return r && r.correctCount !== null
      ? { taxCorrect: r.correctCount, taxN: r.n, taxAccuracy: r.accuracy }
      : { taxCorrect: null, taxN: null, taxAccuracy: null };
  };
  const suite = async (policy: GPT, tokenizer: PpoModels['tokenizer']) => {
    const cont = await suiteContinuations(policy, tokenizer, data.suiteItems, ev, 'instruction');
    const k = data.suiteItems.filter((x, i) => answerMatch(x, cont[i])).length;
    return { taxCorrect: k, taxN: data.suiteItems.length, taxAccuracy: proportion(k, data.suiteItems.length).rate };
  };

  const start = loadPpoModels(runDir, size, 'frozen', 'reward');
  const m = start.models;
  const measureFor = async (policy: GPT) => {
    const got = await measurePolicy({ ...m, policy }, texts.slice(0, cfg.after.measurePrompts), {
      maxNewTokens: ev.maxNewTokens,
      temperature: ev.temperature,
      seed: cfg.seed,
      batchSize: ev.batchSize,
    });
    return { kl: got.kl, rmScore: got.reward };
  };
  const rows: MethodRow[] = [];
  try {
    // SFT: the baseline
    await step('SFT: measuring');
    rows.push({
      size,
      method: 'SFT',
      n: 0,
      ...EMPTY,
      ...(await measureFor(m.reference)),
      kl: 0,
      ...from06('sft'),
      seconds: 0,
      optimiserSteps: 0,
      note: start.note,
    });

    // best-of-n: N samples per prompt from SFT with 06's sampler, scored by the RM
    await step(`best-of-n: ${Math.max(...cfg.after.bestOfN)} samples per prompt`);
    const N = Math.max(...cfg.after.bestOfN);
    const t0 = Date.now();
    const many = texts.flatMap((p) => new Array<string>(N).fill(p));
    const { answers } = await answerPrompts(m.reference, m.tokenizer, many, {
      batchSize: ev.batchSize,
      generation: { ...sampler, seed: hashSeed(`${cfg.seed}:best-of-n`) },
      onBatch: (done) => hooks.onProgress?.(size, 'best-of-n', done, many.length),
    });
    // the RM loadPpoModels already holds (same run, same tokenizer): not loaded a second time
    const scores = await new RewardModel(m.rewardModel, m.rewardHead, m.tokenizer).score(
      answers.map((answer, j) => ({ prompt: many[j], answer })),
      ev.batchSize,
    );
    const drawSeconds = (Date.now() - t0) / 1000;
    for (const n of cfg.after.bestOfN) {
      const pick = bestOfN({ answers, scores, N }, n);
      rows.push({
        size,
        method: 'best-of-n',
        n,
        ...versusSft(pick.answers),
        kl: pick.kl,
        rmScore: pick.scores.reduce((s, x) => s + x, 0) / pick.scores.length,
        taxCorrect: null,
        taxN: null,
        taxAccuracy: null,
        seconds: (drawSeconds * n) / N,
        optimiserSteps: 0,
        note: `best of ${n} of SFT's samples (temperature ${ev.temperature}, top-p ${ev.topP}); seconds: ${n}/${N} of drawing and scoring ${N} per prompt; task suite not asked`,
      });
    }

    // PPO-ptx: 05's policy, 06's answers
    await step('PPO-ptx: measuring');
    const ptx = modelRoster(runDir, [size]).find((e) => e.kind === 'ppo-ptx');
    const ptxAnswers = answersFor(data.book, `ppo-ptx/${size}`, data.prompts);
    if (ptx?.dir && ptxAnswers) {
      const pol = loadModel(ptx.dir);
      let measured;
      try {
        measured = await measureFor(pol.model);
      } finally {
        pol.dispose();
      }
      const secs = ppoSeconds(path.join(ptx.dir, 'metrics.jsonl'));
      rows.push({
        size,
        method: 'PPO-ptx',
        n: 0,
        ...versusSft(ptxAnswers),
        ...measured,
        ...from06('ppo-ptx'),
        seconds: secs,
        optimiserSteps: t.iterations * t.ppoEpochs * (t.rolloutBatch / t.miniBatch),
        note: `05's policy and 06's answers; ${t.iterations} iterations of ${t.rolloutBatch} answers`,
      });
    } else {
      rows.push({
        size,
        method: 'PPO-ptx',
        n: 0,
        ...EMPTY,
        kl: null,
        rmScore: null,
        taxCorrect: null,
        taxN: null,
        taxAccuracy: null,
        seconds: null,
        optimiserSteps: 0,
        note: ptx?.note || 'no PPO-ptx answers in 06',
      });
    }

    // DPO and RLOO: trained from a fresh copy of SFT, kept, then answered and measured like the rest
    for (const method of ['DPO', 'RLOO'] as const) {
      const dir = path.join(runDir, 'after', size, method.toLowerCase());
      const done = path.join(dir, 'result.json');
      const recipe = {
        method,
        size,
        sft: path.relative(runDir, start.sftDir),
        trainer: method === 'DPO' ? dpoTrainerConfig(cfg) : rlooTrainerConfig(cfg),
        data: method === 'DPO' ? data.pairs.length : data.ppoPrompts.length,
      };
      const kept = fs.existsSync(done) && sameRecipe(done, recipe);
      const policy = loadCheckpoint(kept ? dir : start.sftDir, { withOptimizer: false });
      for (const h of policy.heads.values()) h.dispose();
      let result: TrainedResult;
      try {
        if (kept) {
          await step(`${method}: kept from an earlier run`);
          result = JSON.parse(fs.readFileSync(done, 'utf8'));
        } else {
          await step(`${method}: training`);
          result = {
            ...(method === 'DPO' ? await dpoRun(cfg, data, m, policy.model, size, hooks) : await rlooRun(cfg, data, m, policy.model, size, hooks)),
            recipe,
          };
          await saveCheckpoint(dir, { model: policy.model, tokenizer: m.tokenizer, extra: { method, size } });
          writeJsonAtomic(done, result);
        }
        await step(`${method}: answering`);
        const out = await answerPrompts(policy.model, m.tokenizer, texts, { batchSize: ev.batchSize, generation: { ...sampler, seed: cfg.seed } });
        rows.push({
          size,
          method,
          n: 0,
          ...versusSft(out.answers),
          ...(await measureFor(policy.model)),
          ...(await suite(policy.model, m.tokenizer)),
          seconds: result.seconds,
          optimiserSteps: result.optimiserSteps,
          note: result.note,
        });
      } finally {
        policy.model.dispose();
      }
    }
  } finally {
    disposePpoModels(m);
  }
  return rows;
}

/** What result.json keeps of a training run: cost, a one-line note, the per-step rows, and the recipe it was trained with. */
export interface TrainedResult {
  seconds: number;
  optimiserSteps: number;
  note: string;
  rows: Record<string, number>[];
  recipe?: unknown;
}

/**
 * A kept policy is reused only when it was trained with the same recipe (method, size, SFT
 * checkpoint, trainer config, data count); otherwise the run stops with one line saying what
 * differs, and the kept policy stays on disk untouched.
 */
export function sameRecipe(file: string, recipe: unknown): boolean {
  let was: unknown;
  try {
    was = JSON.parse(fs.readFileSync(file, 'utf8')).recipe;
  } catch (e) {
    throw new Error(`${file}: not readable JSON (${(e as Error).message}); move ${path.dirname(file)} away to train again`);
  }
  if (JSON.stringify(was) === JSON.stringify(recipe)) return true;
  if (was === undefined) throw new Error(`${file}: this policy has no recipe (trained before 07 kept one); move ${path.dirname(file)} away to train it again`);
  const flat = (x: unknown, at = ''): Record<string, string> =>
    x && typeof x === 'object' ? Object.assign({}, ...Object.entries(x).map(([k, v]) => flat(v, at ? `${at}.${k}` : k))) : { [at]: JSON.stringify(x) };
  const a = flat(was);
  const b = flat(recipe);
  const key = [...new Set([...Object.keys(a), ...Object.keys(b)])].find((k) => a[k] !== b[k]);
  throw new Error(
    `${file}: this policy was trained with ${key ?? 'recipe'} = ${key ? (a[key] ?? 'nothing') : 'none'}, this run asks for ${key ? (b[key] ?? 'nothing') : JSON.stringify(recipe)}; ` +
      `continue with the params it was trained with, or start a new run (--run-id)`,
  );
}

/** Sum of 05's per-iteration wall seconds for one policy, or null without its metrics. */
function ppoSeconds(file: string): number | null {
  if (!fs.existsSync(file)) return null;
  return readJsonl<Record<string, unknown>>(file).reduce((sum, r) => sum + (Number(r['time/seconds']) || 0), 0);
}

async function dpoRun(cfg: WorkbookConfig, data: AfterStageData, m: PpoModels, policy: GPT, size: string, hooks: AfterStageHooks): Promise<TrainedResult> {
  const r = await trainDpo({
    policy,
    reference: m.reference,
    tokenizer: m.tokenizer,
    pairs: data.pairs,
    config: dpoTrainerConfig(cfg),
    onStep: (row, total) => hooks.onProgress?.(size, 'DPO', row.step, total),
  });
  const last = r.rows.slice(-Math.max(1, Math.floor(r.rows.length / 10)));
  const mean = (k: 'loss' | 'accuracy') => last.reduce((s, x) => s + x[k], 0) / last.length;
  return {
    seconds: r.seconds,
    optimiserSteps: r.steps,
    note: `${data.pairs.length} pairs, beta ${cfg.after.dpo.beta}; last tenth of steps: loss ${mean('loss').toFixed(3)}, pair accuracy ${(100 * mean('accuracy')).toFixed(0)}%`,
    rows: r.rows.map((x) => ({ ...x })),
  };
}

async function rlooRun(cfg: WorkbookConfig, data: AfterStageData, m: PpoModels, policy: GPT, size: string, hooks: AfterStageHooks): Promise<TrainedResult> {
  const t = cfg.ppo.trainer;
  const k = cfg.after.rloo.k;
  const r = await trainRloo({ ...m, policy }, { prompts: data.ppoPrompts }, rlooTrainerConfig(cfg), {
    onIteration: (_row, it) => hooks.onProgress?.(size, 'RLOO', it, t.iterations),
  });
  return {
    seconds: r.seconds,
    optimiserSteps: r.optimiserSteps,
    note: `${r.iterations} iterations of ${Math.floor(t.rolloutBatch / k)} prompts x ${k} answers (PPO's rollout size), beta ${t.kl.initKlCoef}`,
    rows: r.rows.map((x) => ({ ...x })),
  };
}

/**
 * The notebook's conclusions, written from the rows: a method beats (loses to) SFT only when its
 * whole 95% interval lies above (below) 50%, judged by the same rule as 06's claims (so smoke and
 * too few prompts say "not judged"); two methods are told apart only when their intervals do not
 * overlap. Nothing else is claimed.
 */
export function afterFindings(rows: readonly MethodRow[], profile: string): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  const ci = (r: MethodRow) => `${pct(r.winRate)} [${pct(r.lower)}, ${pct(r.upper)}]`;
  const name = (r: MethodRow) => (r.method === 'best-of-n' ? `best-of-${r.n}` : r.method);
  const lines: string[] = [];
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    const rs = rows.filter((r) => r.size === size && r.method !== 'SFT' && r.wins !== null);
    if (!rs.length) {
      lines.push(`- **${size}**: no method was judged.`);
      continue;
    }
    const judged = rs.map((r) => ({ r, j: aboveHalf({ wins: r.wins, ties: r.ties, losses: r.losses }, { profile }, `${name(r)} vs SFT`) }));
    if (judged.every((x) => x.j.verdict === 'not judged')) {
      lines.push(
        `- **${size}**: not judged (${judged[0].j.why.split(' (the rule')[0].replace(/^not judged: /, '')}); win-rates ${rs.map((r) => `${name(r)} ${ci(r)}`).join(', ')}.`,
      );
      continue;
    }
    const beats = judged.filter((x) => x.j.verdict === 'reproduces').map((x) => `${name(x.r)} ${ci(x.r)}`);
    const loses = judged.filter((x) => x.r.upper !== null && x.r.upper < 0.5).map((x) => `${name(x.r)} ${ci(x.r)}`);
    const noise = judged.filter((x) => x.j.verdict !== 'reproduces' && !(x.r.upper !== null && x.r.upper < 0.5)).map((x) => `${name(x.r)} ${ci(x.r)}`);
    const parts = [
      beats.length ? `preferred to SFT beyond noise: ${beats.join(', ')}` : 'no method is preferred to SFT beyond noise',
      loses.length ? `SFT preferred beyond noise to ${loses.join(', ')}` : '',
      noise.length ? `within noise of SFT: ${noise.join(', ')}` : '',
    ].filter(Boolean);
    const ppo = rs.find((r) => r.method === 'PPO-ptx');
    const apart = (a: MethodRow, b: MethodRow) => a.lower! > b.upper! || b.lower! > a.upper!;
    const vsPpo = ppo
      ? rs
          .filter((r) => r !== ppo)
          .map((r) => (apart(r, ppo) ? `${name(r)} ${r.winRate! > ppo.winRate! ? 'above' : 'below'} PPO-ptx beyond noise` : null))
          .filter(Boolean)
      : [];
    const cost =
      ppo && ppo.seconds
        ? rs.filter((r) => r !== ppo && r.seconds && r.method !== 'best-of-n').map((r) => `${name(r)} ${(r.seconds! / ppo.seconds!).toFixed(2)}x`)
        : [];
    lines.push(
      `- **${size}**: ${parts.join('; ')}.` +
        (ppo ? ` Against PPO-ptx: ${vsPpo.length ? vsPpo.join('; ') : 'no method is told apart from it (every interval overlaps its)'}.` : '') +
        (cost.length ? ` Training time relative to PPO-ptx's: ${cost.join(', ')}.` : ''),
    );
  }
  return lines.join('\n');
}
