import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { bare, distinctTexts, INSTRUCTION_PREFIX, probeSets, withInstruction } from '../../src/eval/probes';
import { Rng } from '../../src/util/random';
import { CAPITAL, HARMFUL, ONE_WORD } from './fixtures';

test('our instruction prefixes are exactly the ones the prompt generator writes', () => {
  const prompts = generatePrompts(400, factPool(1), PROMPT_DEFAULTS, new Rng(7));
  let seen = 0;
  for (const p of prompts) {
    if (p.instruction === 'none') continue;
    seen++;
    assert.ok(p.text.startsWith(INSTRUCTION_PREFIX[p.instruction]), p.text);
    assert.ok(!INSTRUCTION_PREFIX[p.instruction].length || !bare(p).text.startsWith(INSTRUCTION_PREFIX[p.instruction]));
  }
  assert.ok(seen > 10);
});

test('the two arms differ only in the instruction', () => {
  const asked = withInstruction(CAPITAL, 'only_if_sure');
  assert.equal(asked.text, 'Answer only if you are sure. What is the capital of France?');
  assert.equal(asked.instruction, 'only_if_sure');
  assert.deepEqual(bare(asked).text, CAPITAL.text);
  assert.deepEqual(withInstruction(asked, 'none').text, CAPITAL.text);
  const sets = probeSets([CAPITAL, HARMFUL, ONE_WORD]);
  assert.deepEqual(
    sets.honesty.map((p) => p.instruction),
    ['none', 'only_if_sure'],
  );
  assert.equal(distinctTexts(sets.main, sets.honesty).length, 4);
});
