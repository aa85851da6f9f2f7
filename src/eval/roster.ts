/**
 * Every model the evaluation compares, found in the run folder: for each size, GPT (the
 * pretrained base), GPT prompted (the base behind a few-shot prefix), SFT (the epoch the
 * reward model chose), PPO and PPO-ptx. A model that was not trained in this run is listed
 * with `dir: null` and a note, so tables say "not trained in this run" instead of crashing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { artifacts } from '../util/artifacts';
import { readSftChoice } from '../train/sft-selection';

export const MODEL_KINDS = ['gpt', 'gpt-prompted', 'sft', 'ppo', 'ppo-ptx'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The paper's names for the kinds (its Figure 1 legend). */
export const KIND_LABELS: Record<ModelKind, string> = {
  gpt: 'GPT',
  'gpt-prompted': 'GPT (prompted)',
  sft: 'SFT',
  ppo: 'PPO',
  'ppo-ptx': 'PPO-ptx',
};

export const NOT_TRAINED = 'not trained in this run';

export interface ModelEntry {
  kind: ModelKind;
  size: string;
  /** Checkpoint folder, or null when the model does not exist in this run. */
  dir: string | null;
  /** How it was found ("epoch 3, chosen by RM score") or why it is missing. */
  note: string;
}

/** A folder holding a checkpoint (its config.json). */
export function isCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.json'));
}

/** SFT epochs saved for a size, ascending. */
export function sftEpochs(runDir: string, size: string): number[] {
  const root = artifacts(runDir).sftRoot(size);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((f) => /^epoch-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m && isCheckpoint(path.join(root, m[0])))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The epoch 04 chose for `size` (reward/sft-choice.json, read strictly); null when 04 has not run or chose none for it. */
export function chosenSftEpoch(runDir: string, size: string): number | null {
  const file = artifacts(runDir).sftChoice;
  if (!fs.existsSync(file)) return null;
  return readSftChoice(file)[size] ?? null;
}

function sftEntry(runDir: string, size: string): ModelEntry {
  const epochs = sftEpochs(runDir, size);
  if (!epochs.length) return { kind: 'sft', size, dir: null, note: NOT_TRAINED };
  const chosen = chosenSftEpoch(runDir, size);
  if (chosen !== null && epochs.includes(chosen))
    return { kind: 'sft', size, dir: artifacts(runDir).sftEpoch(size, chosen), note: `epoch ${chosen}, chosen by RM score` };
  const last = epochs[epochs.length - 1];
  const why = chosen === null ? 'no RM choice in this run' : `the chosen epoch ${chosen} is missing`;
  return { kind: 'sft', size, dir: artifacts(runDir).sftEpoch(size, last), note: `epoch ${last}, the last (${why})` };
}

/**
 * The roster of one run: one entry per (kind, size), sizes in the given order.
 */
export function modelRoster(runDir: string, sizes: readonly string[]): ModelEntry[] {
  const a = artifacts(runDir);
  const out: ModelEntry[] = [];
  for (const kind of MODEL_KINDS) {
    for (const size of sizes) {
      if (kind === 'sft') {
        out.push(sftEntry(runDir, size));
        continue;
      }
      const dir = kind === 'gpt' || kind === 'gpt-prompted' ? a.pretrain(size) : a.ppo(size, kind);
      if (!isCheckpoint(dir)) out.push({ kind, size, dir: null, note: NOT_TRAINED });
      else out.push({ kind, size, dir, note: kind === 'gpt-prompted' ? 'the GPT checkpoint behind a few-shot prefix' : 'final checkpoint' });
    }
  }
  return out;
}

/** Intermediate PPO checkpoints `ppo/<size>/<kind>-steps/step-<n>/`, by step (for the over-optimisation curve). */
export function ppoStepDir(runDir: string, size: string, kind: 'ppo' | 'ppo-ptx', step: number): string {
  return path.join(path.dirname(artifacts(runDir).ppo(size, kind)), `${kind}-steps`, `step-${step}`);
}

export function ppoSteps(runDir: string, size: string, kind: 'ppo' | 'ppo-ptx'): { step: number; dir: string }[] {
  const root = path.dirname(ppoStepDir(runDir, size, kind, 0));
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((f) => /^step-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m && isCheckpoint(path.join(root, m[0])))
    .map((m) => ({ step: Number(m[1]), dir: path.join(root, m[0]) }))
    .sort((x, y) => x.step - y.step);
}
