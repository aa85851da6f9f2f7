/**
 * What the evaluation reads from notebook 01's folder of the run: the sealed evaluation
 * prompts (or the dev prompts, for tuning), the labeler panel (only its held-out labelers
 * judge: `judgingPanel` picks the sealed or the dev ones) and the labelers' measured agreement.
 * Every reader names the file and the key when the input is wrong.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadPrompts } from '../data/prompts';
import { Prompt } from '../data/types';
import { CRITERIA } from '../labelers/criteria';
import { Labeler } from '../labelers/panel';
import { InputError, readJsonl } from '../util/jsonl';
import { artifacts, requireArtifact } from '../util/artifacts';

/** The prompts of the dev split (tuning, measurements before 06) or of the sealed eval split (06 only). */
export function loadSplitPrompts(runDir: string, split: 'dev' | 'eval'): Prompt[] {
  const what = split === 'dev' ? 'dev prompts' : 'evaluation prompts';
  return loadPrompts(requireArtifact(path.join(artifacts(runDir).data, `prompts-${split}.jsonl`), what, '01-data'));
}

/** The sealed evaluation prompts. */
export function loadEvalPrompts(runDir: string): Prompt[] {
  return loadSplitPrompts(runDir, 'eval');
}

function readJson(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** The labeler panel written by 01-data (panel.json), validated field by field; a panel
 *  written before dev judges existed (no "dev" field) loads with `dev: false` throughout. */
export function loadPanel(file: string): Labeler[] {
  const json = readJson(file);
  if (!Array.isArray(json)) throw new InputError(`${file}: expected an array of labelers, got ${typeof json}`);
  return json.map((l: any, i: number) => {
    const at = `${file}: labeler ${i}`;
    if (!l || typeof l !== 'object') throw new InputError(`${at}: expected an object`);
    if (typeof l.labeler_id !== 'string' || !l.labeler_id) throw new InputError(`${at}: "labeler_id" must be a non-empty string`);
    if (typeof l.heldOut !== 'boolean') throw new InputError(`${at} (${l.labeler_id}): "heldOut" must be true or false`);
    if (l.dev !== undefined && typeof l.dev !== 'boolean') throw new InputError(`${at} (${l.labeler_id}): "dev" must be true or false (or absent)`);
    if (l.dev && l.heldOut) throw new InputError(`${at} (${l.labeler_id}): a labeler cannot be both a dev judge ("dev") and a sealed judge ("heldOut")`);
    for (const k of ['noise', 'resolution', 'terse'] as const) {
      if (typeof l[k] !== 'number' || !Number.isFinite(l[k])) throw new InputError(`${at} (${l.labeler_id}): "${k}" must be a number`);
    }
    if (!(l.resolution > 0)) throw new InputError(`${at} (${l.labeler_id}): "resolution" must be > 0`);
    if (typeof l.seed !== 'string') throw new InputError(`${at} (${l.labeler_id}): "seed" must be a string`);
    if (!l.weights || typeof l.weights !== 'object') throw new InputError(`${at} (${l.labeler_id}): "weights" must be an object`);
    for (const c of CRITERIA) {
      if (typeof l.weights[c] !== 'number' || !(l.weights[c] >= 0)) throw new InputError(`${at} (${l.labeler_id}): weights.${c} must be a number >= 0`);
    }
    return { ...l, dev: l.dev ?? false } as Labeler;
  });
}

export function loadRunPanel(runDir: string): Labeler[] {
  return loadPanel(requireArtifact(path.join(artifacts(runDir).data, 'panel.json'), 'labeler panel', '01-data'));
}

/** Inter-labeler agreement from 01-data (mean over pairs), or null when not measured. */
export function loadAgreement(runDir: string): { train: number; heldOut: number; trainStd: number; heldOutStd: number } | null {
  const file = path.join(artifacts(runDir).data, 'agreement.json');
  if (!fs.existsSync(file)) return null;
  const a = readJson(file);
  const num = (v: unknown) => (typeof v === 'number' ? v : NaN);
  return { train: num(a?.train?.mean), heldOut: num(a?.heldOut?.mean), trainStd: num(a?.train?.std), heldOutStd: num(a?.heldOut?.std) };
}

/** The training demonstrations (prompt, answer, category): the few-shot examples of GPT (prompted). */
export function loadDemonstrations(runDir: string): { prompt: string; answer: string; category: string }[] {
  const file = requireArtifact(path.join(artifacts(runDir).data, 'demonstrations.jsonl'), 'demonstrations', '01-data');
  return readJsonl(file, (v: any) => {
    for (const k of ['prompt', 'answer', 'category']) if (typeof v?.[k] !== 'string') throw new Error(`"${k}" must be a string`);
    return { prompt: v.prompt, answer: v.answer, category: v.category };
  });
}
