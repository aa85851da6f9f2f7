import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import { languageModelLoss, maskedCrossEntropy, maskedMean, sequenceLogProbs, tokenLogProbs } from '../../src/model/logprobs';
import { Rng } from '../../src/util/random';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

function randomLogits(rng: Rng, B: number, T: number, V: number): tf.Tensor3D {
  return tf.tensor3d(
    Float32Array.from({ length: B * T * V }, () => rng.normal(0, 2)),
    [B, T, V],
  );
}

/** log softmax(row / temp)[target], in float64 */
function reference(row: ArrayLike<number>, target: number, temp: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i] / temp);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] / temp - max);
  return row[target] / temp - max - Math.log(sum);
}

test('tokenLogProbs equals log softmax at the targets (with temperature)', () => {
  const rng = new Rng(1);
  const [B, T, V] = [2, 3, 7];
  const logits = randomLogits(rng, B, T, V);
  const targets = Array.from({ length: B * T }, () => rng.int(V));
  const data = logits.dataSync();
  for (const temp of [1, 0.7]) {
    const lp = tokenLogProbs(logits, tf.tensor2d(targets, [B, T], 'int32'), temp);
    assert.deepEqual(lp.shape, [B, T]);
    const got = lp.dataSync();
    for (let i = 0; i < B * T; i++) {
      const want = reference(data.subarray(i * V, (i + 1) * V), targets[i], temp);
      assert.ok(Math.abs(got[i] - want) < 1e-5, `position ${i}, temperature ${temp}: ${got[i]} vs ${want}`);
    }
  }
  assert.throws(() => tokenLogProbs(logits, tf.tensor2d([[1, 2]], [1, 2], 'int32')), /targets \[1,2\] do not match logits \[2,3,7\]/);
});

test('the hand-written gradient equals autodiff of logSoftmax + gather; extreme logits stay finite', async () => {
  const rng = new Rng(4);
  const [B, T, V] = [2, 3, 9];
  const logits = randomLogits(rng, B, T, V);
  const targets = tf.tensor2d(
    Array.from({ length: B * T }, () => rng.int(V)),
    [B, T],
    'int32',
  );
  const weights = tf.tensor2d(
    Array.from({ length: B * T }, () => rng.normal()),
    [B, T],
  );
  const viaAutodiff = (l: tf.Tensor, temp: number) => {
    const logp = tf.logSoftmax(l.reshape([B * T, V]).div(temp) as tf.Tensor2D);
    const picked = tf.sum(logp.mul(tf.oneHot(targets.reshape([B * T]) as tf.Tensor1D, V, 1, 0, 'float32')), 1);
    return picked.reshape([B, T]).mul(weights).sum() as tf.Scalar;
  };
  const viaOurs = (l: tf.Tensor, temp: number) =>
    tokenLogProbs(l as tf.Tensor3D, targets, temp)
      .mul(weights)
      .sum() as tf.Scalar;
  for (const temp of [1, 0.6]) {
    const want = tf
      .grad((l) => viaAutodiff(l, temp))(logits)
      .dataSync();
    const got = tf
      .grad((l) => viaOurs(l, temp))(logits)
      .dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `grad ${i} at temperature ${temp}`);
  }
  // a target 200 nats below the best token: exact, not -Infinity
  const extreme = tf.tensor3d([[[0, 200, 5, -50]]]);
  const lp = tokenLogProbs(extreme, tf.tensor2d([[3]], [1, 1], 'int32')).dataSync()[0];
  const want = reference([0, 200, 5, -50], 3, 1);
  assert.ok(Math.abs(lp - want) < 1e-4, `${lp} vs ${want}`);
  // no leaks with or without a gradient tape
  const start = tf.memory().numTensors;
  tf.dispose([tokenLogProbs(logits, targets), tf.grad((l) => viaOurs(l, 1))(logits)]);
  assert.equal(tf.memory().numTensors, start);
  // wasm gives cpu's values and gradients
  const onBackend = async (name: string) => {
    await initEngine({ backend: name });
    const l = tf.tensor3d(logits.dataSync(), [B, T, V]);
    const t = tf.tensor2d(targets.dataSync(), [B, T], 'int32');
    const out = [
      tokenLogProbs(l, t, 0.8).dataSync(),
      tf
        .grad((x) => tokenLogProbs(x as tf.Tensor3D, t, 0.8).sum() as tf.Scalar)(l)
        .dataSync(),
    ];
    tf.dispose([l, t]);
    return out;
  };
  const w = await onBackend('wasm');
  const c = await onBackend('cpu');
  for (let k = 0; k < 2; k++)
    for (let i = 0; i < c[k].length; i++) assert.ok(Math.abs(w[k][i] - c[k][i]) < 1e-5, `wasm vs cpu ${k}:${i}: ${w[k][i]} vs ${c[k][i]}`);
});

test('masked cross-entropy ignores masked positions and matches the mean NLL', () => {
  const rng = new Rng(2);
  const [B, T, V] = [2, 4, 5];
  const logits = randomLogits(rng, B, T, V);
  const targets = tf.tensor2d(
    [
      [1, 2, 3, 4],
      [0, 1, 2, 3],
    ],
    [B, T],
    'int32',
  );
  const mask = tf.tensor2d(
    [
      [0, 1, 1, 0],
      [0, 0, 1, 1],
    ],
    [B, T],
  );
  const lp = tokenLogProbs(logits, targets).dataSync();
  const want = -(lp[1] + lp[2] + lp[6] + lp[7]) / 4;
  const ce = maskedCrossEntropy(logits, targets, mask).dataSync()[0];
  assert.ok(Math.abs(ce - want) < 1e-6);
  // changing a masked-out target does not change the loss
  const other = tf.tensor2d(
    [
      [4, 2, 3, 0],
      [3, 3, 2, 3],
    ],
    [B, T],
    'int32',
  );
  assert.equal(maskedCrossEntropy(logits, other, mask).dataSync()[0], ce);
  // an all-zero mask gives 0, not NaN
  assert.equal(maskedMean(tf.ones([2, 2]), tf.zeros([2, 2])).dataSync()[0], 0);
  assert.deepEqual(
    Array.from(
      sequenceLogProbs(
        tf.tensor2d([
          [-1, -2],
          [-3, -4],
        ]),
        tf.tensor2d([
          [1, 0],
          [1, 1],
        ]),
      ).dataSync(),
    ),
    [-1, -7],
  );
});

test('the gradient of the masked loss reaches only the unmasked logits', () => {
  const rng = new Rng(3);
  const logits = randomLogits(rng, 1, 3, 4);
  const targets = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
  const mask = tf.tensor2d([[1, 0, 1]], [1, 3]);
  const g = tf.grad((l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor3D, targets, mask))(logits);
  const d = g.dataSync();
  for (let v = 0; v < 4; v++) assert.ok(d[4 + v] === 0, `masked position got gradient ${d[4 + v]}`);
  assert.ok(Math.abs(d[1] - (Math.exp(reference(logits.dataSync().subarray(0, 4), 1, 1)) - 1) / 2) < 1e-6);
});

test('languageModelLoss of a fresh model is about ln(V); no tensors leak', () => {
  const m = new GPT({ vocabSize: 64, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
  const tokens = tf.tensor2d(
    [
      [1, 5, 9, 13, 17, 0],
      [2, 6, 10, 14, 0, 0],
    ],
    [2, 6],
    'int32',
  );
  const mask = tf.tensor2d(
    [
      [0, 1, 1, 1, 1, 0],
      [0, 1, 1, 1, 0, 0],
    ],
    [2, 6],
  );
  const start = tf.memory().numTensors;
  const loss = languageModelLoss(m, tokens, mask);
  const value = loss.dataSync()[0];
  loss.dispose();
  assert.equal(tf.memory().numTensors, start);
  assert.ok(Math.abs(value - Math.log(64)) < 0.1, `loss ${value}`);
  m.dispose();
});
