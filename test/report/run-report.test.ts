import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'os';
import * as path from 'path';
import { plotHtml } from '../../src/report/plot';
import { finishPage, indexPage, portable, shareStyles } from '../../src/report/run-report';

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
  assert.ok(out.indexOf("window.MathJax={tex:{inlineMath:[['$','$']") < out.indexOf('<script src="assets/tex-svg.js">'), 'config first, with its $ intact');
  assert.match(out, /<body class="jp-Notebook">\n[\s\S]*id="wb-code"/);
  assert.ok(!out.includes(ROOT));
});

test("finishPage replaces plotly.js inlined by a chart output with the report's one shared copy", () => {
  const chart = plotHtml({ data: [{ type: 'bar', x: ['a'], y: [1] }] }, true);
  assert.ok(chart.length > 1_000_000, 'the chart output carries plotly.js');
  const page = (body: string) => `<html><head><title>t</title></head><body>${body}</body></html>`;
  const out = finishPage(page(`<div class="jp-OutputArea-output">${chart}</div>`), RUN);
  assert.ok(out.length < 5_000, `${out.length} characters left`);
  assert.ok(!out.includes('plotly.js v'), 'no inlined plotly.js');
  assert.match(out, /<script src="assets\/plotly\.min\.js"><\/script>\n<\/head>/);
  assert.match(out, /Plotly\.newPlot\("wb-plot-/, "the chart's own drawing script is kept");
  const noChart = finishPage(page('<p>no charts</p>'), RUN);
  assert.ok(!noChart.includes('plotly.min.js'), 'pages without charts do not load it');
});

test('shareStyles moves the head styles into one stylesheet named by its content, in order, linked where they stood', () => {
  const page = (css: string) =>
    `<html><head><meta charset="utf-8" />\n<title>t</title>\n<style type="text/css">${css}a{}</style>\n<style type="text/css">b{}</style>\n<script>x</script>\n</head><body><style type="text/css">.wb-toolbar{}</style></body></html>`;
  const one = shareStyles(page('.jp-Cell{}'));
  assert.equal(one.css!.text, '.jp-Cell{}a{}\nb{}');
  assert.match(one.css!.file, /^assets\/notebook-[0-9a-f]{12}\.css$/);
  assert.equal(
    one.html,
    `<html><head><meta charset="utf-8" />\n<title>t</title>\n<link rel="stylesheet" href="${one.css!.file}">\n<script>x</script>\n</head><body><style type="text/css">.wb-toolbar{}</style></body></html>`,
  );
  assert.equal(shareStyles(page('.jp-Cell{}')).css!.file, one.css!.file, 'same styles, same file');
  assert.notEqual(shareStyles(page('.other{}')).css!.file, one.css!.file);
});

test("indexPage shows each notebook's load beside its time, and says what the load means", () => {
  const m = {
    runId: 'r',
    status: 'ok',
    machine: { cpus: 2, cpuModel: 'AMD EPYC' },
    notebooks: [
      { name: '00-setup', status: 'ok', seconds: 15.6 },
      { name: '01-data', status: 'ok', seconds: 22.6 },
    ],
  };
  const timings = {
    totalSeconds: 38.2,
    notebooks: [
      { name: '00-setup', seconds: 15.6, cells: [], load: { mean: 2.1, max: 2.64, samples: 3 } },
      { name: '01-data', seconds: 22.6, cells: [] }, // a run made before the load was recorded
    ],
  };
  const html = indexPage(m, timings, []);
  assert.match(html, /<td>00-setup<\/td><td>ok<\/td><td>15\.6 s<\/td><td>2\.10 \/ 2\.64<\/td><\/tr>/);
  assert.match(html, /<td>01-data<\/td><td>ok<\/td><td>22\.6 s<\/td><td><\/td><\/tr>/);
  assert.match(html, /<th>load \(mean \/ max\)<\/th>/);
  assert.match(html, /1-minute load average while the notebook ran \(2 cores, AMD EPYC\)/);
});
