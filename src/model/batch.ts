/**
 * Token lists -> padded batch tensors for the GPT.
 *
 * Right padding (training): real tokens first, positions 0..T-1, no attention mask needed
 * (causal attention never looks right). Left padding (generation, reward scoring of a
 * batch whose ends must line up): pads first, the attention mask hides them and positions
 * count from each row's first real token, so a row gives the same numbers padded or not.
 */
import * as tf from '@tensorflow/tfjs';

export interface PadOptions {
  padId: number;
  /** 'right' (default) or 'left'. */
  side?: 'left' | 'right';
  /** Pad every row to this length (default: the longest row). Longer rows are an error. */
  length?: number;
  /** Per row, the index of its first loss token (SFT: the answer's first token); default 0. */
  lossStart?: number[];
}

export interface PaddedBatch {
  /** [B, T] int32 token ids */
  ids: tf.Tensor2D;
  /** [B, T] float32, 1 on real tokens and 0 on pads (the attention mask). */
  mask: tf.Tensor2D;
  /** [B, T] float32, 1 on real tokens at or after lossStart[b]. */
  lossMask: tf.Tensor2D;
  /** [B, T] int32 position ids. */
  positions: tf.Tensor2D;
  /** Real tokens per row. */
  lengths: number[];
  /** Index of each row's last real token (where the reward model reads its score). */
  lastIndex: number[];
}

export function padBatch(seqs: number[][], opts: PadOptions): PaddedBatch {
  const side = opts.side ?? 'right';
  const B = seqs.length;
  if (B === 0) throw new Error('padBatch: no sequences');
  const longest = Math.max(...seqs.map((s) => s.length));
  const T = opts.length ?? longest;
  if (longest > T) throw new Error(`padBatch: a row has ${longest} tokens, longer than length ${T}`);
  if (opts.lossStart && opts.lossStart.length !== B) throw new Error(`padBatch: ${opts.lossStart.length} lossStart values for ${B} rows`);
  const ids = new Int32Array(B * T).fill(opts.padId);
  const mask = new Float32Array(B * T);
  const lossMask = new Float32Array(B * T);
  const positions = new Int32Array(B * T);
  const lastIndex: number[] = [];
  seqs.forEach((s, b) => {
    if (s.length === 0) throw new Error(`padBatch: row ${b} is empty`);
    const offset = side === 'left' ? T - s.length : 0;
    const start = opts.lossStart?.[b] ?? 0;
    for (let i = 0; i < s.length; i++) {
      const j = b * T + offset + i;
      ids[j] = s[i];
      mask[j] = 1;
      lossMask[j] = i >= start ? 1 : 0;
      positions[j] = i;
    }
    lastIndex.push(offset + s.length - 1);
  });
  return {
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    mask: tf.tensor2d(mask, [B, T]),
    lossMask: tf.tensor2d(lossMask, [B, T]),
    positions: tf.tensor2d(positions, [B, T], 'int32'),
    lengths: seqs.map((s) => s.length),
    lastIndex,
  };
}

export function disposeBatch(batch: PaddedBatch): void {
  tf.dispose([batch.ids, batch.mask, batch.lossMask, batch.positions]);
}
