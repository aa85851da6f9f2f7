/**
 * Charts. A plotly figure becomes ONE display bundle so it shows everywhere:
 *   application/vnd.plotly.v1+json  JupyterLab's plotly renderer (an object, not a string)
 *   text/html                      classic Notebook, nbconvert HTML, the run report: a div +
 *                                  script that draws once plotly.js is there. A kernel opened
 *                                  by hand inlines plotly.js once (in its first chart); the
 *                                  runner's kernels do not (WORKBOOK_INLINE_PLOTLY=0): the run
 *                                  report loads one shared copy per report, and JupyterLab
 *                                  draws the plotly JSON itself
 *   image/png                      GitHub and other static viewers (needs headless Chromium)
 *   text/plain                     terminals
 */
import { escapeHtml } from '../util/escape';
import { currentWriter, newDisplayId, sendBundle } from './kernel';
import type { MimeBundle } from './kernel';
import { plotlyJs } from './plotlyjs';
import { renderPng } from './png';

export interface Figure {
  data: object[];
  layout?: Record<string, any>;
}

let plotlyInlined = false;

/** Whether this kernel's first chart carries plotly.js (not when the runner executes it). */
function inlinePlotly(): boolean {
  return process.env.WORKBOOK_INLINE_PLOTLY !== '0';
}
let divCount = 0;

/** A div + script drawing `figure`; with `inlinePlotly` the script first defines Plotly. */
export function plotHtml(figure: Figure, inlinePlotly: boolean): string {
  divCount += 1;
  const id = `wb-plot-${process.pid}-${Date.now().toString(36)}-${divCount}`;
  const json = JSON.stringify({ data: figure.data, layout: figure.layout ?? {} }).replace(/</g, '\\u003c');
  const lib = inlinePlotly ? `<script type="text/javascript">${plotlyJs().replace(/<\/script/gi, '<\\/script')}</script>\n` : '';
  return (
    `${lib}<div id="${id}" class="wb-plot" style="width:100%;max-width:760px;height:450px"></div>\n` +
    `<script type="text/javascript">(function(){var f=${json};` +
    `function draw(){if(window.Plotly){window.Plotly.newPlot("${id}",f.data,f.layout,{responsive:true});}else{setTimeout(draw,100);}}draw();})();</script>`
  );
}

export function plotText(figure: Figure): string {
  const title = figure.layout?.title;
  const name = typeof title === 'string' ? title : (title?.text ?? 'chart');
  const traces = figure.data.map((t: any) => `${t.type ?? 'scatter'}${t.name ? ` "${t.name}"` : ''} (${(t.y ?? t.values ?? t.x ?? []).length} points)`);
  return `[plotly] ${name}: ${traces.join(', ')}`;
}

/**
 * Show a plotly figure. Displays at once; when a headless browser is present the same
 * output is updated with a PNG, so `await showPlot(fig)` to keep the image in the notebook.
 */
export async function showPlot(figure: Figure): Promise<void> {
  const writer = currentWriter();
  const figureJson = JSON.parse(JSON.stringify({ data: figure.data, layout: figure.layout ?? {} }));
  const bundle: MimeBundle = {
    'application/vnd.plotly.v1+json': figureJson,
    'text/html': writer ? plotHtml(figure, inlinePlotly() && !plotlyInlined) : `<pre>${escapeHtml(plotText(figure))}</pre>`,
    'text/plain': plotText(figure),
  };
  if (!writer) {
    sendBundle(bundle, { writer: null });
    return;
  }
  plotlyInlined = true;
  const displayId = newDisplayId();
  sendBundle(bundle, { displayId, writer });
  const png = await renderPng(figureJson);
  if (png) sendBundle({ ...bundle, 'image/png': png }, { displayId, update: true, writer });
}
