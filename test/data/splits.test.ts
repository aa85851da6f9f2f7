import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { splitByUser, usersInSeveralSplits } from '../../src/data/splits';
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
