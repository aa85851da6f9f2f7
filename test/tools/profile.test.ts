import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { profileTrainStep } from '../../src/tools/bench';
import { formatProfile, profileKernels } from '../../src/engine/profile';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

test('profileKernels counts each kernel call once and restores the registered kernels', async () => {
  const before = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
  const a = tf.ones([8, 8]);
  const p = await profileKernels(
    () => {
      tf.tidy(() => tf.matMul(a, a).add(1).mul(2));
    },
    3,
    1,
  );
  a.dispose();
  const byName = new Map(p.kernels.map((k) => [k.kernel, k]));
  assert.equal(byName.get('BatchMatMul')?.calls, 1);
  assert.equal(byName.get('Add')?.calls, 1);
  assert.equal(byName.get('Multiply')?.calls, 1);
  assert.ok(p.totalMs > 0 && p.otherMs <= p.totalMs);
  for (const k of tf.getKernelsForBackend('wasm')) assert.equal(k.kernelFunc, before.get(k.kernelName), k.kernelName);
});

test('a training-step profile splits the step into kernels that add up to its time', async () => {
  const p = await profileTrainStep({ nEmbd: 16, nLayer: 1 }, 8, 2, { vocabSize: 64, nHead: 2, steps: 2, warmup: 1 });
  const names = p.kernels.map((k) => k.kernel);
  for (const k of ['BatchMatMul', 'Softmax']) assert.ok(names.includes(k), `${k} in ${names}`);
  const sum = p.kernels.reduce((s, k) => s + k.ms, 0) + p.otherMs;
  assert.ok(Math.abs(sum - p.totalMs) < 1e-6);
  const text = formatProfile(p, 3);
  assert.match(text, new RegExp(`^  ${p.kernels[0].kernel} `, 'm'), 'slowest kernel first');
  assert.match(text, new RegExp(`\\(${p.kernels.length - 3} others\\)[\\s\\S]*\\(outside kernels\\)[\\s\\S]*total`));
});
