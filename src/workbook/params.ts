/** `--param key=value` strings -> typed dotted overrides, checked against the profile. */
import * as path from 'path';
import { parseOverride } from '../util/config';
import { InputError } from '../util/jsonl';
import { profileConfig, workbookConfig, WorkbookConfig } from './profiles';
import { ROOT } from './manifest';

/** Keys of the profile a notebook would overwrite, with what to pass instead: refused. */
const SET_BY_THE_WORKBOOK: Record<string, string> = {
  'ppo.trainer.seed': "every stage takes the run's one seed; use --param seed=N",
};

/** Params that name a file: read relative to where the command was typed (npm's INIT_CWD). */
const FILE_PARAMS = ['reward.rankings'];

/**
 * A file param as the run records it: relative to the checkout when the file lies inside it
 * (so the run's config and report name no machine path), absolute otherwise. Notebooks get
 * them as absolute paths (see kernelParams).
 */
function fileParam(value: string, typedIn: string): string {
  if (!value) return value;
  const abs = path.resolve(typedIn, value);
  const rel = path.relative(ROOT, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

function valueAt(nested: any, key: string): unknown {
  return key.split('.').reduce((node, k) => node[k], nested);
}

/** The params as a notebook receives them: file params as absolute paths, since a kernel's
 *  working folder is the notebooks folder, not the checkout. */
export function kernelParams(params: Record<string, unknown>): Record<string, unknown> {
  const out = { ...params };
  for (const key of FILE_PARAMS) if (typeof out[key] === 'string' && out[key]) out[key] = path.resolve(ROOT, out[key] as string);
  return out;
}

/** `["data.sftPrompts=200"]` -> `{"data.sftPrompts": 200}`; throws one line naming the key. */
export function parseParams(profile: string, assignments: string[]): { params: Record<string, unknown>; config: WorkbookConfig } {
  let base: WorkbookConfig;
  try {
    base = profileConfig(profile);
  } catch (e) {
    throw new InputError(`--profile: ${(e as Error).message}`);
  }
  const params: Record<string, unknown> = {};
  for (const a of assignments) {
    try {
      const nested = parseOverride(base, a, '--param');
      const key = a.slice(0, a.indexOf('=')).trim();
      if (SET_BY_THE_WORKBOOK[key]) throw new Error(`--param: ${key} is set by the workbook: ${SET_BY_THE_WORKBOOK[key]}`);
      const value = valueAt(nested, key);
      params[key] = FILE_PARAMS.includes(key) ? fileParam(value as string, process.env.INIT_CWD ?? process.cwd()) : value;
    } catch (e) {
      throw new InputError((e as Error).message);
    }
  }
  try {
    return { params, config: workbookConfig(profile, params) };
  } catch (e) {
    throw new InputError(`--param: ${(e as Error).message}`);
  }
}
