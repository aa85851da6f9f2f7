import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { defaultThreads, MAX_DEFAULT_THREADS } from '../../src/engine/backend';

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

test('default threads: the idle cores, rounded, at least 1, at most MAX_DEFAULT_THREADS', () => {
  assert.equal(defaultThreads(2, 0.1), 2);
  assert.equal(defaultThreads(2, 0.8), 1);
  assert.equal(defaultThreads(2, 3.7), 1);
  assert.equal(defaultThreads(16, 2), MAX_DEFAULT_THREADS);
  assert.equal(defaultThreads(1, 0), 1);
  const d = defaultThreads();
  assert.ok(Number.isInteger(d) && d >= 1 && d <= MAX_DEFAULT_THREADS);
});
