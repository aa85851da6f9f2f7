import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, requestedBackend } from '../../src/engine';

test('RLHF_BACKEND with an unknown name fails listing the valid ones', async () => {
  const saved = process.env.RLHF_BACKEND;
  process.env.RLHF_BACKEND = 'tpu';
  try {
    await assert.rejects(initEngine(), /RLHF_BACKEND: unknown backend "tpu"; valid: tensorflow, webgpu, wasm, cpu, auto/);
  } finally {
    if (saved === undefined) delete process.env.RLHF_BACKEND;
    else process.env.RLHF_BACKEND = saved;
  }
});

test('the option wins over RLHF_BACKEND, which wins over auto', () => {
  const saved = process.env.RLHF_BACKEND;
  process.env.RLHF_BACKEND = 'CPU';
  try {
    assert.deepEqual(requestedBackend(), { name: 'cpu', source: 'RLHF_BACKEND' });
    assert.deepEqual(requestedBackend({ backend: 'wasm' }), { name: 'wasm', source: 'option backend' });
    delete process.env.RLHF_BACKEND;
    assert.deepEqual(requestedBackend(), { name: 'auto', source: 'auto' });
  } finally {
    if (saved !== undefined) process.env.RLHF_BACKEND = saved;
  }
});

test('auto picks a working backend, reports every candidate, and is idempotent', async () => {
  delete process.env.RLHF_BACKEND;
  const info = await initEngine();
  assert.equal(tf.getBackend(), info.backend);
  assert.equal(info.tfjsVersion, tf.version.tfjs);
  assert.deepEqual(
    info.candidates.map((c) => c.name),
    ['tensorflow', 'webgpu', 'wasm'].slice(0, info.candidates.length),
  );
  assert.equal(info.candidates[info.candidates.length - 1].ok, true);
  for (const c of info.candidates.slice(0, -1)) assert.equal(c.ok, false, `${c.name} refused: ${c.why}`);
  assert.ok(info.reason.startsWith(info.backend));
  if (info.backend === 'wasm') assert.ok((info.threads ?? 0) >= 1);
  assert.equal(await initEngine(), info);
  assert.notEqual(info.backend, 'cpu');
});

test('cpu only when asked; switching back returns the first info', async () => {
  const auto = await initEngine();
  const cpu = await initEngine({ backend: 'cpu' });
  assert.equal(cpu.backend, 'cpu');
  assert.equal(cpu.reason, 'forced by option backend');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(await initEngine(), auto);
  assert.equal(tf.getBackend(), auto.backend);
});

test('forcing webgpu either works on a hardware adapter or says why not', async () => {
  try {
    const info = await initEngine({ backend: 'webgpu' });
    assert.equal(info.backend, 'webgpu');
  } catch (e) {
    assert.match((e as Error).message, /option backend forces backend "webgpu", which is unavailable: \S/);
  }
  await initEngine();
});
