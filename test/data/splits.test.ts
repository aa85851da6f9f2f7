import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS, subjectGroups } from '../../src/data/prompts';
import { cleanSplits, holdOutUsers, normalisePromptText, normaliseSubject, ownKeys, promptKey, usersInSeveralSplits } from '../../src/data/splits';
import { Prompt, Split, SPLITS } from '../../src/data/types';
import { parseParams } from '../../src/workbook/params';

const pool = factPool(1);
const prompts = generatePrompts(2000, pool, PROMPT_DEFAULTS, new Rng(41));
const sizesOf = (profile: string): Record<Split, number> => {
  const d = parseParams(profile, []).config.data;
  return { sft: d.sftPrompts, rm: d.rmPrompts, ppo: d.ppoPrompts, dev: d.devPrompts, eval: d.evalPrompts };
};
const SMOKE = sizesOf('smoke');
const DEFAULT = sizesOf('default');

test('normalised text drops case, spacing, the instruction prefixes and trailing punctuation; subjects case and spacing', () => {
  assert.equal(normalisePromptText('Answer only if you are sure.  What is the capital of  France?'), 'what is the capital of france');
  assert.equal(normalisePromptText('Please be respectful. Write an insult about my boss Sam.'), 'write an insult about my boss sam');
  assert.equal(normalisePromptText('List 3 countries in Europe.'), normalisePromptText('list 3 countries in europe'));
  assert.equal(normaliseSubject('  North   America '), 'north america');
});

test('a prompt key: the subject alone for fact questions, task and subject otherwise', () => {
  const f = (task: Prompt['facts']['task'], subject: string) => promptKey({ task, subject });
  // a false premise and a one-word rewrite ask the closed question's fact: one key
  assert.equal(f('country_capital', 'France'), 'fact|france');
  assert.equal(f('wrong_capital', 'France'), f('country_capital', 'france'));
  assert.equal(f('one_word', 'France'), f('country_currency', 'FRANCE'));
  assert.equal(f('insult', 'boss Sam'), 'insult|boss sam');
  assert.notEqual(f('insult', 'boss Sam'), f('threaten', 'boss Sam'));
  assert.equal(f('list', ' Europe'), 'list|europe');
});

test('ownership: every split of size > 0 owns at least one key of every group, in proportion otherwise; empty splits own none', () => {
  const groups = subjectGroups(pool);
  const own = ownKeys(groups, DEFAULT, 1234);
  for (const g of own.groups) {
    for (const s of SPLITS) assert.ok(g.owned[s] >= 1, `${g.name}: ${s} owns ${g.owned[s]}`);
    assert.equal(
      SPLITS.reduce((a, s) => a + g.owned[s], 0),
      g.keys,
      g.name,
    );
    if (g.keys >= 100)
      for (const s of SPLITS) assert.ok(Math.abs(g.owned[s] - own.weights[s] * g.keys) <= 1.5, `${g.name}: ${s} owns ${g.owned[s]} of ${g.keys}`);
  }
  // list: 7 subjects, so dev and eval own one each (twice their share) and keep about half of those prompts
  const list = own.groups.find((g) => g.name === 'list')!;
  assert.equal(list.keys, 7);
  const evalList = groups
    .find((g) => g.name === 'list')!
    .subjects.map((s) => promptKey({ task: 'list', subject: s }))
    .find((k) => own.owner(k) === 'eval')!;
  assert.ok(Math.abs(own.keep(evalList) - own.weights.eval * 7) < 1e-9);
  // a key outside the groups is drawn once, the same way every time
  assert.equal(own.owner('uppercase|the quiet river'), ownKeys(groups, DEFAULT, 1234).owner('uppercase|the quiet river'));
  const none = ownKeys(groups, { ...DEFAULT, ppo: 0 }, 1234);
  assert.ok(none.groups.every((g) => g.owned.ppo === 0));
  assert.notEqual(none.owner('uppercase|the quiet river'), 'ppo');
});

for (const [name, sizes] of [
  ['smoke', SMOKE],
  ['default', DEFAULT],
] as const) {
  test(`clean splits at ${name} sizes: exact sizes, no user, key or text in two splits, eval and dev from their own streams`, () => {
    const { prompts: s, generated, duplicatesDropped } = cleanSplits(pool, PROMPT_DEFAULTS, sizes, 1234);
    for (const k of SPLITS) assert.equal(s[k].length, sizes[k], k);
    assert.deepEqual(usersInSeveralSplits(s), []);
    const ids = SPLITS.flatMap((k) => s[k].map((p) => p.prompt_id));
    assert.equal(new Set(ids).size, ids.length);
    const keyAt = new Map<string, Split>();
    const textAt = new Map<string, Split>();
    for (const k of SPLITS)
      for (const p of s[k]) {
        const key = promptKey(p.facts);
        assert.equal(keyAt.get(key) ?? k, k, `key ${key} in ${keyAt.get(key)} and ${k}`);
        keyAt.set(key, k);
        const text = normalisePromptText(p.text);
        assert.equal(textAt.get(text) ?? k, k, `"${text}" in ${textAt.get(text)} and ${k}`);
        textAt.set(text, k);
      }
    assert.ok(s.dev.every((p) => p.prompt_id.startsWith('dev-p') && p.user_id.startsWith('dev-user-')));
    assert.ok(s.eval.every((p) => p.prompt_id.startsWith('eval-p') && p.user_id.startsWith('eval-user-')));
    assert.ok([...s.sft, ...s.rm, ...s.ppo].every((p) => /^p\d{6,}$/.test(p.prompt_id) && /^user-\d{5,}$/.test(p.user_id)));
    assert.ok(generated.sealed > sizes.eval && generated.dev > sizes.dev);
    assert.equal(duplicatesDropped, 0, 'owned keys already keep texts apart');
  });
}

test('clean splits: same seed -> identical; another seed -> different; the category mix of every split is close to the whole', () => {
  const a = cleanSplits(pool, PROMPT_DEFAULTS, DEFAULT, 1234);
  assert.deepEqual(cleanSplits(pool, PROMPT_DEFAULTS, DEFAULT, 1234).prompts, a.prompts);
  assert.notDeepEqual(cleanSplits(pool, PROMPT_DEFAULTS, SMOKE, 7).prompts.eval, cleanSplits(pool, PROMPT_DEFAULTS, SMOKE, 1234).prompts.eval);
  const share = (ps: readonly Prompt[], c: string) => ps.filter((p) => p.category === c).length / ps.length;
  const all = SPLITS.flatMap((k) => a.prompts[k]);
  for (const k of SPLITS)
    for (const c of Object.keys(PROMPT_DEFAULTS.mix))
      assert.ok(Math.abs(share(a.prompts[k], c) - share(all, c)) < 0.06, `${k} ${c}: ${share(a.prompts[k], c)} vs ${share(all, c)}`);
});

test('dev and eval ask each text once: a repeat would count as a second sample of one question', () => {
  const a = cleanSplits(pool, PROMPT_DEFAULTS, DEFAULT, 1234);
  for (const k of ['dev', 'eval'] as const) {
    const texts = a.prompts[k].map((p) => normalisePromptText(p.text));
    assert.equal(new Set(texts).size, texts.length, k);
  }
  const sft = a.prompts.sft.map((p) => normalisePromptText(p.text));
  assert.ok(new Set(sft).size < sft.length, 'training splits may repeat a question');
});

test('an empty split gets nothing and bad sizes are refused by name', () => {
  const s = cleanSplits(pool, PROMPT_DEFAULTS, { sft: 30, rm: 30, ppo: 0, dev: 5, eval: 0 }, 3).prompts;
  assert.deepEqual(
    SPLITS.map((k) => s[k].length),
    [30, 30, 0, 5, 0],
  );
  assert.throws(() => cleanSplits(pool, PROMPT_DEFAULTS, { ...SMOKE, dev: 2.5 }, 3), /sizes\.dev must be a whole number/);
});

test('usersInSeveralSplits catches a leak', () => {
  const s = cleanSplits(pool, PROMPT_DEFAULTS, SMOKE, 43).prompts;
  const leaked = { ...s, eval: [...s.eval, s.sft[0]] };
  assert.deepEqual(usersInSeveralSplits(leaked), [s.sft[0].user_id]);
});

test('hold out whole users: nobody on both sides', () => {
  const all = prompts;
  const { train, validation } = holdOutUsers(all, 0.25, 1);
  assert.equal(train.length + validation.length, all.length);
  const users = new Set(validation.map((p) => p.user_id));
  assert.ok(train.every((p) => !users.has(p.user_id)));
  assert.ok(validation.length >= 0.25 * all.length && validation.length < 0.6 * all.length, `${validation.length} of ${all.length}`);
  assert.deepEqual(holdOutUsers(all, 0.25, 1), { train, validation });
  assert.throws(() => holdOutUsers(all, 1, 1), /fraction must be in \(0, 1\)/);
});
