/**
 * The two word lists the rubric reads: AFINN-165 through `sentiment` (hostility, and the gold
 * label of sentiment prompts) and `cuss` (profanity, words rated 2 = surely profane).
 */
import { cuss } from 'cuss';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Sentiment = require('sentiment');

let analyzer: { analyze(text: string): { score: number; calculation: Record<string, number>[] } } | null = null;

/** AFINN score of `text` (negation-aware, as `sentiment` computes it), leaving out `ignore`d
 *  words (e.g. words quoted from the prompt, or the labels "positive" / "negative"). */
/** A set of words to leave out (anything with `has`). */
export interface WordFilter {
  has(word: string): boolean;
}

export function afinnScore(text: string, ignore?: WordFilter): number {
  if (!analyzer) analyzer = new Sentiment();
  const result = analyzer!.analyze(text);
  if (!ignore) return result.score;
  let score = 0;
  for (const entry of result.calculation) {
    for (const [word, value] of Object.entries(entry)) if (!ignore.has(word.toLowerCase())) score += value;
  }
  return score;
}

let labels: Record<string, number> | null = null;

/** Hostility: the sum of the NEGATIVE AFINN values of the answer's words (raw, not
 *  negation-flipped, so "I won't help" is not hostile), leaving out `ignore`d words. */
export function negativeScore(text: string, ignore?: WordFilter): number {
  if (!labels) labels = require('sentiment/languages/en/labels.json') as Record<string, number>;
  let score = 0;
  for (const w of words(text)) {
    const v = labels![w];
    if (v !== undefined && v < 0 && !(ignore && ignore.has(w))) score += v;
  }
  return score;
}

let single: Set<string> | null = null;
let multi: Set<string> | null = null;
let longest = 1;

function lists(): void {
  if (single) return;
  single = new Set();
  multi = new Set();
  for (const [word, rating] of Object.entries(cuss as Record<string, number>)) {
    if (rating < 2) continue;
    if (word.includes(' ')) {
      multi.add(word);
      longest = Math.max(longest, word.split(' ').length);
    } else single.add(word);
  }
}

/** Lowercase word tokens (letters, digits, apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) || [];
}

/** Surely-profane words (cuss rating 2) found in `text`, leaving out `ignore`d words. */
export function profanities(text: string, ignore?: WordFilter): string[] {
  lists();
  const ws = words(text).filter((w) => !ignore || !ignore.has(w));
  const found = ws.filter((w) => single!.has(w));
  // multi-word entries: look up every n-gram of 2..longest words
  for (let n = 2; n <= longest; n++) {
    for (let i = 0; i + n <= ws.length; i++) {
      const gram = ws.slice(i, i + n).join(' ');
      if (multi!.has(gram)) found.push(gram);
    }
  }
  return found;
}
