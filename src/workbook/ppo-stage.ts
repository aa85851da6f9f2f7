/**
 * The PPO stage of a run folder, as notebook 05 and `tools/ppo-cli.ts` both run it:
 *
 *   preparePpoStage   the tokenizer, the PPO prompts, the dev prompts it is measured on (never the
 *                     sealed evaluation prompts: 06 alone reads those), and
 *                     the pretraining token streams of the ptx term and of the alignment tax
 *   runPpoStage       for each size: SFT measured, then PPO and PPO-ptx each trained from the
 *                     chosen SFT checkpoint (first fine-tuned on the RM's best of n answers when
 *                     `ppo.rejection` is on for the size; resuming from their checkpoints) and measured on the
 *                     same prompts with the same sampler streams; the policy kept at every save
 *                     point for 06's over-optimisation curve; each iteration's rollout judged
 *                     by the dev judges as it happens (`devRolloutMetrics`)
 *
 * Displays stay with the caller: the hooks say when a run starts, each iteration, and each
 * measurement.
 */
import * as path from 'path';
import { buildCorpus, CORPUS_DEFAULTS, firstChars } from '../data/corpus';
import { loadPrompts } from '../data/prompts';
import { loadRunPanel, loadSplitPrompts } from '../eval/run-data';
import type { Prompt } from '../data/types';
import { judgingPanel, rolloutJudgement } from '../eval/judge';
import type { Labeler } from '../labelers/panel';
import { measurePolicy, MeasureOptions, PolicyMeasure } from '../eval/measure-policy';
import { ppoStepDir } from '../eval/roster';
import { checkpointFingerprint } from '../model/checkpoint';
import { Tokenizer } from '../model/tokenizer';
import { encodeStream } from '../train/batches';
import { RolloutTexts, trainPpo } from '../train/ppo';
import { disposePpoModels, loadPpoModels } from '../train/ppo-models';
import { rejectionSft, RejectionSftResult } from '../train/rejection-sft';
import type { PpoRow } from '../train/ppo-types';
import { artifacts, PolicyKind, requireArtifact } from '../util/artifacts';
import { WorkbookConfig } from './profiles';
import { ppoTrainerConfig, rejectionSftConfig } from './stage-configs';

/** Plain PPO first, then PPO-ptx, for each size. */
const PPO_KINDS: readonly PolicyKind[] = ['ppo', 'ppo-ptx'];
/** 'rejection SFT': the policy after rejection-sampling fine-tuning, before PPO (only where it is on). */
export type MeasuredModel = 'SFT' | 'rejection SFT' | 'PPO' | 'PPO-ptx';

/** What the stage reads from the run folder and the corpus. */
export interface PpoStageData {
  tokenizer: Tokenizer;
  ppoPrompts: Prompt[];
  /** the first `ppo.measurePrompts` dev prompts */
  devPrompts: Prompt[];
  pretrainTokens: Int32Array;
  heldOutTokens: Int32Array;
  /** the run's panel as the dev judges see it (`judgingPanel(panel, 'dev')`): they judge each
   *  rollout; the training labelers the RM learned from and the sealed judges never do */
  devJudges: Labeler[];
  sizes: string[];
}

/** What the stage adds to each PPO iteration's row: the dev judges' view of its rollout. */
export const DEV_METRICS = ['dev/judge_score', 'dev/refusal_rate'] as const;
export type DevMetrics = Record<(typeof DEV_METRICS)[number], number>;
export type PpoStageRow = PpoRow & DevMetrics;

/**
 * The dev judges on one rollout, so over-optimisation shows as it happens (the RM's score
 * rising while the judges' falls): `dev/judge_score`, the mean score in [0, 1] of each answer by
 * its prompt's dev judge, one judge per prompt, assigned as every judge is (`assignLabeler`);
 * `dev/refusal_rate`, the share of answers that refuse or say they do not know. The prompts
 * are PPO prompts: the judges are held out, not the prompts. `panel`: the run's, or its dev view.
 */
export function devRolloutMetrics(panel: readonly Labeler[], ppoPrompts: readonly Prompt[], rollout: RolloutTexts): DevMetrics {
  const j = rolloutJudgement(
    judgingPanel(panel, 'dev'), // the dev judges, whichever panel is passed (idempotent)
    rollout.prompts.map((i) => ppoPrompts[i]),
    rollout.answers,
  );
  return { 'dev/judge_score': j.judgeScore, 'dev/refusal_rate': j.refusalRate };
}

export function preparePpoStage(runDir: string, cfg: WorkbookConfig, sizes: string[] = cfg.models.sizes.map((s) => s.name)): PpoStageData {
  const a = artifacts(runDir);
  const pc = cfg.ppo;
  const tokenizer = Tokenizer.load(requireArtifact(a.tokenizer, 'the tokenizer', '02-pretrain'));
  // the ptx term's pretraining distribution: the same corpus split as 02 (training addresses),
  // and held-out addresses for the pretraining loss that measures the alignment tax
  const corpus = buildCorpus({ ...CORPUS_DEFAULTS, maxAddresses: cfg.pretrain.maxAddresses, seed: cfg.seed });
  const devPrompts = loadSplitPrompts(runDir, 'dev').slice(0, pc.measurePrompts);
  return {
    tokenizer,
    ppoPrompts: loadPrompts(requireArtifact(path.join(a.data, 'prompts-ppo.jsonl'), 'PPO prompts', '01-data')),
    devPrompts,
    pretrainTokens: encodeStream(tokenizer, firstChars(corpus.train, pc.pretrainChars)),
    heldOutTokens: encodeStream(tokenizer, firstChars(corpus.validation, pc.heldOutChars)),
    devJudges: judgingPanel(loadRunPanel(runDir), 'dev'),
    sizes,
  };
}

export interface PpoStageRun {
  size: string;
  kind: PolicyKind;
  /** one per iteration; rows resumed from a checkpoint saved without the dev metrics have them NaN */
  rows: PpoStageRow[];
  /** iterations loaded from the checkpoint instead of trained now */
  resumedFrom: number;
  resumeNote: string;
  seconds: number;
  /** the SFT checkpoint the policy started from, e.g. "epoch 3" */
  sft: string;
}

export interface PpoStageHooks {
  /** a size's models are loaded; `note` says which SFT epoch the policy starts from and why */
  onSize?: (size: string, note: string) => void | Promise<void>;
  /** a size's rejection-sampling fine-tuning is done (or loaded); `onRejectionProgress` ticks while it samples and trains */
  onRejection?: (size: string, r: RejectionSftResult) => void | Promise<void>;
  onRejectionProgress?: (size: string, done: number, total: number, what: string) => void | Promise<void>;
  onRunStart?: (run: { size: string; kind: PolicyKind; iterations: number; resumedFrom: number; resumeNote: string }) => void | Promise<void>;
  onIteration?: (size: string, kind: PolicyKind, row: PpoStageRow) => void | Promise<void>;
  onMeasured?: (size: string, model: MeasuredModel, m: PolicyMeasure) => void | Promise<void>;
}

/** The dev-prompt measurement of every policy of the stage: same prompts, same sampler streams. */
export function measureOptions(cfg: WorkbookConfig, data: PpoStageData): MeasureOptions {
  const t = cfg.ppo.trainer;
  return {
    maxNewTokens: t.maxNewTokens,
    temperature: t.temperature,
    seed: cfg.seed,
    heldOutTokens: data.heldOutTokens,
    heldOutWindows: 4 * t.evalPretrainBatch,
    ptxLength: t.ptxLength,
  };
}

export async function runPpoStage(
  runDir: string,
  cfg: WorkbookConfig,
  data: PpoStageData,
  hooks: PpoStageHooks = {},
): Promise<{ runs: PpoStageRun[]; measures: ({ size: string; model: MeasuredModel } & PolicyMeasure)[] }> {
  const a = artifacts(runDir);
  const devTexts = data.devPrompts.map((p) => p.text);
  const measureOpts = measureOptions(cfg, data);
  const train = { prompts: data.ppoPrompts.map((p) => p.text), pretrainTokens: data.pretrainTokens, heldOutTokens: data.heldOutTokens };
  const runs: PpoStageRun[] = [];
  const measures: ({ size: string; model: MeasuredModel } & PolicyMeasure)[] = [];
  const measure = async (size: string, model: MeasuredModel, m: PolicyMeasure) => {
    measures.push({ size, model, ...m });
    await hooks.onMeasured?.(size, model, m);
  };
  for (const size of data.sizes) {
    for (const kind of PPO_KINDS) {
      const t0 = Date.now();
      const start = loadPpoModels(runDir, size, cfg.ppo.trainer.valueTrunk, cfg.ppo.trainer.valueInit);
      try {
        if (kind === 'ppo') {
          await hooks.onSize?.(size, start.note);
          await measure(size, 'SFT', await measurePolicy({ ...start.models, policy: start.models.reference }, devTexts, measureOpts));
        }
        // a checkpoint left by a run from another SFT checkpoint or reward model (03 or 04 run
        // again), or another rejection-sampling start, starts over instead of being reloaded
        let origin: Record<string, string> = { sft: checkpointFingerprint(start.sftDir), rewardModel: checkpointFingerprint(a.rewardModel) };
        const rejection = rejectionSftConfig(cfg, size);
        if (rejection) {
          // the policy (not the reference) starts from the RM's best answers; the PPO run trains it
          // on first, the PPO-ptx run loads what that saved
          const r = await rejectionSft(start.models, train.prompts, rejection, {
            dir: a.rejectionSft(size),
            pickedFile: a.rejectionPicked(size),
            origin,
            onProgress: (done, total, what) => hooks.onRejectionProgress?.(size, done, total, what),
          });
          if (kind === 'ppo') {
            await hooks.onRejection?.(size, r);
            await measure(size, 'rejection SFT', await measurePolicy(start.models, devTexts, measureOpts));
          }
          origin = { ...origin, rejectionSft: r.fingerprint };
        }
        const result = await trainPpo(start.models, train, ppoTrainerConfig(cfg, kind, size), {
          dir: a.ppo(size, kind),
          origin,
          snapshotDir: (iteration) => ppoStepDir(runDir, size, kind, iteration),
          onStart: (s) => hooks.onRunStart?.({ size, kind, ...s }),
          onRollout: (rollout) => devRolloutMetrics(data.devJudges, data.ppoPrompts, rollout),
          onIteration: (row) => hooks.onIteration?.(size, kind, row),
        });
        await measure(size, kind === 'ppo' ? 'PPO' : 'PPO-ptx', await measurePolicy(start.models, devTexts, measureOpts));
        runs.push({
          size,
          kind,
          rows: result.rows.map((r) => ({ ...r, 'dev/judge_score': r['dev/judge_score'] ?? NaN, 'dev/refusal_rate': r['dev/refusal_rate'] ?? NaN })),
          resumedFrom: result.resumedFrom,
          resumeNote: result.resumeNote,
          seconds: (Date.now() - t0) / 1000,
          sft: `epoch ${start.sftEpoch}`,
        });
      } finally {
        disposePpoModels(start.models);
      }
    }
  }
  return { runs, measures };
}
