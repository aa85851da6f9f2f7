/**
 * `npm run workbook -- --seeds 1,2,3`: the whole workbook once per master seed (the profile's
 * `seed`, everything else the same), each into runs/<run-id>-seed<N>/, then the cross-seed
 * table in runs/<run-id>-replication/ (replication.json, .csv, .md; eval/replication.ts joins
 * the summaries). With `--continue <run-id>` each seed's folder is continued, a seed whose
 * folder does not exist yet starts fresh, and a seed whose run already finished with the same
 * profile and params is kept as it is (unless --from or --only asks for notebooks again), so an
 * interrupted replication resumes where it stopped, and seeds run side by side as separate
 * `--run-id <id>-seed<N> --param seed=<N>` runs can be joined afterwards. A seed that fails or
 * is interrupted stops the loop; the table is written only when every seed ran ok.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assertReplaceable, replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { InputError } from '../util/jsonl';
import { replicate, Replication, replicationCsv, replicationMarkdown, SeedRun } from '../eval/replication';
import { canonical } from '../util/config';
import { parseParams } from './params';
import { defaultRunId, RUN_DEFAULTS, RunOptions, runWorkbook } from './runner';

/** Runs one seed's workbook: `runWorkbook`, or a stub in tests. */
export type RunOne = (options: Partial<RunOptions>, log: (line: string) => void) => Promise<{ status: number; runDir: string }>;

export const seedRunId = (base: string, seed: number) => `${base}-seed${seed}`;
export const replicationRunId = (base: string) => `${base}-replication`;

/** "1,2,3" words -> seeds; one line naming the bad one. */
export function parseSeeds(words: readonly string[]): number[] {
  const seeds = words.map((w) => {
    if (!/^\d+$/.test(w) || !Number.isSafeInteger(Number(w))) throw new InputError(`--seeds: expected whole numbers >= 0 separated by commas, got "${w}"`);
    return Number(w);
  });
  if (!seeds.length) throw new InputError('--seeds: give at least one seed, e.g. --seeds 1,2,3');
  const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (twice !== undefined) throw new InputError(`--seeds: seed ${twice} is given twice`);
  return seeds;
}

/** Each seed's summary, read from its run folder (null where it has none). */
export function readSeedRuns(runsDir: string, base: string, seeds: readonly number[]): SeedRun[] {
  return seeds.map((seed) => {
    const runId = seedRunId(base, seed);
    const file = path.join(runsDir, runId, 'eval', 'summary.json');
    if (!fs.existsSync(file)) return { seed, runId, claims: null };
    try {
      return { seed, runId, claims: JSON.parse(fs.readFileSync(file, 'utf8')) };
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
  });
}

/**
 * True when `runDir` holds a finished run (manifest status ok) made with this profile and
 * these params: there is nothing left to run in it. A folder made with other params is not
 * finished for this replication; continuing it is refused by the runner in one line.
 */
export function finishedWith(runDir: string, profile: string, params: Record<string, unknown>): boolean {
  const read = (f: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(runDir, f), 'utf8'));
    } catch {
      return null; // missing or torn: the runner's --continue says which, in one line
    }
  };
  const manifest = read('manifest.json');
  const config = read('config.json');
  return manifest?.status === 'ok' && config?.profile === profile && canonical(config.params) === canonical(params);
}

/** runs/<base>-replication/ with replication.json, .csv and .md, replaced whole. */
export function writeReplication(dir: string, r: Replication): void {
  replaceDirAtomic(dir, 'replication', (tmp) => {
    writeJsonAtomic(path.join(tmp, 'replication.json'), r);
    writeFileAtomic(path.join(tmp, 'replication.csv'), replicationCsv(r));
    writeFileAtomic(path.join(tmp, 'replication.md'), replicationMarkdown(r));
  });
}

/**
 * Run the workbook once per seed, then write the replication table. Returns the first
 * non-zero status of a seed (nothing more runs after it), else 0. Throws InputError on bad
 * input before any run starts.
 */
export async function runSeeds(
  options: Partial<RunOptions> & { seeds: readonly number[] },
  runOne: RunOne = runWorkbook,
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<{ status: number; runDirs: string[]; replicationDir: string | null }> {
  const o = { ...RUN_DEFAULTS, ...options };
  const seeds = [...options.seeds];
  if (!seeds.length) throw new InputError('--seeds: give at least one seed, e.g. --seeds 1,2,3');
  if (o.params.some((p) => p.trim().startsWith('seed='))) throw new InputError("--param seed=... and --seeds exclude each other: --seeds sets each run's seed");
  if (o.runId && o.continueRun) throw new InputError('--run-id and --continue exclude each other: --continue names the run to add to');
  // every seed's config checked before the first run starts
  const { params } = parseParams(o.profile, o.params);
  for (const s of seeds) parseParams(o.profile, [...o.params, `seed=${s}`]);
  const base = o.continueRun ?? o.runId ?? defaultRunId(o.profile);
  if (!/^[A-Za-z0-9._-]+$/.test(base) || /^\.+$/.test(base))
    throw new InputError(`run id "${base}": expected letters, digits, ".", "_" or "-" (and not only dots)`);
  const at = (id: string) => path.resolve(o.runsDir, id);
  if (!o.continueRun) {
    const taken = seeds.map((s) => at(seedRunId(base, s))).find((d) => fs.existsSync(d));
    if (taken) throw new InputError(`run folder ${taken} already exists; choose another --run-id, or --continue ${base} to add to the seeds' runs`);
  }
  const repDir = at(replicationRunId(base));
  try {
    assertReplaceable(repDir, 'replication', { advice: 'choose another --run-id' });
  } catch (e) {
    throw new InputError((e as Error).message);
  }

  const runDirs: string[] = [];
  for (const [i, seed] of seeds.entries()) {
    const id = seedRunId(base, seed);
    const resume = !!o.continueRun && fs.existsSync(at(id));
    if (resume && !o.from && !o.only?.length && finishedWith(at(id), o.profile, parseParams(o.profile, [...o.params, `seed=${seed}`]).params)) {
      log(`workbook: seed ${seed} (${i + 1} of ${seeds.length}): ${id} already finished with these params; kept (--from or --only runs notebooks in it again)`);
      runDirs.push(at(id));
      continue;
    }
    log(
      `workbook: seed ${seed} (${i + 1} of ${seeds.length}) -> ${path.relative(process.cwd(), at(id)) || id}${o.continueRun && !resume ? ' (new: no such folder to continue)' : ''}`,
    );
    const { status, runDir } = await runOne(
      { ...options, params: [...o.params, `seed=${seed}`], runId: resume ? undefined : id, continueRun: resume ? id : undefined },
      log,
    );
    runDirs.push(runDir);
    if (status !== 0) {
      log(`workbook: seed ${seed} ended with status ${status}; no replication table (continue with --continue ${base} --seeds ${seeds.join(',')})`);
      return { status, runDirs, replicationDir: null };
    }
  }
  const replication: Replication = {
    runId: base,
    profile: o.profile,
    params,
    seeds,
    runs: seeds.map((seed) => ({ seed, runId: seedRunId(base, seed) })),
    claims: replicate(readSeedRuns(o.runsDir, base, seeds)),
  };
  writeReplication(repDir, replication);
  const agreed = replication.claims.filter((c) => c.verdict === 'reproduces').length;
  log(
    `workbook: replication over seeds ${seeds.join(', ')}: ${agreed} of ${replication.claims.length} claims reproduce with every seed -> ${path.relative(process.cwd(), repDir) || repDir}`,
  );
  return { status: 0, runDirs, replicationDir: repDir };
}
