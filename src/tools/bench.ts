/**
 * Engine benchmark pieces: the backend's own matmul peak, one full training step of the
 * workbook's GPT (forward, backward, clipping, Adam), KV-cache vs full-recompute
 * generation, and finished rows leaving the batch vs staying. Each timing is taken both as
 * wall time and as this process's CPU time: the machine may be shared, and CPU time is what a
 * single-threaded step costs without contention (with wasm threads, CPU time counts every
 * thread).
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../model/gpt';
import { generateIds } from '../model/generate';
import { languageModelLoss } from '../model/logprobs';
import { Rng } from '../util/random';
import { fastPath, setFastPath } from '../engine/fast-path';
import { Adam, trainStep } from '../engine/optimizer';
import { readValues } from '../engine/readback';
import { profileKernels } from '../engine/profile';
import type { KernelProfile } from '../engine/profile';
import { InputError } from '../util/jsonl';

export interface Timing {
  /** Median wall-clock milliseconds. */
  wallMs: number;
  /** Fastest wall-clock milliseconds (the least disturbed run). */
  wallMinMs: number;
  /** Median CPU milliseconds of this process (user + system). */
  cpuMs: number;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Run `f` `warmup` times untimed, then `reps` times timed (awaited: a GPU step ends at its read-back). */
export async function time(f: () => void | Promise<void>, reps: number, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), wallMinMs: Math.min(...wall), cpuMs: median(cpu) };
}

/** GFLOP/s of `flops` done in `ms`. */
export function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}

/** Matmul peak of the active backend: an n x n x n rank-2 product, read back each time. */
export async function matmulPeak(n = 512, reps = 10): Promise<{ n: number; flops: number; timing: Timing; gflops: number; gflopsCpu: number }> {
  const rng = new Rng(`peak:${n}`);
  const a = tf.tensor2d(
    Float32Array.from({ length: n * n }, () => rng.normal()),
    [n, n],
  );
  const b = tf.tensor2d(
    Float32Array.from({ length: n * n }, () => rng.normal()),
    [n, n],
  );
  const flops = 2 * n * n * n;
  const timing = await time(
    async () => {
      await readValues(tf.matMul(a, b));
    },
    reps,
    2,
  );
  tf.dispose([a, b]);
  return { n, flops, timing, gflops: gflops(flops, timing.wallMinMs), gflopsCpu: gflops(flops, timing.cpuMs) };
}

export interface ModelSize {
  nEmbd: number;
  nLayer: number;
}

/**
 * FLOPs of one training step (forward + backward = 3x forward): 6 per parameter that takes
 * part in a matmul per token (blocks' 12 C^2 per layer and the tied V x C unembedding;
 * embedding lookups are free) plus attention, 12 * L * T * C per token (QK^T and AV over the
 * full T x T score matrix, as computed).
 */
export function trainingFlops(size: ModelSize, vocabSize: number, batch: number, seqLen: number): number {
  const { nEmbd: C, nLayer: L } = size;
  const matmulParams = L * 12 * C * C + vocabSize * C;
  const tokens = batch * seqLen;
  return 6 * matmulParams * tokens + 12 * L * seqLen * C * tokens;
}

export interface StepResult {
  model: ModelSize & { nHead: number; vocabSize: number; params: number };
  batch: number;
  seqLen: number;
  flops: number;
  timing: Timing;
  tokensPerSecond: number;
  /** From the fastest wall time. */
  gflops: number;
  /** From the median CPU time (the fairer number on a shared machine, single-threaded). */
  gflopsCpu: number;
  /** Tensors left after the timed steps minus before (0 = no leak). */
  tensorLeak: number;
  loss: number;
}

/** A training step of the workbook's GPT on random tokens, ready to call; `dispose` frees it all. */
function trainingStepOf(size: ModelSize, seqLen: number, batch: number, opts: { vocabSize: number; nHead: number }) {
  const model = new GPT({ ...size, nHead: opts.nHead, vocabSize: opts.vocabSize, blockSize: seqLen, dropout: 0, seed: 1 });
  const rng = new Rng(`bench:${size.nEmbd}:${size.nLayer}:${seqLen}`);
  const tokens = tf.tensor2d(
    Int32Array.from({ length: batch * (seqLen + 1) }, () => rng.int(opts.vocabSize)),
    [batch, seqLen + 1],
    'int32',
  );
  const lossMask = tf.ones([batch, seqLen + 1], 'float32') as tf.Tensor2D;
  const adam = new Adam({ lr: 1e-3 });
  const vars = model.trainableVariables();
  const state = { loss: NaN };
  const step = async () => {
    state.loss = await trainStep(() => languageModelLoss(model, tokens, lossMask), vars, adam);
  };
  const dispose = () => {
    tf.dispose([tokens, lossMask]);
    adam.dispose();
    model.dispose();
  };
  return { model, step, state, dispose };
}

/** Time full training steps of the workbook's GPT on random tokens. */
export async function benchTrainStep(
  size: ModelSize,
  seqLen: number,
  batch: number,
  opts: { vocabSize: number; nHead: number; steps: number; warmup: number },
): Promise<StepResult> {
  const { model, step, state, dispose } = trainingStepOf(size, seqLen, batch, opts);
  await step(); // creates Adam's moments
  const before = tf.memory().numTensors;
  const timing = await time(step, opts.steps, Math.max(0, opts.warmup - 1));
  const tensorLeak = tf.memory().numTensors - before;
  const flops = trainingFlops(size, opts.vocabSize, batch, seqLen);
  const params = model.numParams();
  dispose();
  return {
    model: { ...size, nHead: opts.nHead, vocabSize: opts.vocabSize, params },
    batch,
    seqLen,
    flops,
    timing,
    tokensPerSecond: (batch * seqLen) / (timing.wallMs / 1000),
    gflops: gflops(flops, timing.wallMinMs),
    gflopsCpu: gflops(flops, timing.cpuMs),
    tensorLeak,
    loss: state.loss,
  };
}

export interface FastPathComparison {
  /** Fused kernels off (engine/fast-path.ts): the step as it was before them. */
  baseline: Timing;
  /** Fused kernels on. */
  fast: Timing;
  /** baseline / fast, median wall times. */
  speedup: number;
  /** baseline / fast, median CPU times (less sensitive to other processes). */
  speedupCpu: number;
  /** Losses of the last step each way (same seeds: equal up to float rounding). */
  loss: { baseline: number; fast: number };
}

/**
 * The same training step with the fused kernels off and on, alternating step by step in one
 * process, so that whatever else runs on the machine slows both alike.
 */
export async function compareFastPath(
  size: ModelSize,
  seqLen: number,
  batch: number,
  opts: { vocabSize: number; nHead: number; steps: number; warmup: number },
): Promise<FastPathComparison> {
  const was = fastPath();
  const runs = [false, true].map((on) => ({ on, ...trainingStepOf(size, seqLen, batch, opts), wall: [] as number[], cpu: [] as number[] }));
  try {
    for (let i = 0; i < Math.max(1, opts.warmup) + opts.steps; i++) {
      for (const r of runs) {
        setFastPath(r.on);
        const t = await time(r.step, 1, 0);
        if (i >= Math.max(1, opts.warmup)) {
          r.wall.push(t.wallMs);
          r.cpu.push(t.cpuMs);
        }
      }
    }
  } finally {
    setFastPath(was);
    for (const r of runs) r.dispose();
  }
  const [baseline, fast] = runs.map((r) => ({ wallMs: median(r.wall), wallMinMs: Math.min(...r.wall), cpuMs: median(r.cpu) }));
  return {
    baseline,
    fast,
    speedup: baseline.wallMs / fast.wallMs,
    speedupCpu: baseline.cpuMs / fast.cpuMs,
    loss: { baseline: runs[0].state.loss, fast: runs[1].state.loss },
  };
}

/** Per-kernel time of the same training step (profile.ts), averaged over `steps`. */
export async function profileTrainStep(
  size: ModelSize,
  seqLen: number,
  batch: number,
  opts: { vocabSize: number; nHead: number; steps: number; warmup: number; fast?: boolean },
): Promise<KernelProfile> {
  const { step, dispose } = trainingStepOf(size, seqLen, batch, opts);
  const was = setFastPath(opts.fast ?? fastPath());
  try {
    return await profileKernels(step, opts.steps, Math.max(1, opts.warmup));
  } finally {
    setFastPath(was);
    dispose();
  }
}

/** One way of sampling, timed: seconds, and sampled tokens per second. */
export interface SamplingTime {
  seconds: number;
  tokensPerSecond: number;
}

export interface GenerationResult {
  model: ModelSize & { nHead: number; vocabSize: number };
  batch: number;
  promptTokens: number;
  newTokens: number;
  kvCache: SamplingTime;
  fullRecompute: SamplingTime;
  speedup: number;
  /** Both ways sampled the same tokens (same seed): the cache changes nothing but speed. */
  sameTokens: boolean;
  /** With EOS likely, finished rows kept in the batch vs leaving it (the default), KV cache on. */
  finishedRows: FinishedRowsResult;
}

export interface FinishedRowsResult {
  /** Chance of EOS per sampled token (the model is rigged so: see timeFinishedRows). */
  eosChance: number;
  /** Tokens sampled over rows x steps computed when finished rows stay: the share of useful work. */
  usefulShare: number;
  /** Median seconds of alternating runs. */
  stay: SamplingTime;
  leave: SamplingTime;
  speedup: number;
  /** Same tokens, log-probs and EOS flags, to the bit. */
  sameNumbers: boolean;
}

/** Sampling `newTokens` per prompt with the model's KV cache vs recomputing the prefix. */
export async function benchGeneration(
  size: ModelSize,
  opts: { vocabSize: number; nHead: number; batch: number; promptTokens: number; newTokens: number; finishedBatch: number },
): Promise<GenerationResult> {
  const model = new GPT({ ...size, nHead: opts.nHead, vocabSize: opts.vocabSize, blockSize: opts.promptTokens + opts.newTokens, dropout: 0, seed: 1 });
  const rng = new Rng('bench:generation');
  const prompt = () => Array.from({ length: opts.promptTokens }, () => 5 + rng.int(opts.vocabSize - 5));
  const prompts = Array.from({ length: opts.batch }, prompt);
  const ids = { eosId: -1, padId: 0 }; // no EOS: every row samples all newTokens
  const run = async (useCache: boolean) => {
    await generateIds(model, prompts, ids, { maxNewTokens: 4, seed: 1, useCache }); // warm-up
    const t0 = performance.now();
    const out = await generateIds(model, prompts, ids, { maxNewTokens: opts.newTokens, seed: 1, useCache });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, tokensPerSecond: (opts.batch * opts.newTokens) / seconds, tokens: out.tokens };
  };
  const cached = await run(true);
  const full = await run(false);
  const finishedRows = await timeFinishedRows(model, Array.from({ length: opts.finishedBatch }, prompt), opts.newTokens);
  model.dispose();
  return {
    model: { ...size, nHead: opts.nHead, vocabSize: opts.vocabSize },
    batch: opts.batch,
    promptTokens: opts.promptTokens,
    newTokens: opts.newTokens,
    kvCache: { seconds: cached.seconds, tokensPerSecond: cached.tokensPerSecond },
    fullRecompute: { seconds: full.seconds, tokensPerSecond: full.tokensPerSecond },
    speedup: full.seconds / cached.seconds,
    sameTokens: JSON.stringify(cached.tokens) === JSON.stringify(full.tokens),
    finishedRows,
  };
}

/**
 * Finished rows staying in the batch vs leaving it. The random model is rigged to say EOS
 * with chance 2 / newTokens per token, so about 43% of the row-steps a fixed batch computes
 * are useful, as in the workbook's answering (35-52% measured at 24-32 tokens): ln_f's bias
 * is set to 1 and EOS's embedding row to c / C, so EOS's logit is c (the normalised
 * activations sum to zero) while the others stay near 0.
 */
async function timeFinishedRows(model: GPT, prompts: number[][], newTokens: number): Promise<FinishedRowsResult> {
  const { nEmbd: C, vocabSize: V } = model.config;
  const eosChance = 2 / newTokens;
  const eosId = V - 1;
  const logit = Math.log((eosChance * (V - 1)) / (1 - eosChance));
  const wte = (await readValues(model.weights.get('wte.weight')!, { keep: true })).slice() as Float32Array;
  wte.fill(logit / C, eosId * C, (eosId + 1) * C);
  const rigged = [tf.tensor2d(wte, [V, C]), tf.ones([C])];
  model.weights.get('wte.weight')!.assign(rigged[0]);
  model.weights.get('ln_f.bias')!.assign(rigged[1]);
  tf.dispose(rigged); // the variables keep their own references
  const ids = { eosId, padId: 0 };
  const cfg = { maxNewTokens: newTokens, seed: 2 };
  const run = async (dropFinished: boolean) => {
    const t0 = performance.now();
    const out = await generateIds(model, prompts, ids, { ...cfg, dropFinished });
    return { seconds: (performance.now() - t0) / 1000, out };
  };
  const warm = (await run(false)).out; // warm-up; every run samples these same rows
  await run(true);
  const lengths = warm.tokens.map((t) => t.length);
  const useful = lengths.reduce((x, y) => x + y, 0) / (lengths.length * Math.max(...lengths));
  const stay: number[] = [];
  const leave: number[] = [];
  let same = true;
  for (let i = 0; i < 3; i++) {
    const a = await run(false);
    const b = await run(true);
    stay.push(a.seconds);
    leave.push(b.seconds);
    same &&= JSON.stringify(a.out) === JSON.stringify(b.out);
  }
  const tokens = prompts.length * newTokens * useful;
  const stayS = median(stay);
  const leaveS = median(leave);
  return {
    eosChance,
    usefulShare: useful,
    stay: { seconds: stayS, tokensPerSecond: tokens / stayS },
    leave: { seconds: leaveS, tokensPerSecond: tokens / leaveS },
    speedup: stayS / leaveS,
    sameNumbers: same,
  };
}

// ---------------------------------------------------------------------------------------
// What the benchmark CLIs time (bench-cli.ts, gpu-check-cli.ts)

/** One timed configuration: model width and depth, sequence length T, and (when not the config's) batch. */
export interface BenchCase {
  size: ModelSize;
  seqLen: number;
  batch?: number;
  /** gpu-check: time this case on webgpu only (too large for wasm's 2 GB heap) */
  gpuOnly?: boolean;
}

export interface BenchConfig {
  /** What is timed, in order. */
  cases: BenchCase[];
  /** Sequences per step. */
  batch: number;
  /** Vocabulary (the default profile's tokenizer: 2048). */
  vocabSize: number;
  /** Attention heads. */
  nHead: number;
  /** Untimed steps before timing (the first compiles / allocates). */
  warmup: number;
  /** Timed steps per size. */
  steps: number;
  /** The step broken down per kernel (profile.ts): model size and sequence length. */
  profile: { size: ModelSize; seqLen: number };
  /**
   * Generation: prompts sampled together, prompt length, new tokens, model size, and the prompts
   * per batch when timing finished rows staying vs leaving (06 answers 64 at a time).
   */
  generation: { batch: number; promptTokens: number; newTokens: number; size: ModelSize; finishedBatch: number };
}

/** Every size at every T. */
function grid(sizes: ModelSize[], seqLens: number[]): BenchCase[] {
  return sizes.flatMap((size) => seqLens.map((seqLen) => ({ size, seqLen })));
}

/** `d512/L8/T256` -> a case; names the bad entry otherwise. */
export function parseCase(text: string): BenchCase {
  const m = /^d(\d+)\/L(\d+)\/T(\d+)(?:\/B(\d+))?$/.exec(text.trim());
  if (!m) throw new InputError(`--sizes: "${text}" is not of the form d512/L8/T256 or d512/L8/T256/B4 (width, layers, sequence length, batch)`);
  const [nEmbd, nLayer, seqLen] = m.slice(1, 4).map(Number);
  const batch = m[4] === undefined ? undefined : Number(m[4]);
  if (nEmbd % DEFAULTS.nHead !== 0 || nEmbd < 1 || nLayer < 1 || seqLen < 2 || batch === 0)
    throw new InputError(`--sizes: "${text}": width must be a positive multiple of ${DEFAULTS.nHead} heads, layers >= 1, T >= 2, batch >= 1`);
  return batch === undefined ? { size: { nEmbd, nLayer }, seqLen } : { size: { nEmbd, nLayer }, seqLen, batch };
}

/** The case as the tables name it. */
export function caseName(c: BenchCase): string {
  return `d${c.size.nEmbd}/L${c.size.nLayer}/T${c.seqLen}${c.batch === undefined ? '' : `/B${c.batch}`}`;
}

export const DEFAULTS: BenchConfig = {
  cases: [
    ...grid(
      [
        { nEmbd: 64, nLayer: 2 },
        { nEmbd: 128, nLayer: 2 },
        { nEmbd: 128, nLayer: 4 },
        { nEmbd: 256, nLayer: 4 },
      ],
      [64, 128],
    ),
    { size: { nEmbd: 512, nLayer: 8 }, seqLen: 256 },
  ],
  batch: 16,
  vocabSize: 2048,
  nHead: 4,
  warmup: 2,
  steps: 5,
  profile: { size: { nEmbd: 128, nLayer: 2 }, seqLen: 64 },
  generation: { batch: 16, promptTokens: 16, newTokens: 64, size: { nEmbd: 128, nLayer: 2 }, finishedBatch: 64 },
};

/** --quick: a smoke test of the whole benchmark in seconds. */
export const QUICK: BenchConfig = {
  ...DEFAULTS,
  cases: grid(
    [
      { nEmbd: 64, nLayer: 2 },
      { nEmbd: 128, nLayer: 2 },
    ],
    [64],
  ),
  warmup: 1,
  steps: 2,
  generation: { batch: 4, promptTokens: 8, newTokens: 16, size: { nEmbd: 64, nLayer: 2 }, finishedBatch: 8 },
};

/** A table cell, right-aligned to width n. */
export function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}
