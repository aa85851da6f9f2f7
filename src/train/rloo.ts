/**
 * RLOO: REINFORCE with a leave-one-out baseline (Ahmadian et al. 2024), the RL stage with no
 * value network and no clipping. For a prompt x with k answers y_1..y_k ~ pi(.|x):
 *
 *   R_i  = r(x, y_i) - beta * sum_t ( log pi(y_i,t) - log pi_ref(y_i,t) )   sequence-level KL-shaped reward (no gradient)
 *   A_i  = R_i - 1/(k-1) * sum_{j != i} R_j                                 leave-one-out baseline: the other answers' mean
 *   loss = - 1/(B k) * sum_i A_i * sum_t log pi(y_i,t | x, y_i,<t)          over the B prompts' B k answers
 *
 * The baseline of answer i is built from the other answers only, so it does not depend on y_i
 * and the gradient stays unbiased; it plays the part of PPO's value function (how good is this
 * answer for this prompt, not how easy the prompt is) at the cost of sampling k answers. The
 * whole answer is one action: the reward and the KL penalty are per sequence, not per token.
 * One iteration:
 *
 *   1. rollout   sample k answers y ~ pi(.|x) for each of `promptsPerIteration` prompts, at the
 *                trainer's temperature (the same prompts, truncation and sampler streams as PPO)
 *   2. score     r(x, y) at the EOS token, the way the RM was trained (an answer cut at the length
 *                limit is read with an EOS appended), minus the fixed no-EOS penalty if any
 *   3. KL        each answer's summed log-ratio log pi(y) - log pi_ref(y) (temperature-scaled
 *                logits for both); R = r - beta * KL
 *   4. advantage A_i = R_i minus the mean R of the other k - 1 answers to the same prompt
 *   5. optimise  one Adam step on the REINFORCE loss above (the policy's log-probs recomputed
 *                with gradients; the advantages are constants)
 *   6. log       one row of fixed metric names, PPO's where they mean the same
 *
 * Rollout and scoring are PPO's own code (ppo-episodes.ts), so the two trainers differ only in
 * steps 3-5. A non-finite number anywhere stops the run with a `DivergenceError`.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, trainStepAccumulated } from '../engine/optimizer';
import { readMany, readScalar } from '../engine/readback';
import { generateIds } from '../model/generate';
import { entropy } from '../rl/losses';
import { leaveOneOutBaseline, penaliseMissingEos } from '../rl/rewards';
import { mergeConfig } from '../util/config';
import { hashSeed } from '../util/random';
import { DivergenceError } from './ppo';
import {
  answerLogProbs,
  checkCompanions,
  Episodes,
  makeEpisodes,
  mean,
  promptOrder,
  rewardScores,
  rolloutPrompt,
  rolloutPromptIndices,
  selectRows,
} from './ppo-episodes';
import type { PpoData, PpoModels } from './ppo-types';
import { RLOO_DEFAULTS, RlooConfig, validateRlooConfig } from './rloo-config';

/** The networks RLOO reads: PPO's, less the value network. Only `policy` is trained. */
export type RlooModels = Pick<PpoModels, 'policy' | 'reference' | 'rewardModel' | 'rewardHead' | 'tokenizer'>;
export type RlooData = Pick<PpoData, 'prompts'>;

/** The metric names of one iteration's row. */
export const RLOO_METRICS = [
  'iteration', // 1-based
  'objective/kl', // mean over answers of sum_t (log pi - log pi_ref) (nats per answer)
  'objective/rlhf_reward', // mean over answers of R = r(x, y) - beta * KL
  'objective/scores', // mean RM score r(x, y) (after the no-EOS penalty)
  'objective/entropy', // mean entropy of the sampling distribution per answer token (nats)
  'val/num_eos_tokens', // answers that ended with EOS, of promptsPerIteration * k
  'val/mean_length', // mean answer length in tokens
  'loss', // the REINFORCE loss of the step
  'seconds', // wall time of the iteration
] as const;
export type RlooRow = Record<(typeof RLOO_METRICS)[number], number>;

export interface RlooOptions {
  /** Called after each iteration's row is made; awaited. */
  onIteration?: (row: RlooRow, iteration: number) => void | Promise<void>;
}

export interface RlooResult {
  rows: RlooRow[];
  /** Iterations run. */
  iterations: number;
  /** Wall time of the whole run. */
  seconds: number;
  /** Adam steps taken on the policy (one per iteration). */
  optimiserSteps: number;
}

/**
 * A_i = R_i - mean_{j != i} R_j with R = score - beta * seqKl; rows [g*k, (g+1)*k) answer the
 * same prompt. Pure: numbers in, numbers out.
 */
export function rlooAdvantages(scores: Float32Array, seqKl: Float32Array, beta: number, k: number): Float32Array {
  if (scores.length !== seqKl.length) throw new Error(`rlooAdvantages: ${scores.length} scores but ${seqKl.length} KL values`);
  if (!(Number.isFinite(beta) && beta >= 0)) throw new Error(`rlooAdvantages: beta must be a finite number >= 0, got ${beta}`);
  if (!(Number.isInteger(k) && k >= 2)) throw new Error(`rlooAdvantages: k must be an integer >= 2 (a baseline needs another answer), got ${k}`);
  const rewards = Float32Array.from(scores, (s, i) => s - beta * seqKl[i]);
  return leaveOneOutBaseline(rewards, k);
}

/** -1/B * sum_b A_b * sum_t mask_bt * logprobs_bt: logprobs, mask [B, T], advantages [B] -> scalar. */
export function rlooLoss(logprobs: tf.Tensor2D, mask: tf.Tensor2D, advantages: tf.Tensor1D): tf.Scalar {
  const [B, T] = logprobs.shape;
  if (mask.shape[0] !== B || mask.shape[1] !== T) throw new Error(`rlooLoss: mask [${mask.shape}] must be logprobs' shape [${logprobs.shape}]`);
  if (advantages.shape[0] !== B) throw new Error(`rlooLoss: ${advantages.shape[0]} advantages for ${B} answers`);
  return tf.tidy(() => tf.neg(tf.mean(tf.mul(tf.sum(tf.mul(logprobs, mask), 1), advantages))) as tf.Scalar);
}

function checkFinite(iteration: number, named: Record<string, ArrayLike<number>>): void {
  for (const [name, xs] of Object.entries(named)) {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]))
        throw new DivergenceError(
          `RLOO diverged at iteration ${iteration}: ${name} is ${xs[i]} (entry ${i}). The run stopped; lower lr or clip gradients harder.`,
        );
    }
  }
}

/** Train the policy with RLOO against the frozen reward model, KL-anchored to the reference. */
export async function trainRloo(models: RlooModels, data: RlooData, overrides: Partial<RlooConfig> = {}, opts: RlooOptions = {}): Promise<RlooResult> {
  const config = mergeConfig(RLOO_DEFAULTS, overrides, 'RlooConfig');
  validateRlooConfig(config);
  const { policy, reference, rewardModel, rewardHead, tokenizer } = models;
  if (data.prompts.length === 0) throw new Error('RLOO: no prompts');
  checkCompanions('RLOO', policy, [
    ['reference', reference],
    ['rewardModel', rewardModel],
  ]);
  const { k, beta, temperature } = config;
  const policyVars = policy.trainableVariables();
  const adam = new Adam({ lr: config.lr, clipNorm: config.maxGradNorm });
  const prompts = data.prompts.map((p) => rolloutPrompt(tokenizer.encodePrompt(p), policy.config.blockSize, config.maxNewTokens));
  const order = promptOrder(prompts.length, config.seed);
  const rows: RlooRow[] = [];
  const start = Date.now();
  try {
    for (let it = 0; it < config.iterations; it++) {
      const t0 = Date.now();
      const iteration = it + 1;

      // 1. rollout: k answers y ~ pi(.|x) per prompt; rows [g*k, (g+1)*k) answer the same prompt
      const asked = rolloutPromptIndices(order, it, config.promptsPerIteration * k, k); // indices into data.prompts
      let gen;
      try {
        gen = await generateIds(
          policy,
          asked.map((i) => prompts[i]),
          { eosId: tokenizer.eosId, padId: tokenizer.padId },
          { maxNewTokens: config.maxNewTokens, temperature, seed: hashSeed(`${config.seed}:rollout:${it}`) },
        );
      } catch (e) {
        const finite = tf.tidy(() => tf.all(tf.stack(policyVars.map((v) => tf.all(tf.isFinite(v))))));
        if ((await readScalar(finite)) !== 1)
          throw new DivergenceError(
            `RLOO diverged at iteration ${iteration}: the policy's weights are not finite, so sampling failed (${(e as Error).message}).`,
          );
        throw e;
      }
      const ep = makeEpisodes(gen.promptTokens, gen.tokens, tokenizer.padId, tokenizer.eosId);

      // 2.-3. r(x, y) at the EOS; each answer's summed log-ratio against the reference; entropy
      const read = tf.tidy(() => {
        const mask = tf.tensor2d(ep.mask, [ep.B, ep.T]); // [B, T]
        const pol = answerLogProbs(policy, ep, temperature); // [B, T]
        const ref = answerLogProbs(reference, ep, temperature).logprobs; // [B, T]
        const seqKl = tf.sum(tf.mul(tf.sub(pol.logprobs, ref), mask), 1); // [B]
        const ent = entropy(pol.logits.div(temperature), mask); // scalar
        return [rewardScores(rewardModel, rewardHead, ep).scores, seqKl, ent];
      });
      const [rawScores, seqKl, ent] = await readMany(read); // one read-back
      checkFinite(iteration, { 'the RM scores': rawScores, 'the KL to the reference': seqKl });
      const scores = penaliseMissingEos(rawScores, ep.hitEos, config.missingEos); // no EOS: fixed penalty

      // 4. advantages: R = r - beta * KL, minus the mean R of the prompt's other k - 1 answers
      const advantages = rlooAdvantages(scores, seqKl, beta, k);

      // 5. optimise: one step on the REINFORCE loss of the whole batch (its gradient summed over chunks)
      const step = await optimiseStep(policy, ep, advantages, temperature, adam, policyVars, config.gradientChunk);
      checkFinite(iteration, { loss: [step.loss], 'the policy gradient norm': [step.gradNorm] });

      // 6. log one row
      const row: RlooRow = {
        iteration,
        'objective/kl': mean(seqKl),
        'objective/rlhf_reward': mean(Array.from(scores, (s, b) => s - beta * seqKl[b])),
        'objective/scores': mean(scores),
        'objective/entropy': ent[0],
        'val/num_eos_tokens': ep.hitEos.filter(Boolean).length,
        'val/mean_length': mean(ep.answerLen),
        loss: step.loss,
        seconds: (Date.now() - t0) / 1000,
      };
      rows.push(row);
      await opts.onIteration?.(row, iteration);
      await new Promise<void>((resolve) => setImmediate(resolve)); // lets a notebook's progress bar redraw
    }
    return { rows, iterations: rows.length, seconds: (Date.now() - start) / 1000, optimiserSteps: adam.step };
  } finally {
    adam.dispose();
  }
}

/**
 * 5. One Adam step on rlooLoss over the rollout; returns the loss and the pre-clip gradient norm.
 * The loss is a mean over answers, so the batch's is the sum of each chunk's mean weighted by its
 * share of the batch: the gradient is summed chunk by chunk (trainStepAccumulated) and only one
 * chunk's activations are held at a time.
 */
async function optimiseStep(
  policy: RlooModels['policy'],
  ep: Episodes,
  advantages: Float32Array,
  temperature: number,
  adam: Adam,
  vars: tf.Variable[],
  chunk: number,
): Promise<{ loss: number; gradNorm: number }> {
  const parts: (() => tf.Scalar)[] = [];
  for (let start = 0; start < ep.B; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, ep.B - start) }, (_, i) => start + i);
    const sub = rows.length === ep.B ? ep : selectRows(ep, rows, []).ep;
    const adv = advantages.subarray(start, start + rows.length);
    parts.push(() => {
      const { logprobs } = answerLogProbs(policy, sub, temperature); // [b, T], with gradients this time
      return tf.mul(rlooLoss(logprobs, tf.tensor2d(sub.mask, [sub.B, sub.T]), tf.tensor1d(adv)), sub.B / ep.B) as tf.Scalar;
    });
  }
  const loss = await trainStepAccumulated(parts, vars, adam);
  return { loss, gradNorm: adam.lastGradNorm };
}
