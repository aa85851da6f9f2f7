/**
 * The evaluation stage, in the order the notebook shows it. Every model of the roster is
 * loaded once per step and disposed after; answers are generated once (to every distinct
 * prompt text of every probe set) and then judged many ways.
 *
 *   1. answers      every model answers the main, honesty and toxicity prompts
 *   2. helpful      win-rate vs SFT (largest and same size, held-out labelers, 95% Wilson CI),
 *                   1-7 quality, the paper's metadata rates
 *   3. honest       truthful / truthful-and-informative, with and without "only if sure"
 *   4. harmless     profanity / hostility, harmful and neutral prompts, with and without
 *                   "be respectful"; bias as normalised entropy over gender pairs
 *   5. tax          perplexity on held-out addresses and Moby-Dick
 *   6. RM vs labelers, best-of-n and PPO over-optimisation curves
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../model/checkpoint';
import type { GPT } from '../model/gpt';
import type { Tokenizer } from '../model/tokenizer';
import { Prompt } from '../data/types';
import { buildCorpus, CorpusConfig, corpusText } from '../data/corpus';
import { Labeler, prefer } from '../labelers/panel';
import { encodeStream, streamWindows } from '../train/batches';
import { perplexity } from '../train/evaluate';
import { loadRewardModel } from '../train/reward';
import { generate } from '../model/generate';
import { artifacts } from '../workbook/artifacts';
import { writeJsonlAtomic } from '../util/atomic';
import { readJsonl } from '../util/jsonl';
import { answerPrompts } from './answers';
import { FewShot, FewShotExample, formatShot, makeFewShot } from './prompted';
import { biasProbe, genderPairs } from './bias';
import { metadata, rate, toxicityVerdict } from './harmless';
import { heldOutScore, judgeFor, qualityScores, winCounts } from './judge';
import { bestOfNCurve, CurvePoint } from './overoptimisation';
import { KIND_LABELS, ModelEntry, ModelKind, NOT_TRAINED, ppoSteps } from './roster';
import { answerLogProbs } from './sequence-logprobs';
import { meanWithStdErr, winRateInterval } from './stats';
import { truthRates } from './truthful';

/** The evaluation section of the workbook profile. */
export interface EvaluationConfig {
  /** Evaluation prompts every model answers (0 = all of data.evalPrompts). */
  prompts: number;
  /** Neutral prompts asked with and without "Please be respectful." (toxicity's neutral arm). */
  neutralPrompts: number;
  /** Most tokens per answer. */
  maxNewTokens: number;
  /** Sampling temperature of the evaluated answers (0 = greedy). */
  temperature: number;
  /** Nucleus p of the evaluated answers. */
  topP: number;
  /** Rows per generation / scoring batch. */
  batchSize: number;
  /** Prompts for best-of-n from the largest SFT (0 = skip). */
  bestOfNPrompts: number;
  /** The n of best-of-n; the largest is sampled per prompt, smaller n are exact expectations. */
  bestOfN: number[];
  /** Tokens of held-out SOTU addresses, and of Moby-Dick, read for perplexity. */
  perplexityTokens: number;
  /** Female/male pairs of retext-equality in the bias probe, of those with equal token lengths (0 = all). */
  biasPairs: number;
  /** Prompts each PPO checkpoint answers to estimate KL(pi || pi_SFT) and gold score. */
  klPrompts: number;
}

export const EVAL_DEFAULTS: EvaluationConfig = {
  prompts: 0,
  neutralPrompts: 60,
  maxNewTokens: 24,
  temperature: 0.7,
  topP: 0.95,
  batchSize: 64,
  bestOfNPrompts: 40,
  bestOfN: [1, 2, 4, 8, 16],
  perplexityTokens: 8192,
  biasPairs: 0,
  klPrompts: 64,
};

export const modelKey = (e: { kind: string; size: string }) => `${e.kind}/${e.size}`;

/** A loaded model (the tokenizer comes with every checkpoint). */
export function loadModel(dir: string): { model: GPT; tokenizer: Tokenizer; dispose: () => void } {
  const ck = loadCheckpoint(dir, { withOptimizer: false });
  return { model: ck.model, tokenizer: ck.tokenizer, dispose: () => { ck.model.dispose(); for (const h of ck.heads.values()) h.dispose(); } };
}

/**
 * The "GPT (prompted)" wrapper, built as notebook 03 builds it (src/eval/prompted.ts): SFT
 * demonstrations as few-shot examples, within `maxTokens` and within the room the context
 * leaves after the longest question and the answer.
 */
export function fewShotFor(examples: readonly FewShotExample[], tokenizer: Tokenizer, texts: readonly string[], room: number, maxTokens: number): FewShot {
  const longestQuestion = Math.max(0, ...texts.map((t) => tokenizer.encode(formatShot(t), { allowSpecial: false }).length));
  return makeFewShot(examples, tokenizer, Math.max(0, Math.min(maxTokens, room - longestQuestion)));
}

// ---------------------------------------------------------------- 1. answers

/** answers[modelKey][i] answers texts[i]; missing models have no key. */
export interface AnswerBook {
  texts: string[];
  answers: Record<string, string[]>;
}

/** Every available model answers every text; saved to eval/answers.jsonl (one row per answer).
 *  `fewShot`: GPT (prompted)'s examples and prefix budget (the profile's sft.fewShotTokens). */
export function answerEveryModel(runDir: string, roster: readonly ModelEntry[], texts: readonly string[], cfg: EvaluationConfig, seed: number,
  fewShot: { examples: readonly FewShotExample[]; maxTokens: number }, onProgress?: (done: number, label: string) => void): AnswerBook {
  const book: AnswerBook = { texts: texts.slice(), answers: {} };
  let done = 0;
  for (const e of roster) {
    if (!e.dir) continue;
    const m = loadModel(e.dir);
    try {
      const maxNewTokens = Math.min(cfg.maxNewTokens, m.model.config.blockSize - 8);
      const { answers } = answerPrompts(m.model, m.tokenizer, texts, {
        batchSize: cfg.batchSize,
        generation: { maxNewTokens, temperature: cfg.temperature, topP: cfg.topP, seed },
        fewShot: e.kind === 'gpt-prompted' ? fewShotFor(fewShot.examples, m.tokenizer, texts, m.model.config.blockSize - maxNewTokens, fewShot.maxTokens) : undefined,
        onBatch: (n) => onProgress?.(done + n, `${KIND_LABELS[e.kind]} ${e.size}`),
      });
      book.answers[modelKey(e)] = answers;
    } finally {
      m.dispose();
    }
    done += texts.length;
  }
  const rows = Object.entries(book.answers).flatMap(([key, answers]) => answers.map((answer, i) => ({ model: key, prompt: texts[i], answer })));
  writeJsonlAtomic(path.join(artifacts(runDir).eval, 'answers.jsonl'), rows);
  return book;
}

/** Read eval/answers.jsonl back (for re-judging without re-generating). */
export function loadAnswerBook(file: string): AnswerBook {
  const rows = readJsonl(file, (v: any) => {
    for (const k of ['model', 'prompt', 'answer']) if (typeof v?.[k] !== 'string') throw new Error(`"${k}" must be a string`);
    return v as { model: string; prompt: string; answer: string };
  });
  const texts: string[] = [];
  const index = new Map<string, number>();
  const answers: Record<string, string[]> = {};
  for (const r of rows) {
    if (!index.has(r.prompt)) { index.set(r.prompt, texts.length); texts.push(r.prompt); }
    if (!answers[r.model]) answers[r.model] = [];
    answers[r.model][index.get(r.prompt)!] = r.answer;
  }
  return { texts, answers };
}

/** The answers of one model to `prompts` (by text), or null when the model is missing. */
export function answersFor(book: AnswerBook, key: string, prompts: readonly Prompt[]): string[] | null {
  const all = book.answers[key];
  if (!all) return null;
  const at = new Map(book.texts.map((t, i) => [t, i]));
  return prompts.map((p) => {
    const i = at.get(p.text);
    if (i === undefined) throw new Error(`answersFor: no answer to "${p.text}" in the answer book`);
    return all[i];
  });
}

// ---------------------------------------------------------------- 2. helpful

export interface WinRow {
  model: string;
  kind: ModelKind;
  size: string;
  baseline: string;
  winRate: number | null;
  lower: number | null;
  upper: number | null;
  wins: number | null;
  ties: number | null;
  losses: number | null;
  note: string;
}

/** Win-rates of every model against `baselineKey` (or each model's same-size SFT when null). */
export function winRateRows(book: AnswerBook, roster: readonly ModelEntry[], prompts: readonly Prompt[], panel: readonly Labeler[], baselineKey: string | null): WinRow[] {
  return roster.map((e) => {
    const baseKey = baselineKey ?? `sft/${e.size}`;
    const row = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size, baseline: `SFT ${baseKey.split('/')[1]}`, winRate: null, lower: null, upper: null, wins: null, ties: null, losses: null };
    const mine = answersFor(book, modelKey(e), prompts);
    const base = answersFor(book, baseKey, prompts);
    if (!mine) return { ...row, note: e.note };
    if (!base) return { ...row, note: `baseline ${baseKey}: ${NOT_TRAINED}` };
    const c = winCounts(panel, prompts, mine, base);
    const ci = winRateInterval(c);
    return { ...row, winRate: ci.rate, lower: ci.lower, upper: ci.upper, ...c, note: '' };
  });
}

/** 1-7 quality (mean +- s.e.) and the paper's metadata rates per model. */
export function qualityRows(book: AnswerBook, roster: readonly ModelEntry[], prompts: readonly Prompt[], panel: readonly Labeler[]) {
  return roster.map((e) => {
    const answers = answersFor(book, modelKey(e), prompts);
    const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size };
    if (!answers) return { ...base, likert: null, likertSe: null, failsConstraint: null, hallucinates: null, inappropriate: null, note: e.note };
    const q = meanWithStdErr(qualityScores(panel, prompts, answers));
    const meta = prompts.map((p, i) => metadata(p, answers[i]));
    return {
      ...base,
      likert: q.mean,
      likertSe: q.stdErr,
      failsConstraint: rate(meta.map((m) => m.failsConstraint)).rate,
      hallucinates: rate(meta.map((m) => m.hallucinates)).rate,
      inappropriate: rate(meta.map((m) => m.inappropriateForCustomerAssistant)).rate,
      note: '',
    };
  });
}

// ---------------------------------------------------------------- 3. honest

export function honestyRows(book: AnswerBook, roster: readonly ModelEntry[], honesty: readonly Prompt[]) {
  const rows: Record<string, unknown>[] = [];
  for (const e of roster) {
    const answers = answersFor(book, modelKey(e), honesty);
    for (const category of ['closed_qa', 'unanswerable', 'false_premise', 'all']) {
      for (const instruction of ['none', 'only_if_sure']) {
        const idx = honesty.map((p, i) => i).filter((i) => (category === 'all' || honesty[i].category === category) && honesty[i].instruction === instruction);
        const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size, category, instruction };
        if (!answers) { rows.push({ ...base, n: 0, truthful: null, truthfulInformative: null, note: e.note }); continue; }
        const r = truthRates(idx.map((i) => ({ prompt: honesty[i], answer: answers[i] })));
        rows.push({ ...base, n: r.n, truthful: r.truthful, truthfulInformative: r.truthfulInformative, note: '' });
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------- 4. harmless

export function toxicityRows(book: AnswerBook, roster: readonly ModelEntry[], toxicity: readonly Prompt[]) {
  const rows: Record<string, unknown>[] = [];
  for (const e of roster) {
    const answers = answersFor(book, modelKey(e), toxicity);
    for (const arm of ['harmful', 'neutral']) {
      for (const instruction of ['none', 'be_respectful']) {
        const idx = toxicity.map((_, i) => i).filter((i) => (toxicity[i].category === 'harmful') === (arm === 'harmful') && toxicity[i].instruction === instruction);
        const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size, prompts: arm, instruction };
        if (!answers) { rows.push({ ...base, n: 0, profane: null, hostile: null, toxic: null, note: e.note }); continue; }
        const v = idx.map((i) => toxicityVerdict(toxicity[i], answers[i]));
        const frac = (f: (x: (typeof v)[number]) => boolean) => (v.length ? v.filter(f).length / v.length : null);
        rows.push({ ...base, n: v.length, profane: frac((x) => x.profane), hostile: frac((x) => x.hostile), toxic: frac((x) => x.toxic), note: '' });
      }
    }
  }
  return rows;
}

/**
 * Bias (normalised entropy over gender pairs) and perplexity on held-out prose, per model.
 * `corpus` must be the config 02-pretrain split the corpus with, so the held-out addresses
 * are the ones no model trained on.
 */
export function biasAndPerplexityRows(roster: readonly ModelEntry[], cfg: EvaluationConfig, corpus: CorpusConfig, onProgress?: (done: number, label: string) => void) {
  const pairs = genderPairs();
  const rows: Record<string, unknown>[] = [];
  let done = 0;
  // text enough for the token budget (a token is >= 1 character)
  const take = (docs: Parameters<typeof corpusText>[0]) => corpusText(docs).slice(0, cfg.perplexityTokens * 6);
  const split = buildCorpus(corpus);
  const texts = { addresses: take(split.validation), mobyDick: take(split.outOfDomain) };
  for (const e of roster) {
    const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size };
    if (!e.dir || e.kind === 'gpt-prompted') {
      rows.push({ ...base, biasEntropy: null, pFemale: null, biasPairs: null, pplAddresses: null, pplMobyDick: null, note: e.dir ? 'same network as GPT' : e.note });
      onProgress?.(++done, base.model);
      continue;
    }
    const m = loadModel(e.dir);
    try {
      const b = biasProbe(m.model, m.tokenizer, pairs, undefined, cfg.batchSize, cfg.biasPairs);
      const T1 = m.model.config.blockSize + 1;
      const windows = Math.max(1, Math.floor(cfg.perplexityTokens / (T1 - 1)));
      const ppl = (text: string) => perplexity(m.model, streamWindows(encodeStream(m.tokenizer, [text]), cfg.batchSize, T1, windows));
      rows.push({ ...base, biasEntropy: Number.isFinite(b.entropy) ? b.entropy : null, pFemale: Number.isFinite(b.pFemale) ? b.pFemale : null, biasPairs: b.pairs, pplAddresses: ppl(texts.addresses), pplMobyDick: ppl(texts.mobyDick), note: '' });
    } finally {
      m.dispose();
    }
    onProgress?.(++done, base.model);
  }
  return rows;
}

// ---------------------------------------------------------------- 6. RM vs labelers, over-optimisation

/**
 * How often the reward model agrees with the held-out labelers on pairs of evaluation answers
 * (different models' answers to one prompt, ties left out), as the paper's 69.6%.
 */
export function rewardAgreement(runDir: string, book: AnswerBook, prompts: readonly Prompt[], panel: readonly Labeler[], batchSize: number): { accuracy: number; comparisons: number } | null {
  const dir = artifacts(runDir).rewardModel;
  if (!fs.existsSync(path.join(dir, 'config.json'))) return null;
  const keys = Object.keys(book.answers).filter((k) => !k.startsWith('gpt-prompted'));
  if (keys.length < 2) return null;
  const { rewardModel } = loadRewardModel(dir);
  try {
    const per = keys.map((k) => answersFor(book, k, prompts)!);
    const items = per.flatMap((answers) => answers.map((answer, i) => ({ prompt: prompts[i].text, answer })));
    const scores = rewardModel.score(items, batchSize);
    let agree = 0;
    let n = 0;
    prompts.forEach((p, i) => {
      const judge = judgeFor(panel, p);
      for (let a = 0; a < keys.length; a++) {
        for (let b = a + 1; b < keys.length; b++) {
          const v = prefer(judge, p, per[a][i], per[b][i]);
          const r = scores[a * prompts.length + i] - scores[b * prompts.length + i];
          if (v === 0 || r === 0) continue;
          n++;
          if (Math.sign(r) === v) agree++;
        }
      }
    });
    return n ? { accuracy: agree / n, comparisons: n } : null;
  } finally {
    rewardModel.dispose();
  }
}

/** Best-of-n from the given SFT checkpoint: proxy = RM, gold = held-out labelers' mean score. */
export function bestOfNPoints(runDir: string, sftDir: string, prompts: readonly Prompt[], panel: readonly Labeler[], cfg: EvaluationConfig, seed: number,
  onProgress?: (done: number) => void): CurvePoint[] | null {
  const rmDir = artifacts(runDir).rewardModel;
  if (!fs.existsSync(path.join(rmDir, 'config.json')) || cfg.bestOfNPrompts <= 0) return null;
  const ps = prompts.slice(0, cfg.bestOfNPrompts);
  const N = Math.max(...cfg.bestOfN);
  const sft = loadModel(sftDir);
  let answers: string[];
  try {
    // prompt i's s-th sample is row i*N + s
    const texts = ps.flatMap((p) => new Array<string>(N).fill(p.text));
    answers = answerPrompts(sft.model, sft.tokenizer, texts, {
      batchSize: cfg.batchSize,
      generation: { maxNewTokens: Math.min(cfg.maxNewTokens, sft.model.config.blockSize - 8), temperature: 1, topP: 1, seed: seed + 1 },
      onBatch: onProgress,
    }).answers;
  } finally {
    sft.dispose();
  }
  const { rewardModel } = loadRewardModel(rmDir);
  let scores: Float32Array;
  try {
    scores = rewardModel.score(answers.map((answer, j) => ({ prompt: ps[Math.floor(j / N)].text, answer })), cfg.batchSize);
  } finally {
    rewardModel.dispose();
  }
  const proxy = ps.map((_, i) => Array.from(scores.subarray(i * N, (i + 1) * N)));
  const gold = ps.map((p, i) => answers.slice(i * N, (i + 1) * N).map((a) => heldOutScore(panel, p, a)));
  return bestOfNCurve(proxy, gold, cfg.bestOfN);
}

/**
 * One point of the RL curve: a policy's samples (temperature 1) scored by the RM and the
 * held-out labelers, and KL(pi || pi_SFT) estimated on them.
 */
export function policyPoint(label: string, policyDir: string, sftDir: string, rmDir: string, prompts: readonly Prompt[], panel: readonly Labeler[], cfg: EvaluationConfig, seed: number): CurvePoint {
  const pol = loadModel(policyDir);
  let texts: string[];
  let pairs: { prompt: number[]; answer: number[] }[];
  let logPi: number[];
  try {
    const out = generate(pol.model, pol.tokenizer, prompts.map((p) => p.text), { maxNewTokens: Math.min(cfg.maxNewTokens, pol.model.config.blockSize - 8), temperature: 1, topP: 1, seed });
    texts = out.texts.map((t) => t.trim());
    pairs = out.promptTokens.map((prompt, i) => ({ prompt, answer: out.tokens[i] }));
    logPi = out.logprobs.map((lp) => lp.reduce((a, b) => a + b, 0));
  } finally {
    pol.dispose();
  }
  const sft = loadModel(sftDir);
  let logSft: number[];
  try {
    logSft = answerLogProbs(sft.model, pairs, sft.tokenizer.padId, cfg.batchSize);
  } finally {
    sft.dispose();
  }
  const { rewardModel } = loadRewardModel(rmDir);
  let proxy: Float32Array;
  try {
    proxy = rewardModel.score(texts.map((answer, i) => ({ prompt: prompts[i].text, answer })), cfg.batchSize);
  } finally {
    rewardModel.dispose();
  }
  const kl = Math.max(0, logPi.reduce((s, x, i) => s + x - logSft[i], 0) / logPi.length);
  const gold = texts.reduce((s, a, i) => s + heldOutScore(panel, prompts[i], a), 0) / texts.length;
  return { label, kl, d: Math.sqrt(kl), proxy: proxy.reduce((a, b) => a + b, 0) / proxy.length, gold };
}

/** The RL curve of one size: SFT (d = 0), any intermediate PPO checkpoints, the final PPO and PPO-ptx. */
export function rlPoints(runDir: string, roster: readonly ModelEntry[], size: string, prompts: readonly Prompt[], panel: readonly Labeler[], cfg: EvaluationConfig, seed: number,
  onProgress?: (done: number, total: number) => void): CurvePoint[] | null {
  const rmDir = artifacts(runDir).rewardModel;
  const sft = roster.find((e) => e.kind === 'sft' && e.size === size);
  if (!sft?.dir || !fs.existsSync(path.join(rmDir, 'config.json'))) return null;
  const ps = prompts.slice(0, cfg.klPrompts);
  const jobs: { label: string; dir: string }[] = [{ label: 'SFT', dir: sft.dir }];
  for (const kind of ['ppo', 'ppo-ptx'] as const) {
    for (const s of ppoSteps(runDir, size, kind)) jobs.push({ label: `${KIND_LABELS[kind]} step ${s.step}`, dir: s.dir });
    const final = roster.find((e) => e.kind === kind && e.size === size);
    if (final?.dir) jobs.push({ label: KIND_LABELS[kind], dir: final.dir });
  }
  if (jobs.length < 2) return null;
  return jobs.map((j, i) => {
    const p = policyPoint(j.label, j.dir, sft.dir!, rmDir, ps, panel, cfg, seed);
    onProgress?.(i + 1, jobs.length);
    return i === 0 ? { ...p, kl: 0, d: 0 } : p;
  });
}

