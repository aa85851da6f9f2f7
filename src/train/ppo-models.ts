/**
 * The four networks PPO starts from, read from a run folder:
 *
 *   policy     pi_RL  <- the SFT checkpoint chosen by RM score (reward/sft-choice.json);
 *                        the last SFT epoch, with a note, when notebook 04 has not chosen
 *   reference  pi_SFT <- a frozen copy of the same checkpoint
 *   reward     r_theta <- reward/model (trunk + reward_head), frozen
 *   value      V      <- a copy of the reward model: trunk + a value_head = the reward_head
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../model/checkpoint';
import { GPT } from '../model/gpt';
import { ScalarHead } from '../model/heads';
import { artifacts, requireArtifact } from '../util/artifacts';
import type { PpoConfig } from './ppo-config';
import type { PpoModels } from './ppo-types';
import { loadRewardModel } from './reward';
import { readSftChoice } from './sft-selection';

export interface PpoStart {
  models: PpoModels;
  /** The SFT checkpoint the policy and reference come from. */
  sftDir: string;
  sftEpoch: number;
  /** How the SFT epoch was picked (printed by the notebook). */
  note: string;
}

/** The SFT epoch to start from: the RM's choice, else the last epoch on disk (with why). */
export function chooseSftEpoch(runDir: string, size: string): { epoch: number; note: string } {
  const a = artifacts(runDir);
  const root = requireArtifact(a.sftRoot(size), `SFT checkpoints of size ${size}`, '03-sft');
  const epochs = fs
    .readdirSync(root)
    .map((f) => /^epoch-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]))
    .sort((x, y) => x - y);
  if (epochs.length === 0) throw new Error(`${root}: no epoch-<n> checkpoints: run notebook 03-sft first (same runDir)`);
  const last = epochs[epochs.length - 1];
  if (!fs.existsSync(a.sftChoice))
    return { epoch: last, note: `no ${a.sftChoice} yet (notebook 04 chooses the SFT epoch by RM score): starting from the last SFT epoch, ${last}` };
  const chosen = readSftChoice(a.sftChoice)[size];
  if (chosen === undefined) return { epoch: last, note: `${a.sftChoice} has no choice for size ${size}: starting from the last SFT epoch, ${last}` };
  if (!epochs.includes(chosen)) throw new Error(`${a.sftChoice}: chose epoch ${chosen} for size ${size}, but ${a.sftEpoch(size, chosen)} does not exist`);
  return { epoch: chosen, note: `SFT epoch ${chosen}, chosen by the reward model's score` };
}

/** `valueTrunk` 'frozen' skips the copy of the RM trunk (the value head then reads the RM's own);
 *  `valueInit` 'zero' starts the value head at 0 instead of at the reward head. */
export function loadPpoModels(
  runDir: string,
  size: string,
  valueTrunk: PpoConfig['valueTrunk'] = 'trained',
  valueInit: PpoConfig['valueInit'] = 'reward',
): PpoStart {
  const a = artifacts(runDir);
  const { epoch, note } = chooseSftEpoch(runDir, size);
  const sftDir = a.sftEpoch(size, epoch);
  const sft = loadCheckpoint(sftDir, { withOptimizer: false });
  for (const h of sft.heads.values()) h.dispose();
  const { rewardModel } = loadRewardModel(requireArtifact(a.rewardModel, 'the reward model', '04-reward-model'));
  if (rewardModel.tokenizer.vocabSize !== sft.tokenizer.vocabSize) {
    throw new Error(
      `${a.rewardModel}: its tokenizer has ${rewardModel.tokenizer.vocabSize} tokens but ${sftDir} has ${sft.tokenizer.vocabSize}; both must come from the same run`,
    );
  }
  const C = rewardModel.gpt.config.nEmbd;
  const zero = valueInit === 'zero' ? [tf.zeros([C, 1]), tf.zeros([1])] : null; // a head that predicts 0
  const head = new Map<string, tf.Tensor>([
    ['value_head.weight', zero?.[0] ?? rewardModel.head.weight],
    ['value_head.bias', zero?.[1] ?? rewardModel.head.bias],
  ]);
  const valueHead = new ScalarHead('value_head', C, 0, head);
  if (zero) tf.dispose(zero); // the head's variables hold their own reference
  const models: PpoModels = {
    policy: sft.model,
    reference: new GPT(sft.config, sft.model.weights),
    rewardModel: rewardModel.gpt,
    rewardHead: rewardModel.head,
    valueModel: valueTrunk === 'trained' ? new GPT(rewardModel.gpt.config, rewardModel.gpt.weights) : undefined,
    valueHead,
    tokenizer: sft.tokenizer,
  };
  return { models, sftDir, sftEpoch: epoch, note };
}

export function disposePpoModels(m: PpoModels): void {
  for (const x of [m.policy, m.reference, m.rewardModel, m.rewardHead, m.valueModel, m.valueHead]) x?.dispose();
}
