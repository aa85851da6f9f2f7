import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { benchGeneration, benchTrainStep, compareFastPath, gflops, matmulPeak, time, trainingFlops } from '../../src/tools/bench';
import { formatProfileComparison } from '../../src/engine/profile';
import { parameterShapes, DEFAULTS as GPT_DEFAULTS } from '../../src/model/gpt';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

test('trainingFlops counts 6 per matmul parameter per token plus attention', () => {
  const size = { nEmbd: 128, nLayer: 2 };
  // matmul weights of the real model: every 2-D parameter except the position table
  const matmulParams = parameterShapes({ ...GPT_DEFAULTS, ...size, vocabSize: 2048, blockSize: 64 })
    .filter(([name, shape]) => shape.length === 2 && name !== 'wpe.weight')
    .reduce((s, [, shape]) => s + shape[0] * shape[1], 0);
  const tokens = 16 * 64;
  assert.equal(trainingFlops(size, 2048, 16, 64), 6 * matmulParams * tokens + 12 * 2 * 64 * 128 * tokens);
  assert.equal(gflops(2e9, 1000), 2);
});

test('time reports median and fastest wall time and CPU time', async () => {
  let calls = 0;
  const t = await time(
    () => {
      calls++;
      let x = 0;
      for (let i = 0; i < 2e5; i++) x += Math.sqrt(i);
      assert.ok(x > 0);
    },
    3,
    2,
  );
  assert.equal(calls, 5);
  assert.ok(t.wallMinMs > 0 && t.wallMinMs <= t.wallMs);
  assert.ok(t.cpuMs >= 0);
});

test('a tiny training-step benchmark runs the real model, learns nothing odd, leaks nothing', async () => {
  const r = await benchTrainStep({ nEmbd: 16, nLayer: 1 }, 8, 2, { vocabSize: 64, nHead: 2, steps: 2, warmup: 1 });
  assert.equal(r.tensorLeak, 0);
  assert.ok(Number.isFinite(r.loss) && r.loss > 0 && r.loss < 2 * Math.log(64), `loss ${r.loss}`);
  assert.equal(r.flops, trainingFlops({ nEmbd: 16, nLayer: 1 }, 64, 2, 8));
  assert.ok(r.gflops > 0 && r.tokensPerSecond > 0);
  const peak = await matmulPeak(64, 2);
  assert.ok(peak.gflops > 0);
});

test('generation benchmark: KV cache and recompute sample the same tokens; finished rows leave without changing a number', async () => {
  const before = tf.memory().numTensors;
  const g = await benchGeneration({ nEmbd: 16, nLayer: 1 }, { vocabSize: 64, nHead: 2, batch: 2, promptTokens: 3, newTokens: 8, finishedBatch: 12 });
  assert.equal(g.sameTokens, true);
  assert.ok(g.kvCache.tokensPerSecond > 0 && g.fullRecompute.tokensPerSecond > 0);
  const f = g.finishedRows;
  assert.equal(f.eosChance, 0.25);
  assert.ok(f.usefulShare > 0.2 && f.usefulShare < 0.9, `the rigged EOS should end rows early: ${f.usefulShare}`);
  assert.equal(f.sameNumbers, true);
  assert.ok(f.stay.tokensPerSecond > 0 && f.leave.tokensPerSecond > 0 && f.speedup > 0);
  assert.equal(tf.memory().numTensors, before);
});

test('fused kernels vs baseline: same losses both ways, both timed, the switch restored', async () => {
  const { fastPath } = await import('../../src/engine/fast-path');
  const before = tf.memory().numTensors;
  const c = await compareFastPath({ nEmbd: 16, nLayer: 1 }, 8, 2, { vocabSize: 64, nHead: 2, steps: 2, warmup: 1 });
  assert.equal(fastPath(), true);
  assert.ok(c.baseline.wallMs > 0 && c.fast.wallMs > 0 && c.speedup > 0 && c.speedupCpu > 0);
  assert.ok(Math.abs(c.loss.fast - c.loss.baseline) <= 1e-5 * c.loss.baseline, `losses ${c.loss.baseline} vs ${c.loss.fast}`);
  assert.equal(tf.memory().numTensors, before);
});

test('the per-kernel comparison lists kernels of either profile with both columns', () => {
  const p = (kernels: [string, number, number][], total: number) => ({
    totalMs: total,
    otherMs: total - kernels.reduce((s, k) => s + k[1], 0),
    kernels: kernels.map(([kernel, ms, calls]) => ({ kernel, ms, calls })),
  });
  const text = formatProfileComparison(
    p(
      [
        ['BatchMatMul', 200, 39],
        ['Identity', 15, 226],
      ],
      260,
    ),
    p(
      [
        ['BatchMatMul', 190, 39],
        ['Mean', 4, 20],
      ],
      220,
    ),
    ['baseline', 'fused'],
  );
  assert.match(text, /baseline\s+fused/);
  assert.match(text, /^\s+BatchMatMul\s+200\.0\s+39\s+190\.0\s+39$/m);
  assert.match(text, /^\s+Identity\s+15\.0\s+226\s+0\.0\s+0$/m);
  assert.match(text, /^\s+Mean\s+0\.0\s+0\s+4\.0\s+20$/m);
  assert.match(text, /^\s+total\s+260\.0\s+220\.0\s*$/m);
});
