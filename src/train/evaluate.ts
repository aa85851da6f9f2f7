/**
 * Held-out loss and perplexity: the mean next-token NLL over every target token of a fixed
 * list of batches (no dropout), weighted by tokens so batch size does not matter.
 *
 *   perplexity = exp( - (1/N) sum_t log p(x_t | x_<t) )
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../engine/readback';
import type { GPT } from '../model/gpt';
import { tokenLogProbs } from '../model/logprobs';
import type { TokenBatch } from './batches';

/** Summed NLL and target count of one batch (one read-back). */
async function batchNll(model: GPT, batch: TokenBatch): Promise<{ nll: number; count: number }> {
  const { B, T1 } = batch;
  const sums = tf.tidy(() => {
    const tokens = tf.tensor2d(batch.tokens, [B, T1], 'int32'); // [B, T+1]
    const mask = tf
      .tensor2d(batch.lossMask, [B, T1], 'int32')
      .slice([0, 1], [B, T1 - 1])
      .toFloat(); // [B, T]
    const { logits } = model.forward(tokens.slice([0, 0], [B, T1 - 1]) as tf.Tensor2D); // [B, T, V]
    const logp = tokenLogProbs(logits, tokens.slice([0, 1], [B, T1 - 1]) as tf.Tensor2D); // [B, T]
    return tf.stack([logp.mul(mask).sum().neg(), mask.sum()]); // [2]
  });
  const [nll, count] = await readValues(sums);
  return { nll, count };
}

/** Mean NLL per target token over `batches` (NaN when there are none). */
export async function meanLoss(model: GPT, batches: readonly TokenBatch[]): Promise<number> {
  let nll = 0;
  let count = 0;
  for (const b of batches) {
    const r = await batchNll(model, b);
    nll += r.nll;
    count += r.count;
  }
  return count > 0 ? nll / count : NaN;
}

export async function perplexity(model: GPT, batches: readonly TokenBatch[]): Promise<number> {
  return Math.exp(await meanLoss(model, batches));
}
