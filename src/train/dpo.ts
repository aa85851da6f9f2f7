/**
 * DPO, Direct Preference Optimization (Rafailov et al. 2023): the labelers' comparisons train
 * the policy directly, with no reward model and no sampling. The policy pi starts as the SFT
 * model and the SFT model pi_ref stays frozen as the reference; for comparisons (x, y_w, y_l),
 * y_w preferred to y_l, the loss is (the paper's eq. 7)
 *
 *   L_DPO = -E_(x,yw,yl) [ log sigma( beta * [ (log pi(yw|x) - log pi_ref(yw|x))
 *                                            - (log pi(yl|x) - log pi_ref(yl|x)) ] ) ]
 *
 * beta * log(pi(y|x) / pi_ref(y|x)) is the "implicit reward" of an answer: the loss is the
 * reward model's ranking loss (reward-loss.ts) with that reward in place of r_theta, so the
 * policy is at once the reward model and the RL solution for it under a KL penalty of beta.
 * The run, in order:
 *
 *   1. pairs      each ranking gives every pair of answers with different ranks (ties none)
 *   2. encode     prompt + answer + EOS exactly as the reward model read it (encodeForReward);
 *                 log pi(y|x) sums the log-probs of the answer tokens only, EOS included
 *   3. reference  log pi_ref(y|x) of every chosen and rejected answer, once, without gradients
 *   for epoch in 1 .. epochs:
 *     4. shuffle  the pairs (seeded by epoch)
 *     for each batch of `batchSize` pairs:
 *       5. policy log pi(y|x) of the batch's chosen and rejected answers, one forward pass
 *                 (no dropout, the way the reference is read)
 *       6. loss   L_DPO above, with a numerically stable log sigma
 *       7. Adam   (0.9, 0.95) with warm-up and global-norm clipping, as in SFT
 *       8. log    one row: loss, accuracy (pairs whose chosen answer has the larger implicit
 *                 reward), the mean margin and mean implicit rewards of chosen and rejected
 *
 * A non-finite loss stops the run with a `DivergenceError`; the step that produced it has
 * already moved the weights, so the policy in memory is then unusable.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, trainStepWithAux } from '../engine/optimizer';
import { readValues } from '../engine/readback';
import type { GPT } from '../model/gpt';
import { sequenceLogProbs } from '../model/logprobs';
import type { Tokenizer } from '../model/tokenizer';
import { mergeConfig } from '../util/config';
import { Rng } from '../util/random';
import { DPO_DEFAULTS, DpoConfig, validateDpoConfig } from './dpo-config';
import { DivergenceError } from './ppo';
import { answerLogProbs, makeEpisodes } from './ppo-episodes';
import { encodeForReward, Ranked } from './reward';
import { lrAt } from './schedule';

/** One comparison: `chosen` was preferred to `rejected` as an answer to `prompt`. */
export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** One optimiser step's row (before the step's update). */
export interface DpoRow {
  /** 1-based */
  step: number;
  loss: number;
  /** fraction of the batch's pairs whose chosen answer has the larger implicit reward */
  accuracy: number;
  /** mean of beta * [(log pi - log pi_ref)(chosen) - (log pi - log pi_ref)(rejected)] */
  margin: number;
  /** mean implicit reward beta * (log pi - log pi_ref) of the chosen / the rejected answers */
  chosen_reward: number;
  rejected_reward: number;
  lr: number;
  /** global gradient norm before clipping */
  grad_norm: number;
  seconds: number;
}

export interface DpoInputs {
  /** pi, trained in place; the caller initialises it from the SFT checkpoint. */
  policy: GPT;
  /** pi_ref, the frozen SFT model. */
  reference: GPT;
  tokenizer: Tokenizer;
  /** The comparisons: pairs, or rankings (expanded with `rankingsToPairs`). */
  pairs?: readonly PreferencePair[];
  rankings?: readonly Ranked[];
  /** Tokens of prompt + answer + EOS kept (left-truncated, as the reward model read them);
   *  default: the policy's blockSize. */
  blockSize?: number;
  config?: Partial<DpoConfig>;
  /** Called after every step (progress bars); a returned promise is awaited. */
  onStep?: (row: DpoRow, total: number) => void | Promise<void>;
}

export interface DpoResult {
  rows: DpoRow[];
  steps: number;
  seconds: number;
  config: DpoConfig;
}

/** 1. Every pair of answers with different ranks (rank 1 = best), chosen = the lower rank;
 *  ties give none. In ranking order, then answer order (i < j). */
export function rankingsToPairs(rankings: readonly Ranked[]): PreferencePair[] {
  const pairs: PreferencePair[] = [];
  rankings.forEach((r, n) => {
    if (r.ranks.length !== r.answers.length) throw new Error(`rankingsToPairs: ranking ${n} has ${r.answers.length} answers but ${r.ranks.length} ranks`);
    for (let i = 0; i < r.answers.length; i++) {
      for (let j = i + 1; j < r.answers.length; j++) {
        if (r.ranks[i] === r.ranks[j]) continue;
        const [w, l] = r.ranks[i] < r.ranks[j] ? [i, j] : [j, i];
        pairs.push({ prompt: r.prompt, chosen: r.answers[w], rejected: r.answers[l] });
      }
    }
  });
  return pairs;
}

/**
 * 6. L_DPO from sequence log-probs [B] of policy and reference on the chosen and rejected
 * answers. log sigma(z) is tf.logSigmoid, -softplus(-z), which never overflows. Returns
 * scalars: the loss, the accuracy (z > 0), the mean margin z and the mean implicit rewards.
 */
export function dpoLoss(
  policyChosen: tf.Tensor1D,
  policyRejected: tf.Tensor1D,
  refChosen: tf.Tensor1D,
  refRejected: tf.Tensor1D,
  beta: number,
): { loss: tf.Scalar; accuracy: tf.Scalar; margin: tf.Scalar; chosenReward: tf.Scalar; rejectedReward: tf.Scalar } {
  const B = policyChosen.shape[0];
  for (const t of [policyRejected, refChosen, refRejected]) {
    if (t.shape.length !== 1 || t.shape[0] !== B) throw new Error(`dpoLoss: every input must have shape [${B}], got [${t.shape}]`);
  }
  return tf.tidy(() => {
    const chosen = policyChosen.sub(refChosen).mul(beta); // implicit rewards [B]
    const rejected = policyRejected.sub(refRejected).mul(beta); // [B]
    const z = chosen.sub(rejected); // [B]
    return {
      loss: tf.logSigmoid(z).mean().neg() as tf.Scalar,
      accuracy: z.greater(0).toFloat().mean() as tf.Scalar,
      margin: z.mean() as tf.Scalar,
      chosenReward: chosen.mean() as tf.Scalar,
      rejectedReward: rejected.mean() as tf.Scalar,
    };
  });
}

/** An answer's ids split from its prompt's, as the reward model reads the two together. */
interface Encoded {
  prompt: number[];
  answer: number[];
}

/** 2. encodeForReward's ids, cut into the prompt part and the answer + EOS part. */
function encodeAnswer(tokenizer: Tokenizer, prompt: string, answer: string, blockSize: number, where: string): Encoded {
  const ids = encodeForReward(tokenizer, prompt, answer, blockSize);
  const n = tokenizer.encode(answer, { allowSpecial: false }).length + 1; // + EOS
  if (n >= ids.length) throw new Error(`${where}: the answer is ${n} tokens with its EOS, leaving no prompt token in a block of ${blockSize}`);
  return { prompt: ids.slice(0, ids.length - n), answer: ids.slice(ids.length - n) };
}

/** log pi(y|x) of each row: the answer-token log-probs PPO reads (temperature 1), summed. [rows] */
function answerLogProbSums(model: GPT, rows: readonly Encoded[], tokenizer: Tokenizer): tf.Tensor1D {
  return tf.tidy(() => {
    const ep = makeEpisodes(
      rows.map((r) => r.prompt),
      rows.map((r) => r.answer),
      tokenizer.padId,
      tokenizer.eosId,
    );
    const { logprobs } = answerLogProbs(model, ep, 1); // [rows, T]
    return sequenceLogProbs(logprobs, tf.tensor2d(ep.mask, [ep.B, ep.T])); // [rows]
  });
}

/** Train `policy` with DPO against the frozen `reference`; returns one row per step. */
export async function trainDpo(inputs: DpoInputs): Promise<DpoResult> {
  const t0 = Date.now();
  const config = mergeConfig(DPO_DEFAULTS, inputs.config ?? {}, 'DpoConfig');
  validateDpoConfig(config);
  const { policy, reference, tokenizer } = inputs;
  if ((inputs.pairs === undefined) === (inputs.rankings === undefined)) throw new Error('DPO: give either pairs or rankings');
  const pairs = inputs.pairs ?? rankingsToPairs(inputs.rankings!);
  if (pairs.length === 0) throw new Error('DPO: no preference pairs (rankings whose answers all tie give none)');
  const blockSize = inputs.blockSize ?? policy.config.blockSize;
  for (const [name, m] of [
    ['policy', policy],
    ['reference', reference],
  ] as const) {
    if (m.config.vocabSize !== tokenizer.vocabSize)
      throw new Error(`DPO: the ${name} has vocabSize ${m.config.vocabSize}, the tokenizer ${tokenizer.vocabSize}`);
    if (m.config.blockSize < blockSize) throw new Error(`DPO: the ${name} reads at most ${m.config.blockSize} tokens, less than blockSize ${blockSize}`);
  }

  // 2. encode every answer once, as the reward model read it
  const chosen = pairs.map((p, i) => encodeAnswer(tokenizer, p.prompt, p.chosen, blockSize, `DPO: pair ${i} (chosen)`));
  const rejected = pairs.map((p, i) => encodeAnswer(tokenizer, p.prompt, p.rejected, blockSize, `DPO: pair ${i} (rejected)`));

  // 3. log pi_ref(y|x) of every answer, once: the reference never changes
  const B = config.batchSize;
  const refChosen = new Float32Array(pairs.length);
  const refRejected = new Float32Array(pairs.length);
  for (let i = 0; i < pairs.length; i += B) {
    const n = Math.min(B, pairs.length - i);
    const sums = await readValues(answerLogProbSums(reference, [...chosen.slice(i, i + n), ...rejected.slice(i, i + n)], tokenizer));
    refChosen.set(sums.subarray(0, n), i);
    refRejected.set(sums.subarray(n, 2 * n), i);
  }

  const stepsPerEpoch = Math.ceil(pairs.length / B);
  const total = config.epochs * stepsPerEpoch;
  const schedule = { lr: config.lr, minLr: config.minLr, warmupSteps: Math.min(config.warmupSteps, total), totalSteps: total };
  const adam = new Adam({ lr: config.lr, weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  const vars = policy.trainableVariables();
  const rows: DpoRow[] = [];
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      // 4. a fresh seeded order of the pairs each epoch
      const order = new Rng(`${config.seed}:dpo:epoch:${epoch}`).shuffle(pairs.map((_, i) => i));
      for (let s = 0; s < stepsPerEpoch; s++) {
        const ts = Date.now();
        const step = (epoch - 1) * stepsPerEpoch + s; // 0-based
        const batch = order.slice(s * B, (s + 1) * B);
        const n = batch.length;
        const lr = lrAt(step, schedule);
        // 5.-7. policy log-probs (chosen rows, then rejected rows), L_DPO, one clipped Adam step
        const { loss, aux } = await trainStepWithAux(
          () => {
            const policySums = answerLogProbSums(policy, [...batch.map((j) => chosen[j]), ...batch.map((j) => rejected[j])], tokenizer); // [2n]
            const out = dpoLoss(
              policySums.slice(0, n),
              policySums.slice(n, n),
              tf.tensor1d(batch.map((j) => refChosen[j])),
              tf.tensor1d(batch.map((j) => refRejected[j])),
              config.beta,
            );
            return { loss: out.loss, aux: tf.stack([out.accuracy, out.margin, out.chosenReward, out.rejectedReward]) };
          },
          vars,
          adam,
          { lr },
        );
        if (!Number.isFinite(loss))
          throw new DivergenceError(`DPO diverged at step ${step + 1}: the loss is ${loss} (lr ${lr}). The run stopped; lower lr and run again.`);
        // 8. log
        const row: DpoRow = {
          step: step + 1,
          loss,
          accuracy: aux[0],
          margin: aux[1],
          chosen_reward: aux[2],
          rejected_reward: aux[3],
          lr,
          grad_norm: adam.lastGradNorm,
          seconds: (Date.now() - ts) / 1000,
        };
        rows.push(row);
        await inputs.onStep?.(row, total);
      }
    }
  } finally {
    adam.dispose();
  }
  return { rows, steps: total, seconds: (Date.now() - t0) / 1000, config };
}

/**
 * How often the implicit reward beta * log(pi / pi_ref) orders a pair as its labeler did
 * (chosen above rejected; a tie counts half), on pairs the policy did not train on: DPO's own
 * held-out preference accuracy, the number its paper's reward-accuracy plots show. beta > 0
 * only scales the margin, so it does not enter.
 */
export async function pairAccuracy(
  policy: GPT,
  reference: GPT,
  tokenizer: Tokenizer,
  pairs: readonly PreferencePair[],
  blockSize = policy.config.blockSize,
  batchSize = 32,
): Promise<{ right: number; n: number; accuracy: number }> {
  if (!pairs.length) throw new Error('pairAccuracy: no pairs');
  let right = 0;
  for (let i = 0; i < pairs.length; i += batchSize) {
    const batch = pairs.slice(i, i + batchSize);
    const rows = [
      ...batch.map((p, j) => encodeAnswer(tokenizer, p.prompt, p.chosen, blockSize, `pairAccuracy: pair ${i + j} (chosen)`)),
      ...batch.map((p, j) => encodeAnswer(tokenizer, p.prompt, p.rejected, blockSize, `pairAccuracy: pair ${i + j} (rejected)`)),
    ];
    const pol = await readValues(answerLogProbSums(policy, rows, tokenizer));
    const ref = await readValues(answerLogProbSums(reference, rows, tokenizer));
    const n = batch.length;
    for (let j = 0; j < n; j++) {
      const z = pol[j] - ref[j] - (pol[n + j] - ref[n + j]);
      right += z > 0 ? 1 : z === 0 ? 0.5 : 0;
    }
  }
  return { right, n: pairs.length, accuracy: right / pairs.length };
}
