/**
 * The headless runner behind `npm run workbook`: checks every input first (profile, params,
 * notebooks, kernel spec) so bad input writes nothing, then executes the notebooks in
 * order into a fresh `runs/<run-id>/` with config.json, manifest.json, timings.json, the
 * executed notebooks and an HTML report.
 */
import * as fs from 'fs';
import * as path from 'path';
import { markFolder, writeJsonAtomic } from '../util/atomic';
import { InputError } from '../util/jsonl';
import { writeRunReport } from '../report/run-report';
import { executeNotebook, pythonExecutable } from './execute';
import { checkKernel } from './kernel-spec';
import { gitInfo, machine, Manifest, recordedBackend, ROOT, versions } from './manifest';
import { cellSource, injectParameters, listNotebooks, parametersCellIndex, readNotebook, selectNotebooks } from './notebook';
import { kernelParams, parseParams } from './params';
import { readHumanRankingsSplit } from '../data/humans';
import { acquireRunLock, RunLock } from './run-lock';
import { runProgress } from './terminal';
import { canonical } from '../util/config';
import { copyForkArtefacts, ForkPlan, planFork } from './fork';
import { LoadReading, sampleLoad } from './load-sampler';

export interface RunOptions {
  /** smoke | default | paper */
  profile: string;
  /** `key.path=value` overrides */
  params: string[];
  /** notebook names or number prefixes to run */
  only?: string[];
  /** run this notebook and every later one */
  from?: string;
  notebooksDir: string;
  runsDir: string;
  /** default: `<UTC time>-<profile>` */
  runId?: string;
  /**
   * run id of an existing run to continue: the selected notebooks run (again) in that folder,
   * using the artefacts earlier notebooks left there; profile and params must match its config
   */
  continueRun?: string;
  /**
   * run id of an existing run to start this new one from: the notebooks before the first
   * selected one are copied from it, not run (src/workbook/fork.ts says when that is allowed)
   */
  forkFrom?: string;
  /** Jupyter kernel spec name */
  kernel: string;
  /** per-cell limit */
  timeoutSeconds: number;
  report: boolean;
}

export const RUN_DEFAULTS: RunOptions = {
  profile: 'default',
  params: [],
  notebooksDir: path.join(ROOT, 'notebooks'),
  runsDir: path.join(ROOT, 'runs'),
  kernel: 'tslab',
  timeoutSeconds: 3600,
  report: true,
};

export interface CellTiming {
  index: number;
  seconds: number;
  /** first line of the cell, to recognise it */
  firstLine: string;
}

export interface NotebookTiming {
  name: string;
  seconds: number;
  cells: CellTiming[];
  /** the machine's 1-minute load average while the notebook ran (absent in runs made before it was recorded) */
  load?: LoadReading;
}

export function defaultRunId(profile: string, now = new Date()): string {
  return `${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${profile}`;
}

/** Run the workbook. Returns the exit status: 0 ok, 1 a notebook failed. Throws InputError on bad input. */
export async function runWorkbook(
  options: Partial<RunOptions>,
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<{ status: number; runDir: string }> {
  const o: RunOptions = { ...RUN_DEFAULTS, ...options };
  // 1. Check everything before writing anything.
  const { params, config } = parseParams(o.profile, o.params);
  if (config.reward.rankings) {
    // people's rankings are read, checked and split now, so a bad file stops the run before it starts
    try {
      readHumanRankingsSplit(path.resolve(ROOT, config.reward.rankings), config.reward.validationFraction, config.seed);
    } catch (e) {
      throw new InputError(`--param reward.rankings: ${(e as Error).message}`);
    }
  }
  const files = selectNotebooks(listNotebooks(o.notebooksDir), { only: o.only, from: o.from });
  if (files.length === 0) throw new InputError(`${o.notebooksDir}: no notebooks to run`);
  const notebooks = files.map((f) => {
    const nb = readNotebook(f);
    parametersCellIndex(nb, f);
    return { file: f, name: path.basename(f, '.ipynb'), nb };
  });
  checkKernel(o.kernel);
  if (o.runId && o.continueRun) throw new InputError('--run-id and --continue exclude each other: --continue names the run to add to');
  const runId = o.continueRun ?? o.runId ?? defaultRunId(o.profile);
  if (!/^[A-Za-z0-9._-]+$/.test(runId) || /^\.+$/.test(runId))
    throw new InputError(`run id "${runId}": expected letters, digits, ".", "_" or "-" (and not only dots)`);
  const runDir = path.resolve(o.runsDir, runId);
  const fresh = !o.continueRun;
  let fork: ForkPlan | null = null;
  if (o.forkFrom) {
    if (o.continueRun) throw new InputError('--fork and --continue exclude each other: --fork starts a new run (--run-id) from another one');
    const all = listNotebooks(o.notebooksDir).map((f) => path.basename(f, '.ipynb'));
    fork = planFork(path.resolve(o.runsDir, o.forkFrom), o.profile, config, all, notebooks[0].name);
  }
  let earlier: { manifest: Manifest; timings: NotebookTiming[] } | null = null;
  if (fresh && fs.existsSync(runDir))
    throw new InputError(
      `run folder ${runDir} already exists; choose another --run-id, or --continue ${runId} to add to it (earlier runs are never overwritten)`,
    );

  // 2. The run folder, locked for this runner: config and a manifest saying "running".
  let lock: RunLock;
  if (fresh) {
    fs.mkdirSync(runDir, { recursive: true });
    markFolder(runDir, 'run');
    lock = acquireRunLock(runDir, log);
  } else {
    if (!fs.existsSync(runDir)) throw new InputError(`--continue: ${runDir} not found; expected a run folder made by npm run workbook`);
    lock = acquireRunLock(runDir, log); // before reading: another runner may be writing it
    try {
      earlier = readEarlierRun(runDir, o.profile, params);
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  current = { lock, interrupted: null };
  try {
    return await runLocked();
  } finally {
    lock.release();
    current = null;
  }

  async function runLocked(): Promise<{ status: number; runDir: string }> {
    fs.mkdirSync(path.join(runDir, 'notebooks'), { recursive: true });
    if (fresh) writeJsonAtomic(path.join(runDir, 'config.json'), { profile: o.profile, params, config });
    if (fork) {
      log(`workbook: copying ${fork.copied.join(', ')} from ${fork.baseRunId}`);
      copyForkArtefacts(fork, runDir);
    }
    const selected = notebooks.map((n) => ({ name: n.name, status: 'not run' as const, seconds: null }));
    const manifest: Manifest = {
      runId,
      status: 'running',
      profile: o.profile,
      seed: config.seed,
      params,
      git: gitInfo(),
      versions: versions(pythonExecutable()),
      backend: null,
      machine: machine(),
      startedAt: earlier?.manifest.startedAt ?? new Date().toISOString(),
      finishedAt: null,
      notebooks: mergeByName(earlier?.manifest.notebooks ?? fork?.manifestEntries ?? [], selected),
      ...(fork
        ? { forkedFrom: { runId: fork.baseRunId, commit: fork.baseCommit, notebooks: fork.copied } }
        : earlier?.manifest.forkedFrom
          ? { forkedFrom: earlier.manifest.forkedFrom }
          : {}),
    };
    const saveManifest = () => writeJsonAtomic(path.join(runDir, 'manifest.json'), manifest);
    saveManifest();
    log(`workbook: profile ${o.profile}, ${notebooks.length} notebook(s) -> ${path.relative(process.cwd(), runDir) || runDir}`);

    // 3. Execute in order; stop at the first failure.
    let timings: NotebookTiming[] = earlier?.timings ?? fork?.timings ?? [];
    const saveTimings = () =>
      writeJsonAtomic(path.join(runDir, 'timings.json'), { profile: o.profile, totalSeconds: timings.reduce((a, t) => a + t.seconds, 0), notebooks: timings });
    /** The command that picks this run up again at notebook `from`, with the same profile and params. */
    const continueWith = (from: string, flags = '') =>
      `continue with: npm run workbook -- --continue ${runId} --profile ${o.profile} --from ${from}${flags}${o.params.map((p) => ` --param ${p}`).join('')}`;
    const bar = runProgress();
    let status = 0;
    for (let k = 0; k < notebooks.length; k++) {
      const { name, nb, file } = notebooks[k];
      const out = path.join(runDir, 'notebooks', `${name}.ipynb`);
      const injected = injectParameters(nb, { profile: o.profile, params: kernelParams(params), runDir }, file);
      writeJsonAtomic(out, injected);
      bar.notebook(name, k + 1, notebooks.length);
      let done = 0;
      const load = sampleLoad();
      const result = await executeNotebook(out, out, {
        cwd: o.notebooksDir,
        kernel: o.kernel,
        timeoutSeconds: o.timeoutSeconds,
        onEvent: (e) => {
          if (e.event === 'cell') bar.cell(++done, e.of ?? 0, e.seconds ?? 0);
        },
      });
      bar.finish(result.ok, result.seconds);
      const loadReading = load.stop();
      const stopped = current?.interrupted;
      if (stopped) {
        manifest.notebooks = mergeByName(manifest.notebooks, [{ name, status: 'interrupted', seconds: result.seconds }]);
        manifest.status = 'interrupted';
        manifest.reason = `${stopped} during ${name}`;
        manifest.finishedAt = new Date().toISOString();
        saveManifest();
        log(`\nworkbook: interrupted by ${stopped} during ${name}.ipynb; partial notebook kept: ${path.relative(process.cwd(), out)}`);
        log(continueWith(name));
        return { status: SIGNAL_STATUS[stopped], runDir };
      }
      const executed = readNotebook(out);
      timings = mergeByName(timings, [
        {
          name,
          seconds: result.seconds,
          cells: result.cells.map((c) => ({
            index: c.index,
            seconds: Math.round(c.seconds * 1000) / 1000,
            firstLine: cellSource(executed.cells[c.index]).split('\n')[0].slice(0, 80),
          })),
          load: loadReading,
        },
      ]);
      manifest.notebooks = mergeByName(manifest.notebooks, [
        { name, status: result.ok ? 'ok' : 'failed', seconds: result.seconds, ...(result.failure ? { failedCell: result.failure.index } : {}) },
      ]);
      saveManifest();
      saveTimings(); // after every notebook, so an interrupted run keeps what it measured
      if (!result.ok) {
        status = 1;
        const rel = path.relative(process.cwd(), out);
        if (result.failure) {
          const f = result.failure;
          const errorLine = (lines: string[]) => lines.find((l) => /\b\w*Error\b:/.test(l)) ?? lines[0]; // the error, not its stack
          manifest.reason = `${name}: code cell ${f.codeCell} of ${f.codeCells} (cell index ${f.index}) failed${f.stderr.trim() ? `: ${errorLine(f.stderr.trim().split('\n')).trim().slice(0, 200)}` : ''}`;
          log(`\nworkbook: ${name}.ipynb failed at cell index ${f.index} (code cell ${f.codeCell} of ${f.codeCells}) after ${f.seconds.toFixed(1)}s`);
          log(`--- cell index ${f.index}: source ---\n${f.source}\n--- stderr ---\n${f.stderr.trim() || '(empty)'}\n---`);
        } else {
          manifest.reason = `${name}: ${(result.fatal ?? 'did not run').split('\n')[0]}`;
          log(`\nworkbook: ${name}.ipynb did not run: ${result.fatal}`);
        }
        log(`partial notebook kept: ${rel}`);
        if (result.failure && /\bA cell timed out\b/.test(result.failure.stderr)) {
          // nbclient's cell limit, not an error in the cell: long stages keep checkpoints (05's every
          // `saveEvery` iterations), so the same run can pick up where it stopped, with more time
          log(`the cell ran past --cell-timeout ${o.timeoutSeconds} s (a busy or slow machine); it keeps what it checkpointed.`);
          log(continueWith(name, ` --cell-timeout ${2 * o.timeoutSeconds}`));
        }
        break;
      }
    }

    // 4. Timings, manifest, report.
    saveTimings();
    manifest.status = status === 0 && manifest.notebooks.every((n) => n.status === 'ok') ? 'ok' : 'failed';
    if (manifest.status === 'ok') delete manifest.reason; // a --continue that succeeds clears an earlier failure's reason
    manifest.finishedAt = new Date().toISOString();
    manifest.backend = recordedBackend(runDir);
    saveManifest();
    if (o.report) {
      try {
        const index = writeRunReport(runDir);
        log(`report: ${path.relative(process.cwd(), index)}`);
      } catch (e) {
        log(`workbook: the HTML report failed: ${(e as Error).message}`);
        status = status || 1;
      }
    }
    const ran = timings.filter((t) => notebooks.some((n) => n.name === t.name));
    log(
      `workbook: ${status === 0 ? 'ok' : 'FAILED'} in ${ran.reduce((a, t) => a + t.seconds, 0).toFixed(1)}s (${ran.map((t) => `${t.name} ${t.seconds.toFixed(1)}s`).join(', ')})`,
    );
    return { status, runDir };
  }
}

/** Exit status of a run stopped by a signal (128 + its number, as a shell reports it). */
export const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof SIGNAL_STATUS;

/** The run in progress in this process, if any. */
let current: { lock: RunLock; interrupted: StopSignal | null } | null = null;

/**
 * A signal arrived: the notebook in flight is being stopped (see execute.ts's stopAll). The
 * runner then records the run as interrupted, with the reason, instead of failed. Returns
 * false when no run is in progress.
 */
export function markInterrupted(signal: StopSignal): boolean {
  if (!current) return false;
  current.interrupted ??= signal;
  return true;
}

/** `base` with the entries of `updates` replacing those of the same name; sorted by name. */
export function mergeByName<T extends { name: string }>(base: T[], updates: T[]): T[] {
  const byName = new Map(base.map((x) => [x.name, x] as [string, T]));
  for (const u of updates) byName.set(u.name, u);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The manifest and timings of a run to continue; its profile and params must match. */
function readEarlierRun(runDir: string, profile: string, params: Record<string, unknown>): { manifest: Manifest; timings: NotebookTiming[] } {
  const read = (f: string) => {
    const file = path.join(runDir, f);
    if (!fs.existsSync(file)) throw new InputError(`--continue: ${file} not found; expected a run folder made by npm run workbook`);
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`--continue: ${file}: not valid JSON (${(e as Error).message})`);
    }
  };
  const config = read('config.json');
  if (config.profile !== profile || canonical(config.params) !== canonical(params)) {
    throw new InputError(
      `--continue: ${path.basename(runDir)} was made with --profile ${config.profile} and params ${JSON.stringify(config.params)}; pass the same to continue it (got --profile ${profile}, params ${JSON.stringify(params)})`,
    );
  }
  const timingsFile = path.join(runDir, 'timings.json');
  return { manifest: read('manifest.json'), timings: fs.existsSync(timingsFile) ? (read('timings.json').notebooks ?? []) : [] };
}
