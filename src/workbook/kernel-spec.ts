/**
 * Each checkout has its own tslab kernel spec: `npm run setup` writes
 * `environment/jupyter/kernels/tslab/kernel.json` (ignored by git), starting this checkout's
 * `environment/tslab-kernel.cjs`, and everything that starts a kernel puts that folder first
 * on JUPYTER_PATH. A spec registered machine-wide would be re-pointed by the next checkout's
 * set-up, and a kernel started from another checkout's launcher loads a second tslab whose
 * display the notebooks cannot reach.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../util/jsonl';
import { pythonExecutable } from './execute';

const ROOT = path.resolve(__dirname, '../..');

/** The program this checkout's kernel spec starts: tslab with its sends queued (see its header). */
export const TSLAB_LAUNCHER = path.join(ROOT, 'environment', 'tslab-kernel.cjs');

/** The Jupyter data folder searched first for kernel specs (WORKBOOK_JUPYTER_PATH overrides it). */
export function kernelSpecRoot(): string {
  return process.env.WORKBOOK_JUPYTER_PATH || path.join(ROOT, 'environment', 'jupyter');
}

/** `env` with this checkout's kernel spec folder first on JUPYTER_PATH. */
export function jupyterEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const rest = env.JUPYTER_PATH ? [env.JUPYTER_PATH] : [];
  return { ...env, JUPYTER_PATH: [kernelSpecRoot(), ...rest].join(path.delimiter) };
}

export interface KernelSpecInfo {
  /** the program the spec starts (argv[0]) */
  program: string;
  /** the folder holding its kernel.json */
  dir: string;
}

/** Kernel specs as this checkout's runner sees them, or null when Jupyter itself is missing. */
export function kernelSpecs(): Record<string, KernelSpecInfo> | null {
  const script =
    'import json; from jupyter_client.kernelspec import KernelSpecManager as K; m = K(); ' +
    'print(json.dumps({n: {"program": (s.argv or [""])[0], "dir": s.resource_dir} for n in sorted(m.find_kernel_specs()) for s in [m.get_kernel_spec(n)]}))';
  const r = spawnSync(pythonExecutable(), ['-c', script], { encoding: 'utf8', env: jupyterEnv() });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** Refuse a kernel spec that does not start this checkout's launcher, by full path. */
export function checkKernel(kernel: string): void {
  const specs = kernelSpecs();
  if (specs === null) throw new InputError(`Jupyter not found for ${pythonExecutable()} (jupyter_client/nbclient missing); run \`npm run setup\``);
  const names = Object.keys(specs);
  if (!names.includes(kernel))
    throw new InputError(`kernel spec "${kernel}" not found (installed: ${names.join(', ') || 'none'}); run \`npm run setup\` to register tslab`);
  const { program, dir } = specs[kernel];
  // A clone that was set up and then deleted leaves a spec whose program no longer exists.
  if (path.isAbsolute(program) && !fs.existsSync(program)) {
    throw new InputError(
      `kernel spec "${kernel}" starts ${program}, which does not exist (registered from another checkout?); run \`npm run setup\` here to re-register it`,
    );
  }
  // Another checkout's launcher (or tslab bare) loads a tslab of its own: outputs lose their
  // charts and tables, or a long notebook's kernel dies on zeromq's EBUSY.
  if (!samePath(program, TSLAB_LAUNCHER)) {
    throw new InputError(
      `kernel spec "${kernel}" (${dir}) starts ${program}, not this checkout's ${TSLAB_LAUNCHER}; run \`npm run setup\` here to register this checkout's kernel`,
    );
  }
}
