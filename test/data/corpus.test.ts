import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildCorpus, cleanText, corpusStats, corpusText, CORPUS_DEFAULTS, firstChars } from '../../src/data/corpus';

test('cleanText straightens typography and collapses whitespace', () => {
  assert.equal(cleanText('\u201cHi,\u201d  she\u2019s   here\u2014now\r\n\r\n  next\u2026'), '"Hi," she\'s here - now\nnext...');
});

test('the corpus splits by address (no address in both) and keeps Moby-Dick aside', () => {
  const c = buildCorpus({ ...CORPUS_DEFAULTS, maxAddresses: 40, maxChapters: 3 });
  assert.equal(c.train.length + c.validation.length, 40);
  assert.equal(c.validation.length, 4);
  const trainIds = new Set(c.train.map((d) => d.id));
  assert.ok(c.validation.every((d) => !trainIds.has(d.id)));
  assert.equal(c.outOfDomain.length, 3);
  assert.match(c.outOfDomain[0].text, /Call me Ishmael/);
  assert.match(c.train.concat(c.validation)[0].id, /^sotu-1790/);
  assert.deepEqual(buildCorpus({ ...CORPUS_DEFAULTS, maxAddresses: 40, maxChapters: 3 }), c, 'same seed, same split');
  const stats = corpusStats(c, (t) => t.length);
  assert.equal(stats[0].documents, 36);
  assert.equal(stats[0].tokens, stats[0].characters);
  assert.equal(corpusText(c.validation).length, stats[1].characters + 2 * (c.validation.length - 1));
});

test('firstChars: the documents in order, cut to a character budget', () => {
  const docs = [{ text: 'abcd' }, { text: 'efgh' }, { text: 'ijkl' }];
  assert.deepEqual(firstChars(docs, 6), ['abcd', 'ef']);
  assert.deepEqual(firstChars(docs, 8), ['abcd', 'efgh']);
  assert.deepEqual(firstChars(docs, 100), ['abcd', 'efgh', 'ijkl']);
  assert.deepEqual(firstChars(docs, 0), []);
});
