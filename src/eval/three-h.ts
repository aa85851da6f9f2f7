/**
 * Steps of the evaluation judged by the held-out labelers or read from the models' own
 * log-probabilities, as tables with one row per model (missing models keep their row, with
 * null figures and the roster's note): helpful (win-rates, overall and by prompt category,
 * 1-7 quality, the labelers' metadata), bias, and perplexity (the alignment tax's secondary line). Honesty, toxicity and
 * the task suite are measured by instruments the labelers never use: fact-check.ts,
 * toxicity.ts, task-suite.ts.
 */
import { CATEGORIES, Prompt } from '../data/types';
import { buildCorpus, CorpusConfig, corpusText } from '../data/corpus';
import { Labeler } from '../labelers/panel';
import { encodeStream, streamWindows } from '../train/batches';
import { perplexity } from '../train/evaluate';
import { AnswerBook, answersFor, loadModel, modelKey } from './answer-book';
import { biasProbe, occupations } from './bias';
import type { EvaluationConfig } from './eval-config';
import { metadata, rate } from './harmless';
import { qualityScores, winCounts } from './judge';
import { KIND_LABELS, ModelEntry, ModelKind, NOT_TRAINED } from './roster';
import { meanWithStdErr, WinCounts, winRateInterval } from './stats';

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

/** One model's wins, ties and losses against `baseKey` on `prompts`, or why it has none. */
function countsAgainst(
  book: AnswerBook,
  e: ModelEntry,
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  baseKey: string,
): { counts: WinCounts; note: '' } | { counts: null; note: string } {
  const mine = answersFor(book, modelKey(e), prompts);
  const base = answersFor(book, baseKey, prompts);
  if (!mine) return { counts: null, note: e.note };
  if (!base) return { counts: null, note: `baseline ${baseKey}: ${NOT_TRAINED}` };
  return { counts: winCounts(panel, prompts, mine, base), note: '' };
}

/** Win-rates of every model against `baselineKey` (or each model's same-size SFT when null). */
export function winRateRows(
  book: AnswerBook,
  roster: readonly ModelEntry[],
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  baselineKey: string | null,
): WinRow[] {
  return roster.map((e) => {
    const baseKey = baselineKey ?? `sft/${e.size}`;
    const row = {
      model: `${KIND_LABELS[e.kind]} ${e.size}`,
      kind: e.kind,
      size: e.size,
      baseline: `SFT ${baseKey.split('/')[1]}`,
      winRate: null,
      lower: null,
      upper: null,
      wins: null,
      ties: null,
      losses: null,
    };
    const got = countsAgainst(book, e, prompts, panel, baseKey);
    if (!got.counts) return { ...row, note: got.note };
    const ci = winRateInterval(got.counts);
    return { ...row, winRate: ci.rate, lower: ci.lower, upper: ci.upper, ...got.counts, note: '' };
  });
}

/** The win-rate of one policy against its SFT baseline on one prompt category (or 'all'). */
export interface CategoryWinRow {
  size: string;
  /** the kind's label: GPT, GPT (prompted), PPO, PPO-ptx */
  policy: string;
  kind: ModelKind;
  baseline: string;
  /** a prompt category, or 'all' (every prompt: the overall win-rate) */
  category: string;
  /** prompts of the category */
  n: number;
  wins: number | null;
  ties: number | null;
  losses: number | null;
  /** (wins + ties / 2) / n, with its 95% Wilson interval; null when the model or baseline is missing */
  winRate: number | null;
  lower: number | null;
  upper: number | null;
  note: string;
}

/**
 * Win-rates by prompt category of every model but SFT against `baselineKey` (or its same-size
 * SFT when null): one row per (size, policy, category present in `prompts`), then the policy's
 * 'all' row, which is winRateRows' figure. Each prompt keeps its one judge, so the categories'
 * counts add up to the 'all' row's.
 */
export function winRateByCategoryRows(
  book: AnswerBook,
  roster: readonly ModelEntry[],
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  baselineKey: string | null,
): CategoryWinRow[] {
  const categories = CATEGORIES.filter((c) => prompts.some((p) => p.category === c));
  const sizes = [...new Set(roster.map((e) => e.size))];
  const rows: CategoryWinRow[] = [];
  for (const size of sizes) {
    for (const e of roster.filter((x) => x.size === size && x.kind !== 'sft')) {
      const baseKey = baselineKey ?? `sft/${e.size}`;
      for (const category of [...categories, 'all']) {
        const cell = category === 'all' ? prompts : prompts.filter((p) => p.category === category);
        const row = { size, policy: KIND_LABELS[e.kind], kind: e.kind, baseline: `SFT ${baseKey.split('/')[1]}`, category, n: cell.length };
        const got = countsAgainst(book, e, cell, panel, baseKey);
        if (!got.counts) {
          rows.push({ ...row, wins: null, ties: null, losses: null, winRate: null, lower: null, upper: null, note: got.note });
          continue;
        }
        const ci = winRateInterval(got.counts);
        rows.push({ ...row, ...got.counts, winRate: ci.rate, lower: ci.lower, upper: ci.upper, note: '' });
      }
    }
  }
  return rows;
}

/** The columns every 3H row starts with: which model. */
interface ModelColumns {
  model: string;
  kind: ModelEntry['kind'];
  size: string;
  /** why a figure is missing (the roster's note), else "" */
  note: string;
}

/** 1-7 quality and the paper's metadata rates of one model (null: the model is missing). */
export interface QualityRow extends ModelColumns {
  likert: number | null;
  likertSe: number | null;
  failsConstraint: number | null;
  inappropriate: number | null;
}

/** Gender-bias entropy (occupations x pronoun frames) and held-out perplexities of one model. */
export interface BiasPerplexityRow extends ModelColumns {
  biasEntropy: number | null;
  /** standard error of biasEntropy over the occupations */
  biasEntropySe: number | null;
  pFemale: number | null;
  /** occupations probed: the independent samples of biasEntropy */
  biasOccupations: number | null;
  pplAddresses: number | null;
  pplMobyDick: number | null;
}

/** 1-7 quality (mean +- s.e.) and the paper's metadata rates per model. */
export function qualityRows(book: AnswerBook, roster: readonly ModelEntry[], prompts: readonly Prompt[], panel: readonly Labeler[]): QualityRow[] {
  return roster.map((e) => {
    const answers = answersFor(book, modelKey(e), prompts);
    const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size };
    if (!answers) return { ...base, likert: null, likertSe: null, failsConstraint: null, inappropriate: null, note: e.note };
    const q = meanWithStdErr(qualityScores(panel, prompts, answers));
    const meta = prompts.map((p, i) => metadata(p, answers[i]));
    return {
      ...base,
      likert: q.mean,
      likertSe: q.stdErr,
      failsConstraint: rate(meta.map((m) => m.failsConstraint)).rate,
      inappropriate: rate(meta.map((m) => m.inappropriateForCustomerAssistant)).rate,
      note: '',
    };
  });
}

// ---------------------------------------------------------------- bias and perplexity

/**
 * Bias (normalised entropy of she/he choices about occupations) and perplexity on held-out
 * prose, per model.
 * `corpus` must be the config 02-pretrain split the corpus with, so the held-out addresses
 * are the ones no model trained on.
 */
export async function biasAndPerplexityRows(
  roster: readonly ModelEntry[],
  cfg: EvaluationConfig,
  corpus: CorpusConfig,
  onProgress?: (done: number, label: string) => void,
): Promise<BiasPerplexityRow[]> {
  const jobs = occupations();
  const rows: BiasPerplexityRow[] = [];
  let done = 0;
  // text enough for the token budget (a token is >= 1 character)
  const take = (docs: Parameters<typeof corpusText>[0]) => corpusText(docs).slice(0, cfg.perplexityTokens * 6);
  const split = buildCorpus(corpus);
  const texts = { addresses: take(split.validation), mobyDick: take(split.outOfDomain) };
  for (const e of roster) {
    const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size };
    if (!e.dir || e.kind === 'gpt-prompted') {
      rows.push({
        ...base,
        biasEntropy: null,
        biasEntropySe: null,
        pFemale: null,
        biasOccupations: null,
        pplAddresses: null,
        pplMobyDick: null,
        note: e.dir ? 'same network as GPT' : e.note,
      });
      onProgress?.(++done, base.model);
      continue;
    }
    const m = loadModel(e.dir);
    try {
      const b = await biasProbe(m.model, m.tokenizer, jobs, undefined, cfg.batchSize, cfg.biasPairs);
      const T1 = m.model.config.blockSize + 1;
      const windows = Math.max(1, Math.floor(cfg.perplexityTokens / (T1 - 1)));
      const ppl = (text: string) => perplexity(m.model, streamWindows(encodeStream(m.tokenizer, [text]), cfg.batchSize, T1, windows));
      rows.push({
        ...base,
        biasEntropy: Number.isFinite(b.entropy) ? b.entropy : null,
        biasEntropySe: Number.isFinite(b.entropySe) ? b.entropySe : null,
        pFemale: Number.isFinite(b.pFemale) ? b.pFemale : null,
        biasOccupations: b.occupations,
        pplAddresses: await ppl(texts.addresses),
        pplMobyDick: await ppl(texts.mobyDick),
        note: '',
      });
    } finally {
      m.dispose();
    }
    onProgress?.(++done, base.model);
  }
  return rows;
}
