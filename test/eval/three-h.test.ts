import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { AnswerBook } from '../../src/eval/answer-book';
import { ModelEntry, NOT_TRAINED } from '../../src/eval/roster';
import { winRateInterval } from '../../src/eval/stats';
import { winRateByCategoryRows, winRateRows } from '../../src/eval/three-h';
import { MIXED as prompts, MIXED_POLICY as ppo, MIXED_SFT as sft, MIXED_BAD as bad, rosterEntry as entry } from './fixtures';

const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 4, heldOutLabelers: 3 });
const book: AnswerBook = {
  texts: prompts.map((p) => p.text),
  answers: {
    'sft/small': sft,
    'gpt/small': sft.slice(), // identical answers: a tie on every prompt
    'ppo/small': ppo,
    'ppo/large': bad,
  },
};
const roster = [
  entry('gpt', 'small'),
  entry('sft', 'small'),
  entry('sft', 'large', false),
  entry('ppo', 'small'),
  entry('ppo', 'large'),
  entry('ppo-ptx', 'small', false),
];

test('win-rate by prompt category against same-size SFT: counts, ties half, the interval of stats.ts', () => {
  const rows = winRateByCategoryRows(book, roster, prompts, panel, null);
  const ppoSmall = rows.filter((r) => r.kind === 'ppo' && r.size === 'small');
  assert.deepEqual(
    ppoSmall.map((r) => [r.category, r.n, r.wins, r.ties, r.losses]),
    [
      ['closed_qa', 3, 2, 1, 0],
      ['unanswerable', 2, 1, 0, 1],
      ['harmful', 2, 0, 1, 1],
      ['all', 7, 3, 2, 2],
    ],
  );
  // (wins + ties / 2) / n by hand
  assert.deepEqual(
    ppoSmall.map((r) => r.winRate),
    [2.5 / 3, 1 / 2, 0.5 / 2, 4 / 7],
  );
  for (const r of ppoSmall) {
    const ci = winRateInterval({ wins: r.wins!, ties: r.ties!, losses: r.losses! });
    assert.deepEqual([r.lower, r.upper], [ci.lower, ci.upper]);
    assert.ok(r.lower! < r.winRate! && r.winRate! < r.upper!);
    assert.equal(r.policy, 'PPO');
    assert.equal(r.baseline, 'SFT small');
    assert.equal(r.note, '');
  }
  // the categories add up to 'all'
  const cats = ppoSmall.filter((r) => r.category !== 'all');
  for (const k of ['wins', 'ties', 'losses', 'n'] as const)
    assert.equal(
      cats.reduce((s, r) => s + r[k]!, 0),
      ppoSmall[3][k],
    );
});

test("the 'all' row of every policy is the overall win-rate against same-size SFT; SFT itself has no rows", () => {
  const rows = winRateByCategoryRows(book, roster, prompts, panel, null);
  const overall = winRateRows(book, roster, prompts, panel, null);
  assert.deepEqual([...new Set(rows.map((r) => `${r.size} ${r.policy}`))], ['small GPT', 'small PPO', 'small PPO-ptx', 'large PPO']);
  assert.equal(rows.length, 4 * 4);
  for (const o of overall.filter((r) => r.kind !== 'sft')) {
    const all = rows.find((r) => r.kind === o.kind && r.size === o.size && r.category === 'all')!;
    assert.deepEqual(
      [all.wins, all.ties, all.losses, all.winRate, all.lower, all.upper, all.note],
      [o.wins, o.ties, o.losses, o.winRate, o.lower, o.upper, o.note],
    );
  }
  // identical answers tie everywhere: 0.5 in every category, ties shown as ties
  for (const r of rows.filter((x) => x.kind === 'gpt')) assert.deepEqual([r.wins, r.ties, r.losses, r.winRate], [0, r.n, 0, 0.5]);
  // a missing policy or baseline keeps its rows, with n, null figures and why
  const ptx = rows.filter((r) => r.kind === 'ppo-ptx');
  assert.deepEqual(
    ptx.map((r) => [r.category, r.n, r.winRate, r.wins, r.note]),
    [
      ['closed_qa', 3, null, null, NOT_TRAINED],
      ['unanswerable', 2, null, null, NOT_TRAINED],
      ['harmful', 2, null, null, NOT_TRAINED],
      ['all', 7, null, null, NOT_TRAINED],
    ],
  );
  for (const r of rows.filter((x) => x.size === 'large')) assert.deepEqual([r.winRate, r.note], [null, `baseline sft/large: ${NOT_TRAINED}`]);
});

test('against a fixed baseline the rows name it, and the all row matches winRateRows with that baseline', () => {
  const rows = winRateByCategoryRows(book, roster, prompts, panel, 'sft/small');
  const overall = winRateRows(book, roster, prompts, panel, 'sft/small');
  const large = rows.find((r) => r.kind === 'ppo' && r.size === 'large' && r.category === 'all')!;
  const o = overall.find((r) => r.kind === 'ppo' && r.size === 'large')!;
  assert.equal(large.baseline, 'SFT small');
  assert.deepEqual([large.wins, large.ties, large.losses, large.winRate], [0, 3, 4, 1.5 / 7]); // bad against SFT's bad answers ties
  assert.deepEqual([large.winRate, large.lower, large.upper], [o.winRate, o.lower, o.upper]);
});
