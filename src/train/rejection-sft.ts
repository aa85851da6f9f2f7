/**
 * Rejection-sampling fine-tuning: best-of-n distilled into the policy before PPO (Touvron et al.
 * 2023's rejection sampling for Llama 2, Dong et al. 2023's RAFT). Best-of-n at inference
 * (best-of-n.ts) is as good as PPO here without training anything; this trains the policy on the
 * answers best-of-n would have given, so PPO starts from there. The loop, in order:
 *
 *   1. prompts: the first `prompts` PPO prompts in a seeded order (never a dev or sealed prompt)
 *   2. sample `samples` answers to each from the policy (the SFT model), at PPO's temperature
 *      and answer length, and score each with r_theta exactly as PPO scores a rollout (at EOS,
 *      the no-EOS rule applied: a cut-off answer is not what PPO is asked to write)
 *   3. keep each prompt's best answer; drop the prompt when its best did not end with EOS
 *   4. fine-tune the policy on prompt -> best answer: `epochs` passes of the answer-only
 *      next-token loss (as SFT), Adam at a constant `lr`, global-norm clip 1
 *   5. save the policy (a checkpoint, with the config and what it started from) and the
 *      picked answers (a JSONL file beside it); a later run with the same config and origin loads it
 *
 * The reference policy of PPO stays the SFT model: KL and the win-rates are still measured
 * against SFT, so this stage's own distance from SFT is part of what PPO's KL reports.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Adam, trainStep } from '../engine/optimizer';
import { readFloats } from '../engine/readback';
import { checkpointFingerprint, CONFIG_FILE, loadCheckpoint, readCheckpointConfig, saveCheckpoint } from '../model/checkpoint';
import { generateIds } from '../model/generate';
import { GPT } from '../model/gpt';
import { languageModelLoss } from '../model/logprobs';
import { MissingEosPenalty, penaliseMissingEos } from '../rl/rewards';
import { writeJsonlAtomic } from '../util/atomic';
import { canonical } from '../util/config';
import { hashSeed, Rng } from '../util/random';
import { Episode, episodeBatch } from './batches';
import { bestOfNRows } from './best-of-n';
import { assignWeights } from './ppo-checkpoint';
import { makeEpisodes, mean, promptOrder, rewardScores, rolloutPrompt } from './ppo-episodes';
import type { PpoModels } from './ppo-types';

export interface RejectionSftConfig {
  /** answers sampled per prompt; the reward model's best is kept (>= 2) */
  samples: number;
  /** PPO prompts it samples for */
  prompts: number;
  /** passes over the picked answers */
  epochs: number;
  /** picked answers per gradient step */
  batchSize: number;
  /** Adam's learning rate (constant) */
  lr: number;
  /** how the rollouts are sampled and scored: PPO's */
  maxNewTokens: number;
  temperature: number;
  missingEos: MissingEosPenalty;
  seed: number;
}

/** What the stage did, for the notebook and the checkpoint. */
export interface RejectionSftSummary {
  prompts: number;
  samples: number;
  /** prompts whose best answer ended (the ones trained on) */
  kept: number;
  /** mean RM score (no-EOS rule applied) of every sample, and of the picked ones */
  meanScore: number;
  meanBest: number;
  /** share of all samples that ended with EOS */
  eosRate: number;
  /** mean answer-token loss of each pass over the picked answers */
  epochLoss: number[];
  seconds: number;
}

export interface RejectionSftResult {
  summary: RejectionSftSummary;
  /** true: loaded from `dir`, nothing sampled or trained */
  loaded: boolean;
  /** the saved policy's fingerprint: PPO's origin names it */
  fingerprint: string;
}

/** Rows sampled per generate call: a PPO rollout's worth. */
const SAMPLE_ROWS = 256;

export function validateRejectionSftConfig(c: RejectionSftConfig, where = 'RejectionSftConfig'): void {
  for (const [k, min] of [
    ['samples', 2],
    ['prompts', 1],
    ['epochs', 1],
    ['batchSize', 1],
    ['maxNewTokens', 1],
  ] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= min)) throw new Error(`${where}: ${k} must be an integer >= ${min}, got ${c[k]}`);
  }
  for (const k of ['lr', 'temperature'] as const)
    if (!(Number.isFinite(c[k]) && c[k] > 0)) throw new Error(`${where}: ${k} must be a finite number > 0, got ${c[k]}`);
}

/** Trains `models.policy` in place (or loads what a run with this config and origin saved in `dir`). */
export async function rejectionSft(
  models: PpoModels,
  promptTexts: readonly string[],
  config: RejectionSftConfig,
  opts: {
    /** the checkpoint folder of the fine-tuned policy */
    dir: string;
    /** the picked answers, one JSON row each (beside the checkpoint, not in it) */
    pickedFile: string;
    /** fingerprints of what it starts from (the SFT checkpoint, the reward model) */
    origin: Record<string, string>;
    onProgress?: (done: number, total: number, what: string) => void | Promise<void>;
  },
): Promise<RejectionSftResult> {
  validateRejectionSftConfig(config);
  const { policy, tokenizer } = models;
  const saved = fs.existsSync(path.join(opts.dir, CONFIG_FILE)) ? readCheckpointConfig(opts.dir).extra : null;
  if (saved && canonical(saved.config) === canonical(config) && canonical(saved.origin) === canonical(opts.origin)) {
    const ck = loadCheckpoint(opts.dir, { withOptimizer: false });
    try {
      assignWeights(policy.weights, ck.model.weights, opts.dir);
    } finally {
      ck.model.dispose();
      for (const h of ck.heads.values()) h.dispose();
    }
    return { summary: saved.summary as RejectionSftSummary, loaded: true, fingerprint: checkpointFingerprint(opts.dir) };
  }
  const t0 = Date.now();
  if (promptTexts.length === 0) throw new Error('rejectionSft: no prompts');
  const P = Math.min(config.prompts, promptTexts.length);
  const order = promptOrder(promptTexts.length, hashSeed(`${config.seed}:rejection`));
  const prompts = Array.from({ length: P }, (_, i) =>
    rolloutPrompt(tokenizer.encodePrompt(promptTexts[order(i)]), policy.config.blockSize, config.maxNewTokens),
  );

  // 2.-3. sample N answers per prompt, score each as PPO does, keep the best that ended
  const N = config.samples;
  const perCall = Math.max(1, Math.floor(SAMPLE_ROWS / N));
  const picked: { prompt: string; answer: string; score: number; meanScore: number; ended: boolean }[] = [];
  const episodes: Episode[] = [];
  let scoreSum = 0;
  let ended = 0;
  for (let p0 = 0; p0 < P; p0 += perCall) {
    const group = prompts.slice(p0, p0 + perCall);
    const batch = group.flatMap((ids) => Array.from({ length: N }, () => ids)); // prompt g's s-th answer at row g * N + s
    const gen = await generateIds(
      policy,
      batch,
      { eosId: tokenizer.eosId, padId: tokenizer.padId },
      { maxNewTokens: config.maxNewTokens, temperature: config.temperature, seed: hashSeed(`${config.seed}:rejection:${p0}`) },
    );
    const ep = makeEpisodes(gen.promptTokens, gen.tokens, tokenizer.padId, tokenizer.eosId);
    const raw = tf.tidy(() => rewardScores(models.rewardModel, models.rewardHead, ep).scores);
    const scores = penaliseMissingEos(await readFloats(raw), ep.hitEos, config.missingEos);
    raw.dispose();
    bestOfNRows(scores, N, N).forEach((row, g) => {
      const meanScore = mean(scores.subarray(g * N, (g + 1) * N));
      picked.push({
        prompt: promptTexts[order(p0 + g)],
        answer: tokenizer.decode(gen.tokens[row], { skipSpecial: true }),
        score: scores[row],
        meanScore,
        ended: gen.hitEos[row],
      });
      if (gen.hitEos[row]) episodes.push({ ids: [...gen.promptTokens[row], ...gen.tokens[row]], answerStart: gen.promptTokens[row].length });
    });
    for (let r = 0; r < batch.length; r++) {
      scoreSum += scores[r];
      if (gen.hitEos[r]) ended++;
    }
    await opts.onProgress?.(Math.min(P, p0 + perCall), P, 'prompts sampled');
  }
  if (episodes.length === 0)
    throw new Error(`rejectionSft: none of the ${P} prompts had an answer that ended with EOS among ${N} samples; nothing to train on`);

  // 4. fine-tune on prompt -> best answer (answer tokens only)
  const adam = new Adam({ lr: config.lr, clipNorm: 1 });
  const vars = policy.trainableVariables();
  const B = config.batchSize;
  const epochLoss: number[] = [];
  const steps = Math.ceil(episodes.length / B);
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    let sum = 0;
    const perm = new Rng(`${config.seed}:rejection:epoch:${epoch}`).shuffle(episodes.map((_, i) => i));
    for (let s = 0; s < steps; s++) {
      const batch = episodeBatch(
        perm.slice(s * B, (s + 1) * B).map((i) => episodes[i]),
        tokenizer.padId,
      );
      const loss = await trainStep(
        () =>
          tf.tidy(() =>
            languageModelLoss(policy, tf.tensor2d(batch.tokens, [batch.B, batch.T1], 'int32'), tf.tensor2d(batch.lossMask, [batch.B, batch.T1], 'int32')),
          ),
        vars,
        adam,
      );
      if (!Number.isFinite(loss)) throw new Error(`rejectionSft: loss is ${loss} at step ${epoch * steps + s + 1} (lr ${config.lr}); lower the lr`);
      sum += loss;
      await opts.onProgress?.(epoch * steps + s + 1, config.epochs * steps, 'steps');
    }
    epochLoss.push(sum / steps);
  }
  adam.dispose();

  // 5. save the policy and what it was trained on
  const summary: RejectionSftSummary = {
    prompts: P,
    samples: N,
    kept: episodes.length,
    meanScore: scoreSum / (P * N),
    meanBest: mean(picked.map((x) => x.score)),
    eosRate: ended / (P * N),
    epochLoss,
    seconds: (Date.now() - t0) / 1000,
  };
  // the picked answers first: the checkpoint is what a later run loads, so it is written last
  writeJsonlAtomic(opts.pickedFile, picked);
  const copy = new GPT(policy.config, policy.weights);
  try {
    await saveCheckpoint(opts.dir, { model: copy, tokenizer, extra: { stage: 'rejection-sft', config, origin: opts.origin, summary } });
  } finally {
    copy.dispose();
  }
  return { summary, loaded: false, fingerprint: checkpointFingerprint(opts.dir) };
}
