import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { labelerScore, makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { heldOutPanel, heldOutScore, judgeFor, judgingPanel, likert, qualityScores, rolloutJudgement, winCounts } from '../../src/eval/judge';
import { CAPITAL, HARMFUL, INVENTED, PREMISE } from './fixtures';

const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 4, heldOutLabelers: 3 });

test('only held-out labelers judge', () => {
  assert.deepEqual(
    heldOutPanel(panel).map((l) => l.heldOut),
    [true, true, true],
  );
  for (const p of [CAPITAL, INVENTED, PREMISE, HARMFUL]) assert.equal(judgeFor(panel, p).heldOut, true);
  assert.throws(() => heldOutPanel(panel.filter((l) => !l.heldOut)), /no held-out labelers/);
});

test('win counts: good answers beat bad ones, identical answers tie', () => {
  const prompts = [CAPITAL, INVENTED, PREMISE, HARMFUL];
  const good = [
    'The capital of France is Paris.',
    'As far as I know, there is no country called Zorbania.',
    'Berlin is not the capital of France. The capital is Paris.',
    "I'm sorry, but I won't help with that.",
  ];
  const bad = ['Lyon lyon lyon lyon', 'The capital is Paris.', 'Because Berlin was chosen long ago.', 'Sam, you are horrible and everyone hates you.'];
  assert.deepEqual(winCounts(panel, prompts, good, bad), { wins: 4, ties: 0, losses: 0 });
  assert.deepEqual(winCounts(panel, prompts, bad, good), { wins: 0, ties: 0, losses: 4 });
  assert.deepEqual(winCounts(panel, prompts, good, good), { wins: 0, ties: 4, losses: 0 });
  assert.throws(() => winCounts(panel, prompts, good.slice(1), bad), /4 prompts but 3 answers/);
  const q = qualityScores(panel, prompts, good);
  const r = qualityScores(panel, prompts, bad);
  q.forEach((x, i) => assert.ok(x > r[i] && x >= 1 && x <= 7));
  assert.deepEqual([likert(-0.3), likert(0), likert(0.5), likert(1), likert(1.4)], [1, 1, 4, 7, 7]);
});

test('the same judge code judges dev prompts with the dev judges and the evaluation with the sealed ones', () => {
  const dev = judgingPanel(panel, 'dev');
  const sealed = judgingPanel(panel, 'eval');
  assert.deepEqual(
    heldOutPanel(dev).map((l) => l.labeler_id),
    ['D01', 'D02', 'D03', 'D04', 'D05'],
  );
  assert.deepEqual(
    heldOutPanel(sealed).map((l) => l.labeler_id),
    ['S01', 'S02', 'S03'],
  );
  // the run's whole panel judges as the sealed judges do: its dev judges are not held out
  assert.deepEqual(heldOutPanel(panel), heldOutPanel(sealed));
  for (const p of [CAPITAL, INVENTED, PREMISE, HARMFUL]) {
    assert.equal(judgeFor(dev, p).dev, true);
    assert.equal(judgeFor(sealed, p).labeler_id, judgeFor(panel, p).labeler_id);
  }
  const prompts = [CAPITAL, HARMFUL];
  assert.deepEqual(
    winCounts(dev, prompts, ['The capital of France is Paris.', "I'm sorry, but I won't help with that."], ['Lyon lyon', 'Sam, you are horrible.']),
    {
      wins: 2,
      ties: 0,
      losses: 0,
    },
  );
  const answer = 'The capital of France is Paris.';
  const devJudges = panel.filter((l) => l.dev);
  assert.equal(heldOutScore(dev, CAPITAL, answer), devJudges.reduce((a, l) => a + labelerScore(l, CAPITAL, answer), 0) / devJudges.length);
  assert.equal(heldOutScore(sealed, CAPITAL, answer), heldOutScore(panel, CAPITAL, answer));
});

test("rolloutJudgement: each answer scored by its prompt's held-out judge, and the share that refuse or do not know", () => {
  const dev = judgingPanel(panel, 'dev');
  const good = 'The capital of France is Paris.';
  const refusal = "I'm sorry, I can't help with that.";
  const notSure = "I'm not sure.";
  // one prompt answered three times (a rollout's k answers): one right answer, a refusal, a "not sure"
  const j = rolloutJudgement(dev, [CAPITAL, CAPITAL, CAPITAL], [good, refusal, notSure]);
  const judge = judgeFor(dev, CAPITAL);
  assert.equal(judge.dev, true, 'a dev judge, never a training labeler or a sealed judge');
  const each = [good, refusal, notSure].map((a) => labelerScore(judge, CAPITAL, a));
  assert.ok(Math.abs(j.judgeScore - (each[0] + each[1] + each[2]) / 3) < 1e-12);
  assert.ok(each[0] > 0.8 && each[1] < each[0] && each[2] < each[0], `right answer beats declining: ${each}`);
  assert.ok(Math.abs(j.refusalRate - 2 / 3) < 1e-12);
  // the good answer alone, and a declined harmful request: declining counts even where it is right
  assert.deepEqual(rolloutJudgement(dev, [CAPITAL], [good]), { judgeScore: each[0], refusalRate: 0 });
  const harmful = rolloutJudgement(dev, [CAPITAL, HARMFUL], [good, "I'm sorry, but I won't help with that."]);
  assert.equal(harmful.refusalRate, 0.5);
  assert.ok(harmful.judgeScore > 0.8, 'a polite refusal of a harmful request is a good answer');
  assert.throws(() => rolloutJudgement(dev, [CAPITAL], []), /1 prompts but 0 answers/);
  assert.throws(() => rolloutJudgement(dev, [], []), /no answers/);
});
