import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { policyLoss, valueLoss, tokenEntropy, entropy } from '../../src/rl/losses';

before(async () => {
  await tf.setBackend('cpu');
});
const closeAll = (got: ArrayLike<number>, want: number[], tol = 1e-6) => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < tol, `[${i}] ${got[i]} != ${want[i]}`);
};
const val = (t: tf.Tensor) => t.dataSync()[0];

test('clipped surrogate, clipfrac and approx-KL on known ratios', () => {
  // ratios 1.5, 0.5, 1.1, 0.5, (3 masked); advantages 1, -1, 1, 1, (5)
  // -A*r vs -A*clip(r, 0.8, 1.2):  -1.5 vs -1.2 -> -1.2 (clipped);  0.5 vs 0.8 -> 0.8 (clipped)
  //                                -1.1 vs -1.1 -> -1.1;            -0.5 vs -0.8 -> -0.5 (pessimistic, unclipped)
  // loss = (-1.2 + 0.8 - 1.1 - 0.5) / 4 = -0.5;  clipfrac = 2/4
  // approxKl = 1/2 * mean(ln1.5^2, ln0.5^2, ln1.1^2, ln0.5^2) = 0.141799001513
  const start = tf.memory().numTensors;
  const oldLogprobs = tf.tensor2d([[-1, -2, -0.5, -3, -1]]);
  const logprobs = tf.tidy(() => tf.add(oldLogprobs, tf.log(tf.tensor2d([[1.5, 0.5, 1.1, 0.5, 3]]))));
  const advantages = tf.tensor2d([[1, -1, 1, 1, 5]]);
  const mask = tf.tensor2d([[1, 1, 1, 1, 0]]);
  const out = policyLoss({ logprobs, oldLogprobs, advantages, mask }, 0.2);
  closeAll([val(out.loss), val(out.clipfrac), val(out.approxKl)], [-0.5, 0.5, 0.141799001513]);
  // gradient flows only through unclipped tokens: d/dlogp = -A * ratio / 4
  const g = tf.tidy(() => tf.grad((lp: tf.Tensor) => policyLoss({ logprobs: lp, oldLogprobs, advantages, mask }).loss)(logprobs));
  closeAll(g.dataSync(), [0, 0, -1.1 / 4, -0.5 / 4, 0]);
  tf.dispose([oldLogprobs, logprobs, advantages, mask, out.loss, out.clipfrac, out.approxKl, g]);
  assert.equal(tf.memory().numTensors, start);
});

test('value clipping on known values', () => {
  // old 0, clip 0.2; v = 0.5 -> clipped 0.2: (0.5-1)^2 = 0.25 vs (0.2-1)^2 = 0.64 -> 0.64 (clip bites)
  // v = 0.1 inside: 0.81 both;  v = -0.5 -> -0.2: 2.25 vs 1.44 -> 2.25;  v = 7 masked
  // loss = 1/2 * (0.64 + 0.81 + 2.25) / 3 = 0.616666...;  clipfrac = 1/3
  const start = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const r = valueLoss(
      {
        values: tf.tensor2d([
          [0.5, 0.1],
          [-0.5, 7],
        ]),
        oldValues: tf.zeros([2, 2]),
        returns: tf.tensor2d([
          [1, 1],
          [1, 0],
        ]),
        mask: tf.tensor2d([
          [1, 1],
          [1, 0],
        ]),
      },
      0.2,
    );
    return [val(r.loss), val(r.clipfrac)];
  });
  closeAll(out, [3.7 / 6, 1 / 3]);
  assert.equal(tf.memory().numTensors, start);
});

test('entropy from logits: p = (1/4, 3/4) and uniform over 4; masked mean', () => {
  const got = tf.tidy(() => {
    const logits = tf.tensor3d([
      [
        [0, Math.log(3), -1e9, -1e9],
        [0, 0, 0, 0],
      ],
    ]); // [1, 2, 4]
    return [...tokenEntropy(logits).dataSync(), val(entropy(logits, tf.tensor2d([[1, 0]]))), val(entropy(logits, tf.ones([1, 2])))];
  });
  const h = 0.5623351446188083; // -(1/4 ln 1/4 + 3/4 ln 3/4)
  closeAll(got, [h, Math.log(4), h, (h + Math.log(4)) / 2]);
});

test('shape mismatches and bad clip ranges are rejected by name', () => {
  const a = tf.zeros([2, 3]),
    b = tf.zeros([2, 2]),
    l = tf.zeros([2, 2, 5]);
  assert.throws(() => policyLoss({ logprobs: a, oldLogprobs: a, advantages: b, mask: a }), /policyLoss: advantages has shape \[2,2\] but logprobs has \[2,3\]/);
  assert.throws(() => policyLoss({ logprobs: a, oldLogprobs: a, advantages: a, mask: a }, 0), /clipRange must be a finite number > 0/);
  assert.throws(() => valueLoss({ values: a, oldValues: a, returns: a, mask: b }), /valueLoss: mask has shape/);
  assert.throws(() => entropy(l, a), /logits \[2,2,5\] must be mask's shape \[2,3\]/);
  assert.throws(() => tokenEntropy(tf.zeros([3])), /rank >= 2/);
  tf.dispose([a, b, l]);
});
