/**
 * Execute one notebook through nbclient (environment/run_notebook.py) and report each
 * cell as it finishes. The Python side writes the (partial) executed notebook after
 * every cell; this side only relays its JSON-line events.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { jupyterEnv } from './kernel-spec';
import { processAlive } from '../util/process';

export interface CellEvent {
  event: 'start' | 'kernel' | 'cell' | 'error' | 'done' | 'fatal';
  pid?: number | null;
  index?: number;
  code_index?: number;
  of?: number;
  cells?: number;
  seconds?: number;
  source?: string;
  stderr?: string;
  message?: string;
  timeout?: boolean;
}

export interface ExecuteResult {
  ok: boolean;
  /** per executed code cell: notebook cell index and seconds */
  cells: { index: number; seconds: number }[];
  failure?: { index: number; codeCell: number; codeCells: number; source: string; stderr: string; seconds: number };
  /** kernel missing, kernel died, python missing */
  fatal?: string;
  seconds: number;
}

/**
 * The runner's PID, passed to the Python driver and the kernel it starts: Jupyter starts a
 * kernel in a session of its own, so no signal of the runner reaches it, and a runner killed
 * with SIGKILL would leave it running (finishing its cell, writing into the run folder).
 * The driver asks Linux to end it with its parent; the kernel launcher polls this PID and
 * exits when the runner is gone.
 */
export const OWNER_ENV = 'WORKBOOK_RUNNER_PID';

export const RUN_NOTEBOOK_PY = path.resolve(__dirname, '../../environment/run_notebook.py');

/** Notebook executions in flight: the Python runner and the kernel it started. */
const active = new Map<ReturnType<typeof spawn>, { kernelPid: number | null }>();

/**
 * Stop the notebooks being executed (on Ctrl-C or SIGTERM of the runner). The kernel runs in
 * its own session, so it is stopped by its pid once the Python runner has gone (or after
 * `graceMs`); nothing is left running.
 */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all(
    [...active].map(async ([child, info]) => {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const pid = info.kernelPid;
      if (pid && processAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        await new Promise((r) => setTimeout(r, 1000));
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    }),
  );
}

export function pythonExecutable(): string {
  if (process.env.WORKBOOK_PYTHON) return process.env.WORKBOOK_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export function executeNotebook(
  input: string,
  output: string,
  opts: { cwd: string; kernel: string; timeoutSeconds: number; onEvent?: (e: CellEvent) => void },
): Promise<ExecuteResult> {
  const started = Date.now();
  const result: ExecuteResult = { ok: false, cells: [], seconds: 0 };
  return new Promise((resolve) => {
    const args = [RUN_NOTEBOOK_PY, input, output, '--cwd', opts.cwd, '--kernel', opts.kernel, '--timeout', String(opts.timeoutSeconds)];
    const child = spawn(pythonExecutable(), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1', WORKBOOK_INLINE_PLOTLY: '0', [OWNER_ENV]: String(process.pid) },
    });
    const info = { kernelPid: null as number | null };
    active.set(child, info);
    child.once('close', () => active.delete(child));
    let buffer = '';
    let codeCells = 0;
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let e: CellEvent;
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        if (e.event === 'start') codeCells = e.cells ?? 0;
        if (e.event === 'kernel') info.kernelPid = typeof e.pid === 'number' ? e.pid : null;
        if (e.event === 'cell') result.cells.push({ index: e.index!, seconds: e.seconds! });
        if (e.event === 'error') {
          result.cells.push({ index: e.index!, seconds: e.seconds! });
          result.failure = {
            index: e.index!,
            codeCell: (e.code_index ?? 0) + 1,
            codeCells: codeCells,
            source: e.source ?? '',
            stderr: e.stderr ?? '',
            seconds: e.seconds ?? 0,
          };
        }
        if (e.event === 'fatal') result.fatal = e.message;
        opts.onEvent?.(e);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => {
      result.fatal = `cannot start ${pythonExecutable()} (${err.message}); run \`npm run setup\``;
      result.seconds = (Date.now() - started) / 1000;
      resolve(result);
    });
    child.on('close', (code, signal) => {
      result.seconds = (Date.now() - started) / 1000;
      result.ok = code === 0;
      if (!result.ok && !result.failure && !result.fatal) {
        const last = stderr
          .trim()
          .split('\n')
          .filter((l) => !/Debugger warning|frozen modules|PYDEVD|Debugging will proceed/.test(l))
          .slice(-15)
          .join('\n');
        const how = signal ? `was stopped by ${signal}` : `exited with status ${code}`;
        result.fatal = `the notebook runner ${how}${last ? ':\n' + last : ''}`;
      }
      resolve(result);
    });
  });
}
