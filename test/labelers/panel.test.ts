import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { assignLabeler, judgingPanel, makePanel, PANEL_DEFAULTS, prefer, rank } from '../../src/labelers/panel';
import { candidateAnswers } from '../../src/labelers/perturb';
import { measureAgreement } from '../../src/labelers/agreement';
import { capital } from './helpers';

const panel = makePanel(PANEL_DEFAULTS);

test('the panel has training labelers, dev judges and sealed judges with their own weights', () => {
  assert.equal(panel.filter((l) => !l.heldOut && !l.dev).length, PANEL_DEFAULTS.trainLabelers);
  assert.equal(panel.filter((l) => l.dev).length, PANEL_DEFAULTS.devLabelers);
  assert.equal(panel.filter((l) => l.heldOut).length, PANEL_DEFAULTS.heldOutLabelers);
  assert.ok(panel.every((l) => !(l.heldOut && l.dev)));
  assert.deepEqual(
    panel.map((l) => l.labeler_id[0]),
    [...'L'.repeat(10), ...'D'.repeat(5), ...'S'.repeat(5)],
  );
  assert.notDeepEqual(panel[0].weights, panel[1].weights);
  assert.deepEqual(makePanel(PANEL_DEFAULTS), panel, 'same seed, same panel');
  assert.notDeepEqual(makePanel({ ...PANEL_DEFAULTS, seed: 2 })[0].weights, panel[0].weights);
  assert.equal(assignLabeler(panel, capital).heldOut, false);
  assert.equal(assignLabeler(panel, capital, true).heldOut, true);
});

test('dev and sealed judges come from their own streams: unlike the training labelers and each other', () => {
  const train = panel.filter((l) => !l.heldOut && !l.dev);
  const dev = panel.filter((l) => l.dev);
  const sealed = panel.filter((l) => l.heldOut);
  const weights = (ls: typeof panel) => ls.map((l) => JSON.stringify(l.weights));
  const all = [...weights(train), ...weights(dev), ...weights(sealed)];
  assert.equal(new Set(all).size, all.length, 'no two labelers weigh alike');
  assert.equal(new Set(panel.map((l) => l.seed)).size, panel.length, 'no two labelers share a noise stream');
  assert.notDeepEqual(dev[0].weights, sealed[0].weights);
  // more training labelers do not change the judges, and more judges do not change the training labelers
  const more = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 12, devLabelers: 6 });
  assert.deepEqual(
    more.filter((l) => l.heldOut),
    sealed,
  );
  assert.deepEqual(more.filter((l) => l.dev).slice(0, 5), dev);
  assert.deepEqual(more.filter((l) => !l.heldOut && !l.dev).slice(0, 10), train);
  // a training assignment never lands on a dev judge
  const pool = factPool(1);
  for (const p of generatePrompts(200, pool, PROMPT_DEFAULTS, new Rng(31))) assert.ok(!assignLabeler(panel, p).dev && !assignLabeler(panel, p).heldOut);
});

test("judgingPanel: exactly one split's judges are held out; dev drops the sealed judges, eval the dev ones", () => {
  const dev = judgingPanel(panel, 'dev');
  assert.deepEqual(
    dev.filter((l) => l.heldOut).map((l) => l.labeler_id),
    panel.filter((l) => l.dev).map((l) => l.labeler_id),
  );
  assert.ok(dev.every((l) => l.labeler_id[0] !== 'S'));
  assert.deepEqual(judgingPanel(dev, 'dev'), dev, 'idempotent');
  const sealed = judgingPanel(panel, 'eval');
  assert.deepEqual(
    sealed,
    panel.filter((l) => !l.dev),
  );
  assert.deepEqual(judgingPanel(sealed, 'eval'), sealed);
  assert.equal(assignLabeler(dev, capital, true).dev, true);
  assert.equal(assignLabeler(sealed, capital, true).labeler_id[0], 'S');
  assert.equal(assignLabeler(dev, capital).labeler_id, assignLabeler(panel, capital).labeler_id, 'the training labelers stay');
  // an old panel (no dev judges) has nothing to judge dev prompts with
  const old = panel.filter((l) => !l.dev);
  assert.throws(() => judgingPanel(old, 'dev'), /no dev judges.*rebuild the data/);
  assert.throws(
    () =>
      judgingPanel(
        panel.filter((l) => !l.heldOut),
        'eval',
      ),
    /no sealed judges/,
  );
});

test('rank gives dense ranks with ties, in the paper notation (e.g. D > C > A = B)', () => {
  // two looping wrong answers tie for a careful labeler: equal rubric score, no noise
  const careful = { ...panel[0], noise: 0 };
  const answers = ['Rome Rome Rome Rome', 'Lyon Lyon Lyon Lyon', 'It is Berlin.', 'The capital of France is Paris.'];
  const r = rank(careful, capital, answers);
  assert.deepEqual(r.ranks, [3, 3, 2, 1]);
  assert.equal(r.order, 'D > C > A = B');
  assert.deepEqual(rank(careful, capital, answers), r, 'asking again gives the same ranking');
});

test('noisy labelers still produce ties sometimes, and prefer agrees with rank', () => {
  const pool = factPool(1);
  const prompts = generatePrompts(60, pool, PROMPT_DEFAULTS, new Rng(11));
  const rng = new Rng(12);
  let ties = 0;
  let pairs = 0;
  for (const p of prompts) {
    const { answers } = candidateAnswers(p, 6, pool, rng);
    const l = panel[rng.int(panel.length)];
    const r = rank(l, p, answers);
    for (let i = 0; i < answers.length; i++) {
      for (let j = i + 1; j < answers.length; j++) {
        const want = r.ranks[i] < r.ranks[j] ? 1 : r.ranks[i] > r.ranks[j] ? -1 : 0;
        assert.equal(prefer(l, p, answers[i], answers[j]), want);
        if (want === 0) ties++;
        pairs++;
      }
    }
  }
  assert.ok(ties > 0 && ties < pairs * 0.3, `ties ${ties} of ${pairs}`);
});

test('inter-labeler agreement lands in 68-78% on answers of mixed quality', () => {
  const pool = factPool(1);
  const prompts = generatePrompts(150, pool, PROMPT_DEFAULTS, new Rng(21));
  const rng = new Rng(22);
  const items = prompts.map((p) => ({ prompt: p, answers: candidateAnswers(p, rng.intBetween(4, 9), pool, rng).answers }));
  const rep = measureAgreement(panel, items);
  assert.ok(rep.train.mean >= 0.68 && rep.train.mean <= 0.78, `training labelers ${rep.train.mean}`);
  assert.ok(rep.heldOut.mean >= 0.68 && rep.heldOut.mean <= 0.8, `held-out labelers ${rep.heldOut.mean}`);
  assert.ok(rep.dev.mean >= 0.68 && rep.dev.mean <= 0.82, `dev judges ${rep.dev.mean}`);
  // pairs: training among themselves, sealed among themselves, dev among themselves, training vs sealed
  assert.deepEqual([rep.train.pairs, rep.heldOut.pairs, rep.dev.pairs, rep.across.pairs], [45, 10, 10, 50]);
  // judged as a dev panel, the dev judges are the held-out group
  const asDev = measureAgreement(judgingPanel(panel, 'dev'), items);
  assert.equal(asDev.heldOut.mean, rep.dev.mean);
  assert.equal(asDev.train.mean, rep.train.mean);
  assert.equal(rep.matrix.length, panel.length);
  assert.equal(rep.matrix[3][3], 1);
  assert.equal(rep.matrix[2][5], rep.matrix[5][2]);
});
