/**
 * The alignment tax on tasks, as the paper measured it on public NLP datasets (its Figure 29):
 * small held-out tasks with one right answer, run on GPT, SFT, PPO and PPO-ptx of every size.
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
 * classification sentence a sentiment item (its label is AFINN's, as the data's), every
 * uppercase / reverse phrase an item of both rewrites. Each task keeps at most
 * `taskSuiteItems`, drawn with the seed; each item carries `taskSuiteShots` worked examples
 * drawn from the other items of its task.
 *
 * Each model reads the items the way it was built to be asked, as the paper's models were:
 *
 *   GPT                    the few-shot text of the "GPT (prompted)" prefix (src/eval/prompted.ts),
 *                          raw, no episode markers:
 *                            Question: What is the capital of Peru?
 *                            Answer: Lima
 *
 *                            Question: What is the capital of Chad?
 *                            Answer:
 *                          worked examples that do not fit the context are dropped, the oldest first;
 *   SFT, PPO, PPO-ptx      the question alone, in the instruction format they were fine-tuned on.
 *
 * Each continues greedily for at most `taskSuiteMaxTokens` tokens (the few-shot text stops at
 * its task's longest answer plus one), in batches. The answer is the continuation's first
 * line, and it is **right** when it states the expected answer as a whole phrase and none of
 * the task's other answers (another continent, another capital or symbol of the tables, the
 * other sentiment label): "It is in Asia." is right for Vietnam, "Asia or Europe" is not.
 * Letter case is ignored except for symbols and uppercase. Small models answer in sentences,
 * so a bare exact match would score every one of them 0 and measure nothing.
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
  /** the task's other answers: an answer that states one of them is wrong */
  distractors: string[];
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
  const uniq = (xs: string[]) => [...new Set(xs.filter(Boolean))];
  const labels: Record<SuiteTask, string[]> = {
    capital: uniq(pool.countries.map((c) => c.capital)),
    continent: uniq(pool.countries.map((c) => c.continent)),
    symbol: uniq(pool.elements.map((e) => e.symbol)),
    sentiment: ['positive', 'negative'],
    uppercase: [],
    reverse: [],
  };
  const items: SuiteItem[] = [];
  for (const task of SUITE_TASKS) {
    const rng = new Rng(`task-suite:${seed}:${task}`);
    const chosen = rng.shuffle(all[task]).slice(0, perTask);
    chosen.forEach((x, i) => {
      const others = chosen.filter((_, j) => j !== i);
      const distractors = labels[task].filter((l) => l !== x.answer);
      items.push({ task, question: x.question, answer: x.answer, distractors, shots: rng.sample(others, Math.min(k, others.length)) });
    });
  }
  return items;
}

/** The raw text a model continues for `item` with its last `shots` worked examples. */
export function suiteText(item: SuiteItem, shots = item.shots.length): string {
  const used = item.shots.slice(item.shots.length - shots);
  return used.map((s) => formatShot(s.question, s.answer) + '\n\n').join('') + formatShot(item.question);
}

const escapeRegExp = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `line` states `phrase` as a whole phrase (case-insensitive unless `exactCase`). */
function states(line: string, phrase: string, exactCase: boolean): boolean {
  const words = phrase.trim().split(/\s+/).filter(Boolean).map(escapeRegExp);
  if (!words.length) return false;
  return new RegExp(`(^|[^\\p{L}\\p{N}])${words.join('\\s+')}(?![\\p{L}\\p{N}])`, exactCase ? 'u' : 'iu').test(line);
}

/** Whether a continuation answers `item`: its first line states the answer and none of the distractors (see the header). */
export function answerMatch(item: Pick<SuiteItem, 'task' | 'answer' | 'distractors'>, continuation: string): boolean {
  const line = cutAnswer(continuation);
  const exactCase = CASE_SENSITIVE.has(item.task);
  return states(line, item.answer, exactCase) && !item.distractors.some((d) => states(line, d, exactCase));
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

/** How a model is asked: the few-shot raw text (a base model) or the question alone in the instruction format (a fine-tuned one). */
export type SuiteFormat = 'few-shot' | 'instruction';

/** The format each kind of model is asked in (see the header). */
export const suiteFormat = (kind: ModelKind): SuiteFormat => (kind === 'gpt' || kind === 'gpt-prompted' ? 'few-shot' : 'instruction');

/** One model's greedy continuations of every item, in item order (batched per task, prompts of similar length together). */
export async function suiteContinuations(
  model: GPT,
  tokenizer: Tokenizer,
  items: readonly SuiteItem[],
  config: Pick<EvaluationConfig, 'taskSuiteMaxTokens' | 'batchSize'>,
  format: SuiteFormat = 'few-shot',
): Promise<string[]> {
  const { taskSuiteMaxTokens, batchSize } = config;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`suiteContinuations: batchSize must be an integer >= 1, got ${batchSize}`);
  const inputs: SuiteInput[] =
    format === 'few-shot'
      ? suiteInputs(tokenizer, items, model.config.blockSize, taskSuiteMaxTokens)
      : items.map((x) => ({ text: x.question, length: tokenizer.encodePrompt(x.question).length, shots: 0, maxNewTokens: taskSuiteMaxTokens }));
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
        { raw: format === 'few-shot', greedy: true, temperature: 0, maxNewTokens: inputs[batch[0]].maxNewTokens },
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
 * (prompted) is the GPT network itself here (GPT already reads the few-shot text), so its
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
      const continuations = await suiteContinuations(m.model, m.tokenizer, items, config, suiteFormat(e.kind));
      right = items.map((x, i) => answerMatch(x, continuations[i]));
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
