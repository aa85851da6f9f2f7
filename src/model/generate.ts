/**
 * Batched sampling from a GPT with a KV cache.
 *
 * Prompts are left-padded to one length (pad keys masked out, positions counted from each
 * row's first real token, so a row samples the same with or without padding). Each step
 * feeds one token per row and reuses the cached keys/values of the earlier positions.
 * Sampling happens in JS on the read-back logits with our own seeded `Rng` (one stream per
 * row), so the same seed and backend repeat exactly. A row stops at `<|eos|>` and leaves the
 * batch (with its cached keys and values), so later steps compute only the rows still
 * sampling, and compute them to the same bits as before (shrunkBatch says why).
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../engine/readback';
import { xnnpackMinRows } from '../engine/wasm-matmul';
import { Rng } from '../util/random';
import { disposeCache, GPT, LayerCache } from './gpt';
import type { Tokenizer } from './tokenizer';

export interface GenerateConfig {
  /** Most tokens sampled per prompt (EOS included). */
  maxNewTokens: number;
  /** Softmax temperature; 0 means greedy. */
  temperature: number;
  /** Keep only the k most probable tokens (0: off). */
  topK: number;
  /** Nucleus sampling: keep the smallest set of tokens with mass >= topP (1: off; the paper uses 0.95). */
  topP: number;
  /** Always take the most probable token (same as temperature 0). */
  greedy: boolean;
  /** Seed of the sampler; row b uses the stream `${seed}:${rowOffset + b}`. */
  seed: number;
  /** Index of this batch's first row in the whole prompt list (so batching does not change samples). */
  rowOffset: number;
  /** Use the KV cache (false recomputes the whole prefix every step; for benchmarks/tests). */
  useCache: boolean;
  /** Finished rows leave the batch (false keeps computing them; for benchmarks/tests). */
  dropFinished: boolean;
}

export const DEFAULTS: GenerateConfig = {
  maxNewTokens: 64,
  temperature: 1,
  topK: 0,
  topP: 1,
  greedy: false,
  seed: 0,
  rowOffset: 0,
  useCache: true,
  dropFinished: true,
};

export interface GenerateResult {
  /** The prompt ids each row actually read (after left truncation to fit blockSize). */
  promptTokens: number[][];
  /** Sampled ids per row, up to and including `<|eos|>` when it was hit (no padding). */
  tokens: number[][];
  /** log pi(token) of each sampled token under softmax(logits / temperature), before top-k/top-p (temperature 1 when greedy). */
  logprobs: number[][];
  /** Whether the row ended with `<|eos|>`. */
  hitEos: boolean[];
}

/** Indices kept by nucleus filtering: the smallest most-probable set whose mass >= p. */
export function topPIndices(probs: ArrayLike<number>, p: number, candidates?: number[]): number[] {
  const order = (candidates ?? Array.from({ length: probs.length }, (_, i) => i)).sort((a, b) => probs[b] - probs[a] || a - b);
  if (p >= 1) return order;
  let total = 0;
  for (const i of order) total += probs[i];
  const kept: number[] = [];
  let mass = 0;
  for (const i of order) {
    kept.push(i);
    mass += probs[i];
    if (mass >= p * total) break;
  }
  return kept;
}

/** Indices of the k largest entries (ties to the smaller index). */
export function topKIndices(values: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, Math.min(k, values.length));
}

/** A bucket sort's buckets larger than this go to the native sort (insertion cost grows as its square). */
const MAX_BUCKET = 64;

/**
 * `values` sorted ascending: the same array as Float64Array.from(values).sort(), about twice
 * as fast for a softmax over 2048 tokens (here ~57 us against the native typed-array sort's
 * ~120 us, which was most of a top-p token's ~180 us of sampling). A non-negative double's bits order like its value, so one counting
 * pass over the top 16 bits (sign, exponent, 4 mantissa bits) puts each value into a bucket
 * of values within 1/16 of a power of two of each other, and an insertion sort finishes the
 * buckets. Negative, infinite or NaN values, crowded buckets, or a big-endian machine take
 * the native sort.
 */
export function sortedAscending(values: Float64Array): Float64Array {
  const n = values.length;
  const native = () => Float64Array.from(values).sort();
  if (!LITTLE_ENDIAN || n < 2) return native();
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n); // [low, high] per value
  const keys = new Int32Array(n);
  let lo = 0xffff;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const k = words[2 * i + 1] >>> 16;
    if (k >= 0x7ff0) return native(); // sign bit set, or infinite / NaN
    keys[i] = k;
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  const start = new Int32Array(hi - lo + 2);
  for (let i = 0; i < n; i++) start[keys[i] - lo + 1]++;
  let crowded = 0;
  for (let b = 1; b < start.length; b++) {
    if (start[b] > crowded) crowded = start[b];
    start[b] += start[b - 1];
  }
  if (crowded > MAX_BUCKET) return native();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[start[keys[i] - lo]++] = values[i];
  // buckets are in order, so the only inversions left are inside buckets
  for (let i = 1; i < n; i++) {
    const x = out[i];
    let j = i - 1;
    while (j >= 0 && out[j] > x) {
      out[j + 1] = out[j];
      j--;
    }
    out[j + 1] = x;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The tokens that top-k then top-p keep, in ascending index order: the same set as
 * topPIndices(probs, p, topKIndices(probs, k)) (ties broken toward the smaller index), found
 * from one ascending sort (sortedAscending) instead of comparator sorts.
 */
export function keptTokens(probs: Float64Array, topK: number, topP: number): number[] {
  const V = probs.length;
  const sorted = sortedAscending(probs); // the one sort
  let count = topK > 0 && topK < V ? topK : V;
  if (topP < 1) {
    let total = 0;
    for (let i = V - count; i < V; i++) total += sorted[i];
    let mass = 0;
    let n = 0;
    for (let i = V - 1; i >= V - count; i--) {
      mass += sorted[i];
      n++;
      if (mass >= topP * total) break;
    }
    count = n;
  }
  if (count === V) return Array.from({ length: V }, (_, i) => i);
  // all values above `cut`, then values equal to `cut` by index until `count` are taken
  const cut = sorted[V - count];
  let ties = count;
  for (let i = V - 1; i >= 0 && sorted[i] > cut; i--) ties--;
  const kept: number[] = [];
  for (let i = 0; i < V; i++) {
    if (probs[i] > cut) kept.push(i);
    else if (probs[i] === cut && ties > 0) {
      kept.push(i);
      ties--;
    }
  }
  return kept;
}

/**
 * Pick the next token from one row of logits. Returns the token and its log-prob under
 * softmax(logits / temperature) (unfiltered).
 */
export function sampleToken(logits: ArrayLike<number>, cfg: GenerateConfig, rng: Rng): { token: number; logprob: number } {
  const V = logits.length;
  const greedy = cfg.greedy || cfg.temperature === 0;
  const temp = greedy ? 1 : cfg.temperature;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > max) max = logits[i];
  const probs = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += probs[i] = Math.exp((logits[i] - max) / temp);
  for (let i = 0; i < V; i++) probs[i] /= sum;
  let token: number;
  if (greedy) {
    token = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[token]) token = i;
  } else if ((cfg.topK > 0 && cfg.topK < V) || cfg.topP < 1) {
    const candidates = keptTokens(probs, cfg.topK, cfg.topP);
    token = candidates[rng.categorical(candidates.map((i) => probs[i]))];
  } else token = rng.categorical(probs);
  return { token, logprob: Math.log(probs[token]) };
}

function validate(cfg: GenerateConfig, blockSize: number): void {
  if (!Number.isInteger(cfg.maxNewTokens) || cfg.maxNewTokens < 1)
    throw new Error(`generate: maxNewTokens must be a positive integer, got ${cfg.maxNewTokens}`);
  if (cfg.maxNewTokens >= blockSize)
    throw new Error(`generate: maxNewTokens (${cfg.maxNewTokens}) must be < blockSize (${blockSize}) to leave room for the prompt`);
  if (!(cfg.temperature >= 0)) throw new Error(`generate: temperature must be >= 0, got ${cfg.temperature}`);
  if (!(cfg.topP > 0 && cfg.topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${cfg.topP}`);
  if (!Number.isInteger(cfg.topK) || cfg.topK < 0) throw new Error(`generate: topK must be a non-negative integer, got ${cfg.topK}`);
}

/**
 * Which batch positions to keep once rows have finished, or null to keep them all. Finished
 * rows leave when they are at least an eighth of the batch (gathering the KV cache costs
 * about one step's cache copy), but the batch keeps `minRows` rows, finished ones filling
 * it up in order: below that the wasm backend would compute the model's products in its
 * float64 JS loop instead of XNNPACK, and the rows still sampling would round differently.
 * Above it every op of the decode step works row by row, so a row's numbers do not depend
 * on which other rows share its batch (checked on wasm to the bit in the tests).
 */
export function shrunkBatch(live: readonly number[], done: readonly boolean[], minRows: number): number[] | null {
  const R = live.length;
  const active = live.filter((b) => !done[b]).length;
  if (active === 0 || R - active < Math.max(1, R / 8) || R <= minRows) return null;
  let fill = Math.max(0, minRows - active);
  const keep: number[] = [];
  for (let r = 0; r < R; r++) {
    if (!done[live[r]]) keep.push(r);
    else if (fill > 0) {
      keep.push(r);
      fill--;
    }
  }
  return keep.length < R ? keep : null;
}

/**
 * The rows to read a batch's prompts from when some prompts repeat: one row per distinct
 * prompt (its first), and `of[b]`, the position in `rows` whose result row b takes; null when
 * all are distinct. At least `minRows` rows are read (see shrunkBatch), repeats filling up.
 */
export function distinctPrompts(prompts: readonly number[][], minRows: number): { rows: number[]; of: number[] } | null {
  const first = new Map<string, number>();
  const rows: number[] = [];
  const of: number[] = [];
  prompts.forEach((p, b) => {
    const key = p.join(',');
    let at = first.get(key);
    if (at === undefined || rows.length + (prompts.length - b) <= minRows) {
      // a new prompt, or a repeat read anyway because only enough rows are left to reach minRows
      at = rows.length;
      first.set(key, at);
      rows.push(b);
    }
    of.push(at);
  });
  return rows.length < prompts.length ? { rows, of } : null;
}

/** The cache of the rows `rows` (positions in the cached batch), in that order; frees the old one. */
function gatherCache(cache: LayerCache[], rows: readonly number[]): LayerCache[] {
  const at = tf.tensor1d(rows as number[], 'int32');
  const gathered = cache.map((c) => ({ k: tf.gather(c.k, at), v: tf.gather(c.v, at) }));
  at.dispose();
  disposeCache(cache);
  return gathered;
}

/**
 * Sample continuations of token-id prompts. One read-back per step (the last position's
 * logits of every row), awaited so that a GPU backend works.
 */
export async function generateIds(
  model: GPT,
  prompts: number[][],
  ids: { eosId: number; padId: number },
  config: Partial<GenerateConfig> = {},
): Promise<GenerateResult> {
  const cfg = { ...DEFAULTS, ...config };
  validate(cfg, model.config.blockSize);
  if (prompts.length === 0) return { promptTokens: [], tokens: [], logprobs: [], hitEos: [] };
  const B = prompts.length;
  const room = model.config.blockSize - cfg.maxNewTokens;
  const promptTokens = prompts.map((p, b) => {
    if (p.length === 0) throw new Error(`generate: prompt ${b} is empty (give at least <|bos|>)`);
    return p.length > room ? p.slice(p.length - room) : p.slice();
  });
  const P = Math.max(...promptTokens.map((p) => p.length));
  const padCount = promptTokens.map((p) => P - p.length);
  // per-row running state
  const seqs = promptTokens.map((p, b) => [...new Array<number>(padCount[b]).fill(ids.padId), ...p]); // [B][P + s]
  const masks = promptTokens.map((_, b) => Array.from({ length: P }, (__, t) => (t < padCount[b] ? 0 : 1))); // [B][P + s]
  const rngs = promptTokens.map((_, b) => new Rng(`${cfg.seed}:${cfg.rowOffset + b}`));
  const tokens: number[][] = promptTokens.map(() => []);
  const logprobs: number[][] = promptTokens.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const positionOf = (b: number, t: number) => Math.max(0, t - padCount[b]);

  // rows still in the batch (indices into the prompts, ascending); finished rows leave it
  let live = promptTokens.map((_, b) => b);
  // the decode step's narrowest products: attention's output projection [C, C], the unembedding [C, V]
  const { nEmbd: C, vocabSize: V } = model.config;
  const minRows = Math.min(B, Math.max(xnnpackMinRows(C, C), xnnpackMinRows(C, V)));
  // the prompt is read once per distinct prompt (PPO's k answers per prompt, best-of-n), its
  // cached keys and values then copied to every row that asked it
  const distinct = cfg.useCache ? distinctPrompts(promptTokens, minRows) : null;
  let cache: LayerCache[] | undefined;
  try {
    for (let step = 0; step < cfg.maxNewTokens && !done.every(Boolean); step++) {
      const R = live.length;
      const L = P + step; // tokens known so far
      const feedFrom = cfg.useCache && step > 0 ? L - 1 : 0; // first position fed this step
      const T = L - feedFrom;
      const feed = step === 0 && distinct ? distinct.rows : live; // rows this forward reads
      const idx = tf.tensor2d(
        feed.flatMap((b) => seqs[b].slice(feedFrom, L)),
        [feed.length, T],
        'int32',
      ); // [rows read, T]
      const pos = tf.tensor2d(
        feed.flatMap((b) => Array.from({ length: T }, (_, t) => positionOf(b, feedFrom + t))),
        [feed.length, T],
        'int32',
      ); // [rows read, T]
      const mask = tf.tensor2d(
        feed.flatMap((b) => masks[b].slice(0, L)),
        [feed.length, L],
        'int32',
      ); // [rows read, L]
      const out = model.forward(idx, {
        attentionMask: mask,
        positions: pos,
        past: cfg.useCache ? cache : undefined,
        useCache: cfg.useCache,
        lastLogitsOnly: true,
      });
      tf.dispose([idx, pos, mask, out.hidden]);
      const data = await readValues(out.logits); // [rows read, 1, V]
      disposeCache(cache);
      cache = out.present;
      const read = feed === live ? null : distinct!.of; // row b's logits and cache are those of read[b]
      if (read && cache) cache = gatherCache(cache, read);
      for (let r = 0; r < R; r++) {
        const b = live[r];
        if (done[b]) {
          seqs[b].push(ids.padId);
          masks[b].push(0);
          continue;
        }
        const at = read ? read[b] : r;
        const { token, logprob } = sampleToken(data.subarray(at * V, (at + 1) * V), cfg, rngs[b]);
        tokens[b].push(token);
        logprobs[b].push(logprob);
        seqs[b].push(token);
        masks[b].push(1);
        if (token === ids.eosId) done[b] = true;
      }
      const keep = cfg.dropFinished ? shrunkBatch(live, done, minRows) : null;
      if (keep) {
        if (cache) cache = gatherCache(cache, keep);
        live = keep.map((r) => live[r]);
      }
    }
  } finally {
    disposeCache(cache);
  }
  return { promptTokens, tokens, logprobs, hitEos: done };
}

export interface TextGeneration extends GenerateResult {
  /** Answers as text, special tokens (the final `<|eos|>`) removed. */
  texts: string[];
}

/**
 * Sample answers to prompt texts. By default each prompt is wrapped in the episode format
 * (`<|bos|><|prompt|>...<|answer|>`); `raw: true` encodes it as given after `<|bos|>`.
 */
export async function generate(
  model: GPT,
  tokenizer: Tokenizer,
  prompts: string[],
  config: Partial<GenerateConfig> & { raw?: boolean } = {},
): Promise<TextGeneration> {
  const { raw, ...cfg } = config;
  const ids = prompts.map((p) => (raw ? [tokenizer.bosId, ...tokenizer.encode(p, { allowSpecial: false })] : tokenizer.encodePrompt(p)));
  const result = await generateIds(model, ids, { eosId: tokenizer.eosId, padId: tokenizer.padId }, cfg);
  return { ...result, texts: result.tokens.map((t) => tokenizer.decode(t, { skipSpecial: true })) };
}
