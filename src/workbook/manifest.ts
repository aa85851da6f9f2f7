/** What a run was made with: git commit, versions, backend, seed, profile. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');

const PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node-gpu',
  'danfojs-node',
  'arquero',
  'plotly.js-dist-min',
  'tslab',
  'typescript',
];

export interface Manifest {
  runId: string;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  /** why a run ended interrupted (the signal and the notebook it stopped) */
  reason?: string;
  profile: string;
  seed: number;
  params: Record<string, unknown>;
  git: { commit: string | null; dirty: boolean | null };
  versions: Record<string, string | null>;
  /** from the setup notebook's `setup/engine.json`; null when 00-setup did not run */
  backend: { backend: string; reason: string; tfjsVersion?: string } | null;
  /** cpuModel and memoryGiB are absent in runs made before they were recorded */
  machine: { platform: string; arch: string; cpus: number; cpuModel?: string; memoryGiB?: number };
  startedAt: string;
  finishedAt: string | null;
  notebooks: { name: string; status: 'ok' | 'failed' | 'not run' | 'interrupted'; seconds: number | null; failedCell?: number }[];
  /** a run made with --fork: the notebooks copied from another run (not run here), and that run's commit */
  forkedFrom?: { runId: string; commit: string | null; notebooks: string[] };
}

function run(cmd: string, args: string[], cwd = ROOT): string | null {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function packageVersion(name: string): string | null {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [ROOT] }), 'utf8')).version;
  } catch {
    return null;
  }
}

/** The machine a run ran on: seconds compare only between runs on the same kind of machine. */
export function machine(): Manifest['machine'] {
  const cpus = os.cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((10 * os.totalmem()) / 2 ** 30) / 10,
  };
}

export function gitInfo(): Manifest['git'] {
  const commit = run('git', ['rev-parse', 'HEAD']);
  const status = run('git', ['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === null ? null : status.length > 0 };
}

export function versions(python: string): Record<string, string | null> {
  const out: Record<string, string | null> = { node: process.version };
  for (const p of PACKAGES) out[p] = packageVersion(p);
  out.python = run(python, ['-c', 'import sys; print(sys.version.split()[0])']);
  out.nbclient = run(python, ['-c', 'import nbclient; print(nbclient.__version__)']);
  return out;
}

/** The engine the setup notebook chose (it writes `<runDir>/setup/engine.json`). */
export function recordedBackend(runDir: string): Manifest['backend'] {
  const file = path.join(runDir, 'setup', 'engine.json');
  if (!fs.existsSync(file)) return null;
  try {
    const e = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { backend: e.backend, reason: e.reason, tfjsVersion: e.tfjsVersion };
  } catch {
    return null;
  }
}
