/**
 * Answers of one model to many prompts: batched KV-cache sampling (src/model/generate) with
 * one seed for the whole evaluation, so every model answers prompt i from the same sampler
 * stream and the same run repeats exactly. GPT (prompted) passes `fewShot`, which turns a
 * prompt into the raw text the base model continues.
 */
import * as tf from '@tensorflow/tfjs';
import { generate, GenerateConfig } from '../model/generate';
import type { GPT } from '../model/gpt';
import type { Tokenizer } from '../model/tokenizer';

export interface AnswerOptions {
  /** Rows per generation batch. */
  batchSize: number;
  /** Sampler settings (maxNewTokens, temperature, topP, seed...). */
  generation: Partial<GenerateConfig>;
  /** Few-shot wrapper for a base model: the raw text it continues, and where its answer stops. */
  fewShot?: { format: (prompt: string) => string; cut: (completion: string) => string };
  /** Called after each batch with the number of prompts done. */
  onBatch?: (done: number) => void;
}

export async function answerPrompts(
  model: GPT,
  tokenizer: Tokenizer,
  texts: readonly string[],
  opts: AnswerOptions,
): Promise<{ answers: string[]; hitEos: boolean[] }> {
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new Error(`answerPrompts: batchSize must be a positive integer, got ${opts.batchSize}`);
  const answers: string[] = [];
  const hitEos: boolean[] = [];
  const before = tf.memory().numTensors;
  for (let i = 0; i < texts.length; i += opts.batchSize) {
    const chunk = texts.slice(i, i + opts.batchSize);
    const inputs = opts.fewShot ? chunk.map(opts.fewShot.format) : chunk.slice();
    const out = await generate(model, tokenizer, inputs, { ...opts.generation, rowOffset: i, raw: !!opts.fewShot });
    out.texts.forEach((t, b) => {
      answers.push(opts.fewShot ? opts.fewShot.cut(t) : t.trim());
      hitEos.push(out.hitEos[b]);
    });
    opts.onBatch?.(Math.min(texts.length, i + opts.batchSize));
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked > 0) throw new Error(`answerPrompts: ${leaked} tensors leaked while generating`);
  return { answers, hitEos };
}
