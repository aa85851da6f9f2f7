/**
 * Step 1 of the evaluation: every model of the roster answers every prompt text once (the
 * main set and both probe sets), and the answers are kept in one book, saved as
 * eval/answers.jsonl, that every later judgement reads.
 */
import * as path from 'path';
import { loadCheckpoint } from '../model/checkpoint';
import type { GPT } from '../model/gpt';
import type { Tokenizer } from '../model/tokenizer';
import { Prompt } from '../data/types';
import { artifacts } from '../util/artifacts';
import { writeJsonlAtomic } from '../util/atomic';
import { readJsonl } from '../util/jsonl';
import { answerPrompts } from './answers';
import type { EvaluationConfig } from './eval-config';
import { FewShot, FewShotExample, formatShot, makeFewShot } from './prompted';
import { KIND_LABELS, ModelEntry } from './roster';

export const modelKey = (e: { kind: string; size: string }) => `${e.kind}/${e.size}`;

/** A loaded model (the tokenizer comes with every checkpoint). */
export function loadModel(dir: string): { model: GPT; tokenizer: Tokenizer; dispose: () => void } {
  const ck = loadCheckpoint(dir, { withOptimizer: false });
  return {
    model: ck.model,
    tokenizer: ck.tokenizer,
    dispose: () => {
      ck.model.dispose();
      for (const h of ck.heads.values()) h.dispose();
    },
  };
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

/** answers[modelKey][i] answers texts[i]; missing models have no key. */
export interface AnswerBook {
  texts: string[];
  answers: Record<string, string[]>;
}

/** Every available model answers every text; saved to eval/answers.jsonl (one row per answer).
 *  `fewShot`: GPT (prompted)'s examples and prefix budget (the profile's sft.fewShotTokens). */
export async function answerEveryModel(
  runDir: string,
  roster: readonly ModelEntry[],
  texts: readonly string[],
  cfg: EvaluationConfig,
  seed: number,
  fewShot: { examples: readonly FewShotExample[]; maxTokens: number },
  onProgress?: (done: number, label: string) => void,
): Promise<AnswerBook> {
  const book: AnswerBook = { texts: texts.slice(), answers: {} };
  let done = 0;
  for (const e of roster) {
    if (!e.dir) continue;
    const m = loadModel(e.dir);
    try {
      const maxNewTokens = Math.min(cfg.maxNewTokens, m.model.config.blockSize - 8);
      const { answers } = await answerPrompts(m.model, m.tokenizer, texts, {
        batchSize: cfg.batchSize,
        generation: { maxNewTokens, temperature: cfg.temperature, topP: cfg.topP, seed },
        fewShot:
          e.kind === 'gpt-prompted' ? fewShotFor(fewShot.examples, m.tokenizer, texts, m.model.config.blockSize - maxNewTokens, fewShot.maxTokens) : undefined,
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
    if (!index.has(r.prompt)) {
      index.set(r.prompt, texts.length);
      texts.push(r.prompt);
    }
    if (!answers[r.model]) answers[r.model] = [];
    answers[r.model][index.get(r.prompt)!] = r.answer;
  }
  return { texts, answers };
}

/** The answers of one model to `prompts` (by text; anything with a `text`), or null when the model is missing. */
export function answersFor(book: AnswerBook, key: string, prompts: readonly Pick<Prompt, 'text'>[]): string[] | null {
  const all = book.answers[key];
  if (!all) return null;
  const at = new Map(book.texts.map((t, i) => [t, i]));
  return prompts.map((p) => {
    const i = at.get(p.text);
    if (i === undefined) throw new Error(`answersFor: no answer to "${p.text}" in the answer book`);
    return all[i];
  });
}
