/**
 * `npm run gpu-check [-- --sizes d256/L4/T128,d512/L8/T256] [--steps 3] [--out runs/gpu-check]`
 *
 * The workbook's training step on webgpu against wasm on the same machine, in one process:
 * the adapter Dawn found, then per size the median ms per step on each backend, the ratio,
 * and the two losses (same seeds, so they agree to float rounding), then KV-cache generation
 * on both. environment/gpu-check.sh runs this as part of its one-call check of a GPU machine.
 * Exit 3 when webgpu does not start (the message says why); 1 on any other failure.
 */
import { Command } from 'commander';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/backend';
import type { EngineInfo } from '../engine/backend';
import { writeJsonAtomic } from '../util/atomic';
import { BenchCase, benchGeneration, pad, benchTrainStep, caseName, DEFAULTS as BENCH, matmulPeak, parseCase, profileTrainStep, StepResult } from './bench';
import { formatProfile } from '../engine/profile';

/**
 * The sizes the check times by default, batch 16 unless named: the default profile's, a
 * GPU-sized one at batch 4 on both backends (on 2026-12-04 wasm ran it in 4.4 s a step; at
 * batch 16 its wasm32 heap of at most 2 GB did not finish within minutes) and at batch 16 on
 * webgpu only.
 */
export const GPU_CASES: BenchCase[] = [
  { size: { nEmbd: 128, nLayer: 2 }, seqLen: 64 },
  { size: { nEmbd: 256, nLayer: 4 }, seqLen: 128 },
  { size: { nEmbd: 512, nLayer: 8 }, seqLen: 256, batch: 4 },
  { size: { nEmbd: 512, nLayer: 8 }, seqLen: 256, gpuOnly: true },
];

interface Row {
  case: string;
  batch: number;
  params: number;
  webgpu: StepResult;
  /** null when wasm failed at this size (`wasmError` says how) */
  wasm: StepResult | null;
  wasmError?: string;
  /** wasm ms / webgpu ms (median wall); null without a wasm time */
  speedup: number | null;
}

export function formatRows(rows: Row[]): string {
  const head = `${'size'.padEnd(17)}${pad('batch', 6)}${pad('params', 11)}${pad('wasm ms', 10)}${pad('webgpu ms', 11)}${pad('speedup', 9)}${pad('webgpu tok/s', 14)}${pad('loss wasm', 11)}${pad('loss webgpu', 13)}`;
  const lines = rows.map(
    (r) =>
      `${r.case.padEnd(17)}${pad(r.batch, 6)}${pad(r.params, 11)}${pad(r.wasm ? r.wasm.timing.wallMs.toFixed(0) : '-', 10)}${pad(r.webgpu.timing.wallMs.toFixed(1), 11)}${pad(r.speedup ? r.speedup.toFixed(1) + 'x' : '-', 9)}` +
      `${pad(r.webgpu.tokensPerSecond.toFixed(0), 14)}${pad(r.wasm ? r.wasm.loss.toFixed(4) : '-', 11)}${pad(r.webgpu.loss.toFixed(4), 13)}`,
  );
  const failed = rows.filter((r) => r.wasmError).map((r) => `${r.case}: wasm ${r.wasmError}`);
  return [head, ...lines, ...failed].join('\n');
}

async function main(): Promise<void> {
  const o = new Command('gpu-check')
    .description('time the workbook GPT training step on webgpu against wasm on this machine')
    .option('--sizes <list>', 'sizes to time, e.g. d256/L4/T128,d512/L8/T256 (default: d128/L2/T64, d256/L4/T128, d512/L8/T256)')
    .option('--steps <n>', 'timed steps per size and backend', '3')
    .option('--threads <n>', 'wasm: XNNPACK threads (default: the idle cores, at most 4)')
    .option('--quick', 'one tiny size, a small matmul and generation: tries the check on a software adapter in minutes', false)
    .option('--out <dir>', 'folder for the JSON result', path.join('runs', 'gpu-check'))
    .parse(process.argv)
    .opts<{ sizes?: string; steps: string; threads?: string; quick: boolean; out: string }>();
  const steps = Number(o.steps);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`--steps: expected a positive integer, got "${o.steps}"`);
  const threads = o.threads === undefined ? undefined : Number(o.threads);
  const cases = o.sizes ? o.sizes.split(',').map(parseCase) : o.quick ? [parseCase('d32/L1/T16')] : GPU_CASES;
  const started = new Date();

  // wasm first: webgpu's self-check starts wasm too, and wasm's threads are fixed at its start
  const wasm = await initEngine({ backend: 'wasm', threads });
  console.log(`wasm: ${wasm.candidates[0].why}`);
  let webgpu: EngineInfo;
  try {
    webgpu = await initEngine({ backend: 'webgpu' });
  } catch (e) {
    console.error(`gpu-check: webgpu does not start here: ${(e as Error).message}`);
    process.exit(3);
  }
  console.log(`webgpu adapter: ${webgpu.candidates[0].why}`);

  const opts = { vocabSize: BENCH.vocabSize, nHead: BENCH.nHead, steps, warmup: 1 };
  const rows: Row[] = [];
  let wasmDead = ''; // an aborted wasm module stays dead for the rest of the process
  for (const c of cases) {
    const batch = c.batch ?? BENCH.batch;
    await initEngine({ backend: 'webgpu' });
    const g = await benchTrainStep(c.size, c.seqLen, batch, opts);
    let w: StepResult | null = null;
    let wasmError: string | undefined = c.gpuOnly ? 'not run: webgpu only at this size' : wasmDead ? `not run: wasm aborted earlier (${wasmDead})` : undefined;
    if (!wasmDead && !c.gpuOnly) {
      try {
        await initEngine({ backend: 'wasm', threads });
        w = await benchTrainStep(c.size, c.seqLen, batch, opts);
      } catch (e) {
        wasmError = `${(e as Error).message.split('\n')[0]} (wasm32's heap is at most 2 GB)`;
        wasmDead = (e as Error).message.split('\n')[0];
      }
    }
    const speedup = w ? w.timing.wallMs / g.timing.wallMs : null;
    rows.push({ case: caseName(c), batch, params: g.model.params, webgpu: g, wasm: w, wasmError, speedup });
    console.log(
      `  ${caseName(c)}: wasm ${w ? `${w.timing.wallMs.toFixed(0)} ms` : wasmError}, webgpu ${g.timing.wallMs.toFixed(1)} ms${speedup ? ` (${speedup.toFixed(1)}x)` : ''}`,
    );
  }
  const peaks: Record<string, number> = {};
  const generation: Record<string, Awaited<ReturnType<typeof benchGeneration>>> = {};
  const gen = o.quick ? { batch: 2, promptTokens: 4, newTokens: 4, size: { nEmbd: 32, nLayer: 1 }, finishedBatch: 4 } : BENCH.generation;
  for (const name of wasmDead ? (['webgpu'] as const) : (['webgpu', 'wasm'] as const)) {
    await initEngine({ backend: name, threads: name === 'wasm' ? threads : undefined });
    peaks[name] = (await matmulPeak(o.quick ? 128 : 512, o.quick ? 2 : 5)).gflops;
    generation[name] = await benchGeneration(gen.size, {
      vocabSize: BENCH.vocabSize,
      nHead: BENCH.nHead,
      batch: gen.batch,
      promptTokens: gen.promptTokens,
      newTokens: gen.newTokens,
      finishedBatch: gen.finishedBatch,
    });
  }
  // where a webgpu step's host time goes (kernels are timed as dispatched, see engine/profile.ts),
  // at the largest case wasm also ran
  await initEngine({ backend: 'webgpu' });
  const last = [...cases].reverse().find((c) => !c.gpuOnly) ?? cases[cases.length - 1];
  const profile = await profileTrainStep(last.size, last.seqLen, last.batch ?? BENCH.batch, { ...opts, steps: 2 });

  console.log(
    `\nwebgpu vs wasm on one machine (${os.cpus().length} cores, ${os.cpus()[0]?.model}; wasm ${wasm.threads} thread(s); vocab ${BENCH.vocabSize}, ${BENCH.nHead} heads, median of ${steps} steps after 1 warm-up):`,
  );
  console.log(formatRows(rows));
  console.log(`matmul ${o.quick ? 128 : 512}^3 peak: webgpu ${peaks.webgpu.toFixed(1)} GFLOP/s, wasm ${peaks.wasm?.toFixed(1) ?? '(not run)'} GFLOP/s`);
  for (const name of Object.keys(generation)) {
    const r = generation[name];
    console.log(
      `generation d${gen.size.nEmbd}/L${gen.size.nLayer}, ${gen.batch} x ${gen.newTokens} tokens on ${name}: KV cache ${r.kvCache.tokensPerSecond.toFixed(0)} tok/s, full recompute ${r.fullRecompute.tokensPerSecond.toFixed(0)} tok/s`,
    );
  }
  console.log(
    `\nwebgpu ${caseName(last)} step, host time per kernel as dispatched (the GPU's own time shows as 'other', the wait at the step's read-back):\n${formatProfile(profile, 12)}`,
  );
  const file = path.join(o.out, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeJsonAtomic(file, {
    date: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    engines: { webgpu, wasm },
    versions: { tfjs: tf.version.tfjs, node: process.version },
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), platform: `${os.platform()} ${os.arch()}` },
    vocabSize: BENCH.vocabSize,
    nHead: BENCH.nHead,
    steps,
    rows,
    matmulPeakGflops: peaks,
    generation,
    webgpuProfile: { case: caseName(last), ...profile },
  });
  console.log(`wrote ${file}`);
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`gpu-check: ${process.env.DEBUG ? e.stack : e.message}\n`);
    process.exit(1);
  });
}
