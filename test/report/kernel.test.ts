/**
 * Inside a tslab kernel the display helpers either reach tslab's display or fail loudly:
 * a kernel started from another checkout's launcher loads a second tslab, and falling back to
 * text there dropped every chart and table from the notebooks and the report.
 */
import { test, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { inKernel, progress, showMarkdown, showPlot, showTable } from '../../src/report';
import { installFakeKernel, removeFakeKernel } from './fake-kernel';

const OTHER = path.join(__dirname, 'other-checkout', 'node_modules', 'tslab', 'dist', 'jupyter.js');
const cache = require.cache as any;

/** A second tslab copy in the require cache, as another checkout's launcher leaves it (no writer). */
function installDeadCopy(): void {
  cache[OTHER] = { id: OTHER, filename: OTHER, loaded: true, exports: { lastWriteDisplayData: null } };
}

afterEach(() => {
  delete cache[OTHER];
  removeFakeKernel();
});

test('outside a kernel (no tslab loaded) the helpers print text', () => {
  assert.equal(inKernel(), false);
});

test('a kernel whose only tslab has no display writer: every helper throws, naming the cause', async () => {
  installDeadCopy();
  const expected = {
    message:
      /^display: this kernel loaded tslab \(.*other-checkout.*\) but none has a display writer .*run `npm run setup` in this checkout and restart the kernel$/,
  };
  assert.throws(() => inKernel(), expected);
  assert.throws(() => showTable([{ a: 1 }]), expected);
  assert.throws(() => showMarkdown('**not**'), expected);
  assert.throws(() => progress(3, 'steps'), expected);
  await assert.rejects(showPlot({ data: [{ type: 'bar', x: ['a'], y: [1] }] }), expected);
});

test('two tslab copies, one live: the helpers write to the live one', () => {
  installDeadCopy();
  const sent = installFakeKernel();
  assert.equal(inKernel(), true);
  showTable([{ a: 1 }]);
  assert.equal(sent.length, 1);
  assert.ok((sent[0].content.data['text/html'] as string).includes('<table'));
});
