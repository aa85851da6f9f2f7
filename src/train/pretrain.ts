/**
 * Pretraining the base "GPT": next-token prediction on the State of the Union corpus, the
 * loop written out in full (nanoGPT's train.py, in order):
 *
 *   for step in 0 .. steps-1:
 *     1. batch   = B random windows of T+1 tokens, drawn from (seed, step) alone
 *     2. lr      = lrAt(step)                         linear warm-up, cosine decay to minLr
 *     3. loss    = -mean_t log p(x_{t+1} | x_<=t)     (languageModelLoss, inside tf.tidy)
 *     4. update  Adam (0.9, 0.95), gradients clipped to a global norm of clipNorm
 *     5. every evalEvery steps: validation loss on fixed held-out windows
 *     6. every checkpointEvery steps (and at the end): checkpoint with the optimizer state,
 *        then metrics.jsonl beside it
 *
 * Resume: when `dir` holds a checkpoint of this config, training continues from it and ends
 * with exactly the weights and metrics of an uninterrupted run (the batch, dropout seed and
 * learning rate of a step depend only on the step; Adam's moments and step come back).
 * The same loss (`languageModelLoss` on pretraining windows) is PPO-ptx's pretraining term.
 */
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
import { streamBatch, streamWindows, TokenBatch } from './batches';
import { meanLoss } from './evaluate';
import { findResumePoint } from './resume';
import { lrAt } from './schedule';
import { PretrainConfig, PRETRAIN_DEFAULTS } from './pretrain-config';

/** One row of metrics.jsonl. */
export interface PretrainMetrics {
  /** updates done (1-based) */
  step: number;
  lr: number;
  /** training loss of this step's batch (nats per token) */
  loss: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  /** validation loss (nats per token), on evaluation steps only */
  valLoss?: number;
  /** wall-clock seconds of this step (not part of the reproducible result) */
  seconds: number;
}

export interface PretrainInputs {
  /** checkpoint folder, e.g. artifacts(runDir).pretrain("small") */
  dir: string;
  /** the model to build (vocabSize must equal the tokenizer's) */
  modelConfig: GPTConfig;
  tokenizer: Tokenizer;
  /** training token stream (encodeStream of the training addresses) */
  train: Int32Array;
  /** validation token stream (held-out addresses) */
  validation: Int32Array;
  config: PretrainConfig;
  /** called after every step (progress bars); a returned promise is awaited, so a notebook can let its display update */
  onStep?: (row: PretrainMetrics) => void | Promise<void>;
  /** stop after this many steps, as if interrupted (tests); the checkpoint stays behind */
  stopAfter?: number;
}

export interface PretrainResult {
  model: GPT;
  metrics: PretrainMetrics[];
  /** step the run resumed from (null: from scratch) and why not, when it did not */
  resumedFrom: number | null;
  resumeNote: string;
  /** wall-clock seconds of this call */
  seconds: number;
}

export const METRICS_FILE = 'metrics.jsonl';

function check(config: PretrainConfig): void {
  for (const k of ['steps', 'batchSize', 'evalEvery', 'checkpointEvery'] as const) {
    if (!Number.isInteger(config[k]) || config[k] <= 0) throw new Error(`PretrainConfig: ${k} must be a positive integer, got ${config[k]}`);
  }
  if (!Number.isInteger(config.evalWindows) || config.evalWindows < 0)
    throw new Error(`PretrainConfig: evalWindows must be an integer >= 0, got ${config.evalWindows}`);
}

/** Train (or resume, or just load when finished) the base GPT in `inputs.dir`. */
export async function pretrain(inputs: PretrainInputs): Promise<PretrainResult> {
  const t0 = Date.now();
  const { dir, modelConfig, tokenizer, train, validation, config, onStep } = inputs;
  check(config);
  const fullConfig: GPTConfig = { ...modelConfig, dropout: config.dropout };
  const T1 = fullConfig.blockSize + 1;
  const metricsFile = path.join(dir, METRICS_FILE);
  const stageConfig = { ...config, trainTokens: train.length, validationTokens: validation.length };

  const found = findResumePoint<PretrainMetrics>(dir, metricsFile, 'pretrain', stageConfig, fullConfig);
  let model: GPT;
  const adam = new Adam({ lr: config.lr, weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  let start = 0;
  let metrics: PretrainMetrics[] = [];
  if ('step' in found) {
    const ck = loadCheckpoint(dir);
    model = ck.model;
    await restoreAdam(adam, model.weights, ck.optimizerState!, dir);
    tf.dispose([...ck.optimizerState!.values()]);
    start = found.step;
    metrics = found.metrics;
  } else {
    model = new GPT(fullConfig);
  }
  const resumeNote = 'step' in found ? `resumed from step ${found.step}` : found.reason;

  const validationBatches: TokenBatch[] = streamWindows(validation, config.batchSize, T1, config.evalWindows);
  const schedule = { lr: config.lr, minLr: config.minLr, warmupSteps: Math.min(config.warmupSteps, config.steps), totalSteps: config.steps };
  const vars = model.trainableVariables();
  const end = Math.min(config.steps, inputs.stopAfter ?? config.steps);

  const save = async (step: number) => {
    const state = namedOptimizerState(model.weights, adam.state(), adam.step);
    try {
      await saveCheckpoint(dir, {
        model,
        tokenizer,
        optimizerState: state,
        extra: { stage: 'pretrain', step, done: step === config.steps, config: stageConfig },
      });
    } finally {
      state.get('step')!.dispose();
    }
    writeJsonlAtomic(metricsFile, metrics);
  };

  for (let step = start; step < end; step++) {
    const ts = Date.now();
    // 1. batch, 2. learning rate
    const batch = streamBatch(train, config.batchSize, T1, config.seed, step);
    const lr = lrAt(step, schedule);
    const dropoutSeed = new Rng(`${config.seed}:dropout:${step}`).uint32();
    // 3. loss, 4. clipped Adam update
    const loss = await trainStep(
      () =>
        tf.tidy(() => {
          const tokens = tf.tensor2d(batch.tokens, [batch.B, T1], 'int32'); // [B, T+1]
          const mask = tf.tensor2d(batch.lossMask, [batch.B, T1], 'int32'); // [B, T+1]
          return languageModelLoss(model, tokens, mask, { training: config.dropout > 0, dropoutSeed });
        }),
      vars,
      adam,
      { lr },
    );
    if (!Number.isFinite(loss)) throw new Error(`pretrain: loss is ${loss} at step ${step + 1} (lr ${lr}); lower pretrain.lr`);
    const row: PretrainMetrics = { step: step + 1, lr, loss, gradNorm: adam.lastGradNorm, seconds: (Date.now() - ts) / 1000 };
    // 5. validation
    if ((step + 1) % config.evalEvery === 0 || step + 1 === config.steps) row.valLoss = await meanLoss(model, validationBatches);
    metrics.push(row);
    await onStep?.(row);
    // 6. checkpoint
    if ((step + 1) % config.checkpointEvery === 0 || step + 1 === config.steps) await save(step + 1);
  }
  adam.dispose();
  return { model, metrics, resumedFrom: 'step' in found ? found.step : null, resumeNote, seconds: (Date.now() - t0) / 1000 };
}
