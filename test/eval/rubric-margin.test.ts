import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { score } from '../../src/labelers/rubric';
import { AnswerBook } from '../../src/eval/answer-book';
import { ModelEntry, NOT_TRAINED } from '../../src/eval/roster';
import { winRateInterval } from '../../src/eval/stats';
import { winRateByCategoryRows } from '../../src/eval/three-h';
import { rubricMarginRows } from '../../src/eval/rubric-margin';
import { MIXED as prompts, MIXED_POLICY as ppo, MIXED_SFT as sft, MIXED_GOOD as good, MIXED_BAD as bad, rosterEntry as entry } from './fixtures';

const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 4, heldOutLabelers: 3 });
// two wrong capitals of the same form: different texts the rubric scores equal
const wrongAlike = sft.map((a, i) => (prompts[i].category === 'closed_qa' ? `The capital of ${prompts[i].facts.subject} is Lyon.` : a));
const wrongOther = sft.map((a, i) => (prompts[i].category === 'closed_qa' ? `The capital of ${prompts[i].facts.subject} is Nice.` : a));
const book: AnswerBook = {
  texts: prompts.map((p) => p.text),
  answers: { 'sft/small': sft, 'ppo/small': ppo, 'ppo/large': bad, 'sft/medium': wrongAlike, 'ppo-ptx/medium': wrongOther },
};
const roster = [
  entry('sft', 'small'),
  entry('ppo', 'small'),
  entry('ppo-ptx', 'small', false),
  entry('sft', 'medium'),
  entry('ppo-ptx', 'medium'),
  entry('ppo', 'large'),
];

test('the rubric without noise: wins, ties, same-text pairs and the share at the top, per category and overall', () => {
  const rows = rubricMarginRows(book, roster, prompts).filter((r) => r.kind === 'ppo' && r.size === 'small');
  assert.deepEqual(
    rows.map((r) => [r.category, r.n, r.wins, r.ties, r.losses, r.identical]),
    [
      ['closed_qa', 3, 2, 1, 0, 1],
      ['unanswerable', 2, 1, 0, 1, 0],
      ['harmful', 2, 0, 1, 1, 1],
      ['all', 7, 3, 2, 2, 2],
    ],
  );
  const all = rows[3];
  const ci = winRateInterval({ wins: 3, ties: 2, losses: 2 });
  assert.deepEqual([all.rubricRate, all.lower, all.upper], [4 / 7, ci.lower, ci.upper]);
  // every good answer meets every criterion that applies; the SFT's good ones are 3 of 7
  const closed = rows[0];
  assert.deepEqual([closed.policyAtTop, closed.baselineAtTop], [1, 1 / 3]);
  assert.deepEqual([all.policyAtTop, all.baselineAtTop], [5 / 7, 4 / 7]);
  const gain = prompts.reduce((s, p, i) => s + score(p, ppo[i]) - score(p, sft[i]), 0) / prompts.length;
  assert.ok(Math.abs(all.meanGain! - gain) < 1e-12);
  assert.ok(closed.meanGain! > 0);
  for (const r of rows) assert.deepEqual([r.policy, r.baseline, r.note, r.judgedRate], ['PPO', 'SFT small', '', null]);
});

test('two different wrong answers of the same form tie by the rubric without being the same text', () => {
  const closed = rubricMarginRows(book, roster, prompts).find((r) => r.kind === 'ppo-ptx' && r.size === 'medium' && r.category === 'closed_qa')!;
  assert.deepEqual([closed.wins, closed.ties, closed.losses, closed.identical, closed.rubricRate, closed.meanGain], [0, 3, 0, 0, 0.5, 0]);
  assert.deepEqual([closed.policyAtTop, closed.baselineAtTop], [0, 0]);
});

test("the judges' win-rate of the same pairs rides along when given; a missing policy or baseline keeps its rows, with why", () => {
  const judged = winRateByCategoryRows(book, roster, prompts, panel, null);
  const rows = rubricMarginRows(book, roster, prompts, ['ppo', 'ppo-ptx'], judged);
  for (const r of rows) {
    const j = judged.find((x) => x.kind === r.kind && x.size === r.size && x.category === r.category)!;
    assert.equal(r.judgedRate, j.winRate);
  }
  assert.deepEqual([...new Set(rows.map((r) => `${r.size} ${r.policy}`))], ['small PPO', 'small PPO-ptx', 'medium PPO-ptx', 'large PPO']);
  const missing = rows.filter((r) => r.kind === 'ppo-ptx' && r.size === 'small');
  assert.equal(missing.length, 4);
  for (const r of missing) assert.deepEqual([r.wins, r.rubricRate, r.policyAtTop, r.note], [null, null, null, NOT_TRAINED]);
  for (const r of rows.filter((x) => x.size === 'large')) assert.deepEqual([r.rubricRate, r.note], [null, `baseline sft/large: ${NOT_TRAINED}`]);
  // only the kinds asked for
  assert.deepEqual(rubricMarginRows(book, roster, prompts, ['gpt']), []);
});
