/**
 * Picking the SFT model by reward-model score, as the paper does (section 3.5, appendix
 * C.1): SFT trains 16 epochs although validation loss overfits after one, because "training
 * for more epochs helps both the RM score and human preference ratings". So every epoch's
 * checkpoint answers the same validation prompts, the RM scores the answers, and the epoch
 * with the highest mean r(x, y) becomes the SFT model the later stages start from.
 *
 * Writes `reward/sft-choice.json`: `{ "chosen": { "<size>": { "epoch", "meanReward", ... } },
 * "scores": [ every (size, epoch) ] }`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_FILE, loadCheckpoint } from '../model/checkpoint';
import { generate } from '../model/generate';
import { writeJsonAtomic } from '../util/atomic';
import { hashSeed } from '../util/random';
import { RewardModel } from './reward';

export interface SftSelectionConfig {
  /** Validation prompts each epoch answers. */
  prompts: number;
  /** Longest answer in tokens. */
  maxNewTokens: number;
  /** Nucleus sampling mass (1 = plain sampling). */
  topP: number;
  /** Sampling temperature (0 = greedy). */
  temperature: number;
  /** Answers generated per batch. */
  batchSize: number;
  /** Seeds the samplers: every epoch answers with the same streams. */
  seed: number;
}

export const DEFAULTS: SftSelectionConfig = {
  prompts: 64,
  maxNewTokens: 32,
  topP: 0.95,
  temperature: 1,
  batchSize: 64,
  seed: 1,
};

/** One SFT checkpoint to score. */
export interface SftCandidate {
  size: string;
  epoch: number;
  dir: string;
}

export interface EpochScore {
  size: string;
  epoch: number;
  /** Mean RM score of this epoch's answers. */
  meanReward: number;
  /** Standard error of that mean. */
  stdErr: number;
  /** Answers scored. */
  answers: number;
  dir: string;
}

export interface SftChoice {
  chosen: Record<string, EpochScore>;
  scores: EpochScore[];
}

function meanSe(xs: ArrayLike<number>): { mean: number; se: number } {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - mean) * (xs[i] - mean);
  return { mean, se: n > 1 ? Math.sqrt(v / (n - 1) / n) : 0 };
}

/** Every saved SFT epoch (`sft/<size>/epoch-<n>/` with a config.json) of the given sizes, epochs in order. */
export function sftCandidates(epochDir: (size: string, epoch: number) => string, sizes: readonly string[]): SftCandidate[] {
  const out: SftCandidate[] = [];
  for (const size of sizes) {
    const root = path.dirname(epochDir(size, 0));
    if (!fs.existsSync(root)) continue;
    const epochs = fs
      .readdirSync(root)
      .map((f) => /^epoch-(\d+)$/.exec(f))
      .filter((m): m is RegExpExecArray => !!m && fs.existsSync(path.join(epochDir(size, Number(m[1])), CONFIG_FILE)))
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const epoch of epochs) out.push({ size, epoch, dir: epochDir(size, epoch) });
  }
  return out;
}

/** RM scores of one SFT checkpoint's answers to `prompts`. */
export async function scoreCheckpoint(
  rm: RewardModel,
  candidate: SftCandidate,
  prompts: readonly string[],
  config: Partial<SftSelectionConfig> = {},
): Promise<EpochScore & { rewards: Float32Array; texts: string[] }> {
  const cfg = { ...DEFAULTS, ...config };
  if (!prompts.length) throw new Error('scoreCheckpoint: no prompts');
  const ck = loadCheckpoint(candidate.dir, { withOptimizer: false });
  try {
    const texts: string[] = [];
    for (let b = 0; b < prompts.length; b += cfg.batchSize) {
      const gen = await generate(ck.model, ck.tokenizer, prompts.slice(b, b + cfg.batchSize), {
        maxNewTokens: cfg.maxNewTokens,
        topP: cfg.topP,
        temperature: cfg.temperature,
        seed: hashSeed(`sft-selection:${cfg.seed}`),
        rowOffset: b,
      });
      texts.push(...gen.texts.map((t) => t.trim()));
    }
    const rewards = await rm.score(prompts.map((prompt, i) => ({ prompt, answer: texts[i] })));
    const { mean, se } = meanSe(rewards);
    return { size: candidate.size, epoch: candidate.epoch, meanReward: mean, stdErr: se, answers: rewards.length, dir: candidate.dir, rewards, texts };
  } finally {
    ck.model.dispose();
    for (const h of ck.heads.values()) h.dispose();
  }
}

/** Per size, the epoch with the highest mean RM score (the earlier epoch on a tie). */
export function chooseEpochs(scores: readonly EpochScore[]): Record<string, EpochScore> {
  const chosen: Record<string, EpochScore> = {};
  for (const s of scores) {
    if (!Number.isFinite(s.meanReward)) throw new Error(`chooseEpochs: size ${s.size} epoch ${s.epoch} has no finite mean reward (${s.meanReward})`);
    const best = chosen[s.size];
    if (!best || s.meanReward > best.meanReward || (s.meanReward === best.meanReward && s.epoch < best.epoch)) chosen[s.size] = s;
  }
  return chosen;
}

/** Score every candidate, choose per size, write `file` atomically. */
export async function selectSft(
  rm: RewardModel,
  candidates: readonly SftCandidate[],
  prompts: readonly string[],
  file: string,
  config: Partial<SftSelectionConfig> = {},
  onCandidate?: (score: EpochScore, done: number, total: number) => void | Promise<void>,
): Promise<SftChoice> {
  if (!candidates.length) throw new Error('selectSft: no SFT checkpoints to choose from (run notebook 03 first)');
  const cfg = { ...DEFAULTS, ...config };
  const used = prompts.slice(0, cfg.prompts);
  const scores: EpochScore[] = [];
  // the callback is awaited: a notebook yields there, so its progress display reaches the
  // page while the next checkpoint is scored
  for (const [i, c] of candidates.entries()) {
    const { rewards, texts, ...score } = await scoreCheckpoint(rm, c, used, cfg);
    scores.push(score);
    await onCandidate?.(score, i + 1, candidates.length);
  }
  const choice = { chosen: chooseEpochs(scores), scores };
  // on disk each `dir` is relative to the file's folder, so the run folder can move
  const rel = (s: EpochScore): EpochScore => ({ ...s, dir: path.relative(path.dirname(path.resolve(file)), path.resolve(s.dir)) });
  const chosen: Record<string, EpochScore> = {};
  for (const [size, s] of Object.entries(choice.chosen)) chosen[size] = rel(s);
  writeJsonAtomic(file, {
    chosen,
    scores: scores.map(rel),
    config: cfg,
    note: 'per size, the SFT epoch whose answers the reward model scores highest (Ouyang et al. 2022, appendix C.1); dir is relative to this file',
  });
  return choice;
}

/** Read `sft-choice.json`: the chosen epoch per size. Errors name the file and the key. */
export function readSftChoice(file: string): Record<string, number> {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found: run notebook 04-reward-model first (same runDir)`);
  let json: any;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json.chosen !== 'object' || json.chosen === null || Array.isArray(json.chosen))
    throw new Error(`${file}: expected an object "chosen" mapping size -> { epoch }`);
  const out: Record<string, number> = {};
  for (const [size, v] of Object.entries(json.chosen)) {
    const epoch = (v as any)?.epoch;
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`${file}: chosen.${size}.epoch must be an integer >= 0, got ${JSON.stringify(epoch)}`);
    out[size] = epoch;
  }
  return out;
}
