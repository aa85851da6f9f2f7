/**
 * The SFT dataset as the fine-tuning loop reads it: demonstrations from notebook 01's
 * `demonstrations.jsonl`, checked row by row, split into training and validation BY USER
 * (the paper's rule: one user's prompts never sit in two sets).
 */
import { readJsonl } from '../util/jsonl';
import { Rng } from '../util/random';
import type { Demonstration } from '../data/types';

const FIELDS = ['prompt_id', 'user_id', 'labeler_id', 'category', 'prompt', 'answer'] as const;

/** Read demonstrations; a bad row fails with `file:line: "field" ...`. */
export function loadDemonstrations(file: string): Demonstration[] {
  return readJsonl(file, (v: any) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a demonstration object');
    for (const k of FIELDS) if (typeof v[k] !== 'string') throw new Error(`"${k}" must be a string, got ${JSON.stringify(v[k])}`);
    for (const k of ['prompt_id', 'user_id', 'prompt'] as const) if (!v[k]) throw new Error(`"${k}" must not be empty`);
    return Object.fromEntries(FIELDS.map((k) => [k, v[k]])) as unknown as Demonstration;
  });
}

/**
 * Hold out the demonstrations of a `fraction` of the users (at least one user, and at least
 * one left for training), chosen by a seeded shuffle of the sorted user ids.
 */
export function splitDemonstrationsByUser<D extends { user_id: string }>(
  demos: readonly D[],
  fraction: number,
  seed: number | string,
): { train: D[]; validation: D[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`splitDemonstrationsByUser: fraction must be in (0, 1), got ${fraction}`);
  const users = [...new Set(demos.map((d) => d.user_id))].sort();
  if (users.length < 2) throw new Error(`splitDemonstrationsByUser: need demonstrations from at least 2 users, got ${users.length}`);
  const nHeld = Math.min(users.length - 1, Math.max(1, Math.round(users.length * fraction)));
  const held = new Set(new Rng(`sft-split:${seed}`).shuffle(users).slice(0, nHeld));
  return { train: demos.filter((d) => !held.has(d.user_id)), validation: demos.filter((d) => held.has(d.user_id)) };
}
