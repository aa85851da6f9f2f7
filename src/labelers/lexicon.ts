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
export function afinnScore(text: string, ignore?: ReadonlySet<string>): number {
  if (!analyzer) analyzer = new Sentiment();
  const result = analyzer!.analyze(text);
  if (!ignore) return result.score;
  let score = 0;
  for (const entry of result.calculation) {
    for (const [word, value] of Object.entries(entry)) if (!ignore.has(word.toLowerCase())) score += value;
  }
  return score;
}

let single: Set<string> | null = null;
let multi: string[] | null = null;

function lists(): void {
  if (single) return;
  single = new Set();
  multi = [];
  for (const [word, rating] of Object.entries(cuss as Record<string, number>)) {
    if (rating < 2) continue;
    if (word.includes(' ')) multi.push(word);
    else single.add(word);
  }
}

/** Lowercase word tokens (letters, digits, apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) || [];
}

/** Surely-profane words (cuss rating 2) found in `text`, leaving out `ignore`d words. */
export function profanities(text: string, ignore?: ReadonlySet<string>): string[] {
  lists();
  const ws = words(text).filter((w) => !ignore || !ignore.has(w));
  const found = ws.filter((w) => single!.has(w));
  if (multi!.length) {
    const joined = ` ${ws.join(' ')} `;
    for (const m of multi!) if (joined.includes(` ${m} `)) found.push(m);
  }
  return found;
}
