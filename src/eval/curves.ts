/**
 * Step 6 of the evaluation: the reward model against the held-out labelers, and the
 * over-optimisation curves (best-of-n from SFT; SFT -> PPO checkpoints), proxy = RM score,
 * gold = the held-out labelers' mean score, against d = sqrt(KL to SFT).
 */
import { measureAgreement } from '../labelers/agreement';
import * as fs from 'fs';
import * as path from 'path';
import { Prompt } from '../data/types';
import { Labeler, prefer } from '../labelers/panel';
import { generate } from '../model/generate';
import { loadRewardModel } from '../train/reward';
import { artifacts } from '../util/artifacts';
import { AnswerBook, answersFor, loadModel } from './answer-book';
import { answerPrompts } from './answers';
import type { EvaluationConfig } from './eval-config';
import { heldOutScore, judgeFor } from './judge';
import { bestOfNCurve, CurvePoint } from './overoptimisation';
import { KIND_LABELS, ModelEntry, ppoSteps } from './roster';
import { answerLogProbs } from './sequence-logprobs';

// ---------------------------------------------------------------- 6. RM vs labelers, over-optimisation

/**
 * How often the reward model agrees with the held-out labelers on pairs of evaluation answers
 * (different models' answers to one prompt, ties left out), as the paper's 69.6%.
 */
export async function rewardAgreement(
  runDir: string,
  book: AnswerBook,
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  batchSize: number,
): Promise<{ accuracy: number; comparisons: number; labelersOnSamePairs: { train: number; heldOut: number } } | null> {
  const dir = artifacts(runDir).rewardModel;
  if (!fs.existsSync(path.join(dir, 'config.json'))) return null;
  const keys = Object.keys(book.answers).filter((k) => !k.startsWith('gpt-prompted'));
  if (keys.length < 2) return null;
  const { rewardModel } = loadRewardModel(dir);
  try {
    const per = keys.map((k) => answersFor(book, k, prompts)!);
    const items = per.flatMap((answers) => answers.map((answer, i) => ({ prompt: prompts[i].text, answer })));
    const scores = await rewardModel.score(items, batchSize);
    let agree = 0;
    let n = 0;
    prompts.forEach((p, i) => {
      const judge = judgeFor(panel, p);
      for (let a = 0; a < keys.length; a++) {
        for (let b = a + 1; b < keys.length; b++) {
          const v = prefer(judge, p, per[a][i], per[b][i]);
          const r = scores[a * prompts.length + i] - scores[b * prompts.length + i];
          if (v === 0 || r === 0) continue;
          n++;
          if (Math.sign(r) === v) agree++;
        }
      }
    });
    if (!n) return null;
    // the labelers' own agreement on these very pairs: the RM's bar (01-data's agreement is on other answers)
    const same = measureAgreement(
      panel,
      prompts.map((p, i) => ({ prompt: p, answers: per.map((answers) => answers[i]) })),
    );
    return { accuracy: agree / n, comparisons: n, labelersOnSamePairs: { train: same.train.mean, heldOut: same.heldOut.mean } };
  } finally {
    rewardModel.dispose();
  }
}

/** Best-of-n from the given SFT checkpoint: proxy = RM, gold = held-out labelers' mean score. */
export async function bestOfNPoints(
  runDir: string,
  sftDir: string,
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  cfg: EvaluationConfig,
  seed: number,
  onProgress?: (done: number) => void,
): Promise<CurvePoint[] | null> {
  const rmDir = artifacts(runDir).rewardModel;
  if (!fs.existsSync(path.join(rmDir, 'config.json')) || cfg.bestOfNPrompts <= 0) return null;
  const ps = prompts.slice(0, cfg.bestOfNPrompts);
  const N = Math.max(...cfg.bestOfN);
  const sft = loadModel(sftDir);
  let answers: string[];
  try {
    // prompt i's s-th sample is row i*N + s
    const texts = ps.flatMap((p) => new Array<string>(N).fill(p.text));
    answers = (
      await answerPrompts(sft.model, sft.tokenizer, texts, {
        batchSize: cfg.batchSize,
        generation: { maxNewTokens: Math.min(cfg.maxNewTokens, sft.model.config.blockSize - 8), temperature: 1, topP: 1, seed: seed + 1 },
        onBatch: onProgress,
      })
    ).answers;
  } finally {
    sft.dispose();
  }
  const { rewardModel } = loadRewardModel(rmDir);
  let scores: Float32Array;
  try {
    scores = await rewardModel.score(
      answers.map((answer, j) => ({ prompt: ps[Math.floor(j / N)].text, answer })),
      cfg.batchSize,
    );
  } finally {
    rewardModel.dispose();
  }
  const proxy = ps.map((_, i) => Array.from(scores.subarray(i * N, (i + 1) * N)));
  const gold = ps.map((p, i) => answers.slice(i * N, (i + 1) * N).map((a) => heldOutScore(panel, p, a)));
  return bestOfNCurve(proxy, gold, cfg.bestOfN);
}

/**
 * One point of the RL curve: a policy's samples (temperature 1) scored by the RM and the
 * held-out labelers, and KL(pi || pi_SFT) estimated on them.
 */
export async function policyPoint(
  label: string,
  policyDir: string,
  sftDir: string,
  rmDir: string,
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  cfg: EvaluationConfig,
  seed: number,
): Promise<CurvePoint> {
  const pol = loadModel(policyDir);
  let texts: string[];
  let pairs: { prompt: number[]; answer: number[] }[];
  let logPi: number[];
  try {
    const out = await generate(
      pol.model,
      pol.tokenizer,
      prompts.map((p) => p.text),
      { maxNewTokens: Math.min(cfg.maxNewTokens, pol.model.config.blockSize - 8), temperature: 1, topP: 1, seed },
    );
    texts = out.texts.map((t) => t.trim());
    pairs = out.promptTokens.map((prompt, i) => ({ prompt, answer: out.tokens[i] }));
    logPi = out.logprobs.map((lp) => lp.reduce((a, b) => a + b, 0));
  } finally {
    pol.dispose();
  }
  const sft = loadModel(sftDir);
  let logSft: number[];
  try {
    logSft = await answerLogProbs(sft.model, pairs, sft.tokenizer.padId, cfg.batchSize);
  } finally {
    sft.dispose();
  }
  const { rewardModel } = loadRewardModel(rmDir);
  let proxy: Float32Array;
  try {
    proxy = await rewardModel.score(
      texts.map((answer, i) => ({ prompt: prompts[i].text, answer })),
      cfg.batchSize,
    );
  } finally {
    rewardModel.dispose();
  }
  const kl = Math.max(0, logPi.reduce((s, x, i) => s + x - logSft[i], 0) / logPi.length);
  const gold = texts.reduce((s, a, i) => s + heldOutScore(panel, prompts[i], a), 0) / texts.length;
  return { label, kl, d: Math.sqrt(kl), proxy: proxy.reduce((a, b) => a + b, 0) / proxy.length, gold };
}

/** The policies of one size's RL curve, in order: SFT, intermediate PPO / PPO-ptx snapshots, the finals. */
export function rlPolicies(runDir: string, roster: readonly ModelEntry[], size: string): { label: string; dir: string }[] {
  const sft = roster.find((e) => e.kind === 'sft' && e.size === size);
  if (!sft?.dir) return [];
  const jobs: { label: string; dir: string }[] = [{ label: 'SFT', dir: sft.dir }];
  for (const kind of ['ppo', 'ppo-ptx'] as const) {
    for (const s of ppoSteps(runDir, size, kind)) jobs.push({ label: `${KIND_LABELS[kind]} step ${s.step}`, dir: s.dir });
    const final = roster.find((e) => e.kind === kind && e.size === size);
    if (final?.dir) jobs.push({ label: KIND_LABELS[kind], dir: final.dir });
  }
  return jobs;
}

/** The RL curve of one size: SFT (d = 0), any intermediate PPO checkpoints, the final PPO and PPO-ptx. */
export async function rlPoints(
  runDir: string,
  roster: readonly ModelEntry[],
  size: string,
  prompts: readonly Prompt[],
  panel: readonly Labeler[],
  cfg: EvaluationConfig,
  seed: number,
  onProgress?: (done: number, total: number) => void,
): Promise<CurvePoint[] | null> {
  const rmDir = artifacts(runDir).rewardModel;
  const jobs = rlPolicies(runDir, roster, size);
  if (jobs.length < 2 || !fs.existsSync(path.join(rmDir, 'config.json'))) return null;
  const ps = prompts.slice(0, cfg.klPrompts);
  const points: CurvePoint[] = [];
  for (const [i, j] of jobs.entries()) {
    const p = await policyPoint(j.label, j.dir, jobs[0].dir, rmDir, ps, panel, cfg, seed);
    onProgress?.(i + 1, jobs.length);
    points.push(i === 0 ? { ...p, kl: 0, d: 0 } : p);
  }
  return points;
}
