/**
 * npm run workbook -- [--profile smoke|default|gpu|paper] [--only 02,03] [--from 02]
 *                     [--param key.path=value ...] [--run-id id] [--seeds 1,2,3]
 *                     [--continue id] [--fork id --run-id new --from 05]
 */
import { Command } from 'commander';
import * as path from 'path';
import { parseCommand } from '../util/cli';
import { InputError } from '../util/jsonl';
import { stopAll } from './execute';
import { parseSeeds, runSeeds } from './replication';
import { markInterrupted, RUN_DEFAULTS, runWorkbook, SIGNAL_STATUS, StopSignal } from './runner';

const collect = (v: string, all: string[]) => all.concat(v);
const list = (v: string, all: string[]) =>
  all.concat(
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const program = new Command('workbook')
  .description('Execute the workbook notebooks headless on the tslab kernel and write runs/<run-id>/ with an HTML report')
  .option('--profile <name>', 'smoke | default | paper', RUN_DEFAULTS.profile)
  .option('--param <key=value>', 'override a config value, e.g. data.sftPrompts=200 (repeatable)', collect, [] as string[])
  .option('--only <names>', 'run only these notebooks (names or number prefixes, comma-separated)', list, [] as string[])
  .option('--from <name>', 'run this notebook and every later one')
  .option('--run-id <id>', 'name of the run folder under runs/ (default: UTC time + profile)')
  .option('--continue <id>', 'run the selected notebooks in an existing run folder, using the artefacts earlier notebooks left there')
  .option(
    '--fork <id>',
    'start a new run (--run-id) from an existing one: the notebooks before the first selected one are copied from it, not run; a param may differ only where no copied notebook reads it',
  )
  .option(
    '--seeds <list>',
    'run the whole workbook once per master seed (e.g. 1,2,3) into runs/<run-id>-seed<N>, then the cross-seed table in runs/<run-id>-replication',
    list,
    [] as string[],
  )
  .option('--notebooks-dir <dir>', 'folder of notebooks', RUN_DEFAULTS.notebooksDir)
  .option('--runs-dir <dir>', 'folder of runs', RUN_DEFAULTS.runsDir)
  .option('--kernel <name>', 'Jupyter kernel spec', RUN_DEFAULTS.kernel)
  .option('--cell-timeout <seconds>', 'per-cell time limit', String(RUN_DEFAULTS.timeoutSeconds))
  .option('--no-report', 'skip the HTML report');

async function main(): Promise<void> {
  const o = parseCommand(program, process.argv.slice(2));
  if (!o) return;
  const timeout = Number(o.cellTimeout);
  if (!Number.isInteger(timeout) || timeout <= 0) throw new InputError(`--cell-timeout: expected a whole number of seconds, got "${o.cellTimeout}"`);
  const run = {
    profile: o.profile,
    params: o.param,
    only: o.only,
    from: o.from,
    runId: o.runId,
    continueRun: o.continue,
    forkFrom: o.fork,
    notebooksDir: path.resolve(o.notebooksDir),
    runsDir: path.resolve(o.runsDir),
    kernel: o.kernel,
    timeoutSeconds: timeout,
    report: o.report,
  };
  if (o.fork && o.seeds.length) throw new InputError("--fork and --seeds exclude each other: fork each seed's run on its own (--fork RUN-seedN --run-id ...)");
  const { status } = o.seeds.length ? await runSeeds({ ...run, seeds: parseSeeds(o.seeds) }) : await runWorkbook(run);
  process.exitCode = status;
}

let stoppingAt = 0;
// Ctrl-C, kill, a closed terminal: stop the notebook in flight (its partial output is kept),
// let the runner record the run as interrupted, then exit 128 + the signal's number. A second
// signal, or a runner that has not finished 30 s later, exits at once. A repeat within a second
// is the same stop arriving twice, not a second one: `npm run` starts this file under tsx's CLI,
// which relays a signal it got to the runner unless it sees the runner got it too, and a kill of
// the process group (pkill, a service manager) reaches both.
const REPEAT_MS = 1000;
for (const signal of Object.keys(SIGNAL_STATUS) as StopSignal[]) {
  process.on(signal, () => {
    if (stoppingAt) {
      if (Date.now() - stoppingAt > REPEAT_MS) process.exit(SIGNAL_STATUS[signal]);
      return;
    }
    stoppingAt = Date.now();
    process.stderr.write(`\nworkbook: ${signal}: stopping the running notebook (its partial output is kept)\n`);
    const running = markInterrupted(signal);
    void stopAll().then(() => {
      if (!running) process.exit(SIGNAL_STATUS[signal]);
      setTimeout(() => process.exit(SIGNAL_STATUS[signal]), 30_000).unref();
    });
  });
}

main().catch((e) => {
  if (e instanceof InputError) {
    process.stderr.write(`workbook: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`workbook: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  }
});
