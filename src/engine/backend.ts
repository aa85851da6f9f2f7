/**
 * Backend selection: pick the fastest TensorFlow.js backend that really works here, say why,
 * and patch it where it is known to be slow or incomplete (the wasm fixes).
 *
 * Order, fastest first: `tensorflow` (a real tfjs-node-gpu / tfjs-node addon)
 * > `webgpu` (Dawn via the `webgpu` package, only on a hardware adapter that passes a
 * self-check against wasm) > `wasm` > `cpu` (only when asked). `RLHF_BACKEND` forces one.
 */
import * as tf from '@tensorflow/tfjs';
import * as os from 'os';
import { registerWasmFixes } from './wasm-fixes';
import { registerWebGpuAdam } from './webgpu-adam';
import { gpuDeviceVisible, installWebGpu, softwareRequested, webGpuSelfCheck } from './webgpu';
import { setWasmBackendThreaded } from './wasm-threads';

export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface Candidate {
  /** Backend name as tfjs registers it. */
  name: string;
  /** Whether it loaded (and passed its check). */
  ok: boolean;
  /** Why it was taken or refused, in one line. */
  why: string;
}

export interface EngineInfo {
  /** The backend now active in tfjs. */
  backend: string;
  /** Why this one was chosen (forced, or the first that worked). */
  reason: string;
  /** Version of @tensorflow/tfjs in use. */
  tfjsVersion: string;
  /** wasm only: threads the wasm module runs with. */
  threads?: number;
  /** Every backend tried, in order, with the outcome. */
  candidates: Candidate[];
}

export interface EngineOptions {
  /** Force a backend (`auto` or omitted: choose). Wins over the RLHF_BACKEND variable. */
  backend?: string;
  /**
   * wasm only: XNNPACK threads (1..8), fixed when wasm first starts. Wins over the
   * RLHF_WASM_THREADS variable; default `defaultThreads()`: the cores idle at start, at
   * most 4 (threads help only on otherwise idle cores; on busy ones they wait for each
   * other). Results do not depend on it (test/engine/wasm-threads-determinism.test.ts).
   * On a shared machine, set RLHF_WASM_THREADS=1: other jobs may start later.
   */
  threads?: number;
}

const cache = new Map<string, EngineInfo>();
let pending: Promise<EngineInfo> | null = null;

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/** Resolve which backend is requested: an option, RLHF_BACKEND, or `auto`. */
export function requestedBackend(opts: EngineOptions = {}): { name: BackendName | 'auto'; source: string } {
  const fromOpt = opts.backend;
  const fromEnv = process.env.RLHF_BACKEND;
  const raw = fromOpt != null && fromOpt !== '' ? fromOpt : fromEnv != null && fromEnv !== '' ? fromEnv : 'auto';
  const source = fromOpt != null && fromOpt !== '' ? 'option backend' : fromEnv != null && fromEnv !== '' ? 'RLHF_BACKEND' : 'auto';
  const name = raw.trim().toLowerCase();
  if (name === 'auto') return { name: 'auto', source };
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`${source}: unknown backend "${raw}"; valid: ${BACKENDS.join(', ')}, auto`);
  }
  return { name: name as BackendName, source };
}

/** Try to make `tensorflow` (the native libtensorflow binding) available. */
function tryTensorflow(): Candidate {
  const why: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(pkg);
    } catch (e) {
      why.push(`${pkg}: ${errorText(e)}`);
      continue;
    }
    // '@tensorflow/tfjs-node' may be aliased to plain tfjs (it is here): only a registered
    // 'tensorflow' backend proves the native addon loaded.
    if (tf.findBackendFactory('tensorflow') != null) {
      return { name: 'tensorflow', ok: true, why: `${pkg} loaded the native libtensorflow addon` };
    }
    why.push(`${pkg}: loads but registers no 'tensorflow' backend (not the native addon)`);
  }
  return { name: 'tensorflow', ok: false, why: why.join('; ') };
}

/** Most XNNPACK threads chosen by default (small products gain little from more). */
export const MAX_DEFAULT_THREADS = 4;

/**
 * Default wasm threads from the cores found idle at start (measureIdleCores): 1 per idle
 * core, 1..MAX_DEFAULT_THREADS; a core counts when at least 80% idle. Threads help only on
 * idle cores: on a busy one every parallel product waits for the descheduled thread (here a
 * step took 2.7x as long with 2 threads while another process used the second core). The
 * count changes speed only, never a number: XNNPACK splits a product by output tiles and
 * every tile sums in the same order (test/engine/wasm-threads-determinism.test.ts).
 */
export function defaultThreads(idleCores: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, Math.floor(idleCores + 0.2)));
}

/**
 * Idle cores now: the idle share of every core over `ms` milliseconds, summed (from
 * os.cpus() times; unlike the load average it has no minute-long memory of a process that
 * just ended, e.g. the previous notebook's kernel).
 */
export async function measureIdleCores(ms = 100): Promise<number> {
  const total = (t: os.CpuInfo['times']) => t.user + t.nice + t.sys + t.idle + t.irq;
  const before = os.cpus();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = os.cpus();
  let idle = 0;
  after.forEach((c, i) => {
    const spent = total(c.times) - total(before[i]?.times ?? c.times);
    idle += spent > 0 ? (c.times.idle - before[i].times.idle) / spent : 1;
  });
  return idle;
}

/**
 * Threads the wasm backend should start with: option, RLHF_WASM_THREADS, else
 * defaultThreads(idleCores) (null when neither is set and no idle count is given).
 */
export function requestedThreads(opts: EngineOptions = {}, idleCores?: number): number | null {
  const raw = opts.threads ?? process.env.RLHF_WASM_THREADS;
  if (raw == null || raw === '') return idleCores == null ? null : defaultThreads(idleCores);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new Error(`${opts.threads != null ? 'option threads' : 'RLHF_WASM_THREADS'}: expected an integer 1..8, got "${raw}"`);
  }
  return n;
}

let wasmThreads = 1;
let wasmStarted = false;
let wasmThreadsError: string | null = null;
let wasmThreadsSource = 'default';

async function activate(name: BackendName): Promise<void> {
  if (name === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
    if (!wasmStarted && wasmThreads > 1) {
      wasmStarted = true;
      try {
        await setWasmBackendThreaded(wasmThreads);
      } catch (e) {
        // fall back to the single-threaded build (the factory stays registered)
        wasmThreadsError = `threaded wasm (${wasmThreads} threads) failed, using 1: ${errorText(e)}`;
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        (require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount: (n: number) => void }).setThreadsCount(1);
      }
    }
    wasmStarted = true;
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  if (name === 'wasm') registerWasmFixes();
  if (name === 'webgpu') registerWebGpuAdam();
  quietCpuBanner();
}

/**
 * tfjs's cpu backend prints a banner ("install our node backend") at its first tensor; the
 * engine already says which backend it chose and why, once.
 */
function quietCpuBanner(): void {
  if (tf.findBackendFactory('cpu') == null) return;
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

async function tryBackend(name: BackendName, forced: boolean): Promise<Candidate> {
  try {
    if (name === 'tensorflow') {
      const c = tryTensorflow();
      if (!c.ok) return c;
      await activate('tensorflow');
      return c;
    }
    if (name === 'webgpu') {
      // unforced, probe only where a GPU is visible: Dawn prints Vulkan warnings where none is
      if (!forced && !gpuDeviceVisible()) return { name, ok: false, why: 'no GPU device (/dev/nvidia0, /dev/dri/renderD*) or Vulkan driver named: not probed' };
      const adapter = await installWebGpu({ allowSoftware: forced && softwareRequested() });
      await activate('webgpu');
      const err = await webGpuSelfCheck(adapter);
      if (err != null) {
        await activate('wasm');
        return { name, ok: false, why: err };
      }
      return { name, ok: true, why: adapter.description };
    }
    await activate(name);
    if (name === 'cpu') return { name, ok: true, why: 'reference JS kernels' };
    const build =
      threadsOf('wasm')! > 1
        ? `threaded SIMD build, ${threadsOf('wasm')} XNNPACK threads (${wasmThreadsSource})`
        : `SIMD build, 1 thread (${wasmThreadsSource})`;
    return { name, ok: true, why: `${build}; BatchMatMul + UnsortedSegmentSum fixes registered${wasmThreadsError ? ` (${wasmThreadsError})` : ''}` };
  } catch (e) {
    return { name, ok: false, why: errorText(e) };
  }
}

function threadsOf(name: string): number | undefined {
  if (name !== 'wasm') return undefined;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount?: () => number };
  return wasm.getThreadsCount ? wasm.getThreadsCount() : 1;
}

async function choose(opts: EngineOptions): Promise<EngineInfo> {
  const req = requestedBackend(opts);
  if (!wasmStarted && (req.name === 'auto' || req.name === 'wasm')) {
    const set = requestedThreads(opts);
    if (set != null) {
      wasmThreads = set;
      wasmThreadsSource = opts.threads != null ? 'option threads' : 'RLHF_WASM_THREADS';
    } else {
      const idle = await measureIdleCores();
      wasmThreads = defaultThreads(idle);
      wasmThreadsSource = `default: ${idle.toFixed(1)} of ${os.cpus().length} cores idle`;
    }
  }
  const candidates: Candidate[] = [];
  if (req.name !== 'auto') {
    const c = await tryBackend(req.name, true);
    candidates.push(c);
    if (!c.ok) throw new Error(`${req.source} forces backend "${req.name}", which is unavailable: ${c.why}`);
    return { backend: req.name, reason: `forced by ${req.source}`, tfjsVersion: tf.version.tfjs, threads: threadsOf(req.name), candidates };
  }
  for (const name of ['tensorflow', 'webgpu', 'wasm'] as const) {
    const c = await tryBackend(name, false);
    candidates.push(c);
    if (c.ok) {
      const refused = candidates.filter((x) => !x.ok).map((x) => x.name);
      const reason = refused.length ? `${name}: first that works (${refused.join(', ')} unavailable)` : `${name}: fastest available`;
      return { backend: name, reason, tfjsVersion: tf.version.tfjs, threads: threadsOf(name), candidates };
    }
  }
  throw new Error(`no tfjs backend works: ${candidates.map((c) => `${c.name}: ${c.why}`).join('; ')}`);
}

/**
 * Choose and activate a backend. Idempotent: calling again with the same request returns
 * the same info without re-initialising; a different explicit request switches backend.
 */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  const key = requestedBackend(opts).name;
  while (pending) await pending.catch(() => undefined);
  const hit = cache.get(key);
  if (hit) {
    if (tf.getBackend() !== hit.backend) await activate(hit.backend as BackendName);
    return hit;
  }
  pending = choose(opts);
  try {
    const info = await pending;
    cache.set(key, info);
    cache.set(info.backend, info);
    return info;
  } finally {
    pending = null;
  }
}
