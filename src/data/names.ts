/**
 * Invented names for unanswerable questions: countries, elements and words that do not
 * exist. Built from syllables with a seeded Rng and checked against the real fact bases, so
 * the honest answer to "What is the capital of Velmoria?" is "I don't know".
 */
import { Rng } from '../util/random';

const ONSETS = ['b', 'br', 'd', 'dr', 'f', 'fl', 'g', 'gr', 'k', 'kl', 'l', 'm', 'n', 'p', 'pl', 'qu', 'r', 's', 'st', 't', 'tr', 'v', 'z', 'zh'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ae', 'io', 'ou'];
const CODAS = ['', '', 'n', 'r', 'l', 'm', 's', 'th', 'x'];

const SUFFIX = {
  country: ['ia', 'istan', 'land', 'ovia', 'aria', 'enia'],
  element: ['ium', 'on', 'ine', 'ium'],
  word: ['ish', 'ent', 'ery', 'ule', 'ock', 'ade'],
};

export type InventedKind = keyof typeof SUFFIX;

function stem(rng: Rng, syllables: number): string {
  let s = '';
  for (let i = 0; i < syllables; i++) s += rng.choice(ONSETS) + rng.choice(VOWELS) + (i === syllables - 1 ? '' : rng.choice(CODAS));
  return s;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * `n` distinct invented names of a kind, none of which is in `taken` (lowercased real
 * names). Countries and elements are capitalised, words are lowercase.
 */
export function inventNames(kind: InventedKind, n: number, rng: Rng, taken: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  let tries = 0;
  while (out.size < n) {
    if (++tries > n * 50 + 1000) throw new Error(`inventNames: could not invent ${n} ${kind} names`);
    const raw = stem(rng, rng.intBetween(1, 2)) + rng.choice(SUFFIX[kind]);
    const name = kind === 'word' ? raw : capitalize(raw);
    if (raw.length < 5 || raw.length > 11 || taken.has(raw) || out.has(name)) continue;
    out.add(name);
  }
  return [...out];
}
