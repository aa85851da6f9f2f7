import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS, subjectGroups, userPrompts } from '../../src/data/prompts';
import { promptKey } from '../../src/data/splits';
import { CATEGORIES } from '../../src/data/types';
import { countries, elements, stateCapitals } from '../../src/data/facts';
import { antonyms, definitions } from '../../src/data/wordnet';

const pool = factPool(1);

test('fact bases load from the registry packages', () => {
  assert.ok(countries().length > 200);
  assert.equal(countries().find((c) => c.name === 'France')?.capital, 'Paris');
  assert.equal(elements().length, 118);
  assert.equal(elements().find((e) => e.name === 'Oxygen')?.symbol, 'O');
  const states = stateCapitals();
  assert.equal(states.length, 50);
  assert.equal(states.find((s) => s.state === 'Texas')?.capital, 'Austin');
  assert.ok(definitions().length > 1000);
  assert.ok(antonyms().some((a) => a.word === 'good' || a.word === 'able'));
});

test('every category and instruction variant appears, each prompt carries ids and facts', () => {
  const ps = generatePrompts(3000, pool, PROMPT_DEFAULTS, new Rng(51));
  for (const c of CATEGORIES)
    assert.ok(
      ps.some((p) => p.category === c),
      c,
    );
  assert.ok(ps.some((p) => p.instruction === 'only_if_sure' && p.text.startsWith('Answer only if you are sure.')));
  assert.ok(ps.some((p) => p.instruction === 'be_respectful' && p.text.startsWith('Please be respectful.')));
  for (const p of ps) {
    assert.match(p.prompt_id, /^p\d{6}$/);
    assert.match(p.user_id, /^user-\d{5}$/);
    assert.ok(p.text.split(/\s+/).length <= 25, `short prompt: ${p.text}`);
    if (p.category === 'closed_qa' || p.category === 'classification') assert.ok(p.facts.answers.length > 0);
    if (p.category === 'unanswerable') assert.equal(p.facts.answerable, false);
    if (p.category === 'harmful') assert.equal(p.facts.harmful, true);
    if (p.category === 'rewrite') assert.ok(p.facts.constraint);
  }
  assert.deepEqual(generatePrompts(3000, pool, PROMPT_DEFAULTS, new Rng(51)), ps, 'same seed, same prompts');
});

test('invented names are not real countries, elements or words', () => {
  const real = new Set([...countries().map((c) => c.name.toLowerCase()), ...elements().map((e) => e.name.toLowerCase()), ...definitions().map((d) => d.word)]);
  for (const n of [...pool.inventedCountries, ...pool.inventedElements, ...pool.inventedWords]) assert.ok(!real.has(n.toLowerCase()), n);
});

test('sentiment labels come from AFINN and both occur', () => {
  const labels = new Set(pool.sentences.map((s) => s.label));
  assert.deepEqual([...labels].sort(), ['negative', 'positive']);
  assert.equal(pool.sentences.find((s) => s.text === 'The movie was wonderful.')?.label, 'positive');
  assert.equal(pool.sentences.find((s) => s.text === 'The movie was terrible.')?.label, 'negative');
});

test("a user's prompts depend only on the stream and their number; generatePrompts numbers them in order", () => {
  const rng = new Rng(61);
  const ps = generatePrompts(40, pool, PROMPT_DEFAULTS, rng, 5);
  const first = userPrompts(5, pool, PROMPT_DEFAULTS, rng);
  assert.deepEqual(
    ps.slice(0, first.length).map(({ prompt_id, ...rest }) => rest),
    first,
  );
  assert.equal(ps[0].prompt_id, 'p000001');
  assert.ok(userPrompts(5, pool, PROMPT_DEFAULTS, rng, 'dev-user-00005').every((p) => p.user_id === 'dev-user-00005'));
});

test('subjectGroups lists the key of every generated prompt but the uppercase and reverse rewrites', () => {
  const keys = new Set(subjectGroups(pool).flatMap((g) => g.subjects.map((subject) => promptKey({ task: g.task, subject }))));
  for (const p of generatePrompts(20000, pool, PROMPT_DEFAULTS, new Rng(71))) {
    if (p.facts.task === 'uppercase' || p.facts.task === 'reverse') continue;
    assert.ok(keys.has(promptKey(p.facts)), `${p.facts.task} "${p.facts.subject}" (${p.text}) is in no subject group`);
  }
});
