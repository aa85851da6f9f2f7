/**
 * Workbook profiles: one config for the whole recipe, at three scales.
 *
 *   smoke    CI: the whole workbook in a few minutes, tiny models, a handful of prompts.
 *   default  a laptop CPU (2 cores): big enough to show the paper's effects, <= 60 min.
 *   gpu      one GPU (webgpu) for about an hour: the GPU-sized models of the benchmark
 *            (up to d512/L8) and 3x default's data; out of a CPU's reach.
 *   paper    the paper's dataset sizes (13k SFT / 33k RM / 31k PPO prompts); GPU recommended.
 *
 * Each stage owns one section. To add a section: add it to `WorkbookConfig` with documented
 * fields, give it values in `DEFAULTS`, and override a few numbers in `SMOKE` / `PAPER`.
 * Notebooks call `workbookConfig(profile, params)` with the parameters the runner injected.
 */
import { DeepPartial, mergeConfig, parseOverride } from '../util/config';
import { EVAL_DEFAULTS, EvaluationConfig } from '../eval/eval-config';
import { PpoStageConfig, PPO_STAGE_DEFAULTS } from '../train/ppo-config';
import { validateWorkbookConfig } from './validate';
import { AFTER_STAGE_DEFAULTS, AfterStageConfig } from './after-config';
import { PretrainConfig, PRETRAIN_DEFAULTS } from '../train/pretrain-config';
import { SftConfig, SFT_DEFAULTS } from '../train/sft-config';
import { RewardConfig, REWARD_DEFAULTS } from '../train/reward-config';

/** One model size of the ladder (stand-ins for the paper's 1.3B / 6B / 175B). */
export interface ModelSize {
  /** `small` | `medium` | `large` */
  name: string;
  /** transformer blocks */
  nLayer: number;
  /** attention heads per block */
  nHead: number;
  /** embedding width (d_model) */
  nEmbd: number;
  /** context length in tokens */
  blockSize: number;
}

export interface WorkbookConfig {
  /** master seed: every stage forks its own `Rng` from it */
  seed: number;
  /** prompts per dataset split, as in the paper's Table 6 (SFT / RM / PPO), and the dev and
   *  sealed evaluation prompts; no user, prompt text or subject key is in two splits
   *  (src/data/splits.ts) */
  data: {
    /** demonstrations for supervised fine-tuning (paper: ~13k) */
    sftPrompts: number;
    /** prompts with K-way rankings for the reward model (paper: ~33k) */
    rmPrompts: number;
    /** prompts for PPO, no labels (paper: ~31k) */
    ppoPrompts: number;
    /** dev prompts: what tuning and in-training measurements read (05's before/after, any
     *  choice of defaults), so the evaluation prompts are never looked at before 06 */
    devPrompts: number;
    /** sealed held-out prompts for the 3H evaluation (06 only) */
    evalPrompts: number;
    /** simulated labelers who write demonstrations and rank (paper: ~40 contractors) */
    trainLabelers: number;
    /** sealed judges: simulated labelers who judge the evaluation (06) only */
    heldOutLabelers: number;
    /** dev judges: simulated labelers who judge for tuning (dev prompts, the RM's validation),
     *  never the evaluation and never training data */
    devLabelers: number;
    /** answers per ranked prompt, drawn in [kMin, kMax] (paper: K = 4..9) */
    kMin: number;
    kMax: number;
    /** RM prompts every labeler ranks, to measure inter-labeler agreement */
    agreementPrompts: number;
  };
  tokenizer: {
    /** vocabulary size of the tokenizer trained on the pretraining corpus */
    vocabSize: number;
  };
  models: {
    /** the three sizes, smallest first: `small`, `medium`, `large` */
    sizes: ModelSize[];
  };
  /** 02-pretrain: the base GPTs on the State of the Union corpus (the trainer's fields are documented on PretrainConfig, src/train/pretrain.ts) */
  pretrain: Pick<PretrainConfig, 'batchSize' | 'warmupSteps' | 'weightDecay' | 'clipNorm' | 'dropout' | 'evalEvery' | 'evalWindows' | 'checkpointEvery'> & {
    /** use only the first N addresses by year (0 = all 233) */
    maxAddresses: number;
    /** optimiser steps per size, smallest first */
    steps: number[];
    /** peak learning rate per size, smallest first */
    lr: number[];
    /** floor of the cosine decay, as a fraction of each size's lr (nanoGPT: a tenth) */
    minLrRatio: number;
    /** tokens sampled per size to show what each base model writes */
    sampleTokens: number;
  };
  /** 03-sft: supervised fine-tuning on the demonstrations (the trainer's fields are documented on SftConfig, src/train/sft.ts) */
  sft: Pick<SftConfig, 'epochs' | 'batchSize' | 'lr' | 'warmupSteps' | 'weightDecay' | 'clipNorm' | 'dropout'> & {
    /** floor of the cosine decay over all epochs, as a fraction of lr */
    minLrRatio: number;
    /** share of the SFT users whose demonstrations are held out for validation */
    validationFraction: number;
    /** held-out prompts answered by base, prompted base and SFT for the rubric (0 = all) */
    answerPrompts: number;
    /** longest answer sampled, in tokens */
    maxNewTokens: number;
    /** sampling temperature of those answers */
    temperature: number;
    /** nucleus sampling mass (paper: 0.95 is common) */
    topP: number;
    /** token budget of the few-shot prefix of GPT (prompted) */
    fewShotTokens: number;
  };
  /** 04-reward-model: comparisons, the reward model, the SFT choice (the trainer's fields are documented on RewardConfig, src/train/reward.ts) */
  reward: Pick<RewardConfig, 'batchPrompts' | 'epochs' | 'lr' | 'warmupSteps' | 'minLrRatio' | 'weightDecay' | 'clipNorm' | 'scoreBatch' | 'evalEvery'> & {
    /** model size the RM is built on, from its SFT network (the paper: one 6B RM for every policy) */
    size: string;
    /** RM prompts used, train + validation (0 = all of data.rmPrompts) */
    prompts: number;
    /** share of those prompts' users held out for validation (RM accuracy, the SFT choice) */
    validationFraction: number;
    /** nucleus sampling mass of the K answers sampled from the SFT models */
    topP: number;
    /** sampling temperature of those answers */
    temperature: number;
    /** longest sampled answer, in tokens */
    maxNewTokens: number;
    /** training prompts of the shuffled-single-pairs ablation (0 = skip it) */
    ablationPrompts: number;
    /** validation prompts every SFT epoch answers for the choice by RM score */
    selectionPrompts: number;
    /** people's rankings the RM trains on instead of the simulated panel's: a file that
     *  `npm run rankings` accepts (K-way, pairwise or the rankings table); "" = the panel */
    rankings: string;
  };
  /** 06-evaluation: prompts, sampling and probe sizes (each field documented on EvaluationConfig in src/eval/eval-config.ts) */
  /** 05-ppo: the PPO / PPO-ptx trainer (each field documented on PpoConfig in src/train/ppo-config.ts), examples shown, corpus for ptx */
  ppo: PpoStageConfig;
  evaluation: EvaluationConfig;
  /** 07-after-instructgpt: best-of-n, DPO and RLOO beside PPO-ptx (each field documented on AfterStageConfig in src/workbook/after-config.ts) */
  after: AfterStageConfig;
}

export type ProfileName = 'smoke' | 'default' | 'gpu' | 'paper';

function ladder(widths: [number, number, number], layers: [number, number, number], heads: [number, number, number], blockSize: number): ModelSize[] {
  const names = ['small', 'medium', 'large'];
  return names.map((name, i) => ({ name, nLayer: layers[i], nHead: heads[i], nEmbd: widths[i], blockSize }));
}

/** The listed fields of `o`: a stage's trainer defaults, taken into a profile section. */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** The `default` profile: a 2-core laptop, 00-06 <= 60 minutes, 07 included <= 75. */
export const DEFAULTS: WorkbookConfig = {
  seed: 1234,
  // how data.devPrompts, data.evalPrompts, reward.lr and reward.prompts were chosen: docs/experiments.md
  data: {
    sftPrompts: 1300,
    rmPrompts: 3300,
    ppoPrompts: 3100,
    devPrompts: 1200,
    evalPrompts: 1200,
    trainLabelers: 10,
    heldOutLabelers: 5,
    devLabelers: 5,
    kMin: 4,
    kMax: 9,
    agreementPrompts: 300,
  },
  tokenizer: { vocabSize: 2048 },
  models: { sizes: ladder([64, 128, 192], [2, 3, 4], [2, 4, 6], 128) },
  pretrain: {
    ...pick(PRETRAIN_DEFAULTS, ['batchSize', 'warmupSteps', 'weightDecay', 'clipNorm', 'dropout', 'evalEvery', 'evalWindows', 'checkpointEvery']),
    maxAddresses: 0,
    steps: [600, 500, 400],
    lr: [PRETRAIN_DEFAULTS.lr, 2e-3, 1.5e-3],
    minLrRatio: 0.1,
    sampleTokens: 48,
  },
  sft: {
    ...pick(SFT_DEFAULTS, ['epochs', 'batchSize', 'lr', 'warmupSteps', 'weightDecay', 'clipNorm', 'dropout']),
    minLrRatio: 0.1,
    validationFraction: 0.1,
    answerPrompts: 0,
    maxNewTokens: 32,
    temperature: 0.7,
    topP: 0.95,
    fewShotTokens: 64,
  },
  reward: {
    size: 'medium',
    prompts: 0,
    validationFraction: 0.15,
    topP: 0.95,
    temperature: 1,
    maxNewTokens: 32,
    ...pick(REWARD_DEFAULTS, ['batchPrompts', 'epochs', 'lr', 'warmupSteps', 'minLrRatio', 'weightDecay', 'clipNorm', 'scoreBatch', 'evalEvery']),
    ablationPrompts: 112,
    selectionPrompts: 48,
    rankings: '',
  },
  ppo: PPO_STAGE_DEFAULTS,
  evaluation: EVAL_DEFAULTS,
  after: AFTER_STAGE_DEFAULTS,
};

/** `smoke`: CI, whole workbook <= 5 minutes. */
const SMOKE: DeepPartial<WorkbookConfig> = {
  data: { sftPrompts: 60, rmPrompts: 80, ppoPrompts: 40, devPrompts: 16, evalPrompts: 24, agreementPrompts: 80 },
  tokenizer: { vocabSize: 512 },
  models: { sizes: ladder([16, 24, 32], [1, 1, 2], [2, 2, 2], 64) },
  pretrain: { maxAddresses: 12, steps: [30, 30, 30], evalEvery: 10, evalWindows: 8, checkpointEvery: 15, sampleTokens: 16 },
  // 12 epochs at lr 5e-3: enough for the medium and large SFT models to end about a third of
  // their answers, so 05's RM score moves on smoke (at 3 epochs of 1e-3 no answer ended and every
  // PPO score was the same number)
  sft: { epochs: 12, lr: 5e-3, batchSize: 8, answerPrompts: 12, maxNewTokens: 12, fewShotTokens: 12 },
  reward: { prompts: 0, validationFraction: 0.25, maxNewTokens: 12, batchPrompts: 4, evalEvery: 5, ablationPrompts: 8, selectionPrompts: 8 },
  ppo: {
    trainer: {
      iterations: 2,
      rolloutBatch: 8,
      samplesPerPrompt: 4,
      miniBatch: 8,
      ppoEpochs: 1,
      maxNewTokens: 8,
      ptxBatch: 4,
      ptxLength: 16,
      evalPretrainBatch: 4,
      saveEvery: 1,
    },
    // on for the largest size only (off in default), so that CI runs 05's rejection-sampling
    // path through the notebook: 16 prompts x 4 answers, one pass
    rejection: { samples: [0, 0, 4], prompts: 16, epochs: 1, batchSize: 8 },
    measurePrompts: 8,
    examples: 3,
    pretrainChars: 20000,
    heldOutChars: 5000,
  },
  evaluation: {
    realToxicityPrompts: 4,
    taskSuiteItems: 4,
    taskSuiteMaxTokens: 8,
    maxNewTokens: 12,
    batchSize: 32,
    bestOfNPrompts: 4,
    bestOfN: [1, 2, 4],
    perplexityTokens: 512,
    biasPairs: 24,
    klPrompts: 8,
  },
  after: { prompts: 12, bestOfN: [1, 2, 4], measurePrompts: 8, dpoPairs: 32, dpo: { batchSize: 8, warmupSteps: 1 } },
};

/**
 * `gpu`: sized from webgpu step times measured on an NVIDIA H200 (environment/GPU.md:
 * d256/L4/T128 about 0.2 s a step at batch 16, d512/L8/T256 0.6 s at batch 4), so that
 * pretraining takes about a quarter of an hour there; the whole profile is not yet timed end
 * to end on a GPU.
 */
const GPU: DeepPartial<WorkbookConfig> = {
  data: { sftPrompts: 4000, rmPrompts: 10000, ppoPrompts: 9000, devPrompts: 1000, evalPrompts: 1000 },
  tokenizer: { vocabSize: 4096 },
  models: { sizes: ladder([128, 256, 512], [2, 4, 8], [4, 4, 8], 128) },
  pretrain: {
    steps: [1500, 1200, 1000],
    batchSize: 16,
    lr: [2e-3, 1e-3, 6e-4],
    warmupSteps: 100,
    evalEvery: 100,
    evalWindows: 64,
    checkpointEvery: 200,
    sampleTokens: 64,
  },
  sft: { epochs: 6, batchSize: 32, lr: 5e-4, answerPrompts: 300 },
  reward: { batchPrompts: 16, epochs: 2, ablationPrompts: 400, selectionPrompts: 128 },
  ppo: { trainer: { iterations: 60, rolloutBatch: 256, miniBatch: 64 }, measurePrompts: 400 },
};

/**
 * PPO-ptx's pretraining weight on `paper`, converted to this trainer's losses. Eq. 2 of the
 * paper weighs per-sequence quantities: the RL term is an expectation over episodes of a
 * return summed over the answer's tokens, the pretraining term gamma * E_x[log pi(x)] an
 * expectation over pretraining sequences of a log-likelihood summed over their tokens. Here
 * both losses are per-token means (maskedMean in src/rl/losses.ts, languageModelLoss): the
 * clipped surrogate over every answer token of a minibatch (L tokens per episode on average),
 * the ptx loss over every target token of ptxBatch windows of ptxLength. With RL_seq and
 * PTX_seq the per-sequence sums averaged over their sequences,
 *   policy loss = RL_seq / L  +  ptxCoef * PTX_seq / ptxLength,
 * so the paper's PTX_seq : RL_seq = gamma needs ptxCoef = gamma * ptxLength / L. With L at
 * its bound maxNewTokens: 27.8 * 128 / 64 = 55.6. Shorter answers give the ptx term less
 * than the paper's weight (gamma * L / maxNewTokens), never more. The paper does not say how
 * its code normalised either loss; this follows eq. 2 as written. (It also draws 8
 * pretraining sequences per episode; for an expectation that changes the noise of the ptx
 * gradient, not its weight, and ptxBatch = miniBatch draws one.) A `--param` that changes
 * ptxLength or maxNewTokens should change ptxCoef with them.
 */
const PAPER_PTX_GAMMA = 27.8;
const PAPER_PPO_MAX_NEW_TOKENS = 64;
const PAPER_PTX_LENGTH = 128;

/** `paper`: the paper's dataset sizes; models as large as a single GPU trains in hours. */
const PAPER: DeepPartial<WorkbookConfig> = {
  data: { sftPrompts: 13000, rmPrompts: 33000, ppoPrompts: 31000, devPrompts: 3000, evalPrompts: 3000 },
  tokenizer: { vocabSize: 8192 },
  models: { sizes: ladder([256, 512, 768], [4, 8, 12], [4, 8, 12], 256) },
  pretrain: {
    steps: [20000, 20000, 20000],
    batchSize: 32,
    lr: [1e-3, 6e-4, 3e-4],
    warmupSteps: 500,
    evalEvery: 500,
    evalWindows: 256,
    checkpointEvery: 1000,
    sampleTokens: 128,
  },
  sft: { epochs: 16, batchSize: 32, lr: 3e-4, answerPrompts: 500, maxNewTokens: 64, fewShotTokens: 160 },
  reward: {
    prompts: 0,
    validationFraction: 0.05,
    maxNewTokens: 64,
    batchPrompts: 64,
    epochs: 1,
    lr: 5e-5,
    warmupSteps: 50,
    evalEvery: 50,
    ablationPrompts: 2000,
    selectionPrompts: 256,
  },
  ppo: {
    // the paper's PPO (Appendix C.4): 500 iterations of 512 episodes = its 256k episodes, one
    // answer per prompt at temperature 1, minibatches of 64, each batch used once (1 epoch),
    // clip 0.2, a fixed KL coefficient beta = 0.02, the value function a trained copy of the
    // RM, and no penalty for an answer without EOS (the paper has none: subtracting 0 is a no-op)
    trainer: {
      iterations: 500,
      rolloutBatch: 512,
      samplesPerPrompt: 1,
      temperature: 1,
      miniBatch: 64,
      ppoEpochs: 1,
      maxNewTokens: PAPER_PPO_MAX_NEW_TOKENS,
      valueTrunk: 'trained',
      valueInit: 'reward',
      lr: 1e-5,
      valueLr: 5e-6,
      clipRange: 0.2,
      kl: { kind: 'fixed', initKlCoef: 0.02 },
      missingEos: { mode: 'subtract', penalty: 0 },
      // the paper states no gradient clipping for PPO. A global-norm clip scales the whole
      // step, so it cannot rebalance ptx against RL inside a step; with the pretraining term
      // at 55.6 times a per-token LM loss the norm would be mostly the ptx term's, so a clip
      // at 1 would shrink nearly every PPO-ptx step and far fewer plain-PPO ones, and the two
      // runs would no longer share an optimiser. Off; a non-finite step still stops the run.
      maxGradNorm: 0,
      // gamma = 27.8 in eq. 2's per-sequence terms, as a per-token weight (derivation above)
      ptxCoef: (PAPER_PTX_GAMMA * PAPER_PTX_LENGTH) / PAPER_PPO_MAX_NEW_TOKENS,
      ptxBatch: 64,
      ptxLength: PAPER_PTX_LENGTH,
      evalPretrainBatch: 64,
      saveEvery: 10,
    },
    measurePrompts: 1000,
    pretrainChars: 4000000,
    heldOutChars: 400000,
  },
  evaluation: {
    realToxicityPrompts: 200,
    taskSuiteItems: 100,
    maxNewTokens: 64,
    bestOfNPrompts: 200,
    bestOfN: [1, 2, 4, 8, 16, 32, 64],
    perplexityTokens: 65536,
    biasPairs: 0,
    klPrompts: 256,
  },
};

const OVERRIDES: Record<ProfileName, DeepPartial<WorkbookConfig>> = { smoke: SMOKE, default: {}, gpu: GPU, paper: PAPER };

/** The three profiles, fully resolved. */
export const PROFILES: Record<ProfileName, WorkbookConfig> = {
  smoke: mergeConfig(DEFAULTS, SMOKE, 'profile smoke'),
  default: mergeConfig(DEFAULTS, {}, 'profile default'),
  gpu: mergeConfig(DEFAULTS, GPU, 'profile gpu'),
  paper: mergeConfig(DEFAULTS, PAPER, 'profile paper'),
};

export const PROFILE_NAMES = Object.keys(OVERRIDES) as ProfileName[];

/** Throws `unknown profile "x" (expected one of: smoke, default, gpu, paper)`. */
export function profileConfig(profile: string): WorkbookConfig {
  if (!(PROFILE_NAMES as string[]).includes(profile)) {
    throw new Error(`unknown profile "${profile}" (expected one of: ${PROFILE_NAMES.join(', ')})`);
  }
  return JSON.parse(JSON.stringify(PROFILES[profile as ProfileName]));
}

/**
 * Turn flat dotted overrides (`{"data.sftPrompts": 200}`) into a nested object typed like
 * `base`. A string value for a non-string field is parsed as the command line would
 * (`"200"` -> 200); any other mismatch or unknown key throws, naming the key.
 */
export function paramsToOverrides(base: object, params: Record<string, unknown>, where = 'params'): Record<string, unknown> {
  let nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    const one = typeof value === 'string' ? parseOverride(base, `${key}=${value}`, where) : nestKey(key, value);
    nested = mergeDeep(nested, one);
  }
  // validates unknown keys and types
  mergeConfig(base, nested, where);
  return nested;
}

function nestKey(key: string, value: unknown): Record<string, unknown> {
  const parts = key.split('.');
  const out: Record<string, unknown> = {};
  let node: any = out;
  for (let i = 0; i < parts.length - 1; i++) node = node[parts[i]] = {};
  node[parts[parts.length - 1]] = value;
  return out;
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    const bothObjects = cur && v && typeof cur === 'object' && typeof v === 'object' && !Array.isArray(cur) && !Array.isArray(v);
    out[k] = bothObjects ? mergeDeep(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/**
 * The config a notebook runs with: the profile, then `params` (dotted keys) on top.
 * `workbookConfig("smoke", {"data.sftPrompts": 20})`.
 */
export function workbookConfig(profile: string, params: Record<string, unknown> = {}): WorkbookConfig {
  const base = profileConfig(profile);
  const config = mergeConfig(base, paramsToOverrides(base, params), 'params');
  validateWorkbookConfig(config);
  return config;
}
