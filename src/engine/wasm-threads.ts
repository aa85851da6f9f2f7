/**
 * Multi-threaded XNNPACK for the wasm backend in Node.
 *
 * tfjs-backend-wasm ships a threaded SIMD build whose Emscripten glue supports Node's
 * worker_threads, but tfjs switches it off in Node (its feature flag answers false) and the
 * loader hands the workers Blob URLs, which Node workers cannot open. Here, only while the
 * backend initialises: the flag is set, `Blob` / `URL.createObjectURL` write the worker and
 * main scripts to a temporary folder and return file paths, and `os.cpus()` reports 2x the
 * wanted threads (the C++ side uses half the logical cores). Then XNNPACK's matmuls run on
 * `threads` threads. Elementwise kernels stay single-threaded. Results do not depend on the
 * thread count (XNNPACK splits a matmul by output tiles, never the sum).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeOwnedTempDir, removeDirQuietly, removeOrphanedDirs } from '../util/process';

/** Names the node bundle of tfjs-backend-wasm gives its imports (the worker lacks them). */
const BUNDLE_GLOBALS =
  'var require$$0=require("fs"),require$$1=require("path"),require$$3=require("perf_hooks"),require$$4=require("os"),commonjsGlobal=globalThis;';

const SCRIPT_PREFIX = 'rlhf-wasm-threads-';
let dir: string | null = null;

/** The worker scripts' folder, removed on exit; a kernel killed outright cannot, so each new
 *  folder first sweeps away those whose owner process is gone. */
function scriptDir(): string {
  if (dir == null) {
    removeOrphanedDirs(SCRIPT_PREFIX);
    dir = makeOwnedTempDir(SCRIPT_PREFIX);
    const made = dir;
    process.once('exit', () => removeDirQuietly(made));
  }
  return dir;
}

/**
 * Initialise the wasm backend with `threads` XNNPACK threads (call instead of
 * `tf.setBackend('wasm')`, before the wasm backend was first used). Returns the thread
 * count the module reports.
 */
export async function setWasmBackendThreaded(threads: number): Promise<number> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount: (n: number) => void; getThreadsCount: () => number };
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) throw new Error(`wasm threads must be an integer in 1..8, got ${threads}`);
  if (threads === 1) {
    await tf.setBackend('wasm');
    return wasm.getThreadsCount();
  }
  const g = globalThis as { Blob: unknown };
  const url = URL as unknown as { createObjectURL: (b: unknown) => string };
  const osm = require('os') as { cpus: () => os.CpuInfo[] };
  const saved = { Blob: g.Blob, createObjectURL: url.createObjectURL, cpus: osm.cpus };
  const folder = scriptDir();
  let n = 0;
  class FileBlob {
    readonly path: string;
    constructor(parts: string[]) {
      let text = parts.join('');
      // The worker receives the main script as this object (cloned): read its path back.
      if (text.includes('cmd==="load"')) text = 'URL.createObjectURL=function(b){return b.path};' + text;
      else text = BUNDLE_GLOBALS + text;
      this.path = path.join(folder, `script-${n++}.js`);
      fs.writeFileSync(this.path, text);
    }
  }
  g.Blob = FileBlob;
  url.createObjectURL = (b: unknown) => (b as FileBlob).path;
  osm.cpus = () => {
    const real = saved.cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  try {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('threaded wasm backend failed to initialise');
  } finally {
    g.Blob = saved.Blob;
    url.createObjectURL = saved.createObjectURL;
    osm.cpus = saved.cpus;
  }
  const backend = tf.backend() as unknown as { wasm: { PThread?: { unusedWorkers: { unref?: () => void }[]; runningWorkers: { unref?: () => void }[] } } };
  // Pool workers must not keep the process alive once the program is done.
  for (const w of [...(backend.wasm.PThread?.unusedWorkers ?? []), ...(backend.wasm.PThread?.runningWorkers ?? [])]) w.unref?.();
  return wasm.getThreadsCount();
}
