import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { progress } from '../../src/report';
import { installFakeKernel, removeFakeKernel } from './fake-kernel';

test('outside a kernel progress prints plain lines and a final one', () => {
  const lines: string[] = [];
  const bar = progress(4, 'sft', { everySeconds: 0, log: (l) => lines.push(l) });
  bar.tick();
  bar.tick(2, 'loss 2.5');
  bar.tick();
  bar.tick(); // after done: ignored
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^sft \[#{8}\.{22}\] 1\/4/);
  assert.match(lines[2], /^sft \[#{30}\] 4\/4 \d+s loss 2\.5$/);
});

test('inside a kernel progress updates ONE output in place', () => {
  const sent = installFakeKernel();
  try {
    const bar = progress(3, 'rm', { everySeconds: 0 });
    bar.tick();
    bar.tick();
    bar.done('acc 0.7');
  } finally {
    removeFakeKernel();
  }
  const ids = new Set(sent.map((s) => s.content.transient.display_id));
  assert.equal(ids.size, 1, 'one display id');
  assert.deepEqual(
    sent.map((s) => s.update),
    [false, true, true, true],
  );
  assert.match(sent[sent.length - 1].content.data['text/plain'] as string, /2\/3 .*acc 0\.7/);
  assert.match(sent[0].content.data['text/html'] as string, /<progress value="0" max="3"/);
});
