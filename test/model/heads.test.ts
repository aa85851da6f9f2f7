import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import { ScalarHead, lastTokenIndex } from '../../src/model/heads';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('lastTokenIndex finds the last real token with left or right padding', () => {
  assert.deepEqual(
    lastTokenIndex([
      [1, 1, 1, 0, 0],
      [0, 0, 1, 1, 1],
      [1, 0, 0, 0, 0],
    ]),
    [2, 4, 0],
  );
  assert.deepEqual(lastTokenIndex({ data: new Int32Array([1, 1, 0, 1]), B: 2, T: 2 }), [1, 1]);
  assert.throws(
    () =>
      lastTokenIndex([
        [1, 0],
        [0, 0],
      ]),
    /row 1 has no real \(non-pad\) token/,
  );
});

test('value head scores every position; reward head reads the given position', () => {
  const m = new GPT({ vocabSize: 32, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 });
  const value = new ScalarHead('value_head', 8, 1);
  const reward = new ScalarHead('reward_head', 8, 1);
  const { hidden } = m.hiddenStates(
    tf.tensor2d(
      [
        [3, 4, 5, 0],
        [6, 7, 0, 0],
      ],
      [2, 4],
      'int32',
    ),
  );
  const v = value.apply(hidden);
  assert.deepEqual(v.shape, [2, 4]);
  const idx = lastTokenIndex([
    [1, 1, 1, 0],
    [1, 1, 0, 0],
  ]);
  const r = reward.applyAt(hidden, idx);
  assert.deepEqual(r.shape, [2]);
  // same as the reward head applied everywhere, then read at idx
  const all = reward.apply(hidden).arraySync();
  const got = r.arraySync();
  assert.ok(Math.abs(got[0] - all[0][2]) < 1e-6 && Math.abs(got[1] - all[1][1]) < 1e-6);
  // the two heads are different linear maps
  assert.notDeepEqual(value.weight.dataSync(), reward.weight.dataSync());
  // shifting the bias moves every score by the same amount
  reward.shiftBias(0.5);
  const shifted = reward.applyAt(hidden, idx).arraySync();
  assert.ok(Math.abs(shifted[0] - (got[0] - 0.5)) < 1e-6);
  assert.throws(() => reward.applyAt(hidden, [0]), /1 indices for batch 2/);
  assert.throws(() => reward.applyAt(hidden, [0, 4]), /index 4 of row 1 outside \[0, 4\)/);
  const start = tf.memory().numTensors;
  tf.dispose([reward.applyAt(hidden, idx), value.apply(hidden)]);
  assert.equal(tf.memory().numTensors, start);
  [m, value, reward].forEach((x) => x.dispose());
});
