/**
 * Collecting the reward model's comparisons (Ouyang et al. 2022, sections 3.2 and 3.5):
 *
 *   1. for each RM prompt draw K in [kMin, kMax] (the paper: 4..9);
 *   2. sample K answers from the SFT models (nucleus sampling), each answer from one of the
 *      models, so the answers span the quality the later policies will produce;
 *   3. one training labeler ranks the K answers, ties allowed (D > C > A = B).
 *
 * The rankings are the data engineer's `RankedPrompt` rows (so a file of real human
 * rankings loads the same way) plus which model wrote each answer. They are saved as JSONL
 * and CSV (one row per answer) and shown as a danfo DataFrame.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Prompt } from '../data/types';
import { RankedPrompt, rankingsCsv, rankingsJsonl } from '../data/tables';
import { assignLabeler, judgingPanel, Labeler, LETTERS, rank } from '../labelers/panel';
import { GPT } from '../model/gpt';
import { generate } from '../model/generate';
import { Tokenizer } from '../model/tokenizer';
import { writeFileAtomic, writeJsonlAtomic } from '../util/atomic';
import { hashSeed, Rng } from '../util/random';

export interface ComparisonConfig {
  /** Fewest answers per prompt (the paper: 4). */
  kMin: number;
  /** Most answers per prompt (the paper: 9). */
  kMax: number;
  /** Nucleus sampling mass: keep the smallest token set with this probability. */
  topP: number;
  /** Softmax temperature of the sampler. */
  temperature: number;
  /** Longest answer in tokens (`<|eos|>` included). */
  maxNewTokens: number;
  /** Answers sampled per forward batch. */
  batchSize: number;
  /** Seeds K, the choice of model per answer, and the samplers. */
  seed: number;
}

export const DEFAULTS: ComparisonConfig = {
  kMin: 4,
  kMax: 9,
  topP: 0.95,
  temperature: 1,
  maxNewTokens: 32,
  batchSize: 64,
  seed: 1,
};

/** A model answers are sampled from, e.g. `{ name: "sft-small", model }`. */
export interface AnswerSource {
  name: string;
  model: GPT;
}

/** One prompt with its K sampled answers and the model that wrote each. */
export interface SampledPrompt {
  prompt: Prompt;
  answers: string[];
  sources: string[];
}

/** A labeler's ranking plus the provenance of each answer and the prompt's category. */
export interface Comparison extends RankedPrompt {
  category: string;
  sources: string[];
}

function validate(cfg: ComparisonConfig): void {
  if (!(Number.isInteger(cfg.kMin) && Number.isInteger(cfg.kMax) && cfg.kMin >= 2 && cfg.kMax >= cfg.kMin && cfg.kMax <= LETTERS.length)) {
    throw new Error(`ComparisonConfig: need integers 2 <= kMin <= kMax <= ${LETTERS.length}, got kMin ${cfg.kMin}, kMax ${cfg.kMax}`);
  }
  if (!Number.isInteger(cfg.batchSize) || cfg.batchSize < 1) throw new Error(`ComparisonConfig: batchSize must be a positive integer, got ${cfg.batchSize}`);
}

/**
 * Sample K answers per prompt. K and each answer's model come from `seed` and the prompt id;
 * every model samples its rows with a stream per row, so batching does not change a sample.
 */
export async function sampleAnswers(
  prompts: readonly Prompt[],
  sources: readonly AnswerSource[],
  tokenizer: Tokenizer,
  config: Partial<ComparisonConfig> = {},
  onBatch?: (done: number, total: number) => void | Promise<void>,
): Promise<SampledPrompt[]> {
  const cfg = { ...DEFAULTS, ...config };
  validate(cfg);
  if (!sources.length) throw new Error('sampleAnswers: no model to sample answers from');
  const names = new Set(sources.map((s) => s.name));
  if (names.size !== sources.length) throw new Error(`sampleAnswers: source names must be unique, got ${sources.map((s) => s.name).join(', ')}`);
  // 1. K and the model of every answer slot
  const slots = prompts.map((p) => {
    const rng = new Rng(`comparisons:${cfg.seed}:${p.prompt_id}`);
    const k = rng.intBetween(cfg.kMin, cfg.kMax);
    return Array.from({ length: k }, () => rng.int(sources.length));
  });
  const out: SampledPrompt[] = prompts.map((prompt, i) => ({
    prompt,
    answers: new Array<string>(slots[i].length).fill(''),
    sources: slots[i].map((s) => sources[s].name),
  }));
  const total = slots.reduce((a, s) => a + s.length, 0);
  let done = 0;
  // 2. each model samples its rows in batches
  for (let s = 0; s < sources.length; s++) {
    const source = sources[s];
    const rows: [number, number][] = [];
    slots.forEach((slot, i) => slot.forEach((src, j) => src === s && rows.push([i, j])));
    for (let b = 0; b < rows.length; b += cfg.batchSize) {
      const chunk = rows.slice(b, b + cfg.batchSize);
      const gen = await generate(
        source.model,
        tokenizer,
        chunk.map(([i]) => prompts[i].text),
        {
          maxNewTokens: cfg.maxNewTokens,
          temperature: cfg.temperature,
          topP: cfg.topP,
          seed: hashSeed(`${cfg.seed}:${source.name}`),
          rowOffset: b,
        },
      );
      chunk.forEach(([i, j], r) => (out[i].answers[j] = gen.texts[r].trim()));
      done += chunk.length;
      await onBatch?.(done, total);
    }
  }
  return out;
}

/** 3. Each prompt's answers ranked by its assigned labeler: a training one, or with `heldOut` a
 *  dev judge (a labeler the RM never learned from; training never asks the sealed judges). */
export function rankAnswers(sampled: readonly SampledPrompt[], panel: readonly Labeler[], heldOut = false): Comparison[] {
  const judges = heldOut ? judgingPanel(panel, 'dev') : panel;
  return sampled.map((s) => {
    const labeler = assignLabeler(judges, s.prompt, heldOut);
    return {
      prompt_id: s.prompt.prompt_id,
      user_id: s.prompt.user_id,
      labeler_id: labeler.labeler_id,
      prompt: s.prompt.text,
      answers: s.answers.slice(),
      ranks: rank(labeler, s.prompt, s.answers).ranks,
      category: s.prompt.category,
      sources: s.sources.slice(),
    };
  });
}

/** People's rankings (from `reward.rankings`) as comparisons: category and every source "human". */
export function humanComparisons(ranked: readonly RankedPrompt[]): Comparison[] {
  return ranked.map((r) => ({ ...r, category: 'human', sources: r.answers.map(() => 'human') }));
}

export const COMPARISON_COLUMNS = ['prompt_id', 'category', 'labeler_id', 'answer_id', 'source', 'rank', 'answer'] as const;

/** One row per answer: prompt_id, category, labeler_id, answer_id (A, B, ...), source, rank, answer. */
export function comparisonRows(comparisons: readonly Comparison[]): Record<(typeof COMPARISON_COLUMNS)[number], string | number>[] {
  return comparisons.flatMap((c) =>
    c.answers.map((answer, i) => ({
      prompt_id: c.prompt_id,
      category: c.category,
      labeler_id: c.labeler_id,
      answer_id: LETTERS[i],
      source: c.sources[i],
      rank: c.ranks[i],
      answer,
    })),
  );
}

/** The comparisons as a danfo DataFrame (danfo loads lazily: it brings TensorFlow.js with it). */
export function comparisonsFrame(comparisons: readonly Comparison[]): any {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dfd = require('danfojs-node');
  const rows = comparisonRows(comparisons);
  return new dfd.DataFrame(
    rows.map((r) => COMPARISON_COLUMNS.map((c) => r[c])),
    { columns: [...COMPARISON_COLUMNS] },
  );
}

/**
 * Write one set of comparisons as `<name>.jsonl` and `<name>.csv` in the rankings format
 * (`loadRankings` reads them back; a file of real human rankings can replace them) and
 * `<name>-sources.jsonl` (which model wrote each answer). Each file is written atomically.
 */
export function writeComparisons(dir: string, name: string, comparisons: readonly Comparison[]): string[] {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`writeComparisons: name must be lowercase letters, digits and dashes, got ${JSON.stringify(name)}`);
  fs.mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, `${name}.jsonl`), path.join(dir, `${name}.csv`), path.join(dir, `${name}-sources.jsonl`)];
  writeFileAtomic(files[0], rankingsJsonl(comparisons));
  writeFileAtomic(files[1], rankingsCsv(comparisons));
  writeJsonlAtomic(
    files[2],
    comparisons.map((c) => ({ prompt_id: c.prompt_id, category: c.category, sources: c.sources })),
  );
  return files;
}
