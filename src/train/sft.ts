/**
 * Supervised fine-tuning (the paper's step 1): the base GPT learns to write the labelers'
 * demonstrations. The loop, in order:
 *
 *   for epoch in 1 .. epochs:
 *     1. shuffle the training demonstrations (seeded by epoch)
 *     for each batch of B episodes  <|bos|><|prompt|>x<|answer|>y<|eos|>:
 *       2. lr   = lrAt(step)                       cosine decay over all epochs' steps
 *       3. loss = -mean_{t in y} log pi(y_t | x, y_<t)   answer tokens only (prompt and
 *                 padding masked out), residual dropout (paper: 0.2), inside tf.tidy
 *       4. Adam (0.9, 0.95) with global-norm clipping
 *     5. validation loss on the held-out demonstrations (answer tokens only)
 *     6. checkpoint sft/<size>/epoch-<n> (+ optimizer state), metrics.jsonl beside them
 *
 * The paper trains 16 epochs although the validation loss overfits after one, because the
 * later epochs still raise the reward-model score and human preference; it keeps every
 * epoch and picks the final SFT model by RM score on a validation set (notebook 04 does).
 * Checkpoints are saved with dropout 0 in their config (dropout is a training setting;
 * the paper uses none in RL), the training dropout is in `extra.config`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Adam, trainStep } from '../engine/optimizer';
import { loadCheckpoint, namedOptimizerState, saveCheckpoint } from '../model/checkpoint';
import { GPT, GPTConfig } from '../model/gpt';
import { languageModelLoss } from '../model/logprobs';
import type { Tokenizer } from '../model/tokenizer';
import { writeJsonlAtomic } from '../util/atomic';
import { Rng } from '../util/random';
import { restoreAdam } from './adam-state';
import { Episode, episodeBatch, TokenBatch } from './batches';
import { meanLoss } from './evaluate';
import { findResumePoint } from './resume';
import { lrAt } from './schedule';
import { SftConfig, SFT_DEFAULTS } from './sft-config';

/** One row of sft/<size>/metrics.jsonl: every step, plus the validation loss at epoch ends. */
export interface SftMetrics {
  /** updates done (0: the base model, before any update) */
  step: number;
  /** epochs done when the row was written (fractional inside an epoch) */
  epoch: number;
  lr: number;
  /** training loss of this batch (answer tokens, with dropout); null on the step-0 row */
  loss: number | null;
  gradNorm: number | null;
  /** validation loss on answer tokens (no dropout), at the end of each epoch and at step 0 */
  valLoss?: number;
  /** mean training loss over the epoch just finished */
  epochLoss?: number;
  seconds: number;
}

export interface SftInputs {
  /** the base GPT checkpoint (artifacts(runDir).pretrain(size)) */
  baseDir: string;
  /** folder of metrics.jsonl (artifacts(runDir).sftRoot(size)) */
  rootDir: string;
  /** folder of epoch n's checkpoint (artifacts(runDir).sftEpoch(size, n)) */
  epochDir: (epoch: number) => string;
  /** training demonstrations, encoded (encodeEpisode) */
  train: readonly Episode[];
  /** held-out demonstrations for the validation loss */
  validation: readonly Episode[];
  config: SftConfig;
  /** called after every step (progress bars); a returned promise is awaited */
  onStep?: (row: SftMetrics) => void | Promise<void>;
  /** stop after this many epochs, as if interrupted (tests) */
  stopAfterEpoch?: number;
}

export interface SftResult {
  /** the model after the last epoch (dropout 0.2 in its config; use the checkpoints downstream) */
  model: GPT;
  tokenizer: Tokenizer;
  metrics: SftMetrics[];
  /** epoch the run resumed from (null: from scratch) */
  resumedFrom: number | null;
  seconds: number;
}

export const METRICS_FILE = 'metrics.jsonl';

function check(config: SftConfig, train: readonly Episode[]): void {
  for (const k of ['epochs', 'batchSize'] as const) {
    if (!Number.isInteger(config[k]) || config[k] <= 0) throw new Error(`SftConfig: ${k} must be a positive integer, got ${config[k]}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`SftConfig: dropout must be in [0, 1), got ${config.dropout}`);
  if (train.length === 0) throw new Error('sft: no training demonstrations');
}

/** Validation batches: the held-out episodes in order, B at a time. */
function batchesOf(episodes: readonly Episode[], B: number, padId: number): TokenBatch[] {
  const out: TokenBatch[] = [];
  for (let i = 0; i < episodes.length; i += B) out.push(episodeBatch(episodes.slice(i, i + B), padId));
  return out;
}

/** The highest epoch whose checkpoint this config can resume from. */
function lastEpoch(inputs: SftInputs, stageConfig: unknown, savedModel: GPTConfig): { epoch: number; step: number; metrics: SftMetrics[] } | null {
  const metricsFile = path.join(inputs.rootDir, METRICS_FILE);
  for (let e = inputs.config.epochs; e >= 1; e--) {
    const dir = inputs.epochDir(e);
    if (!fs.existsSync(dir)) continue;
    const found = findResumePoint<SftMetrics>(dir, metricsFile, 'sft', stageConfig, savedModel);
    if ('step' in found) return { epoch: e, step: found.step, metrics: found.metrics };
  }
  return null;
}

/** Fine-tune the base GPT on demonstrations, one checkpoint per epoch; resumes when it can. */
export async function sft(inputs: SftInputs): Promise<SftResult> {
  const t0 = Date.now();
  const { config, train, validation, onStep } = inputs;
  check(config, train);
  const base = loadCheckpoint(inputs.baseDir, { withOptimizer: false });
  const tokenizer = base.tokenizer;
  const savedModel: GPTConfig = { ...base.config, dropout: 0 };
  // base relative to the SFT folder, so a run folder moved as a whole still resumes
  const stageConfig = {
    ...config,
    base: path.relative(path.resolve(inputs.rootDir), path.resolve(inputs.baseDir)),
    trainEpisodes: train.length,
    validationEpisodes: validation.length,
  };
  const B = config.batchSize;
  const stepsPerEpoch = Math.ceil(train.length / B);
  const totalSteps = config.epochs * stepsPerEpoch;
  const schedule = { lr: config.lr, minLr: config.minLr, warmupSteps: Math.min(config.warmupSteps, totalSteps), totalSteps };
  const adam = new Adam({ lr: config.lr, weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  const validationBatches = batchesOf(validation, B, tokenizer.padId);

  // start from the base, or from the last epoch this config wrote
  const resume = lastEpoch(inputs, stageConfig, savedModel);
  let model: GPT;
  let metrics: SftMetrics[] = [];
  let startEpoch = 0;
  if (resume) {
    const ck = loadCheckpoint(inputs.epochDir(resume.epoch));
    model = new GPT({ ...ck.config, dropout: config.dropout }, ck.model.weights);
    await restoreAdam(adam, model.weights, ck.optimizerState!, ck.dir);
    tf.dispose([...ck.optimizerState!.values()]);
    ck.model.dispose();
    metrics = resume.metrics;
    startEpoch = resume.epoch;
  } else {
    model = new GPT({ ...base.config, dropout: config.dropout }, base.model.weights);
    const row: SftMetrics = { step: 0, epoch: 0, lr: 0, loss: null, gradNorm: null, valLoss: await meanLoss(model, validationBatches), seconds: 0 };
    metrics.push(row);
    await onStep?.(row);
  }
  base.model.dispose();
  const vars = model.trainableVariables();
  const metricsFile = path.join(inputs.rootDir, METRICS_FILE);
  const endEpoch = Math.min(config.epochs, inputs.stopAfterEpoch ?? config.epochs);

  for (let epoch = startEpoch + 1; epoch <= endEpoch; epoch++) {
    // 1. shuffle
    const order = new Rng(`${config.seed}:epoch:${epoch}`).shuffle(train.map((_, i) => i));
    let epochLossSum = 0;
    for (let i = 0; i < stepsPerEpoch; i++) {
      const ts = Date.now();
      const step = (epoch - 1) * stepsPerEpoch + i; // 0-based
      const batch = episodeBatch(
        order.slice(i * B, (i + 1) * B).map((j) => train[j]),
        tokenizer.padId,
      );
      // 2. learning rate
      const lr = lrAt(step, schedule);
      const dropoutSeed = new Rng(`${config.seed}:dropout:${step}`).uint32();
      // 3. answer-only loss, 4. clipped Adam update
      const loss = await trainStep(
        () =>
          tf.tidy(() => {
            const tokens = tf.tensor2d(batch.tokens, [batch.B, batch.T1], 'int32'); // [B, T+1]
            const mask = tf.tensor2d(batch.lossMask, [batch.B, batch.T1], 'int32'); // [B, T+1], 1 on answer tokens
            return languageModelLoss(model, tokens, mask, { training: config.dropout > 0, dropoutSeed });
          }),
        vars,
        adam,
        { lr },
      );
      if (!Number.isFinite(loss)) throw new Error(`sft: loss is ${loss} at step ${step + 1} (lr ${lr}); lower sft.lr`);
      epochLossSum += loss;
      const row: SftMetrics = {
        step: step + 1,
        epoch: epoch - 1 + (i + 1) / stepsPerEpoch,
        lr,
        loss,
        gradNorm: adam.lastGradNorm,
        seconds: (Date.now() - ts) / 1000,
      };
      if (i === stepsPerEpoch - 1) {
        // 5. validation
        row.valLoss = await meanLoss(model, validationBatches);
        row.epochLoss = epochLossSum / stepsPerEpoch;
      }
      metrics.push(row);
      await onStep?.(row);
    }
    // 6. checkpoint of this epoch (dropout 0 in its config), then the metrics
    const saved = new GPT(savedModel, model.weights);
    const state = namedOptimizerState(model.weights, adam.state(), adam.step);
    try {
      await saveCheckpoint(inputs.epochDir(epoch), {
        model: saved,
        tokenizer,
        optimizerState: state,
        extra: { stage: 'sft', epoch, step: epoch * stepsPerEpoch, done: epoch === config.epochs, config: stageConfig },
      });
    } finally {
      saved.dispose();
      state.get('step')!.dispose();
    }
    writeJsonlAtomic(metricsFile, metrics);
  }
  adam.dispose();
  return { model, tokenizer, metrics, resumedFrom: resume ? resume.epoch : null, seconds: (Date.now() - t0) / 1000 };
}
