/**
 * Scalar heads on the GPT's hidden states (Linear C -> 1):
 * - the reward model's head r(x, y), read at the last non-pad token of prompt+answer;
 * - PPO's value head V(s_t), read at every position.
 * Weights are stored by name (`reward_head.weight` [C, 1], `reward_head.bias` [1]) so
 * checkpoints hold them beside the GPT-2 names.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';

export type HeadName = 'reward_head' | 'value_head';

export class ScalarHead {
  readonly name: HeadName;
  readonly weight: tf.Variable; // [C, 1]
  readonly bias: tf.Variable; // [1]

  /** A fresh head (weights N(0, 1/sqrt(C+1)) seeded, bias 0), or one from given tensors. */
  constructor(name: HeadName, nEmbd: number, seed: number, weights?: Map<string, tf.Tensor>) {
    this.name = name;
    const w = weights?.get(`${name}.weight`);
    const b = weights?.get(`${name}.bias`);
    if (weights && (!w || !b)) throw new Error(`ScalarHead: weights lack ${name}.weight / ${name}.bias`);
    if (w && w.shape.join(',') !== `${nEmbd},1`) throw new Error(`ScalarHead: ${name}.weight has shape [${w.shape}], expected [${nEmbd},1]`);
    if (b && b.shape.join(',') !== '1') throw new Error(`ScalarHead: ${name}.bias has shape [${b.shape}], expected [1]`);
    if (w && b) {
      this.weight = tf.variable(w, true);
      this.bias = tf.variable(b, true);
    } else {
      const rng = new Rng(`${seed}:${name}`);
      const init = new Float32Array(nEmbd);
      for (let i = 0; i < nEmbd; i++) init[i] = rng.normal(0, 1 / Math.sqrt(nEmbd + 1));
      const w0 = tf.tensor2d(init, [nEmbd, 1]);
      const b0 = tf.zeros([1]);
      this.weight = tf.variable(w0, true);
      this.bias = tf.variable(b0, true);
      tf.dispose([w0, b0]);
    }
  }

  /** Parameters by checkpoint name. */
  get weights(): Map<string, tf.Variable> {
    return new Map([
      [`${this.name}.weight`, this.weight],
      [`${this.name}.bias`, this.bias],
    ]);
  }

  trainableVariables(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  /** hidden [B, T, C] -> one scalar per position [B, T] (the value head's V(s_t)). */
  apply(hidden: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, T, C] = hidden.shape;
      return tf
        .matMul(hidden.reshape([B * T, C]) as tf.Tensor2D, this.weight)
        .add(this.bias)
        .reshape([B, T]) as tf.Tensor2D; // [B, T]
    });
  }

  /**
   * hidden [B, T, C] read at one position per row (`index[b]`, e.g. the last non-pad token)
   * -> [B] (the reward model's r(x, y)). Uses a flat gather on [B*T, C].
   */
  applyAt(hidden: tf.Tensor3D, index: ArrayLike<number>): tf.Tensor1D {
    const [B, T, C] = hidden.shape;
    if (index.length !== B) throw new Error(`ScalarHead.applyAt: ${index.length} indices for batch ${B}`);
    const flat = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      if (!(index[b] >= 0 && index[b] < T)) throw new Error(`ScalarHead.applyAt: index ${index[b]} of row ${b} outside [0, ${T})`);
      flat[b] = b * T + index[b];
    }
    return tf.tidy(() => {
      const picked = tf.gather(hidden.reshape([B * T, C]), tf.tensor1d(flat, 'int32')) as tf.Tensor2D; // [B, C]
      return tf.matMul(picked, this.weight).add(this.bias).reshape([B]) as tf.Tensor1D; // [B]
    });
  }

  /** Shift the bias so that scores move by -offset (e.g. demonstrations average 0). */
  shiftBias(offset: number): void {
    tf.tidy(() => this.bias.assign(this.bias.sub(offset)));
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

/**
 * Index of the last non-pad token of each row of a [B, T] 0/1 mask (works for left or
 * right padding). A row with no real token is an error.
 */
export function lastTokenIndex(mask: ArrayLike<number>[] | { data: ArrayLike<number>; B: number; T: number }): number[] {
  const rows: ArrayLike<number>[] = Array.isArray(mask)
    ? mask
    : Array.from({ length: mask.B }, (_, b) => Array.prototype.slice.call(mask.data, b * mask.T, (b + 1) * mask.T) as number[]);
  return rows.map((row, b) => {
    for (let t = row.length - 1; t >= 0; t--) if (row[t]) return t;
    throw new Error(`lastTokenIndex: row ${b} has no real (non-pad) token`);
  });
}
