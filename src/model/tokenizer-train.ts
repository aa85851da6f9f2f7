/**
 * Training the byte-level BPE tokenizer (GPT-2 style) on the pretraining corpus: count the
 * pre-tokens, start from the 256 byte symbols, and merge the most frequent adjacent pair
 * until the vocabulary is full.
 */
import { BYTE_CHAR, DEFAULTS, preTokenize, SPECIAL_TOKENS, toByteChars, Tokenizer, TokenizerConfig } from './tokenizer';

/**
 * Learn byte-level BPE merges from `texts` until the vocab holds `vocabSize` tokens.
 * Deterministic: ties between equally frequent pairs go to the smaller (left id, right id).
 */
export function trainTokenizer(texts: Iterable<string>, config: Partial<TokenizerConfig> = {}): Tokenizer {
  const cfg = { ...DEFAULTS, ...config };
  const base = SPECIAL_TOKENS.length + 256;
  if (!Number.isInteger(cfg.vocabSize) || cfg.vocabSize < base || cfg.vocabSize > 65536) {
    throw new Error(`trainTokenizer: vocabSize must be an integer in [${base}, 65536], got ${cfg.vocabSize}`);
  }
  // 1. count pre-token types
  const typeCounts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of preTokenize(text)) typeCounts.set(piece, (typeCounts.get(piece) ?? 0) + 1);
  }
  // 2. initial vocab: specials, bytes
  const tokens: string[] = SPECIAL_TOKENS.slice();
  for (let b = 0; b < 256; b++) tokens.push(BYTE_CHAR[b]);
  const byteId = new Map<string, number>(BYTE_CHAR.map((c, b) => [c, SPECIAL_TOKENS.length + b]));
  // 3. words as symbol-id arrays with counts
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [piece, n] of typeCounts) {
    if (n < cfg.minFrequency) continue;
    words.push(Array.from(toByteChars(piece), (c) => byteId.get(c)!));
    counts.push(n);
  }
  // 4. pair counts and pair -> words index (pair key = left * 65536 + right)
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: number) => {
    const s = words[w];
    for (let i = 0; i < s.length - 1; i++) {
      const key = s[i] * 65536 + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * counts[w]);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);
  const merges: [string, string][] = [];
  while (tokens.length < cfg.vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, n] of pairCount) {
      if (n > bestCount || (n === bestCount && n > 0 && key < bestKey)) {
        bestCount = n;
        bestKey = key;
      }
    }
    if (bestKey < 0 || bestCount <= 0) break; // corpus exhausted
    const a = Math.floor(bestKey / 65536);
    const b = bestKey % 65536;
    const newId = tokens.length;
    tokens.push(tokens[a] + tokens[b]);
    merges.push([tokens[a], tokens[b]]);
    for (const w of pairWords.get(bestKey) ?? []) {
      const s = words[w];
      addPairs(w, -1);
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i < s.length - 1 && s[i] === a && s[i + 1] === b) {
          next.push(newId);
          i++;
        } else next.push(s[i]);
      }
      words[w] = next;
      addPairs(w, 1);
    }
    pairCount.delete(bestKey);
    pairWords.delete(bestKey);
    for (const [key, n] of pairCount) if (n <= 0) pairCount.delete(key);
  }
  return new Tokenizer(new Map(tokens.map((t, i) => [t, i])), merges);
}
