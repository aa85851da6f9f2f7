/**
 * Results you can check in the repository: `npm run results -- --from runs/<id>` copies a
 * finished run's small tables into results/<profile>/ (committed), and README.md shows the
 * claims table of each results/<profile>/ between `<!-- results:<profile>:begin -->` and
 * `<!-- results:<profile>:end -->`, rendered by `resultsBlock` from the committed files (a test
 * fails when the two differ).
 *
 * What results/<profile>/ holds, from a run: every eval/*.csv and eval/*.json (and 07's after/*) under
 * MAX_TABLE_BYTES (summary, win-rates, the 3H and tax tables, ...; larger ones are left out and
 * named in its README.md), data/contamination.json when present, the run's config.json and
 * manifest.json (git commit, versions, backend, seed), setup/engine.json and setup/versions.json,
 * and a generated README.md. From a replication (runs/<id>-replication): replication.json,
 * .csv, .md, and each seed's run as above under seed-<N>/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { folderKind, MARKER, replaceDirAtomic, writeFileAtomic } from '../util/atomic';
import { InputError } from '../util/jsonl';
import { describeSpread, Replication, ReplicatedClaim } from '../eval/replication';
import type { Claim } from '../eval/summary';
import { replicationRunId, seedRunId } from '../workbook/replication';

/** Largest table copied (bytes): results/ holds summaries, not answers. */
export const MAX_TABLE_BYTES = 200 * 1024;

/** A run or replication folder that may be copied into results/. */
export interface ResultsSource {
  kind: 'run' | 'replication';
  dir: string;
  profile: string;
  /** the run ids behind it: the run's, or each seed's */
  runIds: string[];
  /** replication only: seed -> its run folder */
  seeds?: { seed: number; dir: string }[];
}

/** A JSON file, or an InputError naming it (`<what>: <name> not found`, or not valid JSON). */
export function readJson(file: string, what: string): any {
  if (!fs.existsSync(file)) throw new InputError(`${what}: ${path.basename(file)} not found`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** The manifest of a workbook run folder whose run finished (status ok); refused in one line otherwise. `dir`: the folder as the user named it. */
export function finishedRunManifest(abs: string, dir = abs): any {
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new InputError(`${dir}: not found (expected a run folder, e.g. runs/<run-id>)`);
  if (folderKind(abs) !== 'run') throw new InputError(`${dir}: not a workbook run folder (no ${MARKER} marker of kind run)`);
  const m = readJson(path.join(abs, 'manifest.json'), dir);
  if (m.status !== 'ok') throw new InputError(`${dir}: the run did not finish (manifest status "${m.status}"${m.reason ? `: ${m.reason}` : ''})`);
  return m;
}

/** A finished run (its manifest says ok) with a summary; refused in one line otherwise. */
function checkRun(abs: string, allowSmoke: boolean, dir = abs): { profile: string; runId: string } {
  const m = finishedRunManifest(abs, dir);
  if (m.profile === 'smoke' && !allowSmoke) throw new InputError(`${dir}: a smoke run (tiny models, nothing judged); pass --allow-smoke to copy it anyway`);
  if (!fs.existsSync(path.join(abs, 'eval', 'summary.json'))) throw new InputError(`${dir}: no eval/summary.json (06-evaluation did not run in it)`);
  const split = readJson(path.join(abs, 'config.json'), dir)?.config?.evaluation?.split;
  if (split !== undefined && split !== 'eval')
    throw new InputError(`${dir}: evaluated on the ${split} split (a tuning read-out); results come only from the sealed evaluation (evaluation.split=eval)`);
  if (typeof m.profile !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(m.profile))
    throw new InputError(`${dir}: manifest profile "${m.profile}" is not a folder name`);
  return { profile: m.profile, runId: m.runId ?? path.basename(abs) };
}

/** What `dir` is and whether it may be copied: a finished workbook run, or a replication whose every seed finished. */
export function inspectSource(dir: string, allowSmoke = false): ResultsSource {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new InputError(`${dir}: not found (expected a run folder, e.g. runs/<run-id>)`);
  if (folderKind(abs) === 'replication') {
    const r: Replication = readJson(path.join(abs, 'replication.json'), dir);
    if (path.basename(abs) !== replicationRunId(r.runId))
      throw new InputError(`${dir}: replication.json names run ${r.runId}, expected the folder ${replicationRunId(r.runId)}`);
    const seeds = r.seeds.map((seed) => ({ seed, dir: path.join(path.dirname(abs), seedRunId(r.runId, seed)) }));
    const runs = seeds.map((s) => checkRun(s.dir, allowSmoke, path.join(path.dirname(dir), path.basename(s.dir))));
    const profiles = new Set(runs.map((x) => x.profile));
    if (profiles.size !== 1 || !profiles.has(r.profile)) throw new InputError(`${dir}: its seeds' runs are not all of profile ${r.profile}`);
    return { kind: 'replication', dir: abs, profile: r.profile, runIds: runs.map((x) => x.runId), seeds };
  }
  const run = checkRun(abs, allowSmoke, dir);
  return { kind: 'run', dir: abs, profile: run.profile, runIds: [run.runId] };
}

/** Copy one run's small tables and records into `into` (flat); returns what was copied and what was left out. */
export function copyRun(runDir: string, into: string): { copied: string[]; leftOut: string[] } {
  fs.mkdirSync(into, { recursive: true });
  const copied: string[] = [];
  const leftOut: string[] = [];
  const copy = (from: string, name = path.basename(from)) => {
    if (!fs.existsSync(from)) return;
    const size = fs.statSync(from).size;
    if (size >= MAX_TABLE_BYTES) {
      leftOut.push(`${path.relative(runDir, from)} (${Math.round(size / 1024)} kB)`);
      return;
    }
    if (copied.includes(name)) throw new Error(`copyRun: two files would be ${name} in ${into}`);
    fs.copyFileSync(from, path.join(into, name));
    copied.push(name);
  };
  // 06's tables, and 07's (after/, its tables and chart figures named after-*) when it ran
  for (const dir of [path.join(runDir, 'eval'), path.join(runDir, 'after')]) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) if (/\.(csv|json)$/.test(f) && fs.statSync(path.join(dir, f)).isFile()) copy(path.join(dir, f));
  }
  copy(path.join(runDir, 'data', 'contamination.json'));
  copy(path.join(runDir, 'config.json'));
  copy(path.join(runDir, 'manifest.json'));
  copy(path.join(runDir, 'setup', 'engine.json'));
  copy(path.join(runDir, 'setup', 'versions.json'));
  return { copied, leftOut };
}

/** The workbook command that made a run, from its config.json. */
function workbookCommand(runDir: string, runId: string, seeds?: number[]): string {
  const c = readJson(path.join(runDir, 'config.json'), runDir);
  const params = Object.entries(c.params ?? {})
    .filter(([k]) => !(seeds && k === 'seed'))
    .map(([k, v]) => ` --param ${k}=${Array.isArray(v) ? v.join(',') : v}`)
    .join('');
  return `npm run workbook -- --profile ${c.profile}${params} --run-id ${runId}${seeds ? ` --seeds ${seeds.join(',')}` : ''}`;
}

/** results/<profile>/README.md: where the files came from. */
function resultsReadme(src: ResultsSource, sections: { where: string; copied: string[]; leftOut: string[] }[], command: string, now: Date): string {
  const m = readJson(path.join(src.seeds ? src.seeds[0].dir : src.dir, 'manifest.json'), src.dir);
  const made = src.seeds
    ? workbookCommand(
        src.seeds[0].dir,
        (JSON.parse(fs.readFileSync(path.join(src.dir, 'replication.json'), 'utf8')) as Replication).runId,
        src.seeds.map((s) => s.seed),
      )
    : workbookCommand(src.dir, src.runIds[0]);
  const lines = [
    `# Results: profile \`${src.profile}\``,
    '',
    'Generated by `npm run results`; do not edit by hand (run it again instead).',
    '',
    `- profile: \`${src.profile}\``,
    `- ${src.kind === 'replication' ? `replication \`${path.basename(src.dir)}\` of runs` : 'run'}: ${src.runIds.map((r) => `\`${r}\``).join(', ')}`,
    `- made by: \`${made}\``,
    `- commit of the run: \`${m.git?.commit ?? 'unknown'}\`${m.git?.dirty ? ' (with uncommitted changes)' : ''}; backend \`${m.backend?.backend ?? 'unknown'}\``,
    `- copied: ${now.toISOString().slice(0, 10)}, by \`${command}\``,
    '',
    ...sections.flatMap((s) => [
      `## ${s.where}`,
      '',
      `Files: ${s.copied.map((f) => `\`${f}\``).join(', ')}.`,
      ...(s.leftOut.length ? ['', `Left out (${MAX_TABLE_BYTES / 1024} kB or more): ${s.leftOut.map((f) => `\`${f}\``).join(', ')}.`] : []),
      '',
    ]),
  ];
  return lines.join('\n');
}

/** Copy `src` into `<resultsRoot>/<profile>/`, replacing that folder whole. Returns the folder. */
export function writeResults(src: ResultsSource, resultsRoot: string, command: string, now = new Date()): string {
  const out = path.join(resultsRoot, src.profile);
  replaceDirAtomic(
    out,
    'results',
    (tmp) => {
      const sections: { where: string; copied: string[]; leftOut: string[] }[] = [];
      if (src.kind === 'replication') {
        for (const f of ['replication.json', 'replication.csv', 'replication.md']) fs.copyFileSync(path.join(src.dir, f), path.join(tmp, f));
        sections.push({ where: path.basename(src.dir), copied: ['replication.json', 'replication.csv', 'replication.md'], leftOut: [] });
        for (const s of src.seeds!) sections.push({ where: `seed-${s.seed}/ (${path.basename(s.dir)})`, ...copyRun(s.dir, path.join(tmp, `seed-${s.seed}`)) });
      } else sections.push({ where: path.basename(src.dir), ...copyRun(src.dir, tmp) });
      writeFileAtomic(path.join(tmp, 'README.md'), resultsReadme(src, sections, command, now));
    },
    { advice: 'move it away or pass another --out' },
  );
  return out;
}

// ------------------------------------------------------------------ the README block

const cell = (s: string) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
export const blockBegin = (profile: string) => `<!-- results:${profile}:begin -->`;
export const blockEnd = (profile: string) => `<!-- results:${profile}:end -->`;

/**
 * The README block of one results/<profile>/ folder, markers included: the claims table
 * (claim, paper, ours, verdict) from its replication.json when it has one, else its summary.json.
 */
export function resultsBlock(profileDir: string): string {
  const profile = path.basename(profileDir);
  const rep = path.join(profileDir, 'replication.json');
  let intro: string;
  let rows: string[];
  if (fs.existsSync(rep)) {
    const r: Replication = JSON.parse(fs.readFileSync(rep, 'utf8'));
    intro = `Replication \`${r.runId}\` over seeds ${r.seeds.join(', ')} (profile \`${r.profile}\`), from \`results/${profile}/replication.json\`: a claim reproduces only when every seed says so.`;
    rows = r.claims.map((c: ReplicatedClaim) => `| ${cell(c.claim)} | ${cell(c.paper)} | ${cell(describeSpread(c))} | **${c.verdict}** |`);
  } else {
    const claims: Claim[] = JSON.parse(fs.readFileSync(path.join(profileDir, 'summary.json'), 'utf8'));
    const m = fs.existsSync(path.join(profileDir, 'manifest.json')) ? JSON.parse(fs.readFileSync(path.join(profileDir, 'manifest.json'), 'utf8')) : {};
    const commit = typeof m.git?.commit === 'string' ? `, commit ${m.git.commit.slice(0, 7)}` : '';
    intro = `Run \`${m.runId ?? '?'}\` (profile \`${m.profile ?? profile}\`${commit}), from \`results/${profile}/summary.json\`.`;
    rows = claims.map((c) => `| ${cell(c.claim)} | ${cell(c.paper)} | ${cell(c.ours)} | **${c.verdict}** |`);
  }
  return [
    blockBegin(profile),
    `${intro} Written by \`npm run results -- --readme\`; the reasons are in \`results/${profile}/\`.`,
    '',
    '| claim | paper | ours | verdict |',
    '|---|---|---|---|',
    ...rows,
    ...afterTable(profileDir),
    blockEnd(profile),
  ].join('\n');
}

/**
 * 07's table when results/<profile>/ has its after-methods.json (one per seed under seed-<N>/,
 * or one for a single run): per size and method, the win-rate against same-size SFT with its 95%
 * interval for each seed, and the mean over seeds of KL to SFT, RM score, task-suite accuracy,
 * wall seconds and optimiser steps. No rows without the files.
 */
function afterTable(profileDir: string): string[] {
  const seeds = fs
    .readdirSync(profileDir)
    .filter((d) => /^seed-\d+$/.test(d))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const files = (seeds.length ? seeds.map((d) => path.join(profileDir, d, 'after-methods.json')) : [path.join(profileDir, 'after-methods.json')]).filter((f) =>
    fs.existsSync(f),
  );
  if (!files.length) return [];
  const tables: any[][] = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const key = (r: any) => `${r.size}|${r.method}|${r.n}`;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const mean = (xs: (number | null)[]) => {
    const ok = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
  };
  const fmt = (x: number | null, f: (v: number) => string) => (x === null ? '—' : f(x));
  const rows = tables[0].map((r0: any) => {
    const same = tables.map((t) => t.find((r: any) => key(r) === key(r0)) ?? null);
    const win = same
      .map((r) => (r && r.winRate !== null ? `${pct(r.winRate)} [${pct(r.lower)}, ${pct(r.upper)}]` : r && r.method === 'SFT' ? 'baseline' : '—'))
      .join(' / ');
    const of = (k: string) => mean(same.map((r) => (r ? r[k] : null)));
    const name = r0.method === 'best-of-n' ? `best-of-${r0.n}` : r0.method;
    return `| ${r0.size} | ${name} | ${win} | ${fmt(of('kl'), (v) => v.toFixed(2))} | ${fmt(of('rmScore'), (v) => v.toFixed(3))} | ${fmt(of('taxAccuracy'), pct)} | ${fmt(of('seconds'), (v) => v.toFixed(0))} | ${fmt(of('optimiserSteps'), (v) => v.toFixed(0))} |`;
  });
  const over = seeds.length ? `seeds ${seeds.map((d) => d.slice(5)).join(' / ')}` : 'this run';
  return [
    '',
    `07-after-instructgpt, from \`after-methods.json\` (${over}): win-rate against same-size SFT on the sealed prompts with its 95% interval, per seed; the other columns are means over ${seeds.length ? 'the seeds' : 'the run'}.`,
    '',
    '| size | method | win-rate vs SFT | KL to SFT (nats) | RM score | task suite | seconds | optimiser steps |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** The results/<profile>/ folders under `resultsRoot` (marked as results), sorted. */
export function resultsProfiles(resultsRoot: string): string[] {
  if (!fs.existsSync(resultsRoot)) return [];
  return fs
    .readdirSync(resultsRoot)
    .filter((p) => fs.statSync(path.join(resultsRoot, p)).isDirectory() && folderKind(path.join(resultsRoot, p)) === 'results')
    .sort();
}

const BLOCK = /<!-- results:([a-z0-9-]+):begin -->[\s\S]*?<!-- results:\1:end -->/g;

/** The profiles whose blocks `readme` holds, in order. */
export function readmeBlocks(readme: string): { profile: string; text: string }[] {
  return [...readme.matchAll(BLOCK)].map((m) => ({ profile: m[1], text: m[0] }));
}

/** The heading under which a missing block is added (at the end of its section). */
export const RESULTS_SECTION = '## Checked-in results';

/**
 * `readme` with one block per results/<profile>/ folder, each rendered afresh: an existing block
 * is replaced in place, a missing one added at the end of the RESULTS_SECTION, and a block whose
 * folder is gone removed.
 */
export function updateReadme(readme: string, resultsRoot: string): string {
  const profiles = resultsProfiles(resultsRoot);
  let out = readme.replace(BLOCK, (whole, profile: string) => (profiles.includes(profile) ? resultsBlock(path.join(resultsRoot, profile)) : '\u0000'));
  out = out.replace(/\n*\u0000\n*/g, '\n\n').replace(/\n\n+$/, '\n');
  for (const p of profiles) {
    if (out.includes(blockBegin(p))) continue;
    const at = out.indexOf(`\n${RESULTS_SECTION}\n`);
    if (at < 0) throw new InputError(`README has no "${RESULTS_SECTION}" section to add the block of results/${p} to`);
    const next = out.indexOf('\n## ', at + RESULTS_SECTION.length + 1);
    const end = next < 0 ? out.length : next;
    const before = out.slice(0, end).replace(/\n+$/, '');
    out = `${before}\n\n${resultsBlock(path.join(resultsRoot, p))}\n${next < 0 ? '' : '\n'}${out.slice(end).replace(/^\n+/, '')}`;
  }
  return out;
}
