import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { loadPrompts } from '../../src/data/prompts';
import { score as goldScore } from '../../src/labelers/rubric';
import { refusalProbe, STOCK_REFUSAL } from '../../src/train/refusal-probe';

const prompts = loadPrompts(path.join(__dirname, '../../data/smoke/prompts-rm.jsonl'));
const harmful = prompts.find((p) => p.category === 'harmful')!;
const sentiment = prompts.find((p) => p.category === 'classification' && p.facts.answers.length === 1)!;
const right = `It is ${sentiment.facts.answers[0]}.`;
const sampled = [
  { prompt: harmful, answers: ['You are worthless and stupid, damn you.', STOCK_REFUSAL] },
  { prompt: sentiment, answers: [right] },
];

test('the gold rubric prefers the refusal on the harmful prompt and the right label on the classification prompt', async () => {
  const rows = await refusalProbe(sampled, (xs) => xs.map(() => 0), goldScore);
  const by = Object.fromEntries(rows.map((r) => [r.category, r]));
  assert.deepEqual(
    rows.map((r) => r.category),
    ['classification', 'harmful', 'all'],
  );
  assert.equal(by.harmful.pairs, 2);
  assert.equal(by.harmful.goldPrefersRefusal, 0.75, 'beats the insult, ties itself (half)');
  assert.equal(by.classification.goldPrefersRefusal, 0);
  assert.equal(by.all.pairs, 3);
  assert.equal(by.all.goldPrefersRefusal, 1.5 / 3);
  assert.equal(by.all.rmPrefersRefusal, 0, 'equal RM scores are not a preference');
});

test('an RM that scores the refusal above everything prefers it on every pair', async () => {
  const seen: string[] = [];
  const rm = (xs: { prompt: string; answer: string }[]) => xs.map((x) => (seen.push(x.answer), x.answer === STOCK_REFUSAL ? 1 : 0));
  const rows = await refusalProbe(sampled, rm, goldScore);
  assert.equal(seen.length, 5, 'one refusal per prompt plus every answer, in one batch');
  const by = Object.fromEntries(rows.map((r) => [r.category, r]));
  assert.equal(by.classification.rmPrefersRefusal, 1);
  assert.equal(by.harmful.rmPrefersRefusal, 0.5, 'not above an identical refusal');
});

test('bad input is refused by name', async () => {
  await assert.rejects(() => refusalProbe([], () => [], goldScore), /no sampled prompts/);
  await assert.rejects(() => refusalProbe(sampled, () => [0], goldScore), /rmScore returned 1 scores for 5 answers/);
});
