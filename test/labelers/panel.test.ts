import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { assignLabeler, makePanel, PANEL_DEFAULTS, prefer, rank } from '../../src/labelers/panel';
import { candidateAnswers } from '../../src/labelers/perturb';
import { measureAgreement } from '../../src/labelers/agreement';
import { capital } from './helpers';

const panel = makePanel(PANEL_DEFAULTS);

test('the panel has training and held-out labelers with their own weights', () => {
  assert.equal(panel.filter((l) => !l.heldOut).length, PANEL_DEFAULTS.trainLabelers);
  assert.equal(panel.filter((l) => l.heldOut).length, PANEL_DEFAULTS.heldOutLabelers);
  assert.notDeepEqual(panel[0].weights, panel[1].weights);
  assert.deepEqual(makePanel(PANEL_DEFAULTS), panel, 'same seed, same panel');
  assert.notDeepEqual(makePanel({ ...PANEL_DEFAULTS, seed: 2 })[0].weights, panel[0].weights);
  assert.equal(assignLabeler(panel, capital).heldOut, false);
  assert.equal(assignLabeler(panel, capital, true).heldOut, true);
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
  assert.equal(rep.matrix.length, panel.length);
  assert.equal(rep.matrix[3][3], 1);
  assert.equal(rep.matrix[2][5], rep.matrix[5][2]);
});
