import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PANEL_DEFAULTS } from '../../src/labelers/panel';
import { judgeSpread, SizeAnswers } from '../../src/eval/judge-spread';
import { prompt } from './fixtures';

// 120 capital questions of invented countries with known answers
const prompts = Array.from({ length: 120 }, (_, i) =>
  prompt(`c${i}`, 'closed_qa', 'country_capital', `What is the capital of Country${i}?`, { subject: `Country${i}`, answers: [`City${i}`] }),
);
const right = prompts.map((p) => `The capital of ${p.facts.subject} is ${p.facts.answers[0]}.`);
const garbled = prompts.map(() => 'Lyon lyon lyon lyon');
const wrongA = prompts.map((p) => `The capital of ${p.facts.subject} is Lyon.`);
const wrongB = prompts.map((p) => `The capital of ${p.facts.subject} is Nice.`);
const options = { draws: 20, promptCounts: [120, 480], panel: PANEL_DEFAULTS, split: 'dev' as const };

test('a policy the rubric prefers by far passes in every draw, at every size, with the trend held', () => {
  const sizes: SizeAnswers[] = ['small', 'large'].map((size) => ({ size, policy: right, sft: garbled }));
  const rows = judgeSpread(prompts, sizes, options);
  assert.deepEqual(
    rows.map((r) => [r.prompts, r.draws]),
    [
      [120, 20],
      [480, 20],
    ],
  );
  for (const r of rows) {
    for (const s of r.sizes) {
      assert.ok(s.mean > 0.9, `${s.size}: ${s.mean}`);
      assert.equal(s.aboveHalf, 1);
    }
    // the same answers at both sizes: the same verdicts, so no trend at all in any draw
    assert.deepEqual([r.trendMean, r.trendSd], [0, 0]);
    assert.deepEqual([r.everySizeAbove, r.trendHeld, r.both], [1, 1, 1]);
  }
});

test('answers the rubric scores equal are judged by noise: rates spread around 50% and rarely pass; more prompts narrow them', () => {
  const sizes: SizeAnswers[] = [
    { size: 'small', policy: wrongA, sft: wrongB },
    { size: 'large', policy: wrongB, sft: wrongA },
  ];
  const [few, many] = judgeSpread(prompts, sizes, options);
  for (const r of [few, many])
    for (const s of r.sizes) {
      assert.ok(Math.abs(s.mean - 0.5) < 0.1, `${s.size}: ${s.mean}`);
      assert.ok(s.sd > 0);
      assert.ok(s.aboveHalf <= 0.2, `${s.size}: ${s.aboveHalf}`);
    }
  assert.ok(few.both <= 0.1);
  assert.ok(many.sizes[0].sd < few.sizes[0].sd, `${many.sizes[0].sd} < ${few.sizes[0].sd}`);
});

test("the draws are the same panels and prompt samples for every run: the run's own panel seed does not enter; the same call repeats exactly", () => {
  const sizes: SizeAnswers[] = [
    { size: 'small', policy: right, sft: wrongA },
    { size: 'large', policy: wrongA, sft: wrongB },
  ];
  const a = judgeSpread(prompts, sizes, options);
  assert.deepEqual(judgeSpread(prompts, sizes, options), a);
  assert.deepEqual(judgeSpread(prompts, sizes, { ...options, panel: { ...PANEL_DEFAULTS, seed: 7 } }), a);
  // the sealed judges are other people than the dev judges
  assert.notDeepEqual(judgeSpread(prompts, sizes, { ...options, split: 'eval' }), a);
});

test('bad input is refused with what is wrong', () => {
  assert.throws(() => judgeSpread(prompts, [{ size: 'small', policy: right, sft: garbled }], options), /at least two sizes/);
  assert.throws(
    () =>
      judgeSpread(
        prompts,
        [
          { size: 'small', policy: right, sft: garbled },
          { size: 'large', policy: right.slice(1), sft: garbled },
        ],
        options,
      ),
    /120 prompts but 119 policy and 120 SFT answers at large/,
  );
  const two: SizeAnswers[] = ['small', 'large'].map((size) => ({ size, policy: right, sft: garbled }));
  assert.throws(() => judgeSpread(prompts, two, { ...options, draws: 1 }), /draws must be an integer >= 2/);
  assert.throws(() => judgeSpread(prompts, two, { ...options, promptCounts: [0] }), /a prompt count must be a positive integer, got 0/);
  assert.throws(() => judgeSpread([], two, options), /no prompts/);
});
