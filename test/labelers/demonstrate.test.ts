import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { demonstrate } from '../../src/labelers/demonstrate';
import { perturb } from '../../src/labelers/perturb';
import { score } from '../../src/labelers/rubric';

const pool = factPool(1);
const prompts = generatePrompts(600, pool, PROMPT_DEFAULTS, new Rng(31));

test('demonstrations top the rubric for every task, in varied phrasing', () => {
  const rng = new Rng(32);
  const tasks = new Set<string>();
  const phrasings = new Set<string>();
  for (const p of prompts) {
    for (const terse of [0, 1]) {
      const d = demonstrate(p, rng, terse);
      assert.ok(score(p, d) >= 0.95, `${p.facts.task}: "${p.text}" -> "${d}" scores ${score(p, d)}`);
      assert.ok(d.split(/\s+/).length <= 25, `short: ${d}`);
    }
    tasks.add(p.facts.task);
    if (p.facts.task === 'country_capital') phrasings.add(demonstrate(p, rng, 0).replace(p.facts.answers[0], 'X').replace(p.facts.subject, 'Y'));
  }
  assert.ok(tasks.size >= 20, `tasks covered: ${[...tasks].join(', ')}`);
  assert.ok(phrasings.size >= 3, `phrasings: ${[...phrasings].join(' | ')}`);
});

test('perturbed answers score below the demonstration on average', () => {
  const rng = new Rng(33);
  for (const kind of ['wrong', 'garbled', 'truncated', 'rude'] as const) {
    let worse = 0;
    for (const p of prompts.slice(0, 200)) if (score(p, perturb(p, kind, pool, rng)) < score(p, demonstrate(p, rng))) worse++;
    assert.ok(worse > 120, `${kind}: worse in ${worse}/200`);
  }
});
