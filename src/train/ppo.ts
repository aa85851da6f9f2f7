/**
 * PPO and PPO-ptx: the RL stage of InstructGPT (Ouyang et al. 2022, eq. 2), whole, in the
 * paper's order (CleanRL / TRL style). The policy pi_RL maximises
 *
 *   objective(phi) = E_(x,y)~pi_RL [ r_theta(x, y) - beta * log( pi_RL(y|x) / pi_SFT(y|x) ) ]
 *                  + gamma * E_x~D_pretrain [ log pi_RL(x) ]          (gamma = 0: plain PPO)
 *
 * with the reward model r_theta frozen, the SFT model pi_SFT frozen as the reference, and a
 * value function V initialised from the reward model (trunk and head, as the paper; or, to
 * save compute, a value head on the frozen RM trunk) trained beside the policy. One
 * iteration:
 *
 *   1. rollout   sample answers y ~ pi_RL(.|x) for a batch of PPO prompts, `samplesPerPrompt`
 *                each, at the trainer's temperature (the paper: 1, one answer per prompt)
 *   2. score     r_theta(x, y) at the EOS token; an answer with no EOS gets a fixed penalty;
 *                with k answers per prompt, minus the mean score of the prompt's other k - 1
 *   3. KL        per-token KL_t = log pi_RL(y_t) - log pi_SFT(y_t) (temperature-scaled logits
 *                for both); reward r_t = -beta * KL_t, plus r_theta(x, y) at the last token
 *   4. advantage GAE (gamma 1, lambda 0.95) on V; advantages whitened over the batch
 *   5. optimise  `ppoEpochs` passes of minibatches: clipped surrogate (0.2) + clipped value
 *                loss; PPO-ptx adds gamma * the pretraining LM loss on corpus batches
 *   6. adapt     the KL controller updates beta (fixed in the paper: 0.02)
 *   7. log       one row of fixed metric names -> arquero table, metrics.jsonl / .csv
 *
 * Checkpoints (policy + Adam state at `dir`, the value network at `dir/value`, the metrics
 * beside them) are written atomically every `saveEvery` iterations; a run resumes from them
 * and repeats the uninterrupted run exactly (every random draw is forked per iteration).
 * A non-finite number anywhere stops the run with a `DivergenceError`; the last good
 * checkpoint is never overwritten by a diverged state.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import { Adam } from '../engine/optimizer';
import { readFloats, readMany, readScalar } from '../engine/readback';
import { assertNoGpuErrors } from '../engine/webgpu';
import { CHECKPOINT_FOLDER, encodeCheckpoint, loadCheckpoint, namedOptimizerState, optimizerMomentsByVariable, readCheckpointConfig, saveCheckpoint, writeCheckpointInto } from '../model/checkpoint';
import { generateIds } from '../model/generate';
import type { GPT } from '../model/gpt';
import type { ScalarHead } from '../model/heads';
import { languageModelLoss, tokenLogProbs } from '../model/logprobs';
import type { Tokenizer } from '../model/tokenizer';
import { progress } from '../report/progress';
import { gae, whiten } from '../rl/gae';
import { KlController } from '../rl/kl-controller';
import { entropy, policyLoss, tokenEntropy, valueLoss } from '../rl/losses';
import { endsWithEos, leaveOneOutBaseline, penaliseMissingEos, shapeRewards } from '../rl/rewards';
import { replaceDirAtomic } from '../util/atomic';
import { mergeConfig } from '../util/config';
import { readJsonl } from '../util/jsonl';
import { hashSeed, Rng } from '../util/random';
import { DEFAULTS, PpoConfig, validatePpoConfig } from './ppo-config';

export { DEFAULTS } from './ppo-config';
export type { PpoConfig } from './ppo-config';

/** The networks of the stage. `policy`, `valueModel` and `valueHead` are trained in place. */
export interface PpoModels {
  /** pi_RL, initialised from the chosen SFT checkpoint. */
  policy: GPT;
  /** pi_SFT, a frozen copy of the same SFT checkpoint. */
  reference: GPT;
  /** The reward model's trunk and head r_theta (frozen). */
  rewardModel: GPT;
  rewardHead: ScalarHead;
  /** The value network's trunk: a copy of the reward model's, trained when `valueTrunk` is
   *  'trained'. With 'frozen' it is not used (the value head reads the RM's own trunk). */
  valueModel?: GPT;
  /** The value head V(s_t): initialised from the reward head. */
  valueHead: ScalarHead;
  tokenizer: Tokenizer;
}

export interface PpoData {
  /** The PPO prompts (texts; no labels). */
  prompts: string[];
  /** Token ids of the pretraining corpus (training part): the ptx batches. Needed when ptxCoef > 0. */
  pretrainTokens?: ArrayLike<number>;
  /** Token ids of held-out pretraining text: `val/pretrain_loss`. Needed when evalPretrainBatch > 0. */
  heldOutTokens?: ArrayLike<number>;
}

export interface PpoOptions {
  /** Checkpoint folder (e.g. artifacts(runDir).ppo(size, kind)); resumed from when it holds one. */
  dir?: string;
  /** Called after each iteration's row is logged (and saved, when it is a save point); awaited. */
  onIteration?: (row: PpoRow, iteration: number) => void | Promise<void>;
  /** Where to keep a copy of the policy at each save point (e.g. 06's over-optimisation curve
   *  reads `ppo/<size>/<kind>-steps/step-<n>/`); none when absent. */
  snapshotDir?: (iteration: number) => string;
  /** Label of the progress bar; `false` hides it. */
  progress?: string | false;
}

/** The fixed metric names of one iteration's row (TRL's grouping). */
export const METRICS = [
  'iteration', // 1-based
  'objective/kl', // mean over answers of sum_t KL_t (nats per answer)
  'objective/rlhf_reward', // mean over answers of r_theta(x, y) - beta * sum_t KL_t
  'objective/scores', // mean RM score r_theta(x, y) (after the no-EOS penalty)
  'objective/entropy', // mean entropy of the sampling distribution per answer token (nats)
  'objective/beta', // the KL coefficient used this iteration
  'policy/clipfrac', // fraction of answer tokens where the ratio clip bites (mean over steps)
  'policy/approxkl', // 1/2 E[(log pi/pi_old)^2] (mean over steps)
  'val/num_eos_tokens', // answers that ended with EOS, of rolloutBatch
  'val/mean_length', // mean answer length in tokens
  'val/value_clipfrac', // fraction of tokens where the clipped value error counts
  'val/pretrain_loss', // LM loss on held-out pretraining text (the alignment tax); NaN when not measured
  'loss/policy', // clipped surrogate (mean over steps)
  'loss/value', // clipped value loss (mean over steps)
  'loss/ptx', // pretraining LM loss on the ptx batches (0 when ptxCoef = 0: not computed)
  'time/seconds', // wall time of the iteration
  'time/generate', // of which sampling the answers
  'time/optimise', // of which the minibatch updates
] as const;
export type MetricName = (typeof METRICS)[number];
export type PpoRow = Record<MetricName, number>;

export interface PpoResult {
  /** One row per iteration, resumed rows included. */
  rows: PpoRow[];
  /** The same rows as an arquero table. */
  table: any;
  /** Iterations that were loaded from the checkpoint instead of trained now. */
  resumedFrom: number;
  /** Whether and why the run resumed (or did not). */
  resumeNote: string;
  config: PpoConfig;
}

/** A run stopped because a loss, gradient or rollout number was not finite. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DivergenceError';
  }
}

// ---------------------------------------------------------------------------------------
// Episodes: prompt + answer token rows, right-padded, with the index of every answer token.

/** One rollout batch, as flat JS arrays (answers are short). */
export interface Episodes {
  /** rows B, sequence length S (prompt + answer), answer length T (longest answer) */
  B: number;
  S: number;
  T: number;
  /** prompt + answer ids, right-padded with PAD [B*S] */
  seqs: Int32Array;
  /** prompt length p_b and answer length L_b of each row */
  promptLen: number[];
  answerLen: number[];
  /** answer ids [B*T] (PAD after L_b) and mask 1 on answer tokens [B*T] */
  answers: Int32Array;
  mask: Float32Array;
  /** whether each answer ended with EOS */
  hitEos: boolean[];
  padId: number;
  eosId: number;
}

export function makeEpisodes(promptTokens: number[][], answerTokens: number[][], padId: number, eosId: number): Episodes {
  const B = promptTokens.length;
  const T = Math.max(1, ...answerTokens.map((a) => a.length));
  const S = Math.max(...promptTokens.map((p, b) => p.length + answerTokens[b].length));
  const seqs = new Int32Array(B * S).fill(padId);
  const answers = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = [...promptTokens[b], ...answerTokens[b]];
    seqs.set(row, b * S);
    answers.set(answerTokens[b], b * T);
    for (let t = 0; t < answerTokens[b].length; t++) mask[b * T + t] = 1;
  }
  return {
    B, S, T, seqs, answers, mask,
    promptLen: promptTokens.map((p) => p.length),
    answerLen: answerTokens.map((a) => a.length),
    hitEos: endsWithEos(answers, mask, B, T, eosId),
    padId,
    eosId,
  };
}

/** The rows `rows` of an episode batch (a minibatch), re-packed to their own S and T. */
function selectRows<X extends ArrayLike<number>>(ep: Episodes, rows: number[], perToken: X[], features?: Float32Array, C = 0): { ep: Episodes; perToken: Float32Array[]; features?: Float32Array } {
  const prompts = rows.map((b) => Array.from(ep.seqs.subarray(b * ep.S, b * ep.S + ep.promptLen[b])));
  const answers = rows.map((b) => Array.from(ep.answers.subarray(b * ep.T, b * ep.T + ep.answerLen[b])));
  const sub = makeEpisodes(prompts, answers, ep.padId, ep.eosId);
  const out = perToken.map((x) => {
    const y = new Float32Array(sub.B * sub.T);
    rows.forEach((b, i) => {
      for (let t = 0; t < ep.answerLen[b]; t++) y[i * sub.T + t] = x[b * ep.T + t];
    });
    return y;
  });
  if (!features) return { ep: sub, perToken: out };
  const f = new Float32Array(sub.B * sub.T * C);
  rows.forEach((b, i) => f.set(features.subarray(b * ep.T * C, (b * ep.T + ep.answerLen[b]) * C), i * sub.T * C));
  return { ep: sub, perToken: out, features: f };
}

/** Flat index b*S + p_b + t - 1 of the position whose logits predict answer token t [B*T]. */
function answerPositions(ep: Episodes): Int32Array {
  const idx = new Int32Array(ep.B * ep.T);
  for (let b = 0; b < ep.B; b++) {
    for (let t = 0; t < ep.T; t++) idx[b * ep.T + t] = b * ep.S + ep.promptLen[b] + Math.min(t, Math.max(0, ep.answerLen[b] - 1)) - 1;
  }
  return idx;
}

/** rows [B*S, X] of a [B, S, X] tensor at the answer positions -> [B, T, X] */
function atAnswers(x: tf.Tensor3D, ep: Episodes, positions: tf.Tensor1D): tf.Tensor3D {
  const X = x.shape[2];
  return tf.gather(x.reshape([ep.B * ep.S, X]), positions).reshape([ep.B, ep.T, X]) as tf.Tensor3D; // [B, T, X]
}

/**
 * log pi(y_t | x, y_<t) of the answer tokens under logits / temperature, and their logits.
 * The unembedding (C -> V, the largest matmul of a small GPT) runs on the answer positions
 * only: hidden states are gathered first, then multiplied by wte^T.
 */
export function answerLogProbs(model: GPT, ep: Episodes, temperature: number): { logprobs: tf.Tensor2D; logits: tf.Tensor3D } {
  const hidden = answerFeatures(model, ep); // [B, T, C]
  const C = hidden.shape[2];
  const wte = model.weights.get('wte.weight')!; // [V, C]
  const logits = tf.matMul(hidden.reshape([ep.B * ep.T, C]) as tf.Tensor2D, wte, false, true).reshape([ep.B, ep.T, -1]) as tf.Tensor3D; // [B, T, V]
  const answers = tf.tensor2d(ep.answers, [ep.B, ep.T], 'int32'); // [B, T]
  return { logprobs: tokenLogProbs(logits, answers, temperature), logits }; // [B, T], [B, T, V]
}

/** A trunk's hidden states at the answer positions (the states s_t the value reads): [B, T, C] */
function answerFeatures(trunk: GPT, ep: Episodes): tf.Tensor3D {
  const idx = tf.tensor2d(ep.seqs, [ep.B, ep.S], 'int32'); // [B, S]
  const { hidden } = trunk.hiddenStates(idx); // [B, S, C]
  return atAnswers(hidden, ep, tf.tensor1d(answerPositions(ep), 'int32')); // [B, T, C]
}

/** V(s_t) before each answer token, from the value trunk or from cached RM features [B*T*C]: [B, T] */
function answerValues(models: PpoModels, ep: Episodes, features?: Float32Array): tf.Tensor2D {
  const C = models.valueHead.weight.shape[0];
  const h = features ? tf.tensor3d(features, [ep.B, ep.T, C]) : answerFeatures(models.valueModel!, ep); // [B, T, C]
  return models.valueHead.apply(h); // [B, T]
}

/** r_theta(x, y) read at the last token of prompt + answer (the EOS when there is one): [B] */
function rewardScores(rewardHead: ScalarHead, hidden: tf.Tensor3D, ep: Episodes): tf.Tensor1D {
  return rewardHead.applyAt(hidden, ep.promptLen.map((p, b) => p + ep.answerLen[b] - 1)); // [B]
}

/** `ptxBatch` windows of `ptxLength + 1` tokens from a token stream, as LM-loss inputs [N, L+1]. */
function corpusBatch(tokens: ArrayLike<number>, n: number, length: number, starts: number[]): { tokens: tf.Tensor2D; mask: tf.Tensor2D } {
  const L1 = length + 1;
  const data = new Int32Array(n * L1);
  starts.forEach((s, i) => {
    for (let t = 0; t < L1; t++) data[i * L1 + t] = tokens[s + t];
  });
  return { tokens: tf.tensor2d(data, [n, L1], 'int32'), mask: tf.ones([n, L1]) as tf.Tensor2D };
}

function randomStarts(total: number, n: number, length: number, rng: Rng): number[] {
  if (total < length + 2) throw new Error(`PPO: the pretraining token stream has ${total} tokens, fewer than ptxLength + 2 = ${length + 2}`);
  return Array.from({ length: n }, () => rng.int(total - length - 1));
}

function evenStarts(total: number, n: number, length: number): number[] {
  if (total < length + 2) throw new Error(`PPO: the held-out token stream has ${total} tokens, fewer than ptxLength + 2 = ${length + 2}`);
  const room = total - length - 1;
  return Array.from({ length: n }, (_, i) => Math.floor((i * room) / n));
}

// ---------------------------------------------------------------------------------------
// Checkpoints: the policy at dir (loadable as any checkpoint), the value network at dir/value.

const VALUE_DIR = 'value';
const METRICS_JSONL = 'metrics.jsonl';
const METRICS_CSV = 'metrics.csv';

/** Put saved Adam moments (by parameter name) back into `adam`, with its step count. */
async function restoreAdam(adam: Adam, weights: Map<string, tf.Variable>, saved: Map<string, tf.Tensor> | undefined, file: string): Promise<void> {
  if (!saved) throw new Error(`${file}: not found (a PPO checkpoint keeps its optimizer state)`);
  const { step, moments } = await optimizerMomentsByVariable(weights, saved, file);
  for (const [name, p] of weights) if (step > 0 && !moments.has(p.name)) throw new Error(`${file}: lacks the Adam moments of ${name}`);
  for (const [varName, { m, v }] of moments) adam.state().set(varName, { m: tf.variable(m, false), v: tf.variable(v, false) });
  adam.step = step;
}

function assignWeights(into: Map<string, tf.Variable>, from: Map<string, tf.Variable>, where: string): void {
  for (const [name, p] of into) {
    const t = from.get(name);
    if (!t) throw new Error(`${where}: lacks ${name}`);
    if (t.shape.join(',') !== p.shape.join(',')) throw new Error(`${where}: ${name} has shape [${t.shape}] but the model has [${p.shape}]`);
    p.assign(t);
  }
}

interface SavedState {
  iteration: number;
  klCoef: number;
  config: PpoConfig;
}

async function save(dir: string, models: PpoModels, adams: { policy: Adam; value: Adam }, state: SavedState, rows: PpoRow[]): Promise<void> {
  const policyState = namedOptimizerState(models.policy.weights, adams.policy.state(), adams.policy.step);
  const valueState = namedOptimizerState(valueWeights(models), adams.value.state(), adams.value.step);
  try {
    const policy = await encodeCheckpoint({ model: models.policy, tokenizer: models.tokenizer, optimizerState: policyState, extra: { stage: 'ppo', ppo: state } });
    const value = await encodeCheckpoint({ model: models.valueModel ?? models.rewardModel, tokenizer: models.tokenizer, heads: [models.valueHead], optimizerState: valueState, extra: { stage: 'ppo-value', ppo: state } });
    replaceDirAtomic(dir, 'checkpoint', (tmp) => {
      writeCheckpointInto(tmp, policy);
      writeCheckpointInto(path.join(tmp, VALUE_DIR), value);
      fs.writeFileSync(path.join(tmp, METRICS_JSONL), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
      fs.writeFileSync(path.join(tmp, METRICS_CSV), rows.length ? aq.from(rows).toCSV() + '\n' : METRICS.join(',') + '\n');
    }, CHECKPOINT_FOLDER);
  } finally {
    tf.dispose([policyState.get('step')!, valueState.get('step')!]);
  }
}

/** The value network's parameters by checkpoint name (trunk + `value_head.*`). */
function valueWeights(models: PpoModels): Map<string, tf.Variable> {
  return new Map([...(models.valueModel?.weights ?? []), ...models.valueHead.weights]);
}

/** The first field where two configs differ, as `key: a vs b`, or null. */
function configDiff(a: unknown, b: unknown, prefix = ''): string | null {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a as object), ...Object.keys(b as object)])) {
      const d = configDiff((a as any)[k], (b as any)[k], prefix ? `${prefix}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${prefix}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

/** Load a saved run into the models and optimizers; a run with another config is not resumed (the note says why). */
async function resume(dir: string, models: PpoModels, adams: { policy: Adam; value: Adam }, config: PpoConfig): Promise<{ state: SavedState; rows: PpoRow[] } | { note: string }> {
  const configFile = path.join(dir, 'config.json');
  const saved = readCheckpointConfig(dir).extra.ppo as SavedState | undefined;
  if (!saved || typeof saved.iteration !== 'number') throw new Error(`${configFile}: not a PPO checkpoint (no extra.ppo.iteration)`);
  const { iterations: _a, ...want } = config;
  const { iterations: _b, ...have } = mergeConfig(DEFAULTS, saved.config, `${configFile}: extra.ppo.config`);
  const diff = configDiff(have, want);
  if (diff) return { note: `${configFile} holds a PPO run with another config (${diff}, saved vs now): starting over; its checkpoint is replaced at this run's first save` };
  const policyCkpt = loadCheckpoint(dir);
  const valueCkpt = loadCheckpoint(path.join(dir, VALUE_DIR));
  try {
    assignWeights(models.policy.weights, policyCkpt.model.weights, `${dir}: policy`);
    if (models.valueModel) assignWeights(models.valueModel.weights, valueCkpt.model.weights, `${dir}/${VALUE_DIR}`);
    const head = valueCkpt.heads.get('value_head');
    if (!head) throw new Error(`${path.join(dir, VALUE_DIR, 'config.json')}: no value_head`);
    assignWeights(models.valueHead.weights, head.weights, `${dir}/${VALUE_DIR}: value_head`);
    await restoreAdam(adams.policy, models.policy.weights, policyCkpt.optimizerState, path.join(dir, 'optimizer.safetensors'));
    await restoreAdam(adams.value, valueWeights(models), valueCkpt.optimizerState, path.join(dir, VALUE_DIR, 'optimizer.safetensors'));
  } finally {
    for (const c of [policyCkpt, valueCkpt]) {
      c.model.dispose();
      for (const h of c.heads.values()) h.dispose();
      for (const t of c.optimizerState?.values() ?? []) t.dispose();
    }
  }
  const rows = readJsonl<PpoRow>(path.join(dir, METRICS_JSONL), (r: any) => {
    for (const k of METRICS) if (!(k in r)) throw new Error(`row lacks "${k}"`);
    for (const k of METRICS) if (r[k] === null) r[k] = NaN;
    return r as PpoRow;
  });
  if (rows.length !== saved.iteration) throw new Error(`${path.join(dir, METRICS_JSONL)}: ${rows.length} rows but the checkpoint is at iteration ${saved.iteration}`);
  return { state: saved, rows };
}

// ---------------------------------------------------------------------------------------

function checkFinite(iteration: number, named: Record<string, ArrayLike<number>>, lastGood: string): void {
  for (const [name, xs] of Object.entries(named)) {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i])) {
        throw new DivergenceError(`PPO diverged at iteration ${iteration}: ${name} is ${xs[i]} (entry ${i}). The run stopped; ${lastGood}. Lower lr / ptxCoef or clip gradients harder and run again.`);
      }
    }
  }
}

async function allFinite(vars: tf.Variable[]): Promise<boolean> {
  const ok = tf.tidy(() => tf.all(tf.stack(vars.map((v) => tf.all(tf.isFinite(v))))));
  return (await readScalar(ok)) === 1;
}

/** Train the policy with PPO (ptxCoef 0) or PPO-ptx against the frozen reward model. */
export async function trainPpo(models: PpoModels, data: PpoData, overrides: Partial<PpoConfig> = {}, opts: PpoOptions = {}): Promise<PpoResult> {
  const config = mergeConfig(DEFAULTS, overrides, 'PpoConfig');
  validatePpoConfig(config);
  const { policy, reference, rewardModel, rewardHead, valueModel, valueHead, tokenizer } = models;
  if (data.prompts.length === 0) throw new Error('PPO: no prompts');
  if (config.ptxCoef > 0 && !data.pretrainTokens) throw new Error('PPO: ptxCoef > 0 (PPO-ptx) needs data.pretrainTokens');
  if (config.evalPretrainBatch > 0 && !data.heldOutTokens) throw new Error('PPO: evalPretrainBatch > 0 needs data.heldOutTokens (or set it to 0)');
  const trainTrunk = config.valueTrunk === 'trained';
  if (trainTrunk && !valueModel) throw new Error("PPO: valueTrunk 'trained' needs models.valueModel (a copy of the reward model's trunk)");
  const trunk = trainTrunk ? valueModel! : rewardModel; // what the value head reads
  if (valueHead.weight.shape[0] !== trunk.config.nEmbd) throw new Error(`PPO: the value head reads ${valueHead.weight.shape[0]} features but its trunk has nEmbd ${trunk.config.nEmbd}`);
  for (const [name, m] of [['reference', reference], ['rewardModel', rewardModel], ['valueModel', trunk]] as const) {
    if (m.config.vocabSize !== policy.config.vocabSize) throw new Error(`PPO: ${name} has vocabSize ${m.config.vocabSize} but the policy has ${policy.config.vocabSize}`);
    if (m.config.blockSize < policy.config.blockSize) throw new Error(`PPO: ${name} reads at most ${m.config.blockSize} tokens but the policy's prompt + answer may fill ${policy.config.blockSize}`);
  }
  const policyVars = policy.trainableVariables();
  const valueVars = [...(trainTrunk ? trunk.trainableVariables() : []), ...valueHead.trainableVariables()];
  const adams = {
    policy: new Adam({ lr: config.lr, clipNorm: config.maxGradNorm }),
    value: new Adam({ lr: config.valueLr, clipNorm: config.maxGradNorm }),
  };
  const kl = new KlController(config.kl);
  let rows: PpoRow[] = [];
  let start = 0;
  let resumeNote = opts.dir ? 'no checkpoint yet' : 'no checkpoint folder given';
  if (opts.dir && fs.existsSync(path.join(opts.dir, 'config.json'))) {
    const r = await resume(opts.dir, models, adams, config);
    if ('note' in r) resumeNote = r.note;
    else {
      rows = r.rows;
      start = r.state.iteration;
      kl.value = r.state.klCoef;
      resumeNote = `resumed from the checkpoint at iteration ${start}`;
    }
    if (opts.progress !== false) console.log(`${opts.progress ?? 'PPO'}: ${resumeNote}`);
  }
  const resumedFrom = start;
  let savedAt = start; // iteration of the checkpoint on disk (0: none)
  const lastGood = () => (opts.dir && savedAt > 0 ? `the last good checkpoint (iteration ${savedAt}) is intact at ${opts.dir}` : 'nothing was saved');
  const prompts = data.prompts.map((p) => tokenizer.encodePrompt(p));
  const heldOut = config.evalPretrainBatch > 0
    ? corpusBatch(data.heldOutTokens!, config.evalPretrainBatch, config.ptxLength, evenStarts(data.heldOutTokens!.length, config.evalPretrainBatch, config.ptxLength))
    : null;
  const bar = opts.progress === false ? null : progress(config.iterations, opts.progress ?? 'PPO');
  if (bar && start > 0) bar.tick(Math.min(start, config.iterations), `resumed at iteration ${start}`);
  const order = promptOrder(prompts.length, config.seed);
  try {
    for (let it = start; it < config.iterations; it++) {
      const t0 = Date.now();
      const iteration = it + 1;
      const beta = kl.value;

      // 1. rollout: answers y ~ pi_RL(.|x) for this iteration's prompts, k per prompt
      const k = config.samplesPerPrompt; // rows [g*k, (g+1)*k) answer the same prompt
      const batch = rolloutPromptIndices(order, it, config.rolloutBatch, k).map((i) => prompts[i]);
      let gen;
      try {
        gen = await generateIds(policy, batch, { eosId: tokenizer.eosId, padId: tokenizer.padId },
          { maxNewTokens: config.maxNewTokens, temperature: config.temperature, seed: hashSeed(`${config.seed}:rollout:${it}`) });
      } catch (e) {
        if (!(await allFinite(policyVars))) throw new DivergenceError(`PPO diverged at iteration ${iteration}: the policy's weights are not finite, so sampling failed (${(e as Error).message}). The run stopped; ${lastGood()}.`);
        throw e;
      }
      const ep = makeEpisodes(gen.promptTokens, gen.tokens, tokenizer.padId, tokenizer.eosId);
      const t1 = Date.now();

      // 2.-3. score with r_theta at the EOS; log-probs of policy and reference; values; entropy
      const read = tf.tidy(() => {
        const mask = tf.tensor2d(ep.mask, [ep.B, ep.T]); // [B, T]
        const pol = answerLogProbs(policy, ep, config.temperature); // [B, T]
        const ref = answerLogProbs(reference, ep, config.temperature).logprobs; // [B, T]
        const ent = entropy(pol.logits.div(config.temperature), mask); // scalar
        const rmHidden = rewardModel.hiddenStates(tf.tensor2d(ep.seqs, [ep.B, ep.S], 'int32')).hidden; // [B, S, C]
        const scores = rewardScores(rewardHead, rmHidden, ep); // [B]
        // V(s_t): a frozen trunk is the RM's, so its features are read once here and cached
        const features = trainTrunk ? null : atAnswers(rmHidden, ep, tf.tensor1d(answerPositions(ep), 'int32')); // [B, T, C]
        const values = features ? valueHead.apply(features) : answerValues(models, ep); // [B, T]
        const pretrain = heldOut ? languageModelLoss(policy, heldOut.tokens, heldOut.mask) : tf.scalar(NaN);
        return [pol.logprobs, ref, values, scores, ent, pretrain, ...(features ? [features] : [])];
      });
      const [logprobs, refLogprobs, values, scores0, ent, pretrain, features] = await readMany(read); // one read-back
      const rollout = { logprobs, refLogprobs, values, scores: scores0, features, entropy: ent[0], pretrain: pretrain[0] };
      checkFinite(iteration, { 'the policy log-probs': rollout.logprobs, 'the reference log-probs': rollout.refLogprobs, 'the values': rollout.values, 'the RM scores': rollout.scores }, lastGood());
      const scores = penaliseMissingEos(rollout.scores, ep.hitEos, config.missingEos); // no EOS: fixed penalty
      const centred = leaveOneOutBaseline(scores, k); // k > 1: minus the other answers' mean score

      // 3. reward r_t = -beta * KL_t per answer token, + r_theta(x, y) at the last token
      const shaped = shapeRewards({ scores: centred, logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs, mask: ep.mask, batch: ep.B, length: ep.T }, beta, config.klEstimator);

      // 4. advantages: GAE (gamma 1, lambda 0.95) on V, whitened over the batch; returns = A + V
      const { advantages, returns } = gae({ rewards: shaped.rewards, values: rollout.values, mask: ep.mask, batch: ep.B, length: ep.T }, { gamma: config.gamma, lambda: config.lambda });
      const whitened = whiten(advantages, ep.mask);

      // 5. optimise: ppoEpochs passes of minibatches of the clipped objectives (+ gamma * ptx)
      const t2 = Date.now();
      const sums = { policy: 0, value: 0, ptx: 0, clipfrac: 0, approxkl: 0, valueClipfrac: 0 };
      let steps = 0;
      const rng = new Rng(`${config.seed}:optimise:${it}`);
      for (let epoch = 0; epoch < config.ppoEpochs; epoch++) {
        const perm = rng.shuffle(Array.from({ length: ep.B }, (_, b) => b));
        for (let s = 0; s < ep.B; s += config.miniBatch) {
          const rowsOf = perm.slice(s, s + config.miniBatch);
          const mb = selectRows(ep, rowsOf, [rollout.logprobs, whitened, rollout.values, returns], rollout.features, trunk.config.nEmbd);
          const ptx = config.ptxCoef > 0
            ? corpusBatch(data.pretrainTokens!, config.ptxBatch, config.ptxLength, randomStarts(data.pretrainTokens!.length, config.ptxBatch, config.ptxLength, rng))
            : null;
          const stats = await optimiseStep(models, mb.ep, mb.perToken, mb.features, ptx, config, adams, policyVars, valueVars);
          if (ptx) tf.dispose([ptx.tokens, ptx.mask]);
          checkFinite(iteration, { 'loss/policy': [stats[0]], 'loss/value': [stats[1]], 'loss/ptx': [stats[2]], 'the policy gradient norm': [stats[5]], 'the value gradient norm': [stats[6]] }, lastGood());
          sums.policy += stats[0]; sums.value += stats[1]; sums.ptx += stats[2];
          sums.clipfrac += stats[3]; sums.approxkl += stats[4]; sums.valueClipfrac += stats[7];
          steps++;
        }
      }

      // 6. adapt: the KL controller moves beta towards the target KL (no-op when fixed)
      const meanKl = mean(shaped.klPerAnswer);
      kl.update(meanKl, ep.B);

      // 7. log one row with the fixed names
      const row: PpoRow = {
        iteration,
        'objective/kl': meanKl,
        'objective/rlhf_reward': mean(Array.from(scores, (s, b) => s - beta * shaped.klPerAnswer[b])),
        'objective/scores': mean(scores),
        'objective/entropy': rollout.entropy,
        'objective/beta': beta,
        'policy/clipfrac': sums.clipfrac / steps,
        'policy/approxkl': sums.approxkl / steps,
        'val/num_eos_tokens': ep.hitEos.filter(Boolean).length,
        'val/mean_length': mean(ep.answerLen),
        'val/value_clipfrac': sums.valueClipfrac / steps,
        'val/pretrain_loss': rollout.pretrain,
        'loss/policy': sums.policy / steps,
        'loss/value': sums.value / steps,
        'loss/ptx': sums.ptx / steps,
        'time/seconds': (Date.now() - t0) / 1000,
        'time/generate': (t1 - t0) / 1000,
        'time/optimise': (Date.now() - t2) / 1000,
      };
      rows.push(row);
      if (opts.dir && (iteration % config.saveEvery === 0 || iteration === config.iterations)) {
        await save(opts.dir, models, adams, { iteration, klCoef: kl.value, config }, rows);
        savedAt = iteration;
        if (opts.snapshotDir) await saveCheckpoint(opts.snapshotDir(iteration), { model: policy, tokenizer, extra: { stage: 'ppo-snapshot', iteration, ptxCoef: config.ptxCoef } });
      }
      bar?.tick(1, `reward ${row['objective/scores'].toFixed(3)} kl ${meanKl.toFixed(3)}`);
      await opts.onIteration?.(row, iteration);
      await new Promise<void>((resolve) => setImmediate(resolve)); // lets a notebook's progress bar redraw
    }
  } finally {
    adams.policy.dispose();
    adams.value.dispose();
    if (heldOut) tf.dispose([heldOut.tokens, heldOut.mask]);
  }
  bar?.done();
  return { rows, table: aq.from(rows), resumedFrom, resumeNote, config };
}

/**
 * 5. One minibatch step: the clipped surrogate (+ gamma * ptx LM loss) for the policy and the
 * clipped value loss for the value network, one backward pass, one Adam step each.
 * Returns [loss/policy, loss/value, loss/ptx, clipfrac, approxkl, |g_policy|, |g_value|, value clipfrac].
 */
async function optimiseStep(
  models: PpoModels, ep: Episodes, perToken: Float32Array[], features: Float32Array | undefined, ptx: { tokens: tf.Tensor2D; mask: tf.Tensor2D } | null,
  config: PpoConfig, adams: { policy: Adam; value: Adam }, policyVars: tf.Variable[], valueVars: tf.Variable[],
): Promise<Float32Array> {
  const [oldLogprobs, advantages, oldValues, returns] = perToken;
  const kept: tf.Tensor[] = []; // tensors that escape the tidy (tf.keep): disposed below
  const out = tf.tidy(() => {
    const shape: [number, number] = [ep.B, ep.T];
    const mask = tf.tensor2d(ep.mask, shape); // [B, T]
    const { value, grads } = tf.variableGrads(() => {
      const { logprobs } = answerLogProbs(models.policy, ep, config.temperature); // [B, T]
      const pg = policyLoss({ logprobs, oldLogprobs: tf.tensor2d(oldLogprobs, shape), advantages: tf.tensor2d(advantages, shape), mask }, config.clipRange);
      const values = answerValues(models, ep, features); // [B, T]
      const vf = valueLoss({ values, oldValues: tf.tensor2d(oldValues, shape), returns: tf.tensor2d(returns, shape), mask }, config.valueClipRange);
      // -E_pretrain[log pi_RL(x)]: the LM loss on corpus text, weighted by gamma (PPO-ptx)
      const ptxLoss = ptx ? languageModelLoss(models.policy, ptx.tokens, ptx.mask) : tf.scalar(0);
      kept.push(tf.keep(tf.stack([pg.loss, vf.loss, ptxLoss, pg.clipfrac, pg.approxKl, vf.clipfrac]))); // [6]
      // the two networks share no weights, so one sum gives each its own gradient
      return pg.loss.add(vf.loss).add(ptxLoss.mul(config.ptxCoef)) as tf.Scalar;
    }, [...policyVars, ...valueVars]);
    value.dispose();
    const gPolicy = adams.policy.applyGradients(policyVars, policyVars.map((v) => grads[v.name])); // kept scalar
    const gValue = adams.value.applyGradients(valueVars, valueVars.map((v) => grads[v.name])); // kept scalar
    kept.push(gPolicy, gValue);
    const parts = kept[0];
    return tf.concat([parts.slice([0], [5]), tf.stack([gPolicy, gValue]), parts.slice([5], [1])]); // [8]
  });
  tf.dispose(kept);
  const stats = await readFloats(out); // one read-back per minibatch step
  if (tf.getBackend() === 'webgpu') assertNoGpuErrors();
  return stats;
}

/**
 * The prompt of each row of iteration `it`'s rollout batch: `rolloutBatch / k` prompts taken in
 * `order`, each repeated for k consecutive rows (the group its leave-one-out baseline uses).
 */
export function rolloutPromptIndices(order: (episode: number) => number, it: number, rolloutBatch: number, k: number): number[] {
  const perIteration = rolloutBatch / k;
  return Array.from({ length: rolloutBatch }, (_, j) => order(it * perIteration + Math.floor(j / k)));
}

/** Prompt index of the k-th episode: each pass over the prompts is a fresh seeded shuffle. */
export function promptOrder(n: number, seed: number): (k: number) => number {
  const passes = new Map<number, number[]>();
  return (k) => {
    const pass = Math.floor(k / n);
    if (!passes.has(pass)) passes.set(pass, new Rng(`${seed}:prompts:${pass}`).shuffle(Array.from({ length: n }, (_, i) => i)));
    return passes.get(pass)![k % n];
  };
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

// ---------------------------------------------------------------------------------------
// Measuring a policy on fixed prompts (SFT before, PPO / PPO-ptx after), with the same
// sampler streams for every policy so the comparison is paired.

export interface PolicyMeasure {
  /** mean RM score r_theta(x, y) of the sampled answers, after the no-EOS penalty */
  reward: number;
  /** mean over answers of sum_t KL_t (k1) to the reference */
  kl: number;
  /** mean entropy per answer token (nats) */
  entropy: number;
  /** fraction of answers that ended with EOS */
  eosRate: number;
  /** LM loss on the held-out pretraining windows (NaN without heldOutTokens) */
  pretrainLoss: number;
  /** the answers (text) and their scores, in prompt order */
  answers: string[];
  scores: number[];
}

export interface MeasureOptions {
  maxNewTokens: number;
  temperature: number;
  seed: number;
  missingEos: PpoConfig['missingEos'];
  /** prompts sampled per forward batch */
  batchSize?: number;
  heldOutTokens?: ArrayLike<number>;
  /** held-out windows of `ptxLength` tokens */
  heldOutWindows?: number;
  ptxLength?: number;
}

export async function measurePolicy(
  models: Pick<PpoModels, 'policy' | 'reference' | 'rewardModel' | 'rewardHead' | 'tokenizer'>, prompts: string[], opts: MeasureOptions,
): Promise<PolicyMeasure> {
  const { policy, reference, rewardModel, rewardHead, tokenizer } = models;
  const batchSize = opts.batchSize ?? 32;
  const answers: string[] = [], scores: number[] = [];
  let klSum = 0, entSum = 0, tokens = 0, eos = 0;
  for (let i = 0; i < prompts.length; i += batchSize) {
    const ids = prompts.slice(i, i + batchSize).map((p) => tokenizer.encodePrompt(p));
    const gen = await generateIds(policy, ids, { eosId: tokenizer.eosId, padId: tokenizer.padId },
      { maxNewTokens: opts.maxNewTokens, temperature: opts.temperature, seed: hashSeed(`${opts.seed}:measure`), rowOffset: i });
    const ep = makeEpisodes(gen.promptTokens, gen.tokens, tokenizer.padId, tokenizer.eosId);
    const parts = tf.tidy(() => {
      const mask = tf.tensor2d(ep.mask, [ep.B, ep.T]); // [B, T]
      const pol = answerLogProbs(policy, ep, opts.temperature);
      const ref = answerLogProbs(reference, ep, opts.temperature).logprobs; // [B, T]
      const kl = tf.sum(tf.mul(tf.sub(pol.logprobs, ref), mask)); // sum of k1 over answers
      const ent = tf.sum(tf.mul(tokenEntropy(pol.logits.div(opts.temperature)), mask)); // summed over answer tokens
      const rm = rewardScores(rewardHead, rewardModel.hiddenStates(tf.tensor2d(ep.seqs, [ep.B, ep.S], 'int32')).hidden, ep); // [B]
      return [kl, ent, rm];
    });
    const [klSummed, entSummed, rm] = await readMany(parts); // one read-back per batch
    const r = { kl: klSummed[0], ent: entSummed[0], rm };
    penaliseMissingEos(r.rm, ep.hitEos, opts.missingEos).forEach((s) => scores.push(s));
    gen.tokens.forEach((t) => answers.push(tokenizer.decode(t, { skipSpecial: true })));
    klSum += r.kl; entSum += r.ent; tokens += ep.answerLen.reduce((a, b) => a + b, 0); eos += ep.hitEos.filter(Boolean).length;
  }
  let pretrainLoss = NaN;
  if (opts.heldOutTokens && (opts.heldOutWindows ?? 0) > 0) {
    const L = opts.ptxLength ?? DEFAULTS.ptxLength;
    const held = corpusBatch(opts.heldOutTokens, opts.heldOutWindows!, L, evenStarts(opts.heldOutTokens.length, opts.heldOutWindows!, L));
    pretrainLoss = await readScalar(languageModelLoss(policy, held.tokens, held.mask));
    tf.dispose([held.tokens, held.mask]);
  }
  return { reward: mean(scores), kl: klSum / prompts.length, entropy: entSum / tokens, eosRate: eos / prompts.length, pretrainLoss, answers, scores };
}
