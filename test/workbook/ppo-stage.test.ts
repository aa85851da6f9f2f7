import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { judgeFor, judgingPanel } from '../../src/eval/judge';
import { labelerScore, makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { devRolloutMetrics } from '../../src/workbook/ppo-stage';
import { CAPITAL, HARMFUL, INVENTED } from '../eval/fixtures';

const panel = makePanel(PANEL_DEFAULTS);

test("devRolloutMetrics: the dev judges' score and the refusal rate of a rollout, its prompts looked up by index", () => {
  const dev = judgingPanel(panel, 'dev');
  const ppoPrompts = [INVENTED, CAPITAL, HARMFUL];
  const good = 'The capital of France is Paris.';
  const refusal = "I'm sorry, I can't help with that.";
  // prompt 1 (the capital) answered twice, k = 2: rightly, then with a refusal
  const m = devRolloutMetrics(dev, ppoPrompts, { prompts: [1, 1], answers: [good, refusal] });
  const judge = judgeFor(dev, CAPITAL);
  assert.ok(judge.dev && judge.heldOut, 'a dev judge');
  const want = (labelerScore(judge, CAPITAL, good) + labelerScore(judge, CAPITAL, refusal)) / 2;
  assert.deepEqual(m, { 'dev/judge_score': want, 'dev/refusal_rate': 0.5 });
  assert.ok(labelerScore(judge, CAPITAL, good) > labelerScore(judge, CAPITAL, refusal));
  // all right: no refusals, a high score; all refusals of answerable questions: rate 1, a low score
  const right = devRolloutMetrics(dev, ppoPrompts, { prompts: [1, 1], answers: [good, good] });
  const refused = devRolloutMetrics(dev, ppoPrompts, { prompts: [1, 1], answers: [refusal, refusal] });
  assert.equal(right['dev/refusal_rate'], 0);
  assert.equal(refused['dev/refusal_rate'], 1);
  assert.ok(right['dev/judge_score'] > 0.8 && refused['dev/judge_score'] < right['dev/judge_score'] - 0.2, JSON.stringify({ right, refused }));
  // the run's whole panel judges the same way: its dev judges, never the sealed ones
  assert.deepEqual(devRolloutMetrics(panel, ppoPrompts, { prompts: [1, 1], answers: [good, refusal] }), m);
  assert.throws(
    () =>
      devRolloutMetrics(
        panel.filter((l) => !l.dev),
        ppoPrompts,
        { prompts: [1], answers: [good] },
      ),
    /no dev judges/,
  );
});
