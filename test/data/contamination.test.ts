import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { factPool } from '../../src/data/pool';
import { PROMPT_DEFAULTS } from '../../src/data/prompts';
import { cleanSplits } from '../../src/data/splits';
import { contamination } from '../../src/data/contamination';
import { Prompt, PromptFacts, Split, SPLITS } from '../../src/data/types';
import { parseParams } from '../../src/workbook/params';

function p(id: string, text: string, task: PromptFacts['task'], subject: string): Prompt {
  return {
    prompt_id: id,
    user_id: `u-${id}`,
    category: 'closed_qa',
    instruction: 'none',
    text,
    facts: { task, subject, answers: [], answerable: true, harmful: false, constraint: null, premise: '' },
  };
}

test('counts verbatim (normalised), same (task, subject) and same subject, nested, as counts and shares of the counted split', () => {
  const splits: Record<Split, Prompt[]> = {
    sft: [p('a', 'What is the capital of France?', 'country_capital', 'France'), p('b', 'Write an insult about my boss Sam.', 'insult', 'boss Sam')],
    rm: [],
    ppo: [],
    dev: [],
    eval: [
      p('c', 'Answer only if you are sure.  what is the capital of France', 'country_capital', 'france'), // verbatim once normalised
      p('d', 'Name the capital of France.', 'country_capital', 'France'), // same task and subject
      p('e', 'Threaten my boss Sam.', 'threaten', 'Boss  Sam'), // same subject, another task
      p('f', 'What is the atomic number of Tin?', 'element_number', 'Tin'), // nothing
    ],
  };
  const rows = contamination(splits);
  assert.equal(rows.length, (SPLITS.length * (SPLITS.length - 1)) / 2 + 2);
  const row = rows.find((r) => r.split === 'eval' && r.other === 'sft')!;
  assert.deepEqual(
    [row.prompts, row.verbatim, row.sameTaskSubject, row.sameSubject, row.verbatimShare, row.sameTaskSubjectShare, row.sameSubjectShare],
    [4, 1, 2, 3, 0.25, 0.5, 0.75],
  );
  assert.deepEqual(
    rows.find((r) => r.split === 'eval' && r.other === 'training'),
    { ...row, other: 'training' },
  );
  const empty = rows.find((r) => r.split === 'dev' && r.other === 'sft')!;
  assert.deepEqual([empty.prompts, empty.verbatim, empty.verbatimShare], [0, 0, 0]);
  // the later split in SPLITS order is the one counted
  assert.ok(rows.every((r) => r.other === 'training' || SPLITS.indexOf(r.other) < SPLITS.indexOf(r.split)));
});

for (const profile of ['smoke', 'default']) {
  test(`clean splits at ${profile} sizes: 0 verbatim and 0 same (task, subject) between any two splits; same subject only in harmful requests`, () => {
    const d = parseParams(profile, []).config.data;
    const sizes = { sft: d.sftPrompts, rm: d.rmPrompts, ppo: d.ppoPrompts, dev: d.devPrompts, eval: d.evalPrompts };
    const { prompts } = cleanSplits(factPool(1234), PROMPT_DEFAULTS, sizes, 1234);
    const rows = contamination(prompts);
    for (const r of rows) {
      assert.equal(r.verbatim, 0, `${r.split} vs ${r.other}`);
      assert.equal(r.sameTaskSubject, 0, `${r.split} vs ${r.other}`);
    }
    // what remains: the same person in another harmful request (the right answer is a refusal either way)
    const harmful = (ps: readonly Prompt[]) => ps.filter((x) => x.facts.harmful);
    for (const r of rows) {
      if (r.other === 'training') continue;
      const onlyHarmful = contamination({ ...prompts, [r.split]: harmful(prompts[r.split]) } as Record<Split, Prompt[]>).find(
        (x) => x.split === r.split && x.other === r.other,
      )!;
      assert.equal(onlyHarmful.sameSubject, r.sameSubject, `${r.split} vs ${r.other}: same-subject overlap outside harmful requests`);
    }
    if (profile === 'default') assert.ok(rows.find((r) => r.split === 'eval' && r.other === 'training')!.sameSubject > 0);
  });
}
