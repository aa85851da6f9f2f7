import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { rankingPairs, rankingMask, rankingLoss, rankingAccuracy, normaliseBias } from '../../src/train/reward-loss';
import { Rng } from '../../src/util/random';
import { readValues } from '../../src/engine/readback';

before(async () => {
  await tf.setBackend('cpu');
});
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

// D > C > A = B: ranks A=3, B=3, C=2, D=1
const ranksDCAB = [3, 3, 2, 1];

test('pairs: ties dropped, winner first, flat indices into [N, K]', () => {
  const p = rankingPairs([ranksDCAB, [2, 1]], 4);
  // prompt 0: (A,C) (A,D) (B,C) (B,D) (C,D) -> winners C, D, C, D, D; prompt 1: answer 1 beats 0
  assert.deepEqual([...p.winner], [2, 3, 2, 3, 3, 5]);
  assert.deepEqual([...p.loser], [0, 0, 1, 1, 2, 4]);
  assert.deepEqual([...p.pairsPerPrompt], [5, 1]);
  close(p.weight[0], 1 / 10);
  close(p.weight[5], 1 / 2);
  const mask = rankingMask([ranksDCAB, [2, 1]], 4);
  assert.deepEqual([...mask], [1, 1, 1, 1, 1, 1, 0, 0]);
  // the same batch given as full rows plus a mask: padding ranks are never read
  assert.deepEqual(rankingPairs([ranksDCAB, [2, 1, NaN, -5]], 4, mask), p);
  const holes = rankingPairs([[1, 0, 2, 3]], 4, [1, 0, 1, 1]); // answer 1 is padding
  assert.deepEqual(
    [[...holes.winner], [...holes.loser]],
    [
      [0, 0, 2],
      [2, 3, 3],
    ],
  );
});

test('hand-computed loss with a tie: rewards A=0 B=1 C=1 D=2', async () => {
  // non-tied pairs and r_w - r_l: D-C=1, D-A=2, D-B=1, C-A=1, C-B=0
  // log sigmoid(1) = -0.313261687518, log sigmoid(2) = -0.126928011043, log sigmoid(0) = -0.693147180560
  // loss = -(3 * -0.313261687518 - 0.126928011043 - 0.693147180560) / 5 = 1.759860254157 / 5
  const pairs = rankingPairs([ranksDCAB], 4);
  const before = tf.memory().numTensors;
  const r = tf.tensor2d([[0, 1, 1, 2]]);
  const loss = rankingLoss(r, pairs);
  close(loss.dataSync()[0], 0.3519720508314);
  close(rankingAccuracy(await readValues(r, { keep: true }), pairs), 4.5 / 5); // C-B is a reward tie: half credit
  tf.dispose([r, loss]);
  assert.equal(tf.memory().numTensors, before);
});

test('masked prompts with fewer answers: padding is never read, prompts weigh the same', () => {
  const pairs = rankingPairs([ranksDCAB, [1, 2]], 4);
  const grads = tf.tidy(() => {
    const r = tf.tensor2d([
      [0, 1, 1, 2],
      [0.5, -0.5, 99, -99],
    ]);
    const g = tf.grad((x: tf.Tensor) => rankingLoss(x, pairs))(r);
    close(rankingLoss(r, pairs).dataSync()[0], (0.3519720508314 + 0.3132616875182) / 2);
    return g.dataSync();
  });
  assert.equal(grads[6], 0);
  assert.equal(grads[7], 0);
  // d loss / d r_w of prompt 1 = -1/2 * sigmoid(-(0.5 - -0.5)) = -0.5 * 0.268941421
  close(grads[4], -0.5 * 0.2689414213699951);
  close(grads[5], 0.5 * 0.2689414213699951);
});

test('the K-way batch element equals the mean of its pairwise losses (K = 9, random ties)', () => {
  const rng = new Rng('kway');
  const k = 9;
  const ranks = Array.from({ length: k }, () => rng.int(5));
  const rewards = Array.from({ length: k }, () => rng.normal());
  const pairs = rankingPairs([ranks], k);
  const asPairs = Array.from(pairs.winner, (w, p) => [rewards[w], rewards[pairs.loser[p]]]);
  const [kway, mean] = tf.tidy(() => [
    rankingLoss(tf.tensor2d([rewards]), pairs).dataSync()[0],
    rankingLoss(
      tf.tensor2d(asPairs),
      rankingPairs(
        asPairs.map(() => [1, 2]),
        2,
      ),
    ).dataSync()[0],
  ]);
  assert.ok(pairs.winner.length > 10 && pairs.winner.length < 36);
  close(kway, mean);
  let byHand = 0; // -mean log sigmoid(d) written out with Math
  for (const [w, l] of asPairs) byHand += Math.log(1 + Math.exp(-(w - l)));
  close(kway, byHand / asPairs.length, 1e-5);
});

test('accuracy from plain arrays; bias normalisation centres the demonstrations', () => {
  const pairs = rankingPairs(
    [
      [1, 2, 3],
      [3, 2, 1],
    ],
    3,
  );
  assert.equal(rankingAccuracy([3, 2, 1, 3, 2, 1], pairs), 0.5);
  const offset = normaliseBias([1, 2, 3, 6]);
  assert.equal(offset, -3);
  assert.equal(
    [1, 2, 3, 6].reduce((s, r) => s + r + offset, 0),
    0,
  );
});

test('bad inputs are rejected with the prompt, the answer or the shape', () => {
  assert.throws(() => rankingPairs([[1, 2, 3, 4, 5]], 4), /prompt 0 has 5 ranked answers; expected 2..K=4/);
  assert.throws(() => rankingPairs([[1, 2], [1]], 4), /prompt 1 has 1 ranked answers/);
  assert.throws(() => rankingPairs([[1, NaN]], 4), /prompt 0 answer 1: rank must be a finite number/);
  assert.throws(() => rankingPairs([[1, 2]], 1), /K must be an integer >= 2/);
  assert.throws(() => rankingPairs([[1, 2]], 2, [1, 1, 1]), /mask has 3 entries, expected N\*K = 1\*2/);
  assert.throws(() => rankingPairs([[1, 2]], 3, [1, 1, 0]), /with a mask, prompt 0 must have K=3 ranks, got 2/);
  assert.throws(() => rankingPairs([[1, 2, 3]], 3, [1, 0, 0]), /prompt 0 has 1 ranked answers/);
  const pairs = rankingPairs([[1, 2]], 2);
  const r = tf.zeros([1, 3]);
  assert.throws(() => rankingLoss(r, pairs), /rewards must have shape \[N=1, K=2\], got \[1,3\]/);
  r.dispose();
  assert.throws(() => rankingAccuracy([0, 0], rankingPairs([[1, 1]], 2)), /every answer of every prompt is tied/);
  assert.throws(() => normaliseBias([]), /no demonstration rewards/);
  assert.throws(() => normaliseBias([1, Infinity]), /reward 1 is not finite/);
});
