/**
 * The HTML report of a run: `runs/<id>/report/index.html` linking one page per executed
 * notebook (nbconvert's lab template). Portable: machine paths are rewritten to relative
 * ones; plotly.js (from the `plotly.js-dist-min` package) and MathJax 3 (from `mathjax`) are
 * copied once into report/assets and linked from every page that needs them, never inlined
 * (a copy of plotly.js per page made a smoke report 37 MB), and so is nbconvert's theme CSS
 * (0.5 MB a page); require.js is not needed and is dropped. Code cells can be hidden with one button.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { replaceDirAtomic } from '../util/atomic';
import { escapeHtml } from '../util/escape';

const ROOT = path.resolve(__dirname, '../..');
const PLOTLY_ASSET = 'plotly.min.js';

function python(): string {
  if (process.env.WORKBOOK_PYTHON) return process.env.WORKBOOK_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** Replace this machine's paths in `text` with portable ones. */
export function portable(text: string, runDir: string): string {
  const swap = (s: string, from: string, to: string) => (from.length > 1 ? s.split(from).join(to) : s);
  let out = swap(text, runDir, `runs/${path.basename(runDir)}`);
  out = swap(out, ROOT + '/', '');
  out = swap(out, ROOT, '.');
  out = swap(out, os.homedir() + '/', '~/');
  return out;
}

const TOGGLE = `
<style>
.wb-toolbar{position:fixed;top:8px;right:12px;z-index:100;font:13px sans-serif}
.wb-toolbar button{padding:4px 10px;cursor:pointer}
body.wb-hide-code .jp-CodeCell .jp-Cell-inputWrapper{display:none}
.jp-Cell-inputWrapper .jp-InputPrompt{cursor:pointer}
.wb-folded .jp-InputArea-editor{max-height:1.6em;overflow:hidden;opacity:.6}
</style>
<div class="wb-toolbar"><a href="index.html">&larr; report</a> <button id="wb-code">Hide code</button></div>
<script>
(function(){
  var b=document.getElementById('wb-code');
  b.onclick=function(){var h=document.body.classList.toggle('wb-hide-code');b.textContent=h?'Show code':'Hide code';};
  document.querySelectorAll('.jp-Cell-inputWrapper .jp-InputPrompt').forEach(function(p){
    p.title='fold / unfold this cell';
    p.onclick=function(){p.closest('.jp-Cell-inputWrapper').classList.toggle('wb-folded');};
  });
})();
</script>`;

const MATHJAX_CONFIG = `<script>window.MathJax={tex:{inlineMath:[['$','$'],['\\\\(','\\\\)']],displayMath:[['$$','$$'],['\\\\[','\\\\]']],processEscapes:true},svg:{fontCache:'global'}};</script>`;

/** plotly.js as a chart output inlines it (a kernel opened by hand): its own script element. */
const INLINE_PLOTLY = /<script type="text\/javascript">\/\*\*\s*\n\s*\* plotly\.js v[\s\S]*?<\/script>\n?/g;

/**
 * Post-process one nbconvert page: no machine paths, MathJax 3, no require.js, code toggle,
 * and the report's one copy of plotly.js instead of any inlined one.
 */
export function finishPage(html: string, runDir: string): string {
  let out = html.replace(/<script src="[^"]*wb-no-require\.js"><\/script>\s*/g, '');
  out = out.replace(INLINE_PLOTLY, '');
  if (out.includes('class="wb-plot"')) out = out.replace('</head>', () => `<script src="assets/${PLOTLY_ASSET}"></script>\n</head>`);
  // (a function replacer: the config's '$' would be read as a replacement pattern)
  out = out.replace('<script src="assets/tex-svg.js">', () => `${MATHJAX_CONFIG}\n<script src="assets/tex-svg.js">`);
  out = out.replace(/<body([^>]*)>/, (m) => `${m}\n${TOGGLE}`);
  return portable(out, runDir);
}

/**
 * The page's `<head>` styles (nbconvert's lab theme, ~0.5 MB, the same on every page) moved
 * into one stylesheet named by its content, linked where the first one stood.
 */
export function shareStyles(html: string): { html: string; css: { file: string; text: string } | null } {
  const headEnd = html.indexOf('</head>');
  if (headEnd < 0) return { html, css: null };
  const head = html.slice(0, headEnd);
  const STYLE = /<style type="text\/css">([\s\S]*?)<\/style>\n?/g;
  const blocks = [...head.matchAll(STYLE)];
  if (!blocks.length) return { html, css: null };
  const text = blocks.map((m) => m[1]).join('\n');
  const file = `assets/notebook-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.css`;
  let first = true;
  const newHead = head.replace(STYLE, () => {
    if (!first) return '';
    first = false;
    return `<link rel="stylesheet" href="${file}">\n`;
  });
  return { html: newHead + html.slice(headEnd), css: { file, text } };
}

interface ManifestLike {
  runId?: string;
  status?: string;
  profile?: string;
  seed?: number;
  params?: Record<string, unknown>;
  git?: { commit: string | null; dirty: boolean | null };
  backend?: { backend: string; reason: string } | null;
  versions?: Record<string, string | null>;
  machine?: { cpus: number; cpuModel?: string };
  startedAt?: string;
  notebooks?: { name: string; status: string; seconds: number | null; failedCell?: number }[];
  forkedFrom?: { runId: string; commit: string | null; notebooks: string[] };
}

/** The run's index page: status, notebooks with their time and load, the slowest cells. */
export function indexPage(m: ManifestLike, timings: any, pages: string[], summary = ''): string {
  const loadOf = new Map<string, { mean: number; max: number }>((timings?.notebooks ?? []).filter((t: any) => t.load).map((t: any) => [t.name, t.load]));
  const rows = (m.notebooks ?? [])
    .map((n) => {
      const load = loadOf.get(n.name);
      const link = pages.includes(n.name) ? `<a href="${escapeHtml(n.name)}.html">${escapeHtml(n.name)}</a>` : escapeHtml(n.name);
      const failed = n.failedCell !== undefined ? ` at cell ${n.failedCell}` : '';
      const copied = m.forkedFrom?.notebooks.includes(n.name) ? ` (copied from run ${escapeHtml(m.forkedFrom.runId)})` : '';
      return `<tr class="${escapeHtml(n.status.replace(' ', '-'))}"><td>${link}</td><td>${escapeHtml(n.status)}${failed}${copied}</td><td>${n.seconds === null ? '' : n.seconds.toFixed(1) + ' s'}</td><td>${load ? `${load.mean.toFixed(2)} / ${load.max.toFixed(2)}` : ''}</td></tr>`;
    })
    .join('\n');
  const cells: { nb: string; index: number; seconds: number; firstLine: string }[] = [];
  for (const nb of timings?.notebooks ?? []) for (const c of nb.cells ?? []) cells.push({ nb: nb.name, ...c });
  const slow = cells
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 10)
    .map((c) => `<tr><td>${escapeHtml(c.nb)}</td><td>${c.index}</td><td>${c.seconds.toFixed(2)} s</td><td><code>${escapeHtml(c.firstLine)}</code></td></tr>`)
    .join('\n');
  const versions = Object.entries(m.versions ?? {})
    .filter(([, v]) => v)
    .map(([k, v]) => `${escapeHtml(k)} ${escapeHtml(v)}`)
    .join(' · ');
  const commit = m.git?.commit ? `${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (uncommitted changes)' : ''}` : 'unknown';
  const fork = m.forkedFrom
    ? `<br>Forked from run <code>${escapeHtml(m.forkedFrom.runId)}</code> (commit <code>${escapeHtml((m.forkedFrom.commit ?? 'unknown').slice(0, 12))}</code>): ${m.forkedFrom.notebooks.map(escapeHtml).join(', ')} copied from it, not run here`
    : '';
  const backend = m.backend ? `${escapeHtml(m.backend.backend)} — ${escapeHtml(m.backend.reason)}` : 'not recorded (00-setup did not run)';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rlhf-workbook run ${escapeHtml(m.runId ?? '')}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:920px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}
tr.failed td{background:#fde2e2}tr.not-run td{color:#888}.status-ok{color:#176b1b}.status-failed{color:#a00}
code{font-size:13px}
</style></head><body>
<h1>rlhf-workbook — run ${escapeHtml(m.runId ?? '')}</h1>
<p class="status-${escapeHtml(m.status ?? '')}">Status: <b>${escapeHtml(m.status ?? 'unknown')}</b> · profile <b>${escapeHtml(m.profile ?? '')}</b> · seed ${escapeHtml(m.seed ?? '')} · total ${(timings?.totalSeconds ?? 0).toFixed(1)} s</p>
${summary}
<p>Params: <code>${escapeHtml(JSON.stringify(m.params ?? {}))}</code><br>Commit: <code>${escapeHtml(commit)}</code>${fork}<br>Backend: ${backend}<br>Started: ${escapeHtml(m.startedAt ?? '')}</p>
<h2>Notebooks</h2>
<table><thead><tr><th>notebook</th><th>status</th><th>time</th><th>load (mean / max)</th></tr></thead><tbody>
${rows}
</tbody></table>
<p><small>Load: the machine's 1-minute load average while the notebook ran${m.machine ? ` (${escapeHtml(m.machine.cpus)} cores${m.machine.cpuModel ? `, ${escapeHtml(m.machine.cpuModel)}` : ''})` : ''}. A notebook alone reads about the number of cores; more means something else shared them, and its time is not a budget figure.</small></p>
<h2>Slowest cells</h2>
<table><thead><tr><th>notebook</th><th>cell</th><th>time</th><th>first line</th></tr></thead><tbody>
${slow}
</tbody></table>
<p><small>${versions}</small></p>
</body></html>
`;
}

/** Write `<runDir>/report/` (replacing an earlier report of the same run). Returns index.html. */
export function writeRunReport(runDir: string): string {
  const nbDir = path.join(runDir, 'notebooks');
  const names = fs.existsSync(nbDir)
    ? fs
        .readdirSync(nbDir)
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
    : [];
  const read = (f: string) => (fs.existsSync(path.join(runDir, f)) ? JSON.parse(fs.readFileSync(path.join(runDir, f), 'utf8')) : {});
  const manifest: ManifestLike = read('manifest.json');
  const timings = read('timings.json');
  // 06-evaluation's claims table (our figures next to the paper's) opens the index when present
  const summaryFile = path.join(runDir, 'eval', 'summary.html');
  const summary = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : '';
  const reportDir = path.join(runDir, 'report');
  replaceDirAtomic(
    reportDir,
    'report',
    (tmp) => {
      const assets = path.join(tmp, 'assets');
      fs.mkdirSync(assets, { recursive: true });
      fs.copyFileSync(require.resolve('mathjax/es5/tex-svg.js', { paths: [ROOT] }), path.join(assets, 'tex-svg.js'));
      fs.copyFileSync(require.resolve('plotly.js-dist-min/plotly.min.js', { paths: [ROOT] }), path.join(assets, PLOTLY_ASSET));
      const src = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-report-'));
      try {
        for (const f of names) fs.writeFileSync(path.join(src, f), portable(fs.readFileSync(path.join(nbDir, f), 'utf8'), runDir));
        if (names.length) {
          const args = [
            '-m',
            'nbconvert',
            '--to',
            'html',
            '--template',
            'lab',
            '--output-dir',
            tmp,
            '--HTMLExporter.mathjax_url=assets/tex-svg.js',
            '--HTMLExporter.require_js_url=wb-no-require.js',
            ...names.map((f) => path.join(src, f)),
          ];
          const r = spawnSync(python(), args, { encoding: 'utf8', env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' } });
          if (r.status !== 0) throw new Error(`nbconvert failed: ${(r.stderr || '').trim().split('\n').slice(-5).join('\n')}`);
        }
      } finally {
        fs.rmSync(src, { recursive: true, force: true });
      }
      for (const f of names) {
        const page = path.join(tmp, f.replace(/\.ipynb$/, '.html'));
        const shared = shareStyles(finishPage(fs.readFileSync(page, 'utf8'), runDir));
        if (shared.css && !fs.existsSync(path.join(tmp, shared.css.file))) fs.writeFileSync(path.join(tmp, shared.css.file), shared.css.text);
        fs.writeFileSync(page, shared.html);
      }
      fs.writeFileSync(
        path.join(tmp, 'index.html'),
        portable(
          indexPage(
            manifest,
            timings,
            names.map((f) => f.replace(/\.ipynb$/, '')),
            summary,
          ),
          runDir,
        ),
      );
    },
    { legacy: (dir) => fs.existsSync(path.join(dir, 'index.html')) && fs.existsSync(path.join(dir, 'assets')) },
  );
  return path.join(reportDir, 'index.html');
}
