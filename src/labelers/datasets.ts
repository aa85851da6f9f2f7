/**
 * Build the recipe's datasets from one config and seed: clean prompt splits (SFT / RM / PPO /
 * dev / eval: no user, no prompt text and no subject key in two splits; see data/splits.ts)
 * with their contamination table, demonstrations written by training labelers, K-way rankings of candidate
 * answers by one training labeler per prompt, and the inter-labeler agreement measured on
 * a sample every labeler ranks. `writeDatasets` saves them atomically with their sha256;
 * the same seed gives byte-identical files.
 */
import { sha256 } from '../util/hash';
import * as fs from 'fs';
import * as path from 'path';
import { Rng } from '../util/random';
import { isManifestFolder, replaceDirAtomic } from '../util/atomic';
import { Demonstration, Prompt, Split, SPLITS } from '../data/types';
import { factPool } from '../data/pool';
import { PromptConfig, PROMPT_DEFAULTS } from '../data/prompts';
import { cleanSplits, KeyOwnership } from '../data/splits';
import { contamination, ContaminationRow } from '../data/contamination';
import { RankedPrompt, rankingsCsv, rankingsJsonl, toComparisons } from '../data/tables';
import { assignLabeler, Labeler, makePanel, PanelConfig, PANEL_DEFAULTS, rank } from './panel';
import { demonstrate } from './demonstrate';
import { AnswerKind, candidateAnswers } from './perturb';
import { AgreementReport, measureAgreement } from './agreement';

export interface DataConfig {
  /** Prompts per split (the profile's data.sftPrompts ... devPrompts, evalPrompts). */
  sizes: Record<Split, number>;
  /** Answers per ranked prompt, drawn uniformly in [kMin, kMax] (paper: 4..9). */
  kMin: number;
  kMax: number;
  /** RM prompts that every labeler ranks, to measure agreement (0 = none). */
  agreementPrompts: number;
  /** Also write every ranking as pairwise {prompt, chosen, rejected} JSONL (large at paper
   *  sizes: C(K,2) rows per prompt). */
  writeComparisons: boolean;
  prompts: PromptConfig;
  panel: PanelConfig;
  seed: number;
}

export const DATA_DEFAULTS: DataConfig = {
  sizes: { sft: 1300, rm: 3300, ppo: 3100, dev: 300, eval: 300 },
  kMin: 4,
  kMax: 9,
  agreementPrompts: 300,
  writeComparisons: true,
  prompts: PROMPT_DEFAULTS,
  panel: PANEL_DEFAULTS,
  seed: 1,
};

export interface Datasets {
  config: DataConfig;
  prompts: Record<Split, Prompt[]>;
  /** Which split owns which prompt keys (data/splits.ts). */
  ownership: KeyOwnership;
  /** Overlap between the splits (data/contamination.ts): 0 verbatim and 0 same (task, subject). */
  contamination: ContaminationRow[];
  demonstrations: Demonstration[];
  /** One training labeler's ranking per RM prompt, with the kind of each answer. */
  rankings: RankedPrompt[];
  answerKinds: AnswerKind[][];
  panel: Labeler[];
  agreement: AgreementReport;
}

export function buildDatasets(config: DataConfig = DATA_DEFAULTS): Datasets {
  if (!(config.kMin >= 2 && config.kMax >= config.kMin && config.kMax <= 26))
    throw new Error(`data: need 2 <= kMin <= kMax <= 26, got kMin ${config.kMin}, kMax ${config.kMax}`);
  for (const s of SPLITS)
    if (!(Number.isInteger(config.sizes[s]) && config.sizes[s] >= 0)) throw new Error(`data: sizes.${s} must be a whole number >= 0, got ${config.sizes[s]}`);
  const rng = new Rng(`data:${config.seed}`);
  const pool = factPool(config.seed);
  const { prompts, ownership } = cleanSplits(pool, config.prompts, config.sizes, config.seed);
  const panel = makePanel({ ...config.panel, seed: config.seed });

  const demonstrations = prompts.sft.map((p) => {
    const l = assignLabeler(panel, p);
    return {
      prompt_id: p.prompt_id,
      user_id: p.user_id,
      labeler_id: l.labeler_id,
      category: p.category,
      prompt: p.text,
      answer: demonstrate(p, rng.fork(`demo:${p.prompt_id}`), l.terse),
    };
  });

  const rankings: RankedPrompt[] = [];
  const answerKinds: AnswerKind[][] = [];
  const items: { prompt: Prompt; answers: string[] }[] = [];
  for (const p of prompts.rm) {
    const r = rng.fork(`rank:${p.prompt_id}`);
    const { answers, kinds } = candidateAnswers(p, r.intBetween(config.kMin, config.kMax), pool, r);
    if (answers.length < 2) continue;
    const l = assignLabeler(panel, p);
    rankings.push({ prompt_id: p.prompt_id, user_id: p.user_id, labeler_id: l.labeler_id, prompt: p.text, answers, ranks: rank(l, p, answers).ranks });
    answerKinds.push(kinds);
    if (items.length < config.agreementPrompts) items.push({ prompt: p, answers });
  }
  return {
    config,
    prompts,
    ownership,
    contamination: contamination(prompts),
    demonstrations,
    rankings,
    answerKinds,
    panel,
    agreement: measureAgreement(panel, items),
  };
}

export interface FileEntry {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  seed: number;
  config: DataConfig;
  files: FileEntry[];
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

/** The file contents (name -> text), in a fixed order. */
export function datasetFiles(ds: Datasets): [string, string, number][] {
  const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  const files: [string, string, number][] = [];
  for (const s of SPLITS) files.push([`prompts-${s}.jsonl`, jsonl(ds.prompts[s]), ds.prompts[s].length]);
  files.push(['demonstrations.jsonl', jsonl(ds.demonstrations), ds.demonstrations.length]);
  const nRows = ds.rankings.reduce((a, r) => a + r.answers.length, 0);
  files.push(['rankings.jsonl', rankingsJsonl(ds.rankings), nRows]);
  files.push(['rankings.csv', rankingsCsv(ds.rankings), nRows]);
  if (ds.config.writeComparisons) {
    const pairs = toComparisons(ds.rankings);
    files.push(['comparisons.jsonl', jsonl(pairs), pairs.length]);
  }
  const panel = ds.panel.map((l) => ({
    ...l,
    weights: Object.fromEntries(Object.entries(l.weights).map(([k, v]) => [k, round(v)])),
    noise: round(l.noise),
    terse: round(l.terse),
  }));
  files.push(['panel.json', JSON.stringify(panel, null, 2) + '\n', panel.length]);
  const a = ds.agreement;
  const agreement = {
    ...a,
    matrix: a.matrix.map((row) => row.map(round)),
    train: { ...a.train, mean: round(a.train.mean), std: round(a.train.std) },
    heldOut: { ...a.heldOut, mean: round(a.heldOut.mean), std: round(a.heldOut.std) },
    dev: { ...a.dev, mean: round(a.dev.mean), std: round(a.dev.std) },
    across: { ...a.across, mean: round(a.across.mean), std: round(a.across.std) },
    tieRate: round(a.tieRate),
  };
  files.push(['agreement.json', JSON.stringify(agreement, null, 2) + '\n', a.labelerIds.length]);
  const shares = ds.contamination.map((r) => ({
    ...r,
    verbatimShare: round(r.verbatimShare),
    sameTaskSubjectShare: round(r.sameTaskSubjectShare),
    sameSubjectShare: round(r.sameSubjectShare),
  }));
  files.push(['contamination.json', JSON.stringify(shares, null, 2) + '\n', shares.length]);
  return files;
}

/**
 * Write every file into `dir` (replaced as a whole: a failure leaves the old one intact)
 * plus `manifest.json` with each file's rows, bytes and sha256.
 */
export function writeDatasets(dir: string, ds: Datasets): Manifest {
  const files = datasetFiles(ds);
  const manifest: Manifest = {
    seed: ds.config.seed,
    config: ds.config,
    files: files.map(([file, text, rows]) => ({ file, rows, bytes: Buffer.byteLength(text), sha256: sha256(text) })),
  };
  replaceDirAtomic(
    dir,
    'data',
    (tmp) => {
      for (const [file, text] of files) fs.writeFileSync(path.join(tmp, file), text);
      fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    },
    { legacy: isDataBuild, advice: 'choose another --out' },
  );
  return manifest;
}

/** A data build written before folder markers: a manifest.json with seed, config and files, and nothing else beside them. */
function isDataBuild(dir: string): boolean {
  return isManifestFolder(dir, (m) => typeof m.seed === 'number' && !!m.config);
}
