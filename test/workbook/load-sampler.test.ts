import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { sampleLoad } from '../../src/workbook/load-sampler';

test('sampleLoad reads at the start, every interval and at the stop, and keeps the mean and the largest', async () => {
  const values = [1, 3, 2, 2, 2, 2, 2, 2];
  let i = 0;
  const sampler = sampleLoad(20, () => values[Math.min(i++, values.length - 1)]);
  await new Promise((r) => setTimeout(r, 75));
  const reading = sampler.stop();
  assert.ok(reading.samples >= 4, `start, at least two intervals, stop: ${reading.samples}`);
  assert.equal(reading.samples, i, 'one sample per read');
  const seen = values.slice(0, i).concat(Array(Math.max(0, i - values.length)).fill(2));
  assert.equal(reading.mean, Math.round((100 * seen.reduce((a, x) => a + x, 0)) / seen.length) / 100);
  assert.equal(reading.max, 3);
  const after = i;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(i, after, 'no reads after stop');
});

test('sampleLoad on the real machine gives a non-negative reading', () => {
  const reading = sampleLoad().stop();
  assert.equal(reading.samples, 2);
  assert.ok(reading.mean >= 0 && reading.max >= reading.mean);
});
