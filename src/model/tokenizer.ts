/**
 * Byte-level BPE tokenizer (GPT-2 style), trained on the pretraining corpus and saved as a
 * Hugging Face `tokenizer.json` (model.type "BPE", ByteLevel pre-tokenizer and decoder).
 *
 * - Every UTF-8 byte has a token, so any text round-trips (ASCII, accents, CJK, emoji).
 * - Special tokens come first: `<|pad|>` = 0, `<|bos|>`, `<|eos|>`, `<|prompt|>`, `<|answer|>`,
 *   then the 256 byte tokens, then one token per learned merge.
 * - Training counts pre-token types once and merges on type counts, updating only the
 *   types that contain the merged pair (seconds on the 10.8 MB SOTU corpus at vocab 2-4k).
 */
import * as fs from 'fs';
import { writeJsonAtomic } from '../util/atomic';

export const PAD = '<|pad|>';
export const BOS = '<|bos|>';
export const EOS = '<|eos|>';
/** Marks the start of the prompt (instruction) part of an episode. */
export const PROMPT = '<|prompt|>';
/** Marks the start of the answer (demonstration / completion) part of an episode. */
export const ANSWER = '<|answer|>';
export const SPECIAL_TOKENS: readonly string[] = [PAD, BOS, EOS, PROMPT, ANSWER];

/**
 * The one episode format every stage uses: `<|bos|><|prompt|>{prompt}<|answer|>` is what
 * the model reads; SFT targets and sampled answers follow it and end with `<|eos|>`.
 */
export function formatPrompt(prompt: string): string {
  return `${BOS}${PROMPT}${prompt}${ANSWER}`;
}

/** A whole demonstration / episode: formatPrompt(prompt) + answer + `<|eos|>`. */
export function formatEpisode(prompt: string, answer: string): string {
  return `${formatPrompt(prompt)}${answer}${EOS}`;
}

export interface TokenizerConfig {
  /** Total vocabulary size: special tokens + 256 bytes + learned merges. */
  vocabSize: number;
  /** Pre-token types seen fewer times than this are ignored when learning merges. */
  minFrequency: number;
}

export const DEFAULTS: TokenizerConfig = {
  vocabSize: 2048,
  minFrequency: 2,
};

/** GPT-2's pre-tokenizer: contractions, words, numbers, punctuation runs, whitespace. */
const PRETOKEN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from bytes to printable unicode characters. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out = new Array<string>(256);
  for (let i = 0; i < bs.length; i++) out[bs[i]] = String.fromCharCode(cs[i]);
  return out;
}

export const BYTE_CHAR = bytesToUnicode();
const CHAR_BYTE = new Map<string, number>(BYTE_CHAR.map((c, b) => [c, b]));
const utf8 = new TextEncoder();

/** A pre-token's UTF-8 bytes written as byte-level characters. */
export function toByteChars(piece: string): string {
  const bytes = utf8.encode(piece);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_CHAR[bytes[i]];
  return s;
}

export function preTokenize(text: string): string[] {
  return text.match(PRETOKEN) ?? [];
}

export class Tokenizer {
  /** token string (byte-level chars or special) -> id */
  readonly vocab: Map<string, number>;
  /** id -> token string */
  readonly idToToken: string[];
  /** merges in rank order, as [left, right] token strings */
  readonly merges: [string, string][];
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly promptId: number;
  readonly answerId: number;
  private readonly mergeRank = new Map<string, number>();
  private readonly specialIds = new Set<number>();
  private readonly specialPattern: RegExp;
  private readonly cache = new Map<string, number[]>();

  constructor(vocab: Map<string, number>, merges: [string, string][]) {
    this.vocab = vocab;
    this.merges = merges;
    this.idToToken = [];
    for (const [tok, id] of vocab) this.idToToken[id] = tok;
    for (let i = 0; i < vocab.size; i++) {
      if (this.idToToken[i] === undefined) throw new Error(`tokenizer: vocab ids are not contiguous (id ${i} missing)`);
    }
    merges.forEach(([a, b], rank) => this.mergeRank.set(`${a} ${b}`, rank));
    const id = (t: string) => {
      const v = vocab.get(t);
      if (v === undefined) throw new Error(`tokenizer: special token ${t} missing from vocab`);
      this.specialIds.add(v);
      return v;
    };
    this.padId = id(PAD);
    this.bosId = id(BOS);
    this.eosId = id(EOS);
    this.promptId = id(PROMPT);
    this.answerId = id(ANSWER);
    const escaped = SPECIAL_TOKENS.map((t) => t.replace(/[|<>]/g, (c) => `\\${c}`));
    this.specialPattern = new RegExp(`(${escaped.join('|')})`);
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /**
   * Text -> ids. Special-token strings in the text become their ids unless
   * `allowSpecial` is false (then they are encoded as ordinary bytes).
   */
  encode(text: string, opts: { allowSpecial?: boolean } = {}): number[] {
    const allowSpecial = opts.allowSpecial ?? true;
    const out: number[] = [];
    const parts = allowSpecial ? text.split(this.specialPattern) : [text];
    for (const part of parts) {
      if (!part) continue;
      const sid = allowSpecial ? this.vocab.get(part) : undefined;
      if (sid !== undefined && this.specialIds.has(sid)) {
        out.push(sid);
        continue;
      }
      for (const piece of preTokenize(part)) {
        for (const t of this.encodePiece(piece)) out.push(t);
      }
    }
    return out;
  }

  /**
   * Ids of formatPrompt(prompt) with the user's text encoded as plain bytes (a prompt that
   * contains "<|eos|>" cannot inject a special token).
   */
  encodePrompt(prompt: string): number[] {
    return [this.bosId, this.promptId, ...this.encode(prompt, { allowSpecial: false }), this.answerId];
  }

  /** Ids of formatEpisode(prompt, answer), texts encoded as plain bytes. */
  encodeEpisode(prompt: string, answer: string): number[] {
    return [...this.encodePrompt(prompt), ...this.encode(answer, { allowSpecial: false }), this.eosId];
  }

  /**
   * ids -> text; `skipSpecial` drops pad/bos/eos/markers. Byte-level tokens can end (or stop
   * before a special token) inside a multi-byte character, e.g. an answer cut at its token
   * limit: that incomplete sequence is dropped, not shown. Only bytes that are invalid UTF-8
   * where they stand become U+FFFD.
   */
  decode(ids: ArrayLike<number>, opts: { skipSpecial?: boolean } = {}): string {
    const bytes: number[] = [];
    let text = '';
    const flush = () => {
      // streaming mode holds back an incomplete trailing sequence; the decoder is then dropped with it
      if (bytes.length) text += new TextDecoder('utf-8').decode(Uint8Array.from(bytes), { stream: true });
      bytes.length = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const tok = this.idToToken[id];
      if (tok === undefined) throw new Error(`tokenizer.decode: id ${id} is outside the vocab (size ${this.vocabSize})`);
      if (this.specialIds.has(id)) {
        flush();
        if (!opts.skipSpecial) text += tok;
        continue;
      }
      for (const ch of tok) bytes.push(CHAR_BYTE.get(ch)!);
    }
    flush();
    return text;
  }

  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let symbols = Array.from(toByteChars(piece));
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < symbols.length - 1; i++) {
        const r = this.mergeRank.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = this.merges[bestRank];
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === a && symbols[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(symbols[i]);
      }
      symbols = next;
    }
    const ids = symbols.map((s) => this.vocab.get(s)!);
    if (this.cache.size < 200000) this.cache.set(piece, ids);
    return ids;
  }

  /** The Hugging Face tokenizers JSON form. */
  toJSON(): object {
    const vocab: Record<string, number> = {};
    this.idToToken.forEach((t, i) => (vocab[t] = i));
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL_TOKENS.map((t) => ({
        id: this.vocab.get(t),
        content: t,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges: this.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }

  save(file: string): void {
    writeJsonAtomic(file, this.toJSON());
  }

  /** Parse a tokenizer.json object; `where` names the source in errors. */
  static fromJSON(json: unknown, where = 'tokenizer.json'): Tokenizer {
    const fail = (msg: string): never => {
      throw new Error(`${where}: ${msg}`);
    };
    if (typeof json !== 'object' || json === null) fail('expected a JSON object');
    const j = json as Record<string, any>;
    const model = j.model;
    if (typeof model !== 'object' || model === null) fail('missing "model" object');
    if (model.type !== 'BPE') fail(`model.type must be "BPE", got ${JSON.stringify(model.type)}`);
    if (j.pre_tokenizer?.type !== 'ByteLevel') fail(`pre_tokenizer.type must be "ByteLevel", got ${JSON.stringify(j.pre_tokenizer?.type)}`);
    if (j.decoder?.type !== 'ByteLevel') fail(`decoder.type must be "ByteLevel", got ${JSON.stringify(j.decoder?.type)}`);
    if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) fail('model.vocab must be an object of token -> id');
    if (!Array.isArray(model.merges)) fail('model.merges must be an array');
    const vocab = new Map<string, number>();
    const seen = new Set<number>();
    for (const [tok, id] of Object.entries(model.vocab)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
        fail(`model.vocab[${JSON.stringify(tok)}] must be a non-negative integer id, got ${JSON.stringify(id)}`);
      if (seen.has(id as number)) fail(`model.vocab: id ${id} is used twice`);
      seen.add(id as number);
      vocab.set(tok, id as number);
    }
    if (Array.isArray(j.added_tokens)) {
      for (const t of j.added_tokens) {
        if (typeof t?.content !== 'string' || typeof t?.id !== 'number') fail('added_tokens entries need "id" (number) and "content" (string)');
        if (vocab.has(t.content) && vocab.get(t.content) !== t.id) fail(`added token ${t.content} has id ${t.id} but model.vocab says ${vocab.get(t.content)}`);
        if (!vocab.has(t.content)) {
          if (seen.has(t.id)) fail(`added token ${t.content}: id ${t.id} already used in model.vocab`);
          seen.add(t.id);
          vocab.set(t.content, t.id);
        }
      }
    }
    for (const b of BYTE_CHAR) if (!vocab.has(b)) fail(`model.vocab lacks byte token ${JSON.stringify(b)} (byte-level BPE needs all 256)`);
    const merges: [string, string][] = [];
    model.merges.forEach((m: unknown, i: number) => {
      let pair: unknown[];
      if (typeof m === 'string') pair = m.split(' ');
      else if (Array.isArray(m)) pair = m;
      else return fail(`model.merges[${i}] must be "a b" or ["a","b"], got ${JSON.stringify(m)}`);
      if (pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string')
        fail(`model.merges[${i}] must name two tokens, got ${JSON.stringify(m)}`);
      const [a, b] = pair as [string, string];
      if (!vocab.has(a) || !vocab.has(b) || !vocab.has(a + b)) fail(`model.merges[${i}] "${a} ${b}" uses tokens not in model.vocab`);
      merges.push([a, b]);
    });
    try {
      return new Tokenizer(vocab, merges);
    } catch (e) {
      return fail((e as Error).message.replace(/^tokenizer: /, ''));
    }
  }

  static load(file: string): Tokenizer {
    if (!fs.existsSync(file)) throw new Error(`${file}: tokenizer file not found`);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    return Tokenizer.fromJSON(json, file);
  }
}
