import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as os from 'os';
import { defaultThreads, MAX_DEFAULT_THREADS, measureIdleCores, requestedThreads } from '../../src/engine/backend';

const script = path.join(__dirname, 'fixtures', 'train-digest.ts');

/** Train in a fresh process (the thread count is fixed when wasm starts). */
function trainWith(threads: number): { threads: number; losses: number[]; digest: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, RLHF_WASM_THREADS: String(threads), RLHF_BACKEND: '' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

// This is what lets the default thread count follow the machine's idle cores.
test('training steps are bit-identical with 1 and 2 wasm threads (losses and every weight)', () => {
  const one = trainWith(1);
  const two = trainWith(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.ok(one.losses.every((l) => Number.isFinite(l) && l > 0));
  assert.deepEqual(two.losses, one.losses);
  assert.equal(two.digest, one.digest);
});

test('default threads: one per idle core (80% idle counts), at least 1, at most MAX_DEFAULT_THREADS', async () => {
  assert.equal(defaultThreads(1.95), 2);
  assert.equal(defaultThreads(1.7), 1, 'a second core busy 30% of the time: 1 thread');
  assert.equal(defaultThreads(1.05), 1);
  assert.equal(defaultThreads(0.1), 1);
  assert.equal(defaultThreads(15.9), MAX_DEFAULT_THREADS);
  const idle = await measureIdleCores(50);
  assert.ok(idle >= 0 && idle <= os.cpus().length + 1e-9, `idle ${idle}`);
  assert.equal(requestedThreads({}, 1.95), process.env.RLHF_WASM_THREADS ? Number(process.env.RLHF_WASM_THREADS) : 2);
  assert.equal(requestedThreads({ threads: 3 }, 0), 3, 'an explicit count wins');
});
