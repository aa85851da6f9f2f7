/**
 * Export a run's datasets in the formats TRL and OpenRLHF read, reusing the data stage's
 * readers (loadDemonstrations, loadRankings, loadPrompts, toComparisons):
 *
 *   sft.jsonl                      {prompt, completion}          SFT demonstrations (data/)
 *   preferences-<source>.jsonl     {prompt, chosen, rejected}    every strict pair of a ranking (ties dropped)
 *   rankings-<source>.jsonl        {prompt, answers, ranks}      K-way, the workbook's import format
 *   prompts.jsonl                  {prompt}                      PPO prompts (data/prompts-ppo.jsonl)
 *   manifest.json                  rows and sha256 per file, and the format used
 *
 * Sources of rankings: `labelers` (data/rankings.jsonl) and, when 04 has run, each
 * reward/comparisons/<name>.jsonl (the rankings of SFT samples the reward model trained on).
 *
 * Format `episode` (default) writes exactly the text the workbook's models read:
 * prompt = `<|bos|><|prompt|>{prompt}<|answer|>`, completion / chosen / rejected = answer +
 * `<|eos|>` (unless exported with `--no-eos`), so a trainer that concatenates prompt + completion reproduces the workbook's
 * episodes token for token. Format `raw` writes the bare texts. The K-way file is always
 * raw (it reads back with importRankings).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadPrompts } from '../data/prompts';
import { sha256 } from '../util/hash';
import { loadRankings, RankedPrompt, toComparisons } from '../data/tables';
import { EOS, formatPrompt } from '../model/tokenizer';
import { loadDemonstrations } from '../train/demonstrations';
import { assertReplaceable, isManifestFolder, replaceDirAtomic } from '../util/atomic';
import { artifacts, requireArtifact } from '../util/artifacts';

export type TextFormat = 'episode' | 'raw';

export interface DatasetExport {
  out: string;
  format: TextFormat;
  /** episode format: whether completions / chosen / rejected end with `<|eos|>` */
  eos: boolean;
  files: { file: string; rows: number; sha256: string }[];
}

function rankingSources(runDir: string): [string, string][] {
  const a = artifacts(runDir);
  const sources: [string, string][] = [['labelers', requireArtifact(path.join(a.data, 'rankings.jsonl'), 'rankings', '01-data')]];
  const dir = path.join(a.reward, 'comparisons');
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).sort()) {
      if (f.endsWith('.jsonl') && !f.endsWith('-sources.jsonl')) sources.push([`rm-${f.slice(0, -'.jsonl'.length)}`, path.join(dir, f)]);
    }
  }
  return sources;
}

/** An export written before folder markers: its manifest.json names the run it came from and its format, and lists every other file. */
function isDatasetExport(dir: string): boolean {
  return isManifestFolder(dir, (m) => typeof m.runDir === 'string' && typeof m.format === 'string');
}

const EXPORT_FOLDER = { legacy: isDatasetExport, advice: 'choose another --out' };

function kWay(ranked: readonly RankedPrompt[]) {
  return ranked.map((r) => ({ prompt_id: r.prompt_id, user_id: r.user_id, labeler_id: r.labeler_id, prompt: r.prompt, answers: r.answers, ranks: r.ranks }));
}

/** Build every file's text first, then write the folder atomically (an existing export is replaced whole). */
/**
 * `eos: false` leaves `<|eos|>` off the end of completions, chosen and rejected: for trainers
 * that append the tokenizer's EOS themselves (TRL's DPOTrainer does), which would otherwise
 * train on two.
 */
export function exportDatasets(runDir: string, out: string, format: TextFormat = 'episode', opts: { eos?: boolean } = {}): DatasetExport {
  const eos = opts.eos ?? true;
  if (format !== 'episode' && format !== 'raw') throw new Error(`--format must be "episode" or "raw", got ${JSON.stringify(format)}`);
  const inside = path.relative(path.resolve(out), path.resolve(runDir));
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
    throw new Error(`${out}: is the run folder ${runDir} or holds it; refusing to replace it, choose an --out outside the run`);
  }
  assertReplaceable(out, 'dataset-export', EXPORT_FOLDER);
  const a = artifacts(runDir);
  const prompt = (text: string) => (format === 'episode' ? formatPrompt(text) : text);
  const answer = (text: string) => (format === 'episode' && eos ? text + EOS : text);
  const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');

  const files: [string, string, number][] = [];
  const demos = loadDemonstrations(requireArtifact(path.join(a.data, 'demonstrations.jsonl'), 'demonstrations', '01-data'));
  files.push(['sft.jsonl', jsonl(demos.map((d) => ({ prompt: prompt(d.prompt), completion: answer(d.answer) }))), demos.length]);
  for (const [source, file] of rankingSources(runDir)) {
    const ranked = loadRankings(file);
    const pairs = toComparisons(ranked).map((p) => ({ prompt: prompt(p.prompt), chosen: answer(p.chosen), rejected: answer(p.rejected) }));
    files.push([`preferences-${source}.jsonl`, jsonl(pairs), pairs.length]);
    files.push([`rankings-${source}.jsonl`, jsonl(kWay(ranked)), ranked.length]);
  }
  const prompts = loadPrompts(requireArtifact(path.join(a.data, 'prompts-ppo.jsonl'), 'PPO prompts', '01-data'));
  files.push(['prompts.jsonl', jsonl(prompts.map((p) => ({ prompt: prompt(p.text) }))), prompts.length]);

  const manifest: DatasetExport = {
    out,
    format,
    eos: format === 'episode' && eos,
    files: files.map(([file, text, rows]) => ({ file, rows, sha256: sha256(text) })),
  };
  replaceDirAtomic(
    out,
    'dataset-export',
    (tmp) => {
      for (const [file, text] of files) fs.writeFileSync(path.join(tmp, file), text);
      fs.writeFileSync(
        path.join(tmp, 'manifest.json'),
        JSON.stringify({ runDir: path.resolve(runDir), format, eos: manifest.eos, files: manifest.files }, null, 2) + '\n',
      );
    },
    EXPORT_FOLDER,
  );
  return manifest;
}
