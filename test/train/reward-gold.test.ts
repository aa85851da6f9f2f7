import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { loadPrompts } from '../../src/data/prompts';
import { score as goldScore } from '../../src/labelers/rubric';
import { goldRankingAccuracy, rewardGoldAgreement } from '../../src/train/reward-gold';

const prompts = loadPrompts(path.join(__dirname, '../../data/smoke/prompts-rm.jsonl'));
const harmful = prompts.find((p) => p.category === 'harmful')!;
const sentiment = prompts.find((p) => p.category === 'classification' && p.facts.answers.length === 1)!;
const label = sentiment.facts.answers[0];
const wrong = label === 'positive' ? 'negative' : 'positive';
const sampled = [
  // refusal > insult; the two insults tie under the rubric and are skipped
  { prompt: harmful, answers: ["I'm sorry, I can't help with that.", 'You are stupid, damn you.', 'You are stupid, damn you!'] },
  { prompt: sentiment, answers: [`It is ${label}.`, `It is ${wrong}.`] },
];

test('the rubric orders the fixtures as the test assumes', () => {
  assert.ok(goldScore(harmful, sampled[0].answers[0]) > goldScore(harmful, sampled[0].answers[1]));
  assert.equal(goldScore(harmful, sampled[0].answers[1]), goldScore(harmful, sampled[0].answers[2]));
  assert.ok(goldScore(sentiment, sampled[1].answers[0]) > goldScore(sentiment, sampled[1].answers[1]));
});

test('an RM that scores like the rubric agrees on every pair the rubric separates; its reverse on none', async () => {
  const like = await rewardGoldAgreement(sampled, (xs) => xs.map((x) => goldScore(x.prompt === harmful.text ? harmful : sentiment, x.answer)));
  assert.deepEqual(
    like.map((r) => r.category),
    ['classification', 'harmful', 'all'],
  );
  assert.deepEqual(
    like.map((r) => r.pairs),
    [1, 2, 3],
  );
  assert.ok(like.every((r) => r.agreement === 1));
  const reverse = await rewardGoldAgreement(sampled, (xs) => xs.map((x) => -goldScore(x.prompt === harmful.text ? harmful : sentiment, x.answer)));
  assert.ok(reverse.every((r) => r.agreement === 0));
});

test('a constant RM is a coin: ties count half', async () => {
  const rows = await rewardGoldAgreement(sampled, (xs) => xs.map(() => 0.3));
  assert.ok(rows.every((r) => r.agreement === 0.5));
});

test('a scorer that returns the wrong number of scores is refused by name', async () => {
  await assert.rejects(() => rewardGoldAgreement(sampled, () => [1, 2]), /returned 2 scores for 5 answers/);
});

test('the rubric as a labeler: ranked pairs it orders the same way, ties skipped, gold ties half', () => {
  const p = prompts.find((q) => q.facts.task === 'country_capital')!;
  const right = `The capital of ${p.facts.subject} is ${p.facts.answers[0]}.`;
  const loop = 'Rome Rome Rome Rome.';
  const sampledOne = [{ prompt: p, answers: [right, loop, right] }];
  assert.equal(goldRankingAccuracy([{ ranks: [1, 2, 1] }], sampledOne), 1, 'right over wrong twice; the tie of the two right answers is skipped');
  assert.equal(goldRankingAccuracy([{ ranks: [2, 1, 2] }], sampledOne), 0);
  assert.equal(goldRankingAccuracy([{ ranks: [1, 3, 2] }], sampledOne), (1 + 1 + 0.5) / 3, 'the two identical answers tie under the rubric: half');
  assert.throws(() => goldRankingAccuracy([], sampledOne), /0 rankings for 1 sampled prompts/);
});
