/**
 * Batches for the two supervised stages, as plain Int32Arrays (tensors are made inside
 * each step's tidy):
 *
 *   pretraining  one token stream (every document as <|bos|> text <|eos|>); a batch is B
 *                windows of T+1 tokens at positions drawn by a seeded Rng, so batch `step`
 *                is a pure function of (seed, step) and a resumed run reads the same data.
 *   SFT          episodes `<|bos|><|prompt|>x<|answer|>y<|eos|>` right-padded to the longest
 *                in the batch; the loss mask is 1 on answer tokens (y and <|eos|>) only.
 */
import type { Tokenizer } from '../model/tokenizer';
import { Rng } from '../util/random';

export interface TokenBatch {
  /** [B * (T+1)] row-major token ids */
  tokens: Int32Array;
  /** [B * (T+1)] 1 where the token is a target of the LM loss */
  lossMask: Int32Array;
  /** rows */
  B: number;
  /** columns, T+1 (the model reads the first T, is scored on the last T) */
  T1: number;
}

/** Every document as <|bos|> text <|eos|>, concatenated. */
export function encodeStream(tokenizer: Tokenizer, texts: readonly string[]): Int32Array {
  const parts: number[][] = texts.map((t) => [tokenizer.bosId, ...tokenizer.encode(t, { allowSpecial: false }), tokenizer.eosId]);
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** B random windows of T+1 tokens from `stream`; the draw depends only on (seed, step). */
export function streamBatch(stream: Int32Array, B: number, T1: number, seed: number | string, step: number): TokenBatch {
  if (stream.length < T1 + 1) throw new Error(`streamBatch: the token stream has ${stream.length} tokens, fewer than one window of ${T1}`);
  const rng = new Rng(`${seed}:batch:${step}`);
  const tokens = new Int32Array(B * T1);
  for (let b = 0; b < B; b++) {
    const start = rng.int(stream.length - T1 + 1);
    tokens.set(stream.subarray(start, start + T1), b * T1);
  }
  return { tokens, lossMask: new Int32Array(B * T1).fill(1), B, T1 };
}

/**
 * Consecutive, non-overlapping windows covering `stream` from the start (at most
 * `maxWindows`; 0 = all), in batches of B: the fixed set that validation perplexity reads.
 */
export function streamWindows(stream: Int32Array, B: number, T1: number, maxWindows = 0): TokenBatch[] {
  let n = Math.floor((stream.length - 1) / (T1 - 1));
  if (maxWindows > 0) n = Math.min(n, maxWindows);
  const batches: TokenBatch[] = [];
  for (let w0 = 0; w0 < n; w0 += B) {
    const rows = Math.min(B, n - w0);
    const tokens = new Int32Array(rows * T1);
    for (let r = 0; r < rows; r++) {
      const start = (w0 + r) * (T1 - 1); // windows share one token so every token is a target once
      tokens.set(stream.subarray(start, start + T1), r * T1);
    }
    batches.push({ tokens, lossMask: new Int32Array(rows * T1).fill(1), B: rows, T1 });
  }
  return batches;
}

export interface Episode {
  /** ids of `<|bos|><|prompt|>x<|answer|>y<|eos|>` */
  ids: number[];
  /** index of the first answer token (just after `<|answer|>`) */
  answerStart: number;
}

/**
 * Encode one demonstration. Longer than `maxLen` tokens (the model's blockSize + 1): the
 * answer is cut at the end (the prompt is always kept whole); a prompt that leaves no room
 * for one answer token is an error naming it.
 */
export function encodeEpisode(tokenizer: Tokenizer, prompt: string, answer: string, maxLen: number): Episode {
  const head = tokenizer.encodePrompt(prompt);
  if (head.length + 1 > maxLen) {
    throw new Error(`encodeEpisode: prompt ${JSON.stringify(prompt.slice(0, 60))} takes ${head.length} tokens, no room for an answer in ${maxLen}`);
  }
  const ids = tokenizer.encodeEpisode(prompt, answer);
  return { ids: ids.slice(0, maxLen), answerStart: head.length };
}

/** Episodes right-padded with <|pad|> to the longest; loss mask 1 on answer tokens only. */
export function episodeBatch(episodes: readonly Episode[], padId: number): TokenBatch {
  if (episodes.length === 0) throw new Error('episodeBatch: no episodes');
  const B = episodes.length;
  const T1 = Math.max(...episodes.map((e) => e.ids.length));
  const tokens = new Int32Array(B * T1).fill(padId);
  const lossMask = new Int32Array(B * T1);
  episodes.forEach((e, b) => {
    tokens.set(e.ids, b * T1);
    lossMask.fill(1, b * T1 + e.answerStart, b * T1 + e.ids.length);
  });
  return { tokens, lossMask, B, T1 };
}
