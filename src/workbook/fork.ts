/**
 * `--fork BASE`: a new run that starts from another run's finished notebooks. The notebooks
 * before the first selected one are not run again: their artefacts, executed notebooks and
 * timings are copied from BASE. That is what makes an ablation of a late stage cheap (a PPO
 * lever costs 05 and 06, not the 40 minutes of 00-04 again), and it is safe only when the
 * copied notebooks would have computed the same thing, so:
 *
 * - the profile is BASE's;
 * - a param may differ from BASE's only in a config section that no copied notebook reads
 *   (`SECTION_FIRST_READER`: `ppo.*` from 05 on, `evaluation.*` from 06, ...);
 * - every copied notebook finished ("ok") in BASE.
 *
 * BASE is only read. The fork's manifest says where each copied notebook came from (run id
 * and commit), so a reader knows which code made which stage.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../util/jsonl';
import { canonical } from '../util/config';
import type { WorkbookConfig } from './profiles';
import type { Manifest } from './manifest';
import type { NotebookTiming } from './runner';

/** The number prefix of the first notebook that reads each config section. */
export const SECTION_FIRST_READER: Record<keyof WorkbookConfig, string> = {
  seed: '00',
  data: '00',
  tokenizer: '00',
  models: '00',
  pretrain: '02',
  sft: '03',
  reward: '04',
  ppo: '05',
  evaluation: '06',
  after: '07',
};

/** The folders of a run each notebook writes (by number prefix); see src/util/artifacts.ts. */
export const NOTEBOOK_OUTPUTS: Record<string, string[]> = {
  '00': ['setup'],
  '01': ['data'],
  '02': ['tokenizer', 'pretrain'],
  '03': ['sft'],
  '04': ['reward'],
  '05': ['ppo'],
  '06': ['eval'],
  '07': ['after'],
};

export interface ForkPlan {
  baseDir: string;
  baseRunId: string;
  baseCommit: string | null;
  /** the notebooks copied from the base, in order */
  copied: string[];
  manifestEntries: Manifest['notebooks'];
  timings: NotebookTiming[];
}

export interface ForkedFrom {
  runId: string;
  commit: string | null;
  notebooks: string[];
}

const prefix = (name: string) => name.slice(0, 2);

function readJson(file: string): any {
  if (!fs.existsSync(file)) throw new InputError(`--fork: ${file} not found; expected a run folder made by npm run workbook`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`--fork: ${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Checks a fork before anything is written; throws one line naming what does not fit.
 * `wanted`: the fork's resolved config; `allNames`: every notebook of the workbook in order;
 * `first`: the first one to run.
 */
export function planFork(baseDir: string, profile: string, wanted: WorkbookConfig, allNames: string[], first: string): ForkPlan {
  if (!fs.existsSync(baseDir)) throw new InputError(`--fork: ${baseDir} not found; expected a run folder made by npm run workbook`);
  const config = readJson(path.join(baseDir, 'config.json'));
  const manifest: Manifest = readJson(path.join(baseDir, 'manifest.json'));
  const baseRunId = path.basename(baseDir);
  if (config.profile !== profile)
    throw new InputError(`--fork: ${baseRunId} was made with --profile ${config.profile}; a fork keeps its base's profile (got --profile ${profile})`);
  const copied = allNames.slice(0, allNames.indexOf(first));
  if (copied.length === 0)
    throw new InputError(`--fork: the first notebook to run is ${first}, so nothing would be copied from ${baseRunId}; use --from or --only to start later`);
  // The configs as resolved (profile + params), so a profile default changed since the base
  // counts as much as a --param.
  for (const [key, was, now] of differences(config.config ?? {}, wanted)) {
    const reader = SECTION_FIRST_READER[key.split('.')[0] as keyof WorkbookConfig];
    const readers = copied.filter((n) => reader === undefined || prefix(n) >= reader);
    if (readers.length > 0) {
      throw new InputError(
        `--fork: ${key} is ${was} in ${baseRunId} and ${now} here, but ${readers[0]} reads it and would be copied, not run; run from ${reader ?? '00'} (--from), or pass the base's value`,
      );
    }
  }
  const entries = new Map((manifest.notebooks ?? []).map((n) => [n.name, n]));
  for (const name of copied) {
    const entry = entries.get(name);
    if (entry?.status !== 'ok')
      throw new InputError(
        `--fork: ${name} did not finish in ${baseRunId} (${entry ? entry.status : 'not run'}); finish it there first (--continue ${baseRunId})`,
      );
    for (const folder of NOTEBOOK_OUTPUTS[prefix(name)] ?? []) {
      // 00 writes setup/ in every run; a later stage's folder must be there
      if (!fs.existsSync(path.join(baseDir, folder)))
        throw new InputError(`--fork: ${baseRunId}/${folder} not found, though ${name} finished there; the run folder is incomplete`);
    }
  }
  const timingsFile = path.join(baseDir, 'timings.json');
  const timings: NotebookTiming[] = fs.existsSync(timingsFile)
    ? (readJson(timingsFile).notebooks ?? []).filter((t: NotebookTiming) => copied.includes(t.name))
    : [];
  return {
    baseDir,
    baseRunId,
    baseCommit: manifest.git?.commit ?? null,
    copied,
    manifestEntries: copied.map((name) => entries.get(name)!),
    timings,
  };
}

/** Copies the planned notebooks' folders and executed notebooks into `runDir` (new, locked). */
export function copyForkArtefacts(plan: ForkPlan, runDir: string): void {
  for (const name of plan.copied) {
    for (const folder of NOTEBOOK_OUTPUTS[prefix(name)] ?? []) {
      const from = path.join(plan.baseDir, folder);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(runDir, folder), { recursive: true, errorOnExist: true, force: false });
    }
    const nb = path.join(plan.baseDir, 'notebooks', `${name}.ipynb`);
    if (fs.existsSync(nb)) {
      fs.mkdirSync(path.join(runDir, 'notebooks'), { recursive: true });
      fs.copyFileSync(nb, path.join(runDir, 'notebooks', `${name}.ipynb`), fs.constants.COPYFILE_EXCL);
    }
  }
}

/** Leaf paths where two configs differ, with both values as JSON ("absent" where missing). */
export function differences(a: unknown, b: unknown, at = ''): [string, string, string][] {
  const isObject = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    return keys.flatMap((k) => differences((a as any)[k], (b as any)[k], at ? `${at}.${k}` : k));
  }
  if (canonical(a ?? null) === canonical(b ?? null)) return [];
  const show = (x: unknown) => (x === undefined ? 'absent' : JSON.stringify(x));
  return [[at, show(a), show(b)]];
}
