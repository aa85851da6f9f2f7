/**
 * log pi(y | x) of given answers: the summed log-probabilities of the answer tokens after the
 * prompt tokens, in right-padded batches with no gradients. The bias probe compares these
 * for paired sentences; the over-optimisation curve uses them for KL(pi_RL || pi_SFT).
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../engine/readback';
import type { GPT } from '../model/gpt';
import { tokenLogProbs } from '../model/logprobs';

export interface IdPair {
  prompt: number[];
  answer: number[];
}

/** Sum of log pi(answer_t | prompt, answer_<t) per pair; prompts left-truncated to fit blockSize. */
export async function answerLogProbs(model: GPT, pairs: readonly IdPair[], padId: number, batchSize = 64): Promise<number[]> {
  const T = model.config.blockSize;
  const out: number[] = [];
  for (let i = 0; i < pairs.length; i += batchSize) {
    const chunk = pairs.slice(i, i + batchSize);
    const seqs = chunk.map((p, b) => {
      if (!p.prompt.length) throw new Error(`answerLogProbs: pair ${i + b} has an empty prompt (give at least <|bos|>)`);
      if (p.answer.length >= T) throw new Error(`answerLogProbs: pair ${i + b} has ${p.answer.length} answer tokens, more than blockSize ${T} - 1`);
      const room = T + 1 - p.answer.length;
      const prompt = p.prompt.length > room ? p.prompt.slice(p.prompt.length - room) : p.prompt;
      return { ids: [...prompt, ...p.answer], start: prompt.length };
    });
    const L = Math.max(...seqs.map((s) => s.ids.length)); // <= T + 1
    const B = chunk.length;
    const tokens = new Int32Array(B * L).fill(padId);
    const mask = new Float32Array(B * (L - 1));
    seqs.forEach((s, b) => {
      tokens.set(s.ids, b * L);
      for (let t = s.start; t < s.ids.length; t++) mask[b * (L - 1) + t - 1] = 1; // target t is read at position t-1
    });
    const sums = tf.tidy(() => {
      const ids = tf.tensor2d(tokens, [B, L], 'int32'); // [B, L]
      const { logits } = model.forward(ids.slice([0, 0], [B, L - 1]) as tf.Tensor2D); // [B, L-1, V]
      const logp = tokenLogProbs(logits, ids.slice([0, 1], [B, L - 1]) as tf.Tensor2D); // [B, L-1]
      return logp.mul(tf.tensor2d(mask, [B, L - 1])).sum(1); // [B]
    });
    out.push(...Array.from(await readValues(sums)));
  }
  return out;
}
