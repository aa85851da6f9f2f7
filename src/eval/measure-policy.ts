/**
 * Measuring a policy on fixed prompts (SFT before, PPO / PPO-ptx after): its mean RM score,
 * KL to the reference, entropy, EOS rate and held-out LM loss, with the same sampler streams
 * for every policy so the comparison is paired.
 */
import * as tf from '@tensorflow/tfjs';
import { readMany, readScalar } from '../engine/readback';
import { generateIds } from '../model/generate';
import { languageModelLoss } from '../model/logprobs';
import { tokenEntropy } from '../rl/losses';
import { PPO_DEFAULTS } from '../train/ppo-config';
import { answerLogProbs, corpusBatch, evenStarts, makeEpisodes, mean, rewardScores, rolloutPrompt } from '../train/ppo-episodes';
import type { PpoModels } from '../train/ppo-types';
import { hashSeed } from '../util/random';

export interface PolicyMeasure {
  /** mean RM score r_theta(x, y) of the sampled answers, read as every stage reads it (at an EOS,
   *  appended to a cut-off answer); PPO's optional no-EOS penalty is a training signal, not part of it */
  reward: number;
  /** mean over answers of sum_t KL_t (k1) to the reference */
  kl: number;
  /** mean entropy per answer token (nats) */
  entropy: number;
  /** fraction of answers that ended with EOS */
  eosRate: number;
  /** LM loss on the held-out pretraining windows (NaN without heldOutTokens) */
  pretrainLoss: number;
  /** the answers (text), their scores and whether each ended with EOS, in prompt order */
  answers: string[];
  scores: number[];
  ended: boolean[];
}

export interface MeasureOptions {
  maxNewTokens: number;
  temperature: number;
  seed: number;
  /** prompts sampled per forward batch */
  batchSize?: number;
  heldOutTokens?: ArrayLike<number>;
  /** held-out windows of `ptxLength` tokens */
  heldOutWindows?: number;
  ptxLength?: number;
}

export async function measurePolicy(
  models: Pick<PpoModels, 'policy' | 'reference' | 'rewardModel' | 'rewardHead' | 'tokenizer'>,
  prompts: string[],
  opts: MeasureOptions,
): Promise<PolicyMeasure> {
  const { policy, reference, rewardModel, rewardHead, tokenizer } = models;
  const batchSize = opts.batchSize ?? 32;
  const answers: string[] = [],
    scores: number[] = [],
    ended: boolean[] = [];
  let klSum = 0,
    entSum = 0,
    tokens = 0,
    eos = 0;
  for (let i = 0; i < prompts.length; i += batchSize) {
    const ids = prompts.slice(i, i + batchSize).map((p) => rolloutPrompt(tokenizer.encodePrompt(p), policy.config.blockSize, opts.maxNewTokens));
    const gen = await generateIds(
      policy,
      ids,
      { eosId: tokenizer.eosId, padId: tokenizer.padId },
      { maxNewTokens: opts.maxNewTokens, temperature: opts.temperature, seed: hashSeed(`${opts.seed}:measure`), rowOffset: i },
    );
    const ep = makeEpisodes(gen.promptTokens, gen.tokens, tokenizer.padId, tokenizer.eosId);
    const parts = tf.tidy(() => {
      const mask = tf.tensor2d(ep.mask, [ep.B, ep.T]); // [B, T]
      const pol = answerLogProbs(policy, ep, opts.temperature);
      const ref = answerLogProbs(reference, ep, opts.temperature).logprobs; // [B, T]
      const kl = tf.sum(tf.mul(tf.sub(pol.logprobs, ref), mask)); // sum of k1 over answers
      const ent = tf.sum(tf.mul(tokenEntropy(pol.logits.div(opts.temperature)), mask)); // summed over answer tokens
      const rm = rewardScores(rewardModel, rewardHead, ep).scores; // [B], read as every stage reads it
      return [kl, ent, rm];
    });
    const [klSummed, entSummed, rm] = await readMany(parts); // one read-back per batch
    const r = { kl: klSummed[0], ent: entSummed[0], rm };
    r.rm.forEach((s) => scores.push(s));
    ep.hitEos.forEach((e) => ended.push(e));
    gen.tokens.forEach((t) => answers.push(tokenizer.decode(t, { skipSpecial: true })));
    klSum += r.kl;
    entSum += r.ent;
    tokens += ep.answerLen.reduce((a, b) => a + b, 0);
    eos += ep.hitEos.filter(Boolean).length;
  }
  let pretrainLoss = NaN;
  if (opts.heldOutTokens && (opts.heldOutWindows ?? 0) > 0) {
    const L = opts.ptxLength ?? PPO_DEFAULTS.ptxLength;
    const held = corpusBatch(opts.heldOutTokens, opts.heldOutWindows!, L, evenStarts(opts.heldOutTokens.length, opts.heldOutWindows!, L));
    pretrainLoss = await readScalar(languageModelLoss(policy, held.tokens, held.mask));
    tf.dispose([held.tokens, held.mask]);
  }
  return { reward: mean(scores), kl: klSum / prompts.length, entropy: entSum / tokens, eosRate: eos / prompts.length, pretrainLoss, answers, scores, ended };
}
