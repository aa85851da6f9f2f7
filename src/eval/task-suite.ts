/**
 * The alignment tax on tasks, as the paper measured it on public NLP datasets (its Figure 29,
 * few-shot, exact answers): small held-out tasks scored by exact match, run on GPT, SFT, PPO
 * and PPO-ptx of every size with the same few-shot prompts.
 *
 *   capital     What is the capital of <country>?                    -> the capital
 *   continent   Which continent is <country> in?                     -> the continent
 *   symbol      What is the chemical symbol for <element>?           -> the symbol (case matters)
 *   sentiment   Is this sentence positive or negative? <sentence>    -> positive / negative
 *   uppercase   Rewrite in capital letters: <phrase>                 -> the phrase in capitals (case matters)
 *   reverse     Reverse the order of these words: <words>            -> the words, last first
 *
 * Items come from the subjects of the prompts the caller passes (the evaluation split, so no
 * subject was asked about in training) with their facts from the FactPool: every country a
 * prompt is about gives a capital and a continent item, every element a symbol item, every
 * classification sentence a sentiment item, every uppercase / reverse phrase an item of both
 * rewrites. Each task keeps at most `taskSuiteItems`, drawn with the seed; each item carries
 * `taskSuiteShots` worked examples drawn from the other items of its task.
 *
 * Every model reads the same raw text (no episode markers, so the base GPT is not at a
 * disadvantage), formatted as the "GPT (prompted)" prefix is (src/eval/prompted.ts):
 *
 *   Question: What is the capital of Peru?
 *   Answer: Lima
 *
 *   Question: What is the capital of Chad?
 *   Answer:
 *
 * and continues it greedily for a few tokens (each task stops at its longest answer plus one
 * token), in batches. The answer is the continuation's first line; it is right when it equals
 * the expected answer after normalising (quotes, a final "." or "!", and runs of spaces
 * removed; letter case ignored except for symbols and uppercase). Worked examples that do
 * not fit the context are dropped, the oldest first.
 */
import type { FactPool } from '../data/pool';
import type { Prompt } from '../data/types';
import { generate } from '../model/generate';
import type { GPT } from '../model/gpt';
import type { Tokenizer } from '../model/tokenizer';
import { Rng } from '../util/random';
import { loadModel } from './answer-book';
import type { EvaluationConfig } from './eval-config';
import { cutAnswer, formatShot } from './prompted';
import { KIND_LABELS, ModelEntry, ModelKind } from './roster';
import { proportion } from './stats';

export const SUITE_TASKS = ['capital', 'continent', 'symbol', 'sentiment', 'uppercase', 'reverse'] as const;
export type SuiteTask = (typeof SUITE_TASKS)[number];

export interface SuiteExample {
  question: string;
  answer: string;
}

export interface SuiteItem extends SuiteExample {
  task: SuiteTask;
  /** worked examples shown before the question, from other items of the same task */
  shots: SuiteExample[];
}

const CASE_SENSITIVE: ReadonlySet<SuiteTask> = new Set(['symbol', 'uppercase']);

/** Candidate (question, answer) pairs per task from the subjects of `prompts`, in first-seen order. */
function candidates(prompts: readonly Prompt[], pool: FactPool): Record<SuiteTask, SuiteExample[]> {
  const countries = new Map(pool.countries.map((c) => [c.name.toLowerCase(), c]));
  const elements = new Map(pool.elements.map((e) => [e.name.toLowerCase(), e]));
  const out: Record<SuiteTask, SuiteExample[]> = { capital: [], continent: [], symbol: [], sentiment: [], uppercase: [], reverse: [] };
  const seen = new Set<string>();
  const add = (task: SuiteTask, question: string, answer: string) => {
    if (!answer || seen.has(`${task}\n${question}`)) return;
    seen.add(`${task}\n${question}`);
    out[task].push({ question, answer });
  };
  for (const p of prompts) {
    const f = p.facts;
    const subject = f.subject.toLowerCase();
    const c = countries.get(subject);
    if (c) {
      add('capital', `What is the capital of ${c.name}?`, c.capital);
      add('continent', `Which continent is ${c.name} in?`, c.continent);
    }
    const e = elements.get(subject);
    if (e) add('symbol', `What is the chemical symbol for ${e.name}?`, e.symbol);
    if (f.task === 'sentiment' && (f.answers[0] === 'positive' || f.answers[0] === 'negative'))
      add('sentiment', `Is this sentence positive or negative? ${f.subject}`, f.answers[0]);
    if (f.task === 'uppercase' || f.task === 'reverse') {
      const words = f.subject.split(/\s+/).filter(Boolean);
      if (words.length < 2) continue;
      const phrase = words.join(' ');
      add('uppercase', `Rewrite in capital letters: ${phrase}`, phrase.toUpperCase());
      add('reverse', `Reverse the order of these words: ${phrase}`, words.slice().reverse().join(' '));
    }
  }
  return out;
}

/**
 * The suite's items: per task at most `taskSuiteItems` (drawn with `seed` from what `prompts`
 * offer), each with up to `taskSuiteShots` worked examples from the other items of its task.
 */
export function taskSuite(
  prompts: readonly Prompt[],
  pool: FactPool,
  config: Pick<EvaluationConfig, 'taskSuiteItems' | 'taskSuiteShots'>,
  seed: number,
): SuiteItem[] {
  const { taskSuiteItems: perTask, taskSuiteShots: k } = config;
  if (!(Number.isInteger(perTask) && perTask >= 0)) throw new Error(`taskSuite: taskSuiteItems must be an integer >= 0, got ${perTask}`);
  if (!(Number.isInteger(k) && k >= 0)) throw new Error(`taskSuite: taskSuiteShots must be an integer >= 0, got ${k}`);
  const all = candidates(prompts, pool);
  const items: SuiteItem[] = [];
  for (const task of SUITE_TASKS) {
    const rng = new Rng(`task-suite:${seed}:${task}`);
    const chosen = rng.shuffle(all[task]).slice(0, perTask);
    chosen.forEach((x, i) => {
      const others = chosen.filter((_, j) => j !== i);
      items.push({ task, question: x.question, answer: x.answer, shots: rng.sample(others, Math.min(k, others.length)) });
    });
  }
  return items;
}

/** The raw text a model continues for `item` with its last `shots` worked examples. */
export function suiteText(item: SuiteItem, shots = item.shots.length): string {
  const used = item.shots.slice(item.shots.length - shots);
  return used.map((s) => formatShot(s.question, s.answer) + '\n\n').join('') + formatShot(item.question);
}

/** A continuation's answer, normalised for exact match: its first line, unquoted, without a final "." / "!", spaces squeezed (lowercase unless case matters for `task`). */
export function normaliseAnswer(task: SuiteTask, text: string): string {
  const t = cutAnswer(text)
    .replace(/^["'\u201c\u201d\u2018\u2019]+|["'\u201c\u201d\u2018\u2019]+$/g, '')
    .replace(/[.!]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return CASE_SENSITIVE.has(task) ? t : t.toLowerCase();
}

/** Whether a continuation answers `item` exactly. */
export function exactMatch(item: Pick<SuiteItem, 'task' | 'answer'>, continuation: string): boolean {
  return normaliseAnswer(item.task, continuation) === normaliseAnswer(item.task, item.answer);
}

/** What a model reads for each item: the text (with the worked examples that fit) and the tokens its task generates. */
export interface SuiteInput {
  text: string;
  /** tokens of the text (after <|bos|>) */
  length: number;
  /** worked examples kept */
  shots: number;
  maxNewTokens: number;
}

/**
 * The inputs for a model of context `blockSize`: each task generates its longest answer's
 * tokens plus one (at most `taskSuiteMaxTokens`); worked examples that would not leave that
 * room are dropped, the oldest first.
 */
export function suiteInputs(tokenizer: Tokenizer, items: readonly SuiteItem[], blockSize: number, taskSuiteMaxTokens: number): SuiteInput[] {
  if (!(Number.isInteger(taskSuiteMaxTokens) && taskSuiteMaxTokens >= 1))
    throw new Error(`suiteInputs: taskSuiteMaxTokens must be an integer >= 1, got ${taskSuiteMaxTokens}`);
  const encode = (s: string) => tokenizer.encode(s, { allowSpecial: false });
  const out = new Array<SuiteInput>(items.length);
  for (const task of SUITE_TASKS) {
    const idx = items.map((_, i) => i).filter((i) => items[i].task === task);
    if (!idx.length) continue;
    const longest = Math.max(...idx.map((i) => encode(' ' + items[i].answer).length));
    const maxNewTokens = Math.max(1, Math.min(taskSuiteMaxTokens, longest + 1, blockSize - 2));
    const room = blockSize - maxNewTokens - 1; // <|bos|> comes first
    for (const i of idx) {
      let shots = items[i].shots.length;
      let text = suiteText(items[i], shots);
      let length = encode(text).length;
      while (length > room && shots > 0) {
        text = suiteText(items[i], --shots);
        length = encode(text).length;
      }
      out[i] = { text, length, shots, maxNewTokens };
    }
  }
  return out;
}

/** One model's greedy continuations of every item, in item order (batched per task, prompts of similar length together). */
export async function suiteContinuations(
  model: GPT,
  tokenizer: Tokenizer,
  items: readonly SuiteItem[],
  config: Pick<EvaluationConfig, 'taskSuiteMaxTokens' | 'batchSize'>,
): Promise<string[]> {
  const { taskSuiteMaxTokens, batchSize } = config;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`suiteContinuations: batchSize must be an integer >= 1, got ${batchSize}`);
  const inputs = suiteInputs(tokenizer, items, model.config.blockSize, taskSuiteMaxTokens);
  const out = new Array<string>(items.length).fill('');
  for (const task of SUITE_TASKS) {
    const order = items
      .map((_, i) => i)
      .filter((i) => items[i].task === task)
      .sort((a, b) => inputs[a].length - inputs[b].length || a - b);
    for (let s = 0; s < order.length; s += batchSize) {
      const batch = order.slice(s, s + batchSize);
      const g = await generate(
        model,
        tokenizer,
        batch.map((i) => inputs[i].text),
        { raw: true, greedy: true, temperature: 0, maxNewTokens: inputs[batch[0]].maxNewTokens },
      );
      batch.forEach((i, b) => (out[i] = g.texts[b]));
    }
  }
  return out;
}

/** Exact-match accuracy of one model on one task (or 'all', every item pooled). */
export interface TaskSuiteRow {
  model: string;
  kind: ModelKind;
  size: string;
  task: SuiteTask | 'all';
  n: number;
  correctCount: number | null;
  /** correctCount / n with its Wilson interval; null when n = 0 or the model is missing */
  accuracy: number | null;
  lower: number | null;
  upper: number | null;
  /** why the figures are missing (the roster's note), else "" */
  note: string;
}

/**
 * The task suite on every model of the roster (each loaded once, then disposed). GPT
 * (prompted) is the GPT network itself here (every model gets the same few-shot text), so its
 * rows are null with a note; missing models keep their rows with the roster's note.
 */
export async function taskSuiteRows(
  roster: readonly ModelEntry[],
  items: readonly SuiteItem[],
  config: Pick<EvaluationConfig, 'taskSuiteMaxTokens' | 'batchSize'>,
  onProgress?: (done: number, label: string) => void,
): Promise<TaskSuiteRow[]> {
  const tasks: (SuiteTask | 'all')[] = [...SUITE_TASKS.filter((t) => items.some((x) => x.task === t)), 'all'];
  const of = (task: SuiteTask | 'all') => items.map((_, i) => i).filter((i) => task === 'all' || items[i].task === task);
  const rows: TaskSuiteRow[] = [];
  let done = 0;
  for (const e of roster) {
    const base = { model: `${KIND_LABELS[e.kind]} ${e.size}`, kind: e.kind, size: e.size };
    const missing = !e.dir ? e.note : e.kind === 'gpt-prompted' ? 'same network as GPT' : null;
    if (missing !== null) {
      for (const task of tasks) rows.push({ ...base, task, n: of(task).length, correctCount: null, accuracy: null, lower: null, upper: null, note: missing });
      onProgress?.(++done, base.model);
      continue;
    }
    const m = loadModel(e.dir!);
    let right: boolean[];
    try {
      const continuations = await suiteContinuations(m.model, m.tokenizer, items, config);
      right = items.map((x, i) => exactMatch(x, continuations[i]));
    } finally {
      m.dispose();
    }
    for (const task of tasks) {
      const idx = of(task);
      const k = idx.filter((i) => right[i]).length;
      const p = proportion(k, idx.length);
      rows.push({ ...base, task, n: idx.length, correctCount: k, accuracy: p.rate, lower: p.lower, upper: p.upper, note: '' });
    }
    onProgress?.(++done, base.model);
  }
  return rows;
}
