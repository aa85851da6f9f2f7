/**
 * `npm run bench [-- --quick] [--backend wasm] [--threads 2] [--sizes d512/L8/T256,...] [--steps 5] [--out runs/bench]`
 *
 * Times a full training step of the workbook's GPT (forward, backward, clipping, Adam) for
 * d64/L2, d128/L2, d128/L4, d256/L4 at T 64 and 128 and d512/L8 at T 256 (the size a GPU
 * is for), batch 16, against the backend's own 512^3 matmul peak measured in the same run;
 * KV-cache generation against recomputing the prefix; and generation with finished rows
 * leaving the batch against keeping them. For d128/L2/T64 it also times the step with the
 * fused kernels off (the baseline; engine/fast-path.ts) and on, alternating steps in this
 * process, and prints both per-kernel profiles side by side. Prints tables and writes runs/bench/<date>.json.
 */
import { Command } from 'commander';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine, requestedBackend } from '../engine/backend';
import {
  BenchConfig,
  benchGeneration,
  pad,
  benchTrainStep,
  caseName,
  compareFastPath,
  DEFAULTS,
  matmulPeak,
  parseCase,
  profileTrainStep,
  QUICK,
  StepResult,
} from './bench';
import { formatProfileComparison } from '../engine/profile';
import { writeJsonAtomic } from '../util/atomic';
import { parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';

function table(rows: StepResult[], peak: number, peakCpu: number): string {
  const head = `${'model'.padEnd(10)}${pad('T', 5)}${pad('params', 10)}${pad('ms/step', 9)}${pad('min', 8)}${pad('cpu ms', 8)}${pad('tok/s', 8)}${pad('GFLOP/s', 9)}${pad('% peak', 8)}${pad('cpu GF/s', 10)}${pad('% peak', 8)}${pad('leak', 6)}`;
  const lines = rows.map((r) => {
    const name = `d${r.model.nEmbd}/L${r.model.nLayer}`;
    return `${name.padEnd(10)}${pad(r.seqLen, 5)}${pad(r.model.params, 10)}${pad(r.timing.wallMs.toFixed(0), 9)}${pad(r.timing.wallMinMs.toFixed(0), 8)}${pad(r.timing.cpuMs.toFixed(0), 8)}${pad(r.tokensPerSecond.toFixed(0), 8)}${pad(r.gflops.toFixed(1), 9)}${pad(((100 * r.gflops) / peak).toFixed(0) + '%', 8)}${pad(r.gflopsCpu.toFixed(1), 10)}${pad(((100 * r.gflopsCpu) / peakCpu).toFixed(0) + '%', 8)}${pad(r.tensorLeak, 6)}`;
  });
  return [head, ...lines].join('\n');
}

function program(): Command {
  return new Command('bench')
    .description('time training steps and generation of the workbook GPT on the chosen backend')
    .option('--quick', 'fewer sizes and steps (smoke test)', false)
    .option('--backend <name>', 'force a backend (tensorflow, webgpu, wasm, cpu); default: best available')
    .option('--threads <n>', 'wasm: XNNPACK threads (default RLHF_WASM_THREADS, else the idle cores, at most 4)')
    .option('--sizes <list>', 'time these instead, e.g. d256/L4/T128,d512/L8/T256')
    .option('--steps <n>', 'timed steps per size (default 5, --quick 2)')
    .option('--out <dir>', 'folder for the JSON result', path.join('runs', 'bench'));
}

async function main(argv: string[]): Promise<void> {
  const o = parseCommand(program(), argv) as { quick: boolean; backend?: string; threads?: string; sizes?: string; steps?: string; out: string } | null;
  if (!o) return;
  const threads = o.threads === undefined ? undefined : Number(o.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new InputError(`--threads: expected an integer 1..8, got "${o.threads}"`);
  }
  try {
    requestedBackend({ backend: o.backend });
  } catch (e) {
    throw new InputError(`--backend: ${(e as Error).message.replace(/^option backend: /, '')}`);
  }
  const steps = o.steps === undefined ? undefined : Number(o.steps);
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) throw new InputError(`--steps: expected a positive integer, got "${o.steps}"`);
  const preset = o.quick ? QUICK : DEFAULTS;
  const config: BenchConfig = { ...preset, cases: o.sizes ? o.sizes.split(',').map(parseCase) : preset.cases, steps: steps ?? preset.steps };
  const engine = await initEngine({ backend: o.backend, threads });
  const started = new Date();
  const loadBefore = os.loadavg();
  console.log(
    `backend ${engine.backend} (${engine.reason})${engine.threads ? `, ${engine.threads} thread(s)` : ''}; ${os.cpus().length} cores, load ${loadBefore.map((x) => x.toFixed(1)).join(' ')}`,
  );

  const peakBefore = await matmulPeak(512, o.quick ? 4 : 10);
  const rows: StepResult[] = [];
  for (const c of config.cases) {
    const r = await benchTrainStep(c.size, c.seqLen, c.batch ?? config.batch, {
      vocabSize: config.vocabSize,
      nHead: config.nHead,
      steps: config.steps,
      warmup: config.warmup,
    });
    rows.push(r);
    console.log(`  ${caseName(c)}: ${r.timing.wallMs.toFixed(0)} ms/step (min ${r.timing.wallMinMs.toFixed(0)}, cpu ${r.timing.cpuMs.toFixed(0)})`);
  }
  const peakAfter = await matmulPeak(512, o.quick ? 4 : 10);
  // the better of the two: contention only ever slows a measurement down
  const peak = Math.max(peakBefore.gflops, peakAfter.gflops);
  const peakCpu = Math.max(peakBefore.gflopsCpu, peakAfter.gflopsCpu);
  const pr = config.profile;
  const prOpts = { vocabSize: config.vocabSize, nHead: config.nHead, steps: config.steps, warmup: config.warmup };
  const profileBaseline = await profileTrainStep(pr.size, pr.seqLen, config.batch, { ...prOpts, fast: false });
  const profile = await profileTrainStep(pr.size, pr.seqLen, config.batch, { ...prOpts, fast: true });
  const comparison = await compareFastPath(pr.size, pr.seqLen, config.batch, { ...prOpts, steps: 2 * config.steps });
  const g = config.generation;
  const generation = await benchGeneration(g.size, {
    vocabSize: config.vocabSize,
    nHead: config.nHead,
    batch: g.batch,
    promptTokens: g.promptTokens,
    newTokens: g.newTokens,
    finishedBatch: g.finishedBatch,
  });

  console.log(`\nmatmul peak (512^3 rank-2, best of runs before/after): ${peak.toFixed(1)} GFLOP/s wall, ${peakCpu.toFixed(1)} GFLOP/s CPU time`);
  console.log(table(rows, peak, peakCpu));
  console.log(
    `\ngeneration d${g.size.nEmbd}/L${g.size.nLayer}, ${g.batch} prompts x ${g.newTokens} new tokens: KV cache ${generation.kvCache.tokensPerSecond.toFixed(0)} tok/s, ` +
      `full recompute ${generation.fullRecompute.tokensPerSecond.toFixed(0)} tok/s, speedup ${generation.speedup.toFixed(1)}x, same tokens: ${generation.sameTokens}`,
  );
  const f = generation.finishedRows;
  console.log(
    `finished rows (EOS chance ${f.eosChance.toFixed(3)} per token, ${(100 * f.usefulShare).toFixed(0)}% of a fixed batch's row-steps useful): ` +
      `kept in the batch ${f.stay.tokensPerSecond.toFixed(0)} tok/s, leaving it ${f.leave.tokensPerSecond.toFixed(0)} tok/s, speedup ${f.speedup.toFixed(2)}x, same numbers: ${f.sameNumbers}`,
  );
  const prName = `d${pr.size.nEmbd}/L${pr.size.nLayer} T${pr.seqLen}`;
  console.log(
    `\nwhere a ${prName} step goes (ms per step, mean of ${config.steps} steps, kernels timed one by one; baseline: fused kernels off):\n${formatProfileComparison(profileBaseline, profile, ['baseline', 'fused'])}`,
  );
  const c = comparison;
  console.log(
    `\n${prName} fused kernels vs baseline, alternating steps in this process (${2 * config.steps} each): baseline ${c.baseline.wallMs.toFixed(0)} ms (cpu ${c.baseline.cpuMs.toFixed(0)}), ` +
      `fused ${c.fast.wallMs.toFixed(0)} ms (cpu ${c.fast.cpuMs.toFixed(0)}): ${c.speedup.toFixed(2)}x wall, ${c.speedupCpu.toFixed(2)}x cpu; losses ${c.loss.baseline.toFixed(5)} / ${c.loss.fast.toFixed(5)}`,
  );
  console.log(
    '(ms/step: median wall; min: fastest wall; cpu: median CPU time of this process; GFLOP/s and % peak from the fastest wall time; cpu GF/s and its % peak from median CPU times)',
  );

  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(o.out, `${stamp}.json`);
  writeJsonAtomic(file, {
    date: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    quick: o.quick,
    engine,
    versions: { tfjs: tf.version.tfjs, node: process.version },
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      platform: `${os.platform()} ${os.arch()}`,
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(),
    },
    config,
    matmulPeak: { gflops: peak, gflopsCpu: peakCpu, before: peakBefore, after: peakAfter },
    trainStep: rows.map((r) => ({ ...r, peakFraction: r.gflops / peak, peakFractionCpu: r.gflopsCpu / peakCpu })),
    profile: { ...pr, baseline: profileBaseline, fused: profile },
    fastPathComparison: { ...pr, ...comparison },
    generation,
  });
  console.log(`wrote ${file}`);
}

runCli('bench', () => main(process.argv.slice(2)));
