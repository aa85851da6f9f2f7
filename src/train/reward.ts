/**
 * The reward model (Ouyang et al. 2022, section 3.5), written out in the paper's order:
 *
 *   1. the model: the SFT network without its unembedding, plus a scalar head read at the
 *      last token of prompt+answer (`<|eos|>`):  r(x, y) = reward_head(ln_f(h_T))
 *   2. a batch: B prompts, each with its K answers (K = 4..9) ranked by one labeler. All
 *      C(K,2) comparisons of a prompt are ONE batch element; its K answers go through the
 *      network once and every pair reuses those K scores:
 *        loss(theta) = -1/C(K,2) * E_(x, y_w, y_l)~D [ log sigmoid(r(x, y_w) - r(x, y_l)) ]
 *      ties give no comparison (see reward-loss.ts for the normaliser with ties)
 *   3. one epoch (the paper: more overfits), Adam (0.9, 0.95), warm-up + cosine
 *   4. bias normalisation: shift the head's bias so the labelers' demonstrations score 0
 *      on average, so later stages read r = 0 as "as good as a demonstration".
 *
 * The ablation `mode: 'shuffled-pairs'` is what the paper warns against: every comparison a
 * separate, shuffled data point, each answer scored again for every pair it is in.
 *
 * The GPT's unembedding is tied to `wte`, so "removing" it means never computing the
 * logits: the model reads `GPT.hiddenStates`. Rows are right-padded with no attention mask:
 * under the causal mask a real token never sees a later pad, so the last real token's state
 * equals that of the unpadded sequence.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, trainStepWithAux } from '../engine/optimizer';
import { readValues } from '../engine/readback';
import { Checkpoint, loadCheckpoint, saveCheckpoint } from '../model/checkpoint';
import { GPT } from '../model/gpt';
import { ScalarHead } from '../model/heads';
import { Tokenizer } from '../model/tokenizer';
import { Rng } from '../util/random';
import { normaliseBias, rankingAccuracy, rankingLoss, rankingMask, rankingPairs } from './reward-loss';
import type { RankingPairs } from './reward-loss';
import { lrAt } from './schedule';
import { RewardConfig, REWARD_DEFAULTS } from './reward-config';

/** One prompt's K answers with one labeler's ranks (1 = best, equal = tie). */
export interface Ranked {
  prompt: string;
  answers: string[];
  ranks: number[];
}

export interface RewardStep {
  /** 1-based, as in pretraining and SFT. */
  step: number;
  /** Batch ranking loss before the update. */
  loss: number;
  /** Fraction of the batch's comparisons ordered correctly before the update. */
  accuracy: number;
  lr: number;
  gradNorm: number;
  /** Answers read by the network this step (the cost of a step). */
  forwardRows: number;
  /** Validation loss / accuracy, on steps where they were measured. */
  valLoss?: number;
  valAccuracy?: number;
}

function validate(cfg: RewardConfig): void {
  for (const k of ['batchPrompts', 'epochs', 'scoreBatch'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new Error(`RewardConfig: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (!Number.isInteger(cfg.evalEvery) || cfg.evalEvery < 0) throw new Error(`RewardConfig: evalEvery must be an integer >= 0, got ${cfg.evalEvery}`);
  if (!(cfg.lr > 0)) throw new Error(`RewardConfig: lr must be > 0, got ${cfg.lr}`);
  if (!(cfg.minLrRatio >= 0 && cfg.minLrRatio <= 1)) throw new Error(`RewardConfig: minLrRatio must be in [0, 1], got ${cfg.minLrRatio}`);
  if (cfg.mode !== 'ranking' && cfg.mode !== 'shuffled-pairs')
    throw new Error(`RewardConfig: mode must be "ranking" or "shuffled-pairs", got ${JSON.stringify(cfg.mode)}`);
}

/** Token ids of prompt+answer+`<|eos|>`, left-truncated to `blockSize` so the answer's end (where r is read) stays. */
export function encodeForReward(tokenizer: Tokenizer, prompt: string, answer: string, blockSize: number): number[] {
  const ids = tokenizer.encodeEpisode(prompt, answer);
  return ids.length > blockSize ? ids.slice(ids.length - blockSize) : ids;
}

/** r(x, y): a GPT body and a scalar `reward_head`, with the tokenizer that reads its inputs. */
export class RewardModel {
  constructor(
    readonly gpt: GPT,
    readonly head: ScalarHead,
    readonly tokenizer: Tokenizer,
  ) {
    if (head.name !== 'reward_head') throw new Error(`RewardModel: expected a reward_head, got ${head.name}`);
    if (head.weight.shape[0] !== gpt.config.nEmbd)
      throw new Error(`RewardModel: reward_head reads ${head.weight.shape[0]} features but the GPT has nEmbd ${gpt.config.nEmbd}`);
  }

  /** A fresh reward head (seeded) on a copy of an SFT checkpoint's network. */
  static fromSft(sft: Checkpoint, seed: number): RewardModel {
    const gpt = new GPT(sft.config, sft.model.weights);
    return new RewardModel(gpt, new ScalarHead('reward_head', sft.config.nEmbd, seed), sft.tokenizer);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.gpt.trainableVariables(), ...this.head.trainableVariables()];
  }

  /** Differentiable scores of token sequences (each ending at the token to read): [B]. */
  rewardsOfIds(seqs: number[][]): tf.Tensor1D {
    if (seqs.length === 0) throw new Error('RewardModel: no sequences to score');
    const T = Math.max(...seqs.map((s) => s.length));
    const B = seqs.length;
    const flat = new Int32Array(B * T).fill(this.tokenizer.padId);
    const last = seqs.map((s, b) => {
      if (s.length === 0) throw new Error(`RewardModel: sequence ${b} is empty`);
      flat.set(s, b * T);
      return s.length - 1;
    });
    return tf.tidy(() => {
      const idx = tf.tensor2d(flat, [B, T], 'int32'); // [B, T]
      const { hidden } = this.gpt.hiddenStates(idx); // [B, T, C]
      return this.head.applyAt(hidden, last); // [B]
    });
  }

  /** Ids of one (prompt, answer) as the RM reads it. */
  encode(prompt: string, answer: string): number[] {
    return encodeForReward(this.tokenizer, prompt, answer, this.gpt.config.blockSize);
  }

  /** r(x, y) for many (prompt, answer) pairs, in batches of similar length; no gradients. */
  async score(items: ReadonlyArray<{ prompt: string; answer: string }>, batchSize = REWARD_DEFAULTS.scoreBatch): Promise<Float32Array> {
    const ids = items.map((it) => this.encode(it.prompt, it.answer));
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length || a - b);
    const out = new Float32Array(items.length);
    for (let i = 0; i < order.length; i += batchSize) {
      const chunk = order.slice(i, i + batchSize);
      const values = await readValues(this.rewardsOfIds(chunk.map((j) => ids[j])));
      chunk.forEach((j, b) => (out[j] = values[b]));
    }
    return out;
  }

  /** Shift the bias so `demonstrations` average 0; returns the offset added to every score. */
  async normaliseOn(demonstrations: ReadonlyArray<{ prompt: string; answer: string }>, batchSize = REWARD_DEFAULTS.scoreBatch): Promise<number> {
    const offset = normaliseBias(await this.score(demonstrations, batchSize));
    this.head.shiftBias(-offset);
    return offset;
  }

  /** Save as a checkpoint folder: GPT weights + `reward_head.*`, tokenizer, `extra`. */
  async save(dir: string, extra: Record<string, unknown> = {}): Promise<void> {
    await saveCheckpoint(dir, { model: this.gpt, tokenizer: this.tokenizer, heads: [this.head], extra: { stage: 'reward-model', ...extra } });
  }

  dispose(): void {
    this.gpt.dispose();
    this.head.dispose();
  }
}

/**
 * Load a reward model checkpoint. Fails, naming the file, when the folder holds no
 * `reward_head` (e.g. an SFT checkpoint) or when the head's shape does not fit the network.
 */
export function loadRewardModel(dir: string): { rewardModel: RewardModel; extra: Record<string, unknown> } {
  const ck = loadCheckpoint(dir, { withOptimizer: false });
  const head = ck.heads.get('reward_head');
  if (!head) {
    ck.model.dispose();
    for (const h of ck.heads.values()) h.dispose();
    throw new Error(
      `${dir}/config.json: no reward_head among the heads [${[...ck.heads.keys()].join(', ')}]; is this a reward model checkpoint (notebook 04)?`,
    );
  }
  for (const [name, h] of ck.heads) if (name !== 'reward_head') h.dispose();
  return { rewardModel: new RewardModel(ck.model, head, ck.tokenizer), extra: ck.extra };
}

/** The batch elements of one epoch: whole rankings (the paper) or single shuffled pairs (ablation). */
export function batchElements(rankings: readonly Ranked[], mode: RewardConfig['mode'], rng: Rng): Ranked[] {
  if (mode === 'ranking') return rng.shuffle(rankings.slice());
  const pairs: Ranked[] = [];
  for (const r of rankings) {
    for (let i = 0; i < r.answers.length; i++) {
      for (let j = i + 1; j < r.answers.length; j++) {
        if (r.ranks[i] === r.ranks[j]) continue;
        pairs.push({ prompt: r.prompt, answers: [r.answers[i], r.answers[j]], ranks: r.ranks[i] < r.ranks[j] ? [1, 2] : [2, 1] });
      }
    }
  }
  return rng.shuffle(pairs);
}

function checkRanked(r: Ranked, where: string): void {
  if (r.answers.length < 2) throw new Error(`${where}: needs at least 2 answers, got ${r.answers.length}`);
  if (r.ranks.length !== r.answers.length) throw new Error(`${where}: ${r.answers.length} answers but ${r.ranks.length} ranks`);
}

/**
 * Scores of a batch of rankings as rewards [N, Kmax] plus its comparisons. Each answer is
 * read once; the [N, Kmax] layout is a gather from the [sum K_n] scores (padding slots point
 * at row 0 and are never read by the loss).
 */
export function batchRewards(rm: RewardModel, batch: readonly Ranked[]): { rewards: tf.Tensor2D; pairs: ReturnType<typeof rankingPairs>; rows: number } {
  const k = Math.max(...batch.map((r) => r.answers.length));
  const seqs: number[][] = [];
  const slot = new Int32Array(batch.length * k);
  batch.forEach((r, n) => {
    r.answers.forEach((a, i) => {
      slot[n * k + i] = seqs.length;
      seqs.push(rm.encode(r.prompt, a));
    });
  });
  const ranks = batch.map((r) => r.ranks);
  const pairs = rankingPairs(
    ranks.map((row) => [...row, ...new Array(k - row.length).fill(0)]),
    k,
    rankingMask(ranks, k),
  );
  const rewards = tf.tidy(() => {
    const flat = rm.rewardsOfIds(seqs); // [sum K_n]
    return tf.gather(flat, tf.tensor1d(slot, 'int32')).reshape([batch.length, k]) as tf.Tensor2D; // [N, Kmax]
  });
  return { rewards, pairs, rows: seqs.length };
}

/** Ranking loss and accuracy of `rankings` under the model (no training). Prompts whose answers all tie are skipped. */
export async function evaluateRankings(
  rm: RewardModel,
  rankings: readonly Ranked[],
  batchSize = REWARD_DEFAULTS.scoreBatch,
): Promise<{ loss: number; accuracy: number; comparisons: number; prompts: number }> {
  const usable = rankings.filter((r, i) => {
    checkRanked(r, `evaluateRankings: ranking ${i}`);
    return new Set(r.ranks).size > 1;
  });
  if (!usable.length) throw new Error('evaluateRankings: no ranking has a non-tied comparison');
  const scores = await rm.score(
    usable.flatMap((r) => r.answers.map((answer) => ({ prompt: r.prompt, answer }))),
    batchSize,
  );
  let lossSum = 0;
  let correct = 0;
  let comparisons = 0;
  let at = 0;
  for (const r of usable) {
    const s = scores.subarray(at, at + r.answers.length);
    at += r.answers.length;
    const pairs = rankingPairs([r.ranks], r.answers.length);
    const n = pairs.winner.length;
    let l = 0;
    for (let p = 0; p < n; p++) {
      const d = s[pairs.winner[p]] - s[pairs.loser[p]];
      l += d > 0 ? Math.log1p(Math.exp(-d)) : -d + Math.log1p(Math.exp(d)); // softplus(-d)
    }
    lossSum += l / n;
    correct += rankingAccuracy(s, pairs) * n;
    comparisons += n;
  }
  return { loss: lossSum / usable.length, accuracy: correct / comparisons, comparisons, prompts: usable.length };
}

export interface TrainRewardOptions {
  /** Rankings to report validation loss/accuracy on (every `evalEvery` steps and at the end). */
  validation?: readonly Ranked[];
  /** Called after every step (progress bars, logs); a returned promise is awaited, so a notebook's display can flush. */
  onStep?: (s: RewardStep, total: number) => void | Promise<void>;
}

/**
 * Train `rm` on K-way rankings. Returns the per-step history. Rankings whose answers all tie
 * carry no comparison and are left out before batching.
 */
export async function trainRewardModel(
  rm: RewardModel,
  rankings: readonly Ranked[],
  config: Partial<RewardConfig> = {},
  opts: TrainRewardOptions = {},
): Promise<RewardStep[]> {
  const cfg = { ...REWARD_DEFAULTS, ...config };
  validate(cfg);
  rankings.forEach((r, i) => checkRanked(r, `trainRewardModel: ranking ${i}`));
  const usable = rankings.filter((r) => new Set(r.ranks).size > 1);
  if (!usable.length) throw new Error('trainRewardModel: no ranking has a non-tied comparison');
  const rng = new Rng(`reward:${cfg.seed}:${cfg.mode}`);
  const epochs: Ranked[][] = [];
  for (let e = 0; e < cfg.epochs; e++) epochs.push(batchElements(usable, cfg.mode, rng.fork(e)));
  const perBatch = elementsPerBatch(usable, cfg);
  const batches: Ranked[][] = [];
  for (const elements of epochs) for (let i = 0; i < elements.length; i += perBatch) batches.push(elements.slice(i, i + perBatch));
  const total = batches.length;
  const schedule = { lr: cfg.lr, warmupSteps: Math.min(cfg.warmupSteps, total), totalSteps: total, minLr: cfg.lr * cfg.minLrRatio };
  const adam = new Adam({ lr: cfg.lr, weightDecay: cfg.weightDecay, clipNorm: cfg.clipNorm });
  const vars = rm.trainableVariables();
  const history: RewardStep[] = [];
  try {
    for (let step = 0; step < total; step++) {
      const batch = batches[step];
      const lr = lrAt(step, schedule);
      let forwardRows = 0;
      let pairs: RankingPairs | undefined;
      // 1. score the K answers of each prompt once, 2. every pair from those scores, 3. Adam
      const { loss, aux: rewards } = await trainStepWithAux(
        () => {
          const b = batchRewards(rm, batch); // [N, Kmax]
          forwardRows = b.rows;
          pairs = b.pairs;
          return { loss: rankingLoss(b.rewards, b.pairs), aux: b.rewards };
        },
        vars,
        adam,
        { lr },
      );
      const accuracy = rankingAccuracy(rewards, pairs!);
      const s: RewardStep = { step: step + 1, loss, accuracy, lr, gradNorm: adam.lastGradNorm, forwardRows };
      const last = step === total - 1;
      if (opts.validation?.length && ((cfg.evalEvery > 0 && (step + 1) % cfg.evalEvery === 0) || last)) {
        const v = await evaluateRankings(rm, opts.validation, cfg.scoreBatch);
        s.valLoss = v.loss;
        s.valAccuracy = v.accuracy;
      }
      history.push(s);
      await opts.onStep?.(s, total);
    }
  } finally {
    adam.dispose();
  }
  return history;
}

/** Batch elements per step: prompts, or in the ablation as many pairs as hold the same number of answers (pairs x 2 ~ prompts x K). */
function elementsPerBatch(usable: readonly Ranked[], cfg: RewardConfig): number {
  return cfg.mode === 'ranking' ? cfg.batchPrompts : Math.max(1, Math.round((cfg.batchPrompts * meanAnswers(usable)) / 2));
}

/** How many optimiser steps `trainRewardModel` takes on these rankings with this config (all-tie rankings are left out, as there). */
export function rewardTrainingSteps(rankings: readonly Ranked[], config: Partial<RewardConfig> = {}): number {
  const cfg = { ...REWARD_DEFAULTS, ...config };
  const usable = rankings.filter((r) => new Set(r.ranks).size > 1);
  if (!usable.length) return 0;
  const pairs = (r: Ranked) => r.ranks.reduce((n, a, i) => n + r.ranks.slice(i + 1).filter((b) => b !== a).length, 0);
  const elements = cfg.mode === 'ranking' ? usable.length : usable.reduce((n, r) => n + pairs(r), 0);
  return cfg.epochs * Math.ceil(elements / elementsPerBatch(usable, cfg));
}

function meanAnswers(rankings: readonly Ranked[]): number {
  return rankings.reduce((a, r) => a + r.answers.length, 0) / rankings.length;
}
