/**
 * PPO's checkpoint: the policy at `dir` (loadable as any checkpoint, with its Adam state), the
 * value network at `dir/value`, and the metrics rows beside them, replaced atomically as one
 * folder. A run resumes from it only when its config is the same (iterations aside).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import { Adam } from '../engine/optimizer';
import { CHECKPOINT_FOLDER, encodeCheckpoint, loadCheckpoint, namedOptimizerState, readCheckpointConfig, writeCheckpointInto } from '../model/checkpoint';
import { replaceDirAtomic } from '../util/atomic';
import { restoreAdam } from './adam-state';
import { mergeConfig } from '../util/config';
import { readJsonl } from '../util/jsonl';
import { PPO_DEFAULTS, PpoConfig } from './ppo-config';
import { METRICS, PpoModels, PpoRow } from './ppo-types';

const VALUE_DIR = 'value';
const METRICS_JSONL = 'metrics.jsonl';
const METRICS_CSV = 'metrics.csv';

/** Copies `from` into the variables `into`, each by name; throws naming a missing or misshapen one. */
export function assignWeights(into: Map<string, tf.Variable>, from: Map<string, tf.Variable>, where: string): void {
  for (const [name, p] of into) {
    const t = from.get(name);
    if (!t) throw new Error(`${where}: lacks ${name}`);
    if (t.shape.join(',') !== p.shape.join(',')) throw new Error(`${where}: ${name} has shape [${t.shape}] but the model has [${p.shape}]`);
    p.assign(t);
  }
}

export interface SavedState {
  iteration: number;
  klCoef: number;
  config: PpoConfig;
  /** What the run started from (e.g. fingerprints of the SFT checkpoint and the reward model):
   *  a checkpoint made from other ones is not resumed. */
  origin?: Record<string, string>;
}

export async function savePpoCheckpoint(
  dir: string,
  models: PpoModels,
  adams: { policy: Adam; value: Adam },
  state: SavedState,
  rows: PpoRow[],
): Promise<void> {
  const policyState = namedOptimizerState(models.policy.weights, adams.policy.state(), adams.policy.step);
  const valueState = namedOptimizerState(valueWeights(models), adams.value.state(), adams.value.step);
  try {
    const policy = await encodeCheckpoint({
      model: models.policy,
      tokenizer: models.tokenizer,
      optimizerState: policyState,
      extra: { stage: 'ppo', ppo: state },
    });
    const value = await encodeCheckpoint({
      model: models.valueModel ?? models.rewardModel,
      tokenizer: models.tokenizer,
      heads: [models.valueHead],
      optimizerState: valueState,
      extra: { stage: 'ppo-value', ppo: state },
    });
    replaceDirAtomic(
      dir,
      'checkpoint',
      (tmp) => {
        writeCheckpointInto(tmp, policy);
        writeCheckpointInto(path.join(tmp, VALUE_DIR), value);
        fs.writeFileSync(path.join(tmp, METRICS_JSONL), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
        fs.writeFileSync(path.join(tmp, METRICS_CSV), rows.length ? aq.from(rows).toCSV() + '\n' : METRICS.join(',') + '\n');
      },
      CHECKPOINT_FOLDER,
    );
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

/** Load a saved run into the models and optimizers; a run with another config, or started from
 *  other models than `origin` names, is not resumed (the note says why). */
export async function resumePpoCheckpoint(
  dir: string,
  models: PpoModels,
  adams: { policy: Adam; value: Adam },
  config: PpoConfig,
  origin: Record<string, string> = {},
): Promise<{ state: SavedState; rows: PpoRow[] } | { note: string }> {
  const configFile = path.join(dir, 'config.json');
  const saved = readCheckpointConfig(dir).extra.ppo as SavedState | undefined;
  if (!saved || typeof saved.iteration !== 'number') throw new Error(`${configFile}: not a PPO checkpoint (no extra.ppo.iteration)`);
  const { iterations: _a, ...want } = config;
  const { iterations: _b, ...have } = mergeConfig(PPO_DEFAULTS, saved.config, `${configFile}: extra.ppo.config`);
  const diff = configDiff(have, want);
  if (diff)
    return {
      note: `${configFile} holds a PPO run with another config (${diff}, saved vs now): starting over; its checkpoint is replaced at this run's first save`,
    };
  const from = configDiff(saved.origin ?? {}, origin);
  if (from)
    return {
      note: `${configFile} holds a PPO run started from other models (${from}, saved vs now): starting over; its checkpoint is replaced at this run's first save`,
    };
  const policyCkpt = loadCheckpoint(dir);
  const valueCkpt = loadCheckpoint(path.join(dir, VALUE_DIR));
  try {
    assignWeights(models.policy.weights, policyCkpt.model.weights, `${dir}: policy`);
    if (models.valueModel) assignWeights(models.valueModel.weights, valueCkpt.model.weights, `${dir}/${VALUE_DIR}`);
    const head = valueCkpt.heads.get('value_head');
    if (!head) throw new Error(`${path.join(dir, VALUE_DIR, 'config.json')}: no value_head`);
    assignWeights(models.valueHead.weights, head.weights, `${dir}/${VALUE_DIR}: value_head`);
    for (const [adam, weights, saved, file] of [
      [adams.policy, models.policy.weights, policyCkpt.optimizerState, path.join(dir, 'optimizer.safetensors')],
      [adams.value, valueWeights(models), valueCkpt.optimizerState, path.join(dir, VALUE_DIR, 'optimizer.safetensors')],
    ] as const) {
      if (!saved) throw new Error(`${file}: not found (a PPO checkpoint keeps its optimizer state)`);
      await restoreAdam(adam, weights, saved, file);
    }
  } finally {
    for (const c of [policyCkpt, valueCkpt]) {
      c.model.dispose();
      for (const h of c.heads.values()) h.dispose();
      for (const t of c.optimizerState?.values() ?? []) t.dispose();
    }
  }
  const rows = readJsonl<PpoRow>(path.join(dir, METRICS_JSONL), (r: any) => {
    for (const k of METRICS) if (!(k in r)) throw new Error(`row lacks "${k}"`);
    for (const k of Object.keys(r)) if (r[k] === null) r[k] = NaN; // JSON writes NaN as null
    return r as PpoRow;
  });
  if (rows.length !== saved.iteration)
    throw new Error(`${path.join(dir, METRICS_JSONL)}: ${rows.length} rows but the checkpoint is at iteration ${saved.iteration}`);
  return { state: saved, rows };
}
