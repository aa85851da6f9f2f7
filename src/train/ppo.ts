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
 *   2. score     r_theta(x, y) at the EOS token, the way the RM was trained (an answer cut at
 *                the length limit is read with an EOS appended); optionally a fixed penalty for
 *                a cut-off answer; with k answers per prompt, minus the mean of the other k - 1
 *   3. KL        per-token KL_t = log pi_RL(y_t) - log pi_SFT(y_t) (temperature-scaled logits
 *                for both); reward r_t = -beta * KL_t, plus r_theta(x, y) at the last token
 *   4. advantage GAE (gamma 1, lambda 0.95) on V; advantages whitened over the batch
 *   5. optimise  `ppoEpochs` passes of minibatches: clipped surrogate (0.2) + clipped value
 *                loss; PPO-ptx adds gamma * the pretraining LM loss on corpus batches
 *   6. adapt     the KL controller updates beta (fixed in the paper: 0.02)
 *   7. log       one row of fixed metric names, then any numbers the caller's `onRollout`
 *                measures on the rollout's texts -> arquero table, metrics.jsonl / .csv
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
import { saveCheckpoint } from '../model/checkpoint';
import { generateIds } from '../model/generate';
import { languageModelLoss } from '../model/logprobs';
import { gae, whiten } from '../rl/gae';
import { KlController } from '../rl/kl-controller';
import { entropy, policyLoss, valueLoss } from '../rl/losses';
import { leaveOneOutBaseline, penaliseMissingEos, shapeRewards } from '../rl/rewards';
import { mergeConfig } from '../util/config';
import { hashSeed, Rng } from '../util/random';
import { PPO_DEFAULTS, PpoConfig, validatePpoConfig } from './ppo-config';
import { resumePpoCheckpoint, savePpoCheckpoint } from './ppo-checkpoint';
import {
  answerLogProbs,
  answerPositions,
  checkCompanions,
  answerValues,
  atAnswers,
  corpusBatch,
  Episodes,
  evenStarts,
  makeEpisodes,
  mean,
  promptOrder,
  randomStarts,
  rewardScores,
  rolloutPrompt,
  rolloutPromptIndices,
  selectRows,
} from './ppo-episodes';
import { PpoData, PpoModels, PpoRow } from './ppo-types';

/** One iteration's rollout as text: `answers[b]` answers `data.prompts[prompts[b]]`. */
export interface RolloutTexts {
  prompts: number[];
  answers: string[];
}

export interface PpoOptions<X extends Record<string, number> = {}> {
  /** Checkpoint folder (e.g. artifacts(runDir).ppo(size, kind)); resumed from when it holds one. */
  dir?: string;
  /** Called with each iteration's rollout, its answers decoded; the numbers it returns join the
   *  iteration's row after the fixed names (the trainer only logs them). Awaited. */
  onRollout?: (rollout: RolloutTexts) => X | Promise<X>;
  /** Called after each iteration's row is logged (and saved, when it is a save point); awaited. */
  onIteration?: (row: PpoRow & X, iteration: number) => void | Promise<void>;
  /** What the models came from (e.g. fingerprints of the SFT checkpoint and the RM), saved with
   *  each checkpoint: a checkpoint from other models is started over, never resumed. */
  origin?: Record<string, string>;
  /** Where to keep a copy of the policy at each save point (e.g. 06's over-optimisation curve
   *  reads `ppo/<size>/<kind>-steps/step-<n>/`); none when absent. */
  snapshotDir?: (iteration: number) => string;
  /** Called once before the first iteration: how many there are, how many were loaded from
   *  the checkpoint, and whether and why the run resumed. */
  onStart?: (info: { iterations: number; resumedFrom: number; resumeNote: string }) => void | Promise<void>;
}

export interface PpoResult<X extends Record<string, number> = {}> {
  /** One row per iteration, resumed rows included (rows saved without `onRollout`'s numbers
   *  lack them). */
  rows: (PpoRow & X)[];
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

function checkFinite(iteration: number, named: Record<string, ArrayLike<number>>, lastGood: string): void {
  for (const [name, xs] of Object.entries(named)) {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i])) {
        throw new DivergenceError(
          `PPO diverged at iteration ${iteration}: ${name} is ${xs[i]} (entry ${i}). The run stopped; ${lastGood}. Lower lr / ptxCoef or clip gradients harder and run again.`,
        );
      }
    }
  }
}

/** The row of fixed names followed by the caller's numbers, which may not reuse a fixed name. */
function withMeasured<X extends Record<string, number>>(fixed: PpoRow, measured: X): PpoRow & X {
  for (const k of Object.keys(measured)) if (k in fixed) throw new Error(`PPO: onRollout returned "${k}", one of the trainer's own metric names`);
  return { ...fixed, ...measured };
}

async function allFinite(vars: tf.Variable[]): Promise<boolean> {
  const ok = tf.tidy(() => tf.all(tf.stack(vars.map((v) => tf.all(tf.isFinite(v))))));
  return (await readScalar(ok)) === 1;
}

/** Train the policy with PPO (ptxCoef 0) or PPO-ptx against the frozen reward model. */
export async function trainPpo<X extends Record<string, number> = {}>(
  models: PpoModels,
  data: PpoData,
  overrides: Partial<PpoConfig> = {},
  opts: PpoOptions<X> = {},
): Promise<PpoResult<X>> {
  const config = mergeConfig(PPO_DEFAULTS, overrides, 'PpoConfig');
  validatePpoConfig(config);
  const { policy, reference, rewardModel, rewardHead, valueModel, valueHead, tokenizer } = models;
  if (data.prompts.length === 0) throw new Error('PPO: no prompts');
  if (config.ptxCoef > 0 && !data.pretrainTokens) throw new Error('PPO: ptxCoef > 0 (PPO-ptx) needs data.pretrainTokens');
  if (config.evalPretrainBatch > 0 && !data.heldOutTokens) throw new Error('PPO: evalPretrainBatch > 0 needs data.heldOutTokens (or set it to 0)');
  const trainTrunk = config.valueTrunk === 'trained';
  if (trainTrunk && !valueModel) throw new Error("PPO: valueTrunk 'trained' needs models.valueModel (a copy of the reward model's trunk)");
  const trunk = trainTrunk ? valueModel! : rewardModel; // what the value head reads
  if (valueHead.weight.shape[0] !== trunk.config.nEmbd)
    throw new Error(`PPO: the value head reads ${valueHead.weight.shape[0]} features but its trunk has nEmbd ${trunk.config.nEmbd}`);
  checkCompanions('PPO', policy, [
    ['reference', reference],
    ['rewardModel', rewardModel],
    ['valueModel', trunk],
  ]);
  const policyVars = policy.trainableVariables();
  const valueVars = [...(trainTrunk ? trunk.trainableVariables() : []), ...valueHead.trainableVariables()];
  const adams = {
    policy: new Adam({ lr: config.lr, clipNorm: config.maxGradNorm }),
    value: new Adam({ lr: config.valueLr, clipNorm: config.maxGradNorm }),
  };
  const kl = new KlController(config.kl);
  let rows: (PpoRow & X)[] = [];
  let start = 0;
  let resumeNote = opts.dir ? 'no checkpoint yet' : 'no checkpoint folder given';
  if (opts.dir && fs.existsSync(path.join(opts.dir, 'config.json'))) {
    const r = await resumePpoCheckpoint(opts.dir, models, adams, config, opts.origin);
    if ('note' in r) resumeNote = r.note;
    else {
      rows = r.rows as (PpoRow & X)[];
      start = r.state.iteration;
      kl.value = r.state.klCoef;
      resumeNote = `resumed from the checkpoint at iteration ${start}`;
    }
  }
  const resumedFrom = start;
  let savedAt = start; // iteration of the checkpoint on disk (0: none)
  const lastGood = () => (opts.dir && savedAt > 0 ? `the last good checkpoint (iteration ${savedAt}) is intact at ${opts.dir}` : 'nothing was saved');
  const prompts = data.prompts.map((p) => rolloutPrompt(tokenizer.encodePrompt(p), policy.config.blockSize, config.maxNewTokens));
  const heldOut =
    config.evalPretrainBatch > 0
      ? corpusBatch(
          data.heldOutTokens!,
          config.evalPretrainBatch,
          config.ptxLength,
          evenStarts(data.heldOutTokens!.length, config.evalPretrainBatch, config.ptxLength),
        )
      : null;
  await opts.onStart?.({ iterations: config.iterations, resumedFrom, resumeNote });
  const order = promptOrder(prompts.length, config.seed);
  try {
    for (let it = start; it < config.iterations; it++) {
      const t0 = Date.now();
      const iteration = it + 1;
      const beta = kl.value;

      // 1. rollout: answers y ~ pi_RL(.|x) for this iteration's prompts, k per prompt
      const k = config.samplesPerPrompt; // rows [g*k, (g+1)*k) answer the same prompt
      const asked = rolloutPromptIndices(order, it, config.rolloutBatch, k); // indices into data.prompts
      const batch = asked.map((i) => prompts[i]);
      let gen;
      try {
        gen = await generateIds(
          policy,
          batch,
          { eosId: tokenizer.eosId, padId: tokenizer.padId },
          { maxNewTokens: config.maxNewTokens, temperature: config.temperature, seed: hashSeed(`${config.seed}:rollout:${it}`) },
        );
      } catch (e) {
        if (!(await allFinite(policyVars)))
          throw new DivergenceError(
            `PPO diverged at iteration ${iteration}: the policy's weights are not finite, so sampling failed (${(e as Error).message}). The run stopped; ${lastGood()}.`,
          );
        throw e;
      }
      const ep = makeEpisodes(gen.promptTokens, gen.tokens, tokenizer.padId, tokenizer.eosId);
      const t1 = Date.now();

      // 2.-3. score with r_theta at the EOS (appended to a cut-off answer, as the RM was trained); log-probs of policy and reference; values; entropy
      const read = tf.tidy(() => {
        const mask = tf.tensor2d(ep.mask, [ep.B, ep.T]); // [B, T]
        const pol = answerLogProbs(policy, ep, config.temperature); // [B, T]
        const ref = answerLogProbs(reference, ep, config.temperature).logprobs; // [B, T]
        const ent = entropy(pol.logits.div(config.temperature), mask); // scalar
        const { scores, hidden: rmHidden } = rewardScores(rewardModel, rewardHead, ep); // [B], [B, S, C]
        // V(s_t): a frozen trunk is the RM's, so its features are read once here and cached
        const features = trainTrunk ? null : atAnswers(rmHidden, ep, tf.tensor1d(answerPositions(ep), 'int32')); // [B, T, C]
        const values = features ? valueHead.apply(features) : answerValues(models, ep); // [B, T]
        const pretrain = heldOut ? languageModelLoss(policy, heldOut.tokens, heldOut.mask) : tf.scalar(NaN);
        return [pol.logprobs, ref, values, scores, ent, pretrain, ...(features ? [features] : [])];
      });
      const [logprobs, refLogprobs, values, scores0, ent, pretrain, features] = await readMany(read); // one read-back
      const rollout = { logprobs, refLogprobs, values, scores: scores0, features, entropy: ent[0], pretrain: pretrain[0] };
      checkFinite(
        iteration,
        {
          'the policy log-probs': rollout.logprobs,
          'the reference log-probs': rollout.refLogprobs,
          'the values': rollout.values,
          'the RM scores': rollout.scores,
        },
        lastGood(),
      );
      const scores = penaliseMissingEos(rollout.scores, ep.hitEos, config.missingEos); // no EOS: fixed penalty
      const centred = leaveOneOutBaseline(scores, k); // k > 1: minus the other answers' mean score

      // 3. reward r_t = -beta * KL_t per answer token, + r_theta(x, y) at the last token
      const shaped = shapeRewards(
        { scores: centred, logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs, mask: ep.mask, batch: ep.B, length: ep.T },
        beta,
        config.klEstimator,
      );

      // 4. advantages: GAE (gamma 1, lambda 0.95) on V, whitened over the batch; returns = A + V
      const { advantages, returns } = gae(
        { rewards: shaped.rewards, values: rollout.values, mask: ep.mask, batch: ep.B, length: ep.T },
        { gamma: config.gamma, lambda: config.lambda },
      );
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
          const ptx =
            config.ptxCoef > 0
              ? corpusBatch(
                  data.pretrainTokens!,
                  config.ptxBatch,
                  config.ptxLength,
                  randomStarts(data.pretrainTokens!.length, config.ptxBatch, config.ptxLength, rng),
                )
              : null;
          const stats = await optimiseStep(models, mb.ep, mb.perToken, mb.features, ptx, config, adams, policyVars, valueVars);
          if (ptx) tf.dispose([ptx.tokens, ptx.mask]);
          checkFinite(
            iteration,
            {
              'loss/policy': [stats.policyLoss],
              'loss/value': [stats.valueLoss],
              'loss/ptx': [stats.ptxLoss],
              'the policy gradient norm': [stats.policyGradNorm],
              'the value gradient norm': [stats.valueGradNorm],
            },
            lastGood(),
          );
          sums.policy += stats.policyLoss;
          sums.value += stats.valueLoss;
          sums.ptx += stats.ptxLoss;
          sums.clipfrac += stats.clipfrac;
          sums.approxkl += stats.approxKl;
          sums.valueClipfrac += stats.valueClipfrac;
          steps++;
        }
      }

      // 6. adapt: the KL controller moves beta towards the target KL (no-op when fixed)
      const meanKl = mean(shaped.klPerAnswer);
      kl.update(meanKl, ep.B);

      // 7. log one row: the fixed names, then what the caller measures on the rollout's texts
      const fixed: PpoRow = {
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
      // the caller's measures of the answers, decoded once here (not in the timings: they time training)
      const measured = opts.onRollout
        ? await opts.onRollout({ prompts: asked, answers: gen.tokens.map((t) => tokenizer.decode(t, { skipSpecial: true })) })
        : ({} as X);
      const row = withMeasured(fixed, measured);
      rows.push(row);
      if (opts.dir && (iteration % config.saveEvery === 0 || iteration === config.iterations)) {
        await savePpoCheckpoint(opts.dir, models, adams, { iteration, klCoef: kl.value, config, origin: opts.origin }, rows);
        savedAt = iteration;
        if (opts.snapshotDir)
          await saveCheckpoint(opts.snapshotDir(iteration), { model: policy, tokenizer, extra: { stage: 'ppo-snapshot', iteration, ptxCoef: config.ptxCoef } });
      }
      await opts.onIteration?.(row, iteration);
      await new Promise<void>((resolve) => setImmediate(resolve)); // lets a notebook's progress bar redraw
    }
  } finally {
    adams.policy.dispose();
    adams.value.dispose();
    if (heldOut) tf.dispose([heldOut.tokens, heldOut.mask]);
  }
  return { rows, table: aq.from(rows), resumedFrom, resumeNote, config };
}

/** What one minibatch step measures, in the order its one read-back holds them. */
const STEP_STATS = ['policyLoss', 'valueLoss', 'ptxLoss', 'clipfrac', 'approxKl', 'valueClipfrac', 'policyGradNorm', 'valueGradNorm'] as const;
type StepStats = Record<(typeof STEP_STATS)[number], number>;

/**
 * 5. One minibatch step: the clipped surrogate (+ gamma * ptx LM loss) for the policy and the
 * clipped value loss for the value network, one backward pass, one Adam step each.
 */
async function optimiseStep(
  models: PpoModels,
  ep: Episodes,
  perToken: Float32Array[],
  features: Float32Array | undefined,
  ptx: { tokens: tf.Tensor2D; mask: tf.Tensor2D } | null,
  config: PpoConfig,
  adams: { policy: Adam; value: Adam },
  policyVars: tf.Variable[],
  valueVars: tf.Variable[],
): Promise<StepStats> {
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
      kept.push(tf.keep(tf.stack([pg.loss, vf.loss, ptxLoss, pg.clipfrac, pg.approxKl, vf.clipfrac]))); // [6]: STEP_STATS' first six
      // the two networks share no weights, so one sum gives each its own gradient
      return pg.loss.add(vf.loss).add(ptxLoss.mul(config.ptxCoef)) as tf.Scalar;
    }, [...policyVars, ...valueVars]);
    value.dispose();
    const gPolicy = adams.policy.applyGradients(
      policyVars,
      policyVars.map((v) => grads[v.name]),
    ); // kept scalar
    const gValue = adams.value.applyGradients(
      valueVars,
      valueVars.map((v) => grads[v.name]),
    ); // kept scalar
    kept.push(gPolicy, gValue);
    return tf.concat([kept[0], tf.stack([gPolicy, gValue])]); // [8], in STEP_STATS order
  });
  tf.dispose(kept);
  const read = await readFloats(out); // one read-back per minibatch step
  if (tf.getBackend() === 'webgpu') assertNoGpuErrors();
  return Object.fromEntries(STEP_STATS.map((name, i) => [name, read[i]])) as StepStats;
}
