// The objectives on the default backend: wasm (with the engine's kernel fixes) must give the
// same losses and gradients as cpu, without leaking tensors.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { rankingPairs, rankingLoss } from '../../src/train/reward-loss';
import { policyLoss, valueLoss, entropy } from '../../src/rl/losses';
import { maskedMean } from '../../src/model/logprobs';
import { Rng } from '../../src/util/random';

async function lossesAndGrads(backend: string): Promise<number[][]> {
  await initEngine({ backend });
  const rng = new Rng('parity');
  const N = 8,
    K = 9,
    B = 4,
    T = 12,
    V = 50;
  const ranks = Array.from({ length: N }, (_, n) => Array.from({ length: 4 + (n % 6) }, () => rng.int(6)));
  const pairs = rankingPairs(ranks, K);
  const start = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const randn = (shape: number[]) =>
      tf.tensor(
        Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
        shape,
      );
    const rewards = randn([N, K]);
    const logp = tf.neg(tf.abs(randn([B, T]))),
      old = tf.neg(tf.abs(randn([B, T]))),
      adv = randn([B, T]);
    const mask = tf.tensor2d(
      Array.from({ length: B * T }, (_, i) => (i % T < 3 + 3 * Math.floor(i / T) ? 1 : 0)),
      [B, T],
    );
    const logits = randn([B, T, V]);
    return [
      rankingLoss(rewards, pairs),
      tf.grad((x: tf.Tensor) => rankingLoss(x, pairs))(rewards),
      tf.grad((x: tf.Tensor) => policyLoss({ logprobs: x, oldLogprobs: old, advantages: adv, mask }).loss)(logp),
      tf.grad((x: tf.Tensor) => valueLoss({ values: x, oldValues: old, returns: adv, mask }).loss)(logp),
      tf.grad((x: tf.Tensor) => entropy(x, mask))(logits),
      maskedMean(tf.sub(logp, old), mask),
    ].map((t) => Array.from(t.dataSync()));
  });
  assert.equal(tf.memory().numTensors, start, `${backend} leaked tensors`);
  return out;
}

test('ranking loss, PPO losses, entropy and KL: wasm equals cpu to 1e-5, gradients included', async () => {
  const cpu = await lossesAndGrads('cpu');
  const wasm = await lossesAndGrads('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  cpu.forEach((xs, i) => {
    assert.equal(wasm[i].length, xs.length);
    assert.ok(
      xs.some((x) => x !== 0),
      `output ${i} is all zero`,
    );
    xs.forEach((x, j) => assert.ok(Math.abs(x - wasm[i][j]) < 1e-5, `output ${i}[${j}]: cpu ${x} wasm ${wasm[i][j]}`));
  });
});
