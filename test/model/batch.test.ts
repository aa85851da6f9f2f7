import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { padBatch, disposeBatch } from '../../src/model/batch';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('right and left padding: ids, masks, positions, last index', () => {
  const r = padBatch([[5, 6, 7], [8]], { padId: 0, lossStart: [1, 0] });
  assert.deepEqual(r.ids.arraySync(), [
    [5, 6, 7],
    [8, 0, 0],
  ]);
  assert.deepEqual(r.mask.arraySync(), [
    [1, 1, 1],
    [1, 0, 0],
  ]);
  assert.deepEqual(r.lossMask.arraySync(), [
    [0, 1, 1],
    [1, 0, 0],
  ]);
  assert.deepEqual(r.positions.arraySync(), [
    [0, 1, 2],
    [0, 0, 0],
  ]);
  assert.deepEqual(r.lastIndex, [2, 0]);
  const l = padBatch([[5, 6, 7], [8]], { padId: 0, side: 'left', length: 4 });
  assert.deepEqual(l.ids.arraySync(), [
    [0, 5, 6, 7],
    [0, 0, 0, 8],
  ]);
  assert.deepEqual(l.mask.arraySync(), [
    [0, 1, 1, 1],
    [0, 0, 0, 1],
  ]);
  assert.deepEqual(l.positions.arraySync(), [
    [0, 0, 1, 2],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(l.lastIndex, [3, 3]);
  assert.throws(() => padBatch([[1, 2, 3]], { padId: 0, length: 2 }), /3 tokens, longer than length 2/);
  assert.throws(() => padBatch([[1], []], { padId: 0 }), /row 1 is empty/);
  [r, l].forEach(disposeBatch);
});

test('a reward read at the last real token is the same with left or right padding', () => {
  const m = new GPT({ vocabSize: 20, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 });
  const head = new ScalarHead('reward_head', 8, 3);
  const seqs = [
    [3, 4, 5, 6],
    [7, 8],
  ];
  const score = (side: 'left' | 'right') => {
    const b = padBatch(seqs, { padId: 0, side });
    const { hidden } = m.hiddenStates(b.ids, side === 'left' ? { attentionMask: b.mask, positions: b.positions } : {});
    const r = head.applyAt(hidden, b.lastIndex).dataSync();
    hidden.dispose();
    disposeBatch(b);
    return r;
  };
  const right = score('right');
  const left = score('left');
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(right[i] - left[i]) < 1e-5, `row ${i}: ${right[i]} vs ${left[i]}`);
  m.dispose();
  head.dispose();
});
