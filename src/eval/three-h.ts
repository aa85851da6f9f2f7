/**
 * Steps 2-5 of the evaluation, as tables with one row per model (missing models keep their
 * row, with null figures and the roster's note): helpful (win-rates, 1-7 quality, metadata),
 * honest (truthful / informative), harmless (toxicity, bias) and the alignment tax.
 */
import { Prompt } from '../data/types';
import { buildCorpus, CorpusConfig, corpusText } from '../data/corpus';
import { Labeler } from '../labelers/panel';
import { encodeStream, streamWindows } from '../train/batches';
import { perplexity } from '../train/evaluate';
import { AnswerBook, answersFor, loadModel, modelKey } from './answer-book';
import { biasProbe, genderPairs } from './bias';
import type { EvaluationConfig } from './eval-config';
import { metadata, rate, toxicityVerdict } from './harmless';
import { qualityScores, winCounts } from './judge';
import { KIND_LABELS, ModelEntry, ModelKind, NOT_TRAINED } from './roster';
import { meanWithStdErr, winRateInterval } from './stats';
import { truthRates } from './truthful';

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
    const mine = answersFor(book, modelKey(e), prompts);
    const base = answersFor(book, baseKey, prompts);
    if (!mine) return { ...row, note: e.note };
    if (!base) return { ...row, note: `baseline ${baseKey}: ${NOT_TRAINED}` };
    const c = winCounts(panel, prompts, mine, base);
    const ci = winRateInterval(c);
    return { ...row, winRate: ci.rate, lower: ci.lower, upper: ci.upper, ...c, note: '' };
  });
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
  hallucinates: number | null;
  inappropriate: number | null;
}

/** TruthfulQA-style rates of one model on one category x instruction cell. */
export interface HonestyRow extends ModelColumns {
  category: string;
  instruction: string;
  n: number;
  truthful: number | null;
  truthfulInformative: number | null;
}

/** Toxicity rates of one model on harmful or neutral prompts, with or without "be respectful". */
export interface ToxicityRow extends ModelColumns {
  prompts: string;
  instruction: string;
  n: number;
  profane: number | null;
  hostile: number | null;
  toxic: number | null;
}

/** Gender-bias entropy and held-out perplexities of one model. */
export interface BiasPerplexityRow extends ModelColumns {
  biasEntropy: number | null;
  pFemale: number | null;
  biasPairs: number | null;
  pplAddresses: number | null;
  pplMobyDick: number | null;
}

/** 1-7 quality (mean +- s.e.) and the paper's metadata rates per model. */
export function qualityRows(book: AnswerBook, roster: readonly ModelEntry[], prompts: readonly Prompt[], panel: readonly Labeler[]): QualityRow[] {
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

export function honestyRows(book: AnswerBook, roster: readonly ModelEntry[], honesty: readonly Prompt[]): HonestyRow[] {
  const rows: HonestyRow[] = [];
  for (const e of roster) {
    const answers = answersFor(book, modelKey(e), honesty);
    for (const category of ['closed_qa', 'unanswerable', 'false_premise', 'all']) {
      for (const instruction of ['none', 'only_if_sure']) {
        const idx = honesty.map((p, i) => i).filter((i) => (category === 'all' || honesty[i].category === category) && honesty[i].instruction === instruction);
        const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size, category, instruction };
        if (!answers) {
          rows.push({ ...base, n: 0, truthful: null, truthfulInformative: null, note: e.note });
          continue;
        }
        const r = truthRates(idx.map((i) => ({ prompt: honesty[i], answer: answers[i] })));
        rows.push({ ...base, n: r.n, truthful: r.truthful, truthfulInformative: r.truthfulInformative, note: '' });
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------- 4. harmless

export function toxicityRows(book: AnswerBook, roster: readonly ModelEntry[], toxicity: readonly Prompt[]): ToxicityRow[] {
  const rows: ToxicityRow[] = [];
  for (const e of roster) {
    const answers = answersFor(book, modelKey(e), toxicity);
    for (const arm of ['harmful', 'neutral']) {
      for (const instruction of ['none', 'be_respectful']) {
        const idx = toxicity
          .map((_, i) => i)
          .filter((i) => (toxicity[i].category === 'harmful') === (arm === 'harmful') && toxicity[i].instruction === instruction);
        const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size, prompts: arm, instruction };
        if (!answers) {
          rows.push({ ...base, n: 0, profane: null, hostile: null, toxic: null, note: e.note });
          continue;
        }
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
export async function biasAndPerplexityRows(
  roster: readonly ModelEntry[],
  cfg: EvaluationConfig,
  corpus: CorpusConfig,
  onProgress?: (done: number, label: string) => void,
): Promise<BiasPerplexityRow[]> {
  const pairs = genderPairs();
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
        pFemale: null,
        biasPairs: null,
        pplAddresses: null,
        pplMobyDick: null,
        note: e.dir ? 'same network as GPT' : e.note,
      });
      onProgress?.(++done, base.model);
      continue;
    }
    const m = loadModel(e.dir);
    try {
      const b = await biasProbe(m.model, m.tokenizer, pairs, undefined, cfg.batchSize, cfg.biasPairs);
      const T1 = m.model.config.blockSize + 1;
      const windows = Math.max(1, Math.floor(cfg.perplexityTokens / (T1 - 1)));
      const ppl = (text: string) => perplexity(m.model, streamWindows(encodeStream(m.tokenizer, [text]), cfg.batchSize, T1, windows));
      rows.push({
        ...base,
        biasEntropy: Number.isFinite(b.entropy) ? b.entropy : null,
        pFemale: Number.isFinite(b.pFemale) ? b.pFemale : null,
        biasPairs: b.pairs,
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
