import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { showPlot, plotHtml, findBrowser, renderPng } from '../../src/report';
import { installFakeKernel, removeFakeKernel } from './fake-kernel';

const FIG = { data: [{ type: 'scatter', name: 'loss', x: [1, 2, 3], y: [3, 2, 1.5] }], layout: { title: { text: 'loss </script>' } } };

test('showPlot sends one bundle: plotly JSON as an object, html, text; plotly.js inlined once', async () => {
  const saved = process.env.WORKBOOK_PNG;
  process.env.WORKBOOK_PNG = '0';
  const sent = installFakeKernel();
  try {
    await showPlot(FIG);
    await showPlot(FIG);
  } finally {
    removeFakeKernel();
    if (saved === undefined) delete process.env.WORKBOOK_PNG;
    else process.env.WORKBOOK_PNG = saved;
  }
  assert.equal(sent.length, 2);
  const [first, second] = sent.map((s) => s.content.data);
  assert.equal(typeof first['application/vnd.plotly.v1+json'], 'object');
  assert.deepEqual((first['application/vnd.plotly.v1+json'] as any).data, FIG.data);
  assert.match(first['text/plain'] as string, /\[plotly\] loss .*scatter "loss" \(3 points\)/);
  const big = (first['text/html'] as string).length;
  const small = (second['text/html'] as string).length;
  assert.ok(big > 1_000_000 && small < 10_000, `plotly.js inlined in the first chart only (${big}, ${small})`);
  assert.ok(!(second['text/html'] as string).includes('</script>"'), 'figure JSON cannot close the script tag');
});

test('outside a kernel showPlot prints a text line and does not throw', async () => {
  const lines: string[] = [];
  const write = process.stdout.write;
  (process.stdout as any).write = (s: string) => (lines.push(String(s)), true);
  try {
    await showPlot(FIG);
  } finally {
    (process.stdout as any).write = write;
  }
  assert.match(lines.join(''), /\[plotly\] loss/);
});

test('plotHtml draws into its own div', () => {
  const html = plotHtml(FIG, false);
  const id = /id="(wb-plot-[^"]+)"/.exec(html)![1];
  assert.ok(html.includes(`newPlot("${id}"`));
});

test('renderPng makes a PNG with headless Chromium when one is installed', { skip: findBrowser() === null && 'no headless browser' }, async () => {
  const png = await renderPng(FIG, { width: 300, height: 200 });
  assert.ok(png, 'got an image');
  const bytes = Buffer.from(png!, 'base64');
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(bytes.readUInt32BE(16), 300, 'width');
});
