import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'os';
import * as path from 'path';
import { finishPage, portable } from '../../src/report/run-report';

const ROOT = path.resolve(__dirname, '../..');
const RUN = path.join(ROOT, 'runs', '20260101-000000-smoke');

test('portable rewrites the run folder, the checkout and the home folder', () => {
  const text = `saved to ${RUN}/sft/small.json; code in ${ROOT}/src/x.ts; cache ${os.homedir()}/.cache/y`;
  assert.equal(portable(text, RUN), 'saved to runs/20260101-000000-smoke/sft/small.json; code in src/x.ts; cache ~/.cache/y');
});

test('finishPage drops require.js, configures MathJax 3 before it loads, adds the code button', () => {
  const html = `<html><head><script src="wb-no-require.js"></script>\n<script src="assets/tex-svg.js"> </script></head><body class="jp-Notebook">x ${RUN}</body></html>`;
  const out = finishPage(html, RUN);
  assert.ok(!out.includes('wb-no-require.js'));
  assert.ok(out.indexOf('window.MathJax={tex:{inlineMath:[[\'$\',\'$\']') < out.indexOf('<script src="assets/tex-svg.js">'), 'config first, with its $ intact');
  assert.match(out, /<body class="jp-Notebook">\n[\s\S]*id="wb-code"/);
  assert.ok(!out.includes(ROOT));
});
