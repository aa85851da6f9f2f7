/** Small text helpers shared by the rubric criteria. Every function accepts any string. */

/** Answers are judged on at most this many characters (a model may babble for pages). */
export const MAX_JUDGED_CHARS = 4000;

/** Lowercase, punctuation to spaces, single spaces, trimmed. */
export function normalize(text: string): string {
  return String(text ?? '')
    .slice(0, MAX_JUDGED_CHARS)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Whole-word phrase containment after normalisation ("paris" in "it is paris."). */
export function containsPhrase(text: string, phrase: string): boolean {
  const p = normalize(phrase);
  return p.length > 0 && ` ${normalize(text)} `.includes(` ${p} `);
}

/** Word count of the whole answer (not truncated: length is what `concise` judges). */
export function wordCount(text: string): number {
  const m = String(text ?? '').match(/\S+/g);
  return m ? m.length : 0;
}

/** Items of a list answer: split on newlines, commas, semicolons (and " and " when
 *  `splitAnd`: "France, Spain and Italy"), numbering and bullets removed. */
export function listItems(text: string, splitAnd = true): string[] {
  return String(text ?? '')
    .slice(0, MAX_JUDGED_CHARS)
    .split(splitAnd ? /\n|,|;|\band\b/ : /\n|,|;/)
    .map((s) =>
      s
        .replace(/^\s*(?:\d+[.)]|[-*\u2022])\s*/, '')
        .replace(/[.!?]+\s*$/, '')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

const STOPWORDS = new Set(
  'a an the of or and to in on for with by from that which who is are was were be as at its it this these those into than any some such not'.split(' '),
);

/** Content words of a gloss (length >= 4, no stopwords). */
export function contentWords(text: string): string[] {
  return [
    ...new Set(
      normalize(text)
        .split(' ')
        .filter((w) => w.length >= 4 && !STOPWORDS.has(w)),
    ),
  ];
}

const promptWordCache = new Map<string, ReadonlySet<string>>();

/** Words of the prompt (lowercase): the rubric does not blame an answer for quoting them.
 *  Cached (a prompt is judged with many answers); do not mutate the result. */
export function promptWords(text: string): ReadonlySet<string> {
  let hit = promptWordCache.get(text);
  if (!hit) {
    if (promptWordCache.size > 50000) promptWordCache.clear();
    hit = new Set(normalize(text).split(' ').filter(Boolean));
    promptWordCache.set(text, hit);
  }
  return hit;
}

export const FUNCTION_WORDS = new Set('a an the of and or to in on is are was were be by for with that my your his her their its'.split(' '));
