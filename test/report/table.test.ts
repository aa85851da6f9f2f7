import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as aq from 'arquero';
import { tableHtml, tableText, showTable } from '../../src/report';
import { toRows } from '../../src/util/rows';
import { installFakeKernel, removeFakeKernel } from './fake-kernel';

const ROWS = [
  { prompt: 'Say hi', answer: '<script>alert(1)</script>', reward: 0.123456 },
  { prompt: 'Q & A', answer: 'ok "quoted"', reward: -1 },
];

test('model text containing <script> is shown as text, not markup', () => {
  const html = tableHtml(ROWS);
  assert.ok(!html.includes('<script>'), html);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('Q &amp; A'));
  assert.ok(html.includes('<td>0.1235</td>'), 'numbers rounded to 4 digits');
});

test('arquero tables and danfo-shaped frames give the same rows', () => {
  const t = aq.from(ROWS);
  assert.deepEqual(toRows(t), { columns: ['prompt', 'answer', 'reward'], rows: ROWS });
  const danfoLike = { columns: ['prompt', 'answer', 'reward'], values: ROWS.map((r) => [r.prompt, r.answer, r.reward]) };
  assert.deepEqual(toRows(danfoLike).rows, ROWS);
  assert.throws(() => toRows(42), /expected a danfo DataFrame, an arquero table or an array of rows, got number/);
});

test('maxRows cuts the table and says how many rows were left out', () => {
  const many = Array.from({ length: 30 }, (_, i) => ({ i }));
  const html = tableHtml(many, { maxRows: 5 });
  assert.equal((html.match(/<tr>/g) ?? []).length, 6, 'header + 5 rows');
  assert.match(html, /25 more rows \(30 in all\)/);
  assert.match(tableText(many, { maxRows: 5 }), /25 more rows/);
});

test('showTable sends one bundle with escaped HTML and text inside a kernel', () => {
  const sent = installFakeKernel();
  try {
    showTable(ROWS, { caption: 'samples' });
  } finally {
    removeFakeKernel();
  }
  assert.equal(sent.length, 1);
  const data = sent[0].content.data;
  assert.deepEqual(Object.keys(data).sort(), ['text/html', 'text/plain']);
  assert.ok(!(data['text/html'] as string).includes('<script>'));
  assert.match(data['text/plain'] as string, /samples\nprompt/);
});
