/**
 * PPO's episodes: prompt + answer token rows, right-padded, with the index of every answer
 * token; what the networks read at those positions (log-probs, values, the RM score); which
 * prompts each iteration samples; and the pretraining windows of PPO-ptx.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import type { ScalarHead } from '../model/heads';
import { tokenLogProbs } from '../model/logprobs';
import { endsWithEos } from '../rl/rewards';
import { Rng } from '../util/random';
import type { PpoModels } from './ppo-types';

/** One rollout batch, as flat JS arrays (answers are short). */
export interface Episodes {
  /** rows B, sequence length S (prompt + answer), answer length T (longest answer) */
  B: number;
  S: number;
  T: number;
  /** prompt + answer ids, right-padded with PAD [B*S] */
  seqs: Int32Array;
  /** prompt length p_b and answer length L_b of each row */
  promptLen: number[];
  answerLen: number[];
  /** answer ids [B*T] (PAD after L_b) and mask 1 on answer tokens [B*T] */
  answers: Int32Array;
  mask: Float32Array;
  /** whether each answer ended with EOS */
  hitEos: boolean[];
  padId: number;
  eosId: number;
}

export function makeEpisodes(promptTokens: number[][], answerTokens: number[][], padId: number, eosId: number): Episodes {
  const B = promptTokens.length;
  const T = Math.max(1, ...answerTokens.map((a) => a.length));
  const S = Math.max(...promptTokens.map((p, b) => p.length + answerTokens[b].length));
  const seqs = new Int32Array(B * S).fill(padId);
  const answers = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = [...promptTokens[b], ...answerTokens[b]];
    seqs.set(row, b * S);
    answers.set(answerTokens[b], b * T);
    for (let t = 0; t < answerTokens[b].length; t++) mask[b * T + t] = 1;
  }
  return {
    B,
    S,
    T,
    seqs,
    answers,
    mask,
    promptLen: promptTokens.map((p) => p.length),
    answerLen: answerTokens.map((a) => a.length),
    hitEos: endsWithEos(answers, mask, B, T, eosId),
    padId,
    eosId,
  };
}

/** The rows `rows` of an episode batch (a minibatch), re-packed to their own S and T. */
export function selectRows<X extends ArrayLike<number>>(
  ep: Episodes,
  rows: number[],
  perToken: X[],
  features?: Float32Array,
  C = 0,
): { ep: Episodes; perToken: Float32Array[]; features?: Float32Array } {
  const prompts = rows.map((b) => Array.from(ep.seqs.subarray(b * ep.S, b * ep.S + ep.promptLen[b])));
  const answers = rows.map((b) => Array.from(ep.answers.subarray(b * ep.T, b * ep.T + ep.answerLen[b])));
  const sub = makeEpisodes(prompts, answers, ep.padId, ep.eosId);
  const out = perToken.map((x) => {
    const y = new Float32Array(sub.B * sub.T);
    rows.forEach((b, i) => {
      for (let t = 0; t < ep.answerLen[b]; t++) y[i * sub.T + t] = x[b * ep.T + t];
    });
    return y;
  });
  if (!features) return { ep: sub, perToken: out };
  const f = new Float32Array(sub.B * sub.T * C);
  rows.forEach((b, i) => f.set(features.subarray(b * ep.T * C, (b * ep.T + ep.answerLen[b]) * C), i * sub.T * C));
  return { ep: sub, perToken: out, features: f };
}

/** Flat index b*S + p_b + t - 1 of the position whose logits predict answer token t [B*T]. */
export function answerPositions(ep: Episodes): Int32Array {
  const idx = new Int32Array(ep.B * ep.T);
  for (let b = 0; b < ep.B; b++) {
    for (let t = 0; t < ep.T; t++) idx[b * ep.T + t] = b * ep.S + ep.promptLen[b] + Math.min(t, Math.max(0, ep.answerLen[b] - 1)) - 1;
  }
  return idx;
}

/** rows [B*S, X] of a [B, S, X] tensor at the answer positions -> [B, T, X] */
export function atAnswers(x: tf.Tensor3D, ep: Episodes, positions: tf.Tensor1D): tf.Tensor3D {
  const X = x.shape[2];
  return tf.gather(x.reshape([ep.B * ep.S, X]), positions).reshape([ep.B, ep.T, X]) as tf.Tensor3D; // [B, T, X]
}

/**
 * log pi(y_t | x, y_<t) of the answer tokens under logits / temperature, and their logits.
 * The unembedding (C -> V, the largest matmul of a small GPT) runs on the answer positions
 * only: hidden states are gathered first, then multiplied by wte^T.
 */
export function answerLogProbs(model: GPT, ep: Episodes, temperature: number): { logprobs: tf.Tensor2D; logits: tf.Tensor3D } {
  const hidden = answerFeatures(model, ep); // [B, T, C]
  const C = hidden.shape[2];
  const wte = model.weights.get('wte.weight')!; // [V, C]
  const logits = tf.matMul(hidden.reshape([ep.B * ep.T, C]) as tf.Tensor2D, wte, false, true).reshape([ep.B, ep.T, -1]) as tf.Tensor3D; // [B, T, V]
  const answers = tf.tensor2d(ep.answers, [ep.B, ep.T], 'int32'); // [B, T]
  return { logprobs: tokenLogProbs(logits, answers, temperature), logits }; // [B, T], [B, T, V]
}

/** A trunk's hidden states at the answer positions (the states s_t the value reads): [B, T, C] */
export function answerFeatures(trunk: GPT, ep: Episodes): tf.Tensor3D {
  const idx = tf.tensor2d(ep.seqs, [ep.B, ep.S], 'int32'); // [B, S]
  const { hidden } = trunk.hiddenStates(idx); // [B, S, C]
  return atAnswers(hidden, ep, tf.tensor1d(answerPositions(ep), 'int32')); // [B, T, C]
}

/** V(s_t) before each answer token, from the value trunk or from cached RM features [B*T*C]: [B, T] */
export function answerValues(models: PpoModels, ep: Episodes, features?: Float32Array): tf.Tensor2D {
  const C = models.valueHead.weight.shape[0];
  const h = features ? tf.tensor3d(features, [ep.B, ep.T, C]) : answerFeatures(models.valueModel!, ep); // [B, T, C]
  return models.valueHead.apply(h); // [B, T]
}

/**
 * r_theta(x, y), read the way the reward model was trained and the way every stage reads it: at
 * an EOS after prompt + answer. The RM learned from answers that all end in EOS (the text path,
 * `RewardModel.score`, appends one), so an answer cut at the length limit gets one appended for
 * the RM's read; the policy's tokens are unchanged. Returns the scores [B] and the RM's hidden
 * states at the positions of `ep.seqs` [B, S, C] (under the causal mask the appended EOS changes
 * none of them), which a value head on the frozen RM trunk reads.
 */
export function rewardScores(rewardModel: GPT, rewardHead: ScalarHead, ep: Episodes): { scores: tf.Tensor1D; hidden: tf.Tensor3D } {
  const ends = ep.promptLen.map((p, b) => p + ep.answerLen[b] + (ep.hitEos[b] ? 0 : 1)); // tokens the RM reads per row
  const S = Math.max(ep.S, ...ends);
  if (S > rewardModel.config.blockSize)
    throw new Error(
      `rewardScores: prompt + answer + EOS is ${S} tokens, over the reward model's block of ${rewardModel.config.blockSize}; left-truncate prompts with rolloutPrompt`,
    );
  const seqs = new Int32Array(ep.B * S).fill(ep.padId);
  for (let b = 0; b < ep.B; b++) {
    seqs.set(ep.seqs.subarray(b * ep.S, (b + 1) * ep.S), b * S);
    if (!ep.hitEos[b]) seqs[b * S + ends[b] - 1] = ep.eosId;
  }
  return tf.tidy(() => {
    const { hidden } = rewardModel.hiddenStates(tf.tensor2d(seqs, [ep.B, S], 'int32')); // [B, S, C]
    const scores = rewardHead.applyAt(
      hidden,
      ends.map((n) => n - 1),
    ); // [B]
    return { scores, hidden: S === ep.S ? hidden : (hidden.slice([0, 0, 0], [ep.B, ep.S, -1]) as tf.Tensor3D) };
  });
}

/** A prompt's ids as a rollout uses them: left-truncated so that prompt + answer + the EOS the
 *  reward model reads fit in `blockSize` (the answer may take all `maxNewTokens`). */
export function rolloutPrompt(ids: number[], blockSize: number, maxNewTokens: number): number[] {
  const room = blockSize - maxNewTokens - 1;
  if (room < 1) throw new Error(`rolloutPrompt: maxNewTokens ${maxNewTokens} leaves no room for a prompt and the EOS in a block of ${blockSize}`);
  return ids.length > room ? ids.slice(ids.length - room) : ids;
}

/** `ptxBatch` windows of `ptxLength + 1` tokens from a token stream, as LM-loss inputs [N, L+1]. */
export function corpusBatch(tokens: ArrayLike<number>, n: number, length: number, starts: number[]): { tokens: tf.Tensor2D; mask: tf.Tensor2D } {
  const L1 = length + 1;
  const data = new Int32Array(n * L1);
  starts.forEach((s, i) => {
    for (let t = 0; t < L1; t++) data[i * L1 + t] = tokens[s + t];
  });
  return { tokens: tf.tensor2d(data, [n, L1], 'int32'), mask: tf.ones([n, L1]) as tf.Tensor2D };
}

export function randomStarts(total: number, n: number, length: number, rng: Rng): number[] {
  if (total < length + 2) throw new Error(`PPO: the pretraining token stream has ${total} tokens, fewer than ptxLength + 2 = ${length + 2}`);
  return Array.from({ length: n }, () => rng.int(total - length - 1));
}

export function evenStarts(total: number, n: number, length: number): number[] {
  if (total < length + 2) throw new Error(`PPO: the held-out token stream has ${total} tokens, fewer than ptxLength + 2 = ${length + 2}`);
  const room = total - length - 1;
  return Array.from({ length: n }, (_, i) => Math.floor((i * room) / n));
}

/**
 * The prompt of each row of iteration `it`'s rollout batch: `rolloutBatch / k` prompts taken in
 * `order`, each repeated for k consecutive rows (the group its leave-one-out baseline uses).
 */
export function rolloutPromptIndices(order: (episode: number) => number, it: number, rolloutBatch: number, k: number): number[] {
  const perIteration = rolloutBatch / k;
  return Array.from({ length: rolloutBatch }, (_, j) => order(it * perIteration + Math.floor(j / k)));
}

/** Prompt index of the k-th episode: each pass over the prompts is a fresh seeded shuffle. */
export function promptOrder(n: number, seed: number): (k: number) => number {
  const passes = new Map<number, number[]>();
  return (k) => {
    const pass = Math.floor(k / n);
    if (!passes.has(pass)) passes.set(pass, new Rng(`${seed}:prompts:${pass}`).shuffle(Array.from({ length: n }, (_, i) => i)));
    return passes.get(pass)![k % n];
  };
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

/**
 * The networks a trainer reads beside its policy (reference, reward model, value trunk) must
 * share the policy's vocabulary and read as far as the policy's prompt + answer can reach;
 * throws one line naming the first that does not (`trainer`: "PPO", "RLOO").
 */
export function checkCompanions(trainer: string, policy: GPT, companions: readonly (readonly [string, GPT])[]): void {
  for (const [name, m] of companions) {
    if (m.config.vocabSize !== policy.config.vocabSize)
      throw new Error(`${trainer}: ${name} has vocabSize ${m.config.vocabSize} but the policy has ${policy.config.vocabSize}`);
    if (m.config.blockSize < policy.config.blockSize)
      throw new Error(`${trainer}: ${name} reads at most ${m.config.blockSize} tokens but the policy's prompt + answer may fill ${policy.config.blockSize}`);
  }
}
