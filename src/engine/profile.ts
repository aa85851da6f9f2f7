/**
 * Where a training step's time goes, per kernel: every kernel registered for the active
 * backend is wrapped with a wall-clock timer while `profileKernels` runs `f`, and the time
 * left over (tape, engine bookkeeping, JS between kernels) is reported as `other`.
 * Kernels that call other kernels directly (not through the registry) count as one.
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  /** Kernel name as tfjs registers it (`BatchMatMul`, `Softmax`, ...). */
  kernel: string;
  /** Milliseconds per call of `f`, summed over the kernel's calls. */
  ms: number;
  /** Calls per call of `f`. */
  calls: number;
}

export interface KernelProfile {
  /** Mean wall milliseconds of one call of `f`. */
  totalMs: number;
  /** Mean milliseconds outside any kernel. */
  otherMs: number;
  /** Kernels, slowest first. */
  kernels: KernelTime[];
}

/**
 * Run `f` `reps` times (after `warmup` untimed calls) with every kernel of the active backend timed.
 * On wasm and cpu a kernel runs when it is called, so this is where the time goes. On webgpu a
 * kernel call only records and submits GPU work, so the figures are the host's dispatch cost
 * per kernel, and `other` includes the wait for the GPU at the step's read-back.
 */
export async function profileKernels(f: () => void | Promise<void>, reps = 5, warmup = 1): Promise<KernelProfile> {
  for (let i = 0; i < warmup; i++) await f();
  const backendName = tf.getBackend();
  const acc = new Map<string, { ms: number; calls: number }>();
  const originals = tf.getKernelsForBackend(backendName);
  let depth = 0;
  for (const k of originals) {
    const inner = k.kernelFunc;
    const timed: tf.KernelFunc = (args) => {
      // a kernel run from inside another (through tf ops) counts toward the outer one only
      if (depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        depth--;
        const e = acc.get(k.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        acc.set(k.kernelName, e);
      }
    };
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({ ...k, kernelFunc: timed });
  }
  let wall = 0;
  try {
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await f();
      wall += performance.now() - t0;
    }
  } finally {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backendName);
      tf.registerKernel(k);
    }
  }
  const kernels = [...acc].map(([kernel, e]) => ({ kernel, ms: e.ms / reps, calls: e.calls / reps })).sort((a, b) => b.ms - a.ms);
  const totalMs = wall / reps;
  return { totalMs, otherMs: totalMs - kernels.reduce((s, k) => s + k.ms, 0), kernels };
}

/** The profile as text: one line per kernel, then the time outside kernels. */
export function formatProfile(p: KernelProfile, top = 20): string {
  const line = (name: string, ms: number, calls: string) =>
    `  ${name.padEnd(20)}${ms.toFixed(1).padStart(8)} ms${((100 * ms) / p.totalMs).toFixed(0).padStart(5)}%${calls.padStart(8)}`;
  const shown = p.kernels.slice(0, top);
  const rest = p.kernels.slice(top);
  return [
    `  ${'kernel'.padEnd(20)}${'ms/step'.padStart(11)}${'share'.padStart(6)}${'calls'.padStart(8)}`,
    ...shown.map((k) => line(k.kernel, k.ms, k.calls.toFixed(0))),
    ...(rest.length
      ? [
          line(
            `(${rest.length} others)`,
            rest.reduce((s, k) => s + k.ms, 0),
            rest.reduce((s, k) => s + k.calls, 0).toFixed(0),
          ),
        ]
      : []),
    line('(outside kernels)', p.otherMs, ''),
    line('total', p.totalMs, ''),
  ].join('\n');
}

/** Two profiles of the same step side by side (e.g. fused kernels off / on), by kernel. */
export function formatProfileComparison(before: KernelProfile, after: KernelProfile, labels = ['before', 'after'], top = 20): string {
  const names = [...new Set([...before.kernels, ...after.kernels].sort((a, b) => b.ms - a.ms).map((k) => k.kernel))];
  const get = (p: KernelProfile, name: string) => p.kernels.find((k) => k.kernel === name) ?? { ms: 0, calls: 0 };
  const line = (name: string, a: { ms: number; calls: number | string }, b: { ms: number; calls: number | string }) =>
    `  ${name.padEnd(20)}${a.ms.toFixed(1).padStart(9)}${String(a.calls).padStart(7)}${b.ms.toFixed(1).padStart(9)}${String(b.calls).padStart(7)}`;
  const sum = (p: KernelProfile, ns: string[]) => ({ ms: ns.reduce((s, n) => s + get(p, n).ms, 0), calls: ns.reduce((s, n) => s + get(p, n).calls, 0) });
  const shown = names.slice(0, top);
  const rest = names.slice(top);
  const round = (k: { ms: number; calls: number }) => ({ ms: k.ms, calls: Math.round(k.calls) });
  return [
    `  ${''.padEnd(20)}${labels[0].padStart(16)}${labels[1].padStart(16)}`,
    `  ${'kernel'.padEnd(20)}${'ms'.padStart(9)}${'calls'.padStart(7)}${'ms'.padStart(9)}${'calls'.padStart(7)}`,
    ...shown.map((n) => line(n, round(get(before, n)), round(get(after, n)))),
    ...(rest.length ? [line(`(${rest.length} others)`, round(sum(before, rest)), round(sum(after, rest)))] : []),
    line('(outside kernels)', { ms: before.otherMs, calls: '' }, { ms: after.otherMs, calls: '' }),
    line('total', { ms: before.totalMs, calls: '' }, { ms: after.totalMs, calls: '' }),
  ].join('\n');
}
