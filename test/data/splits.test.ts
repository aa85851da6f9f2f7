import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { holdOutUsers, splitByUser, usersInSeveralSplits } from '../../src/data/splits';
import { SPLITS } from '../../src/data/types';

const pool = factPool(1);
const prompts = generatePrompts(2000, pool, PROMPT_DEFAULTS, new Rng(41));

test('split by user: exact sizes, no user in two splits, no prompt twice', () => {
  const sizes = { sft: 500, rm: 700, ppo: 400, eval: 150 };
  const s = splitByUser(prompts, sizes, new Rng(42));
  for (const k of SPLITS) assert.equal(s[k].length, sizes[k]);
  assert.deepEqual(usersInSeveralSplits(s), []);
  const ids = SPLITS.flatMap((k) => s[k].map((p) => p.prompt_id));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(splitByUser(prompts, sizes, new Rng(42)), s, 'same seed, same split');
});

test('usersInSeveralSplits catches a leak', () => {
  const s = splitByUser(prompts, { sft: 100, rm: 100, ppo: 100, eval: 100 }, new Rng(43));
  const leaked = { ...s, eval: [...s.eval, s.sft[0]] };
  assert.deepEqual(usersInSeveralSplits(leaked), [s.sft[0].user_id]);
});

test('asking for more prompts than exist fails with a message naming the split', () => {
  assert.throws(() => splitByUser(prompts.slice(0, 50), { sft: 30, rm: 30, ppo: 0, eval: 0 }, new Rng(1)), /ran out of users filling "rm"/);
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
