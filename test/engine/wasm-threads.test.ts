import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { Rng } from '../../src/util/random';

// Own file: the wasm thread count is fixed when the backend first starts in a process.
test('threaded wasm starts in Node with 2 XNNPACK threads and computes the same products', async () => {
  const info = await initEngine({ backend: 'wasm', threads: 2 });
  assert.equal(info.threads, 2, info.candidates[0].why);
  assert.match(info.candidates[0].why, /threaded SIMD build, 2 XNNPACK threads/);
  const rng = new Rng('threads');
  const a = Float32Array.from({ length: 96 * 80 }, () => rng.next() - 0.5);
  const b = Float32Array.from({ length: 80 * 70 }, () => rng.next() - 0.5);
  const run = () => {
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(a, [96, 80]), tf.tensor2d(b, [80, 70])));
    const out = y.dataSync().slice();
    y.dispose();
    return out;
  };
  const threaded = run();
  await tf.setBackend('cpu');
  const ref = run();
  await tf.setBackend('wasm');
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(threaded[i] - ref[i]) <= 1e-5 * Math.max(1, Math.abs(ref[i])), `element ${i}`);
  assert.deepEqual(run(), threaded, 'repeatable');
});

test('a bad thread count is rejected by name', async () => {
  const { requestedThreads } = await import('../../src/engine');
  assert.throws(() => requestedThreads({ threads: 0 }), /option threads: expected an integer 1\.\.8, got "0"/);
  process.env.RLHF_WASM_THREADS = 'many';
  try {
    assert.throws(() => requestedThreads(), /RLHF_WASM_THREADS: expected an integer 1\.\.8, got "many"/);
  } finally {
    delete process.env.RLHF_WASM_THREADS;
  }
});
