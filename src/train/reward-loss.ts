/**
 * The reward model's ranking loss (Ouyang et al. 2022, eq. 1):
 *
 *   loss(theta) = -1/C(K,2) * E_(x, y_w, y_l)~D [ log sigmoid( r(x, y_w) - r(x, y_l) ) ]
 *
 * All comparisons of one prompt are ONE batch element: the K answers are scored once
 * (rewards [N, K]) and every ordered pair (w better than l) is gathered from those scores.
 * Ties (equal rank) give no comparison and are dropped. Normaliser: a prompt's pair losses
 * are divided by the number of non-tied pairs it actually contributes (= C(K_n, 2) when it has
 * K_n answers and no ties), then averaged over prompts. So every prompt weighs the same,
 * whatever its K or ties, as in the paper (a prompt is one batch element, which keeps its
 * correlated comparisons from being counted many times). Prompts whose answers all tie carry
 * no comparison and are left out of the mean.
 *
 * Ranks: one row per prompt, one rank number per real answer, lower = better, equal = tie
 * (D > C > A = B -> [3, 3, 2, 1]). Prompts with fewer than K answers are padded, either as
 * shorter rows or as full rows with a 0/1 mask; padded reward slots are never read.
 */
import * as tf from '@tensorflow/tfjs';

export interface RankingPairs {
  numPrompts: number;
  k: number;
  /** Flat index n*K + i into rewards of the better answer of each pair. */
  winner: Int32Array;
  /** Flat index n*K + j of the worse answer. */
  loser: Int32Array;
  /** Prompt n of each pair. */
  prompt: Int32Array;
  /** 1 / (pairs of that prompt * prompts with pairs): the weights sum to 1. */
  weight: Float32Array;
  /** Non-tied pairs per prompt. */
  pairsPerPrompt: Int32Array;
  promptsWithPairs: number;
}

/**
 * Enumerate the ordered non-tied pairs of every prompt once, in JS. Either rows hold only the
 * real answers (shorter rows are padded), or every row has K entries and `mask` [N*K] marks
 * the real ones with 1 (padding entries are then never read).
 */
export function rankingPairs(ranks: ReadonlyArray<ReadonlyArray<number>>, k: number, mask?: ArrayLike<number>): RankingPairs {
  if (!Number.isInteger(k) || k < 2) throw new Error(`rankingPairs: K must be an integer >= 2 (the paper: 4..9), got ${k}`);
  if (ranks.length === 0) throw new Error('rankingPairs: no prompts');
  if (mask && mask.length !== ranks.length * k) throw new Error(`rankingPairs: mask has ${mask.length} entries, expected N*K = ${ranks.length}*${k}`);
  const winner: number[] = [],
    loser: number[] = [],
    prompt: number[] = [];
  const pairsPerPrompt = new Int32Array(ranks.length);
  ranks.forEach((row, n) => {
    if (mask && row.length !== k) throw new Error(`rankingPairs: with a mask, prompt ${n} must have K=${k} ranks, got ${row.length}`);
    const real = row.map((_, i) => i).filter((i) => !mask || mask[n * k + i] === 1);
    if (real.length < 2 || real.length > k) {
      throw new Error(`rankingPairs: prompt ${n} has ${real.length} ranked answers; expected 2..K=${k}`);
    }
    for (const i of real) {
      if (typeof row[i] !== 'number' || !Number.isFinite(row[i]))
        throw new Error(`rankingPairs: prompt ${n} answer ${i}: rank must be a finite number, got ${row[i]}`);
    }
    for (let a = 0; a < real.length; a++) {
      for (let b = a + 1; b < real.length; b++) {
        const i = real[a],
          j = real[b];
        if (row[i] === row[j]) continue; // tie: no comparison
        const [w, l] = row[i] < row[j] ? [i, j] : [j, i];
        winner.push(n * k + w);
        loser.push(n * k + l);
        prompt.push(n);
        pairsPerPrompt[n]++;
      }
    }
  });
  let promptsWithPairs = 0;
  for (const p of pairsPerPrompt) if (p > 0) promptsWithPairs++;
  const weight = Float32Array.from(prompt, (n) => 1 / (pairsPerPrompt[n] * promptsWithPairs));
  return {
    numPrompts: ranks.length,
    k,
    winner: Int32Array.from(winner),
    loser: Int32Array.from(loser),
    prompt: Int32Array.from(prompt),
    weight,
    pairsPerPrompt,
    promptsWithPairs,
  };
}

/** 1 for a real answer, 0 for a padding slot: [N*K] row-major, to mask rewards [N, K]. */
export function rankingMask(ranks: ReadonlyArray<ReadonlyArray<number>>, k: number): Float32Array {
  const mask = new Float32Array(ranks.length * k);
  ranks.forEach((row, n) => mask.fill(1, n * k, n * k + Math.min(row.length, k)));
  return mask;
}

function checkRewards(where: string, shape: number[], pairs: RankingPairs): void {
  if (shape.length !== 2 || shape[0] !== pairs.numPrompts || shape[1] !== pairs.k) {
    throw new Error(`${where}: rewards must have shape [N=${pairs.numPrompts}, K=${pairs.k}], got [${shape}]`);
  }
  if (pairs.winner.length === 0) throw new Error(`${where}: every answer of every prompt is tied; no comparison to learn from`);
}

/** Differentiable ranking loss (scalar) from rewards [N, K]; gathers the pairs by flat index. */
export function rankingLoss(rewards: tf.Tensor, pairs: RankingPairs): tf.Scalar {
  checkRewards('rankingLoss', rewards.shape, pairs);
  return tf.tidy(() => {
    const flat = tf.reshape(rewards, [-1]); // [N*K]
    const rW = tf.gather(flat, tf.tensor1d(pairs.winner, 'int32')); // [P]
    const rL = tf.gather(flat, tf.tensor1d(pairs.loser, 'int32')); // [P]
    // -log sigmoid(r_w - r_l) = softplus(r_l - r_w). Not tf.logSigmoid: its custom gradient
    // closes over its input, which a tf.tidy here would dispose before backprop runs.
    const nll = tf.softplus(tf.sub(rL, rW)); // [P]
    return tf.sum(tf.mul(nll, tf.tensor1d(pairs.weight))) as tf.Scalar; // []
  });
}

/** Fraction of non-tied pairs the rewards order correctly (equal rewards count half). */
export function rankingAccuracy(values: ArrayLike<number>, pairs: RankingPairs): number {
  const shape = [values.length / pairs.k, pairs.k];
  checkRewards('rankingAccuracy', shape, pairs);
  let correct = 0;
  for (let p = 0; p < pairs.winner.length; p++) {
    const d = values[pairs.winner[p]] - values[pairs.loser[p]];
    correct += d > 0 ? 1 : d === 0 ? 0.5 : 0;
  }
  return correct / pairs.winner.length;
}

/**
 * Bias normalisation: the offset to add to every reward so that the labelers'
 * demonstrations score 0 on average (offset = -mean of their rewards).
 */
export function normaliseBias(demonstrationRewards: ArrayLike<number>): number {
  const n = demonstrationRewards.length;
  if (n === 0) throw new Error('normaliseBias: no demonstration rewards');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = demonstrationRewards[i];
    if (!Number.isFinite(r)) throw new Error(`normaliseBias: reward ${i} is not finite (${r})`);
    sum += r;
  }
  return -sum / n;
}
