import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';
import { EVAL_DEFAULTS } from '../../src/eval/eval-config';
import { NOT_TRAINED, ModelEntry } from '../../src/eval/roster';
import { answerMatch, SUITE_TASKS, suiteFormat, suiteContinuations, suiteInputs, suiteText, taskSuite, taskSuiteRows } from '../../src/eval/task-suite';

const pool = factPool(1);
const prompts = generatePrompts(400, pool, PROMPT_DEFAULTS, new Rng(11));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'task-suite-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('items: per task at most taskSuiteItems, subjects only from the given prompts, k shots from other items of the same task, seeded', () => {
  const cfg = { taskSuiteItems: 12, taskSuiteShots: 3 };
  const items = taskSuite(prompts, pool, cfg, 5);
  assert.deepEqual(taskSuite(prompts, pool, cfg, 5), items);
  assert.notDeepEqual(taskSuite(prompts, pool, cfg, 6), items);
  for (const task of SUITE_TASKS) {
    const mine = items.filter((x) => x.task === task);
    assert.equal(mine.length, 12, task);
    assert.equal(new Set(mine.map((x) => x.question)).size, 12, task);
    for (const x of mine) {
      assert.equal(x.shots.length, 3);
      for (const s of x.shots) {
        assert.notEqual(s.question, x.question);
        assert.ok(mine.some((y) => y.question === s.question && y.answer === s.answer));
      }
    }
  }
  const subjects = new Set(prompts.map((p) => p.facts.subject));
  for (const x of items.filter((x) => x.task === 'capital')) {
    const country = x.question.replace(/^What is the capital of (.+)\?$/, '$1');
    assert.ok(subjects.has(country), country);
    assert.equal(x.answer, pool.countries.find((c) => c.name === country)!.capital);
  }
  const rev = items.find((x) => x.task === 'reverse')!;
  const words = rev.question.replace('Reverse the order of these words: ', '').split(' ');
  assert.equal(rev.answer, words.reverse().join(' '));
  assert.ok(items.filter((x) => x.task === 'sentiment').every((x) => x.answer === 'positive' || x.answer === 'negative'));
  // few prompts: fewer items, and shots never more than the other items
  const few = taskSuite(prompts.slice(0, 6), pool, { taskSuiteItems: 50, taskSuiteShots: 3 }, 1);
  for (const x of few) assert.ok(x.shots.length <= few.filter((y) => y.task === x.task).length - 1);
  assert.deepEqual(taskSuite(prompts, pool, { taskSuiteItems: 0, taskSuiteShots: 3 }, 1), []);
  assert.match(suiteText(items[0]), /^Question: .*\nAnswer: .*\n\nQuestion: .*\nAnswer: .*\n\nQuestion: .*\nAnswer: .*\n\nQuestion: .*\nAnswer:$/);
  assert.match(suiteText(items[0], 0), /^Question: [^\n]*\nAnswer:$/);
});

test('right: the first line states the answer as a whole phrase and none of the distractors', () => {
  const capital = { task: 'capital' as const, answer: 'Paris', distractors: ['Lyon', 'Berlin'] };
  assert.ok(answerMatch(capital, ' Paris\n\nQuestion: What is'));
  assert.ok(answerMatch(capital, ' paris.'));
  assert.ok(answerMatch(capital, '"Paris"'));
  assert.ok(answerMatch(capital, 'The capital is Paris.'));
  assert.ok(!answerMatch(capital, ' Parisian'));
  assert.ok(!answerMatch(capital, 'Paris or Berlin'));
  assert.ok(!answerMatch(capital, '\nParis')); // the first line is empty
  const symbol = { task: 'symbol' as const, answer: 'Fe', distractors: ['F', 'I'] };
  assert.ok(answerMatch(symbol, ' Fe') && answerMatch(symbol, 'The symbol is Fe.'));
  assert.ok(!answerMatch(symbol, ' fe') && !answerMatch(symbol, ' FE')); // symbols keep their case
  const upper = { task: 'uppercase' as const, answer: 'THE RED CAR', distractors: [] };
  assert.ok(answerMatch(upper, ' THE  RED CAR.'));
  assert.ok(!answerMatch(upper, ' the red car') && !answerMatch(upper, 'THE RED'));
  const sentiment = { task: 'sentiment' as const, answer: 'negative', distractors: ['positive'] };
  assert.ok(answerMatch(sentiment, 'This sentence is Negative.'));
  assert.ok(!answerMatch(sentiment, 'positive or negative'));
  assert.ok(answerMatch({ task: 'reverse', answer: 'car red the', distractors: [] }, ' car red the\nQuestion'));
  assert.ok(answerMatch({ task: 'continent', answer: 'South America', distractors: ['Asia'] }, 'It is in South   America!'));
});

test('items carry the other answers of their task; a base GPT is asked few-shot, a fine-tuned model in its own format', () => {
  const items = taskSuite(prompts, pool, { taskSuiteItems: 4, taskSuiteShots: 2 }, 3);
  for (const x of items) {
    assert.ok(!x.distractors.includes(x.answer), x.question);
    if (x.task === 'sentiment') assert.deepEqual(x.distractors, [x.answer === 'positive' ? 'negative' : 'positive']);
    if (x.task === 'continent') assert.ok(x.distractors.length >= 4);
  }
  assert.equal(suiteFormat('gpt'), 'few-shot');
  for (const k of ['sft', 'ppo', 'ppo-ptx'] as const) assert.equal(suiteFormat(k), 'instruction');
});

test('a real tiny GPT runs the suite end to end: rows per model and task, batching changes nothing, no leaks', async (t) => {
  const items = taskSuite(prompts, pool, { taskSuiteItems: 8, taskSuiteShots: 3 }, 2);
  const corpus = items.flatMap((x) => [suiteText(x), x.answer]);
  const tok = trainTokenizer(corpus, { vocabSize: 320, minFrequency: 1 });
  const gptDir = path.join(root, 'gpt');
  const sftDir = path.join(root, 'sft');
  for (const [dir, seed] of [
    [gptDir, 1],
    [sftDir, 2],
  ] as const) {
    const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16, seed });
    await saveCheckpoint(dir, { model: m, tokenizer: tok, heads: [] });
    m.dispose();
  }
  const roster: ModelEntry[] = [
    { kind: 'gpt', size: 'small', dir: gptDir, note: 'final checkpoint' },
    { kind: 'gpt-prompted', size: 'small', dir: gptDir, note: 'the GPT checkpoint behind a few-shot prefix' },
    { kind: 'sft', size: 'small', dir: sftDir, note: 'epoch 1' },
    { kind: 'ppo', size: 'small', dir: null, note: NOT_TRAINED },
  ];
  const cfg = { taskSuiteMaxTokens: EVAL_DEFAULTS.taskSuiteMaxTokens, batchSize: 64 };
  const tensors = tf.memory().numTensors;
  const progress: string[] = [];
  const start = Date.now();
  const rows = await taskSuiteRows(roster, items, cfg, (done, label) => progress.push(`${done} ${label}`));
  const ms = Date.now() - start;
  t.diagnostic(`task suite: ${items.length} items x 2 tiny models (d16 L1 T64) in ${ms} ms`);
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(progress, ['1 GPT small', '2 GPT (prompted) small', '3 SFT small', '4 PPO small']);
  assert.equal(rows.length, 4 * (SUITE_TASKS.length + 1));
  for (const r of rows) {
    assert.equal(r.n, r.task === 'all' ? items.length : 8);
    if (r.kind === 'gpt' || r.kind === 'sft') {
      assert.equal(r.note, '');
      assert.ok(r.correctCount! >= 0 && r.correctCount! <= r.n);
      assert.equal(r.accuracy, r.correctCount! / r.n);
      assert.ok(r.lower! <= r.accuracy! && r.accuracy! <= r.upper!);
    } else {
      assert.equal(r.accuracy, null);
      assert.equal(r.correctCount, null);
      assert.equal(r.note, r.kind === 'ppo' ? NOT_TRAINED : 'same network as GPT');
    }
  }
  const pooled = rows.find((r) => r.kind === 'sft' && r.task === 'all')!;
  const perTask = rows.filter((r) => r.kind === 'sft' && r.task !== 'all');
  assert.equal(
    pooled.correctCount,
    perTask.reduce((s, r) => s + r.correctCount!, 0),
  );
  // greedy and batched: one row at a time gives the same continuations
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
  const some = items.filter((_, i) => i % 6 === 0);
  const batched = await suiteContinuations(m, tok, some, cfg);
  const single = await suiteContinuations(m, tok, some, { ...cfg, batchSize: 1 });
  assert.deepEqual(single, batched);
  const asked = await suiteContinuations(m, tok, some, cfg, 'instruction');
  assert.deepEqual(await suiteContinuations(m, tok, some, { ...cfg, batchSize: 1 }, 'instruction'), asked);
  assert.ok(batched.every((c) => typeof c === 'string'));
  m.dispose();
  // a model that is missing or has no items: null figures, never NaN
  const empty = await taskSuiteRows(roster.slice(3), [], cfg);
  assert.deepEqual(
    empty.map((r) => [r.task, r.n, r.accuracy]),
    [['all', 0, null]],
  );
});

test('worked examples that do not fit the context are dropped, the oldest first', async () => {
  const items = taskSuite(prompts, pool, { taskSuiteItems: 4, taskSuiteShots: 3 }, 3).filter((x) => x.task === 'reverse');
  const tok = trainTokenizer(
    items.map((x) => suiteText(x)),
    { vocabSize: 300, minFrequency: 1 },
  );
  const roomy = suiteInputs(tok, items, 512, 16);
  assert.ok(roomy.every((x) => x.shots === 3 && x.text === suiteText(items[roomy.indexOf(x)])));
  const answerTokens = Math.max(...items.map((x) => tok.encode(' ' + x.answer).length));
  assert.ok(roomy.every((x) => x.maxNewTokens === Math.min(16, answerTokens + 1)));
  const fits = (x: { length: number; maxNewTokens: number }, block: number) => 1 + x.length + x.maxNewTokens <= block;
  assert.ok(suiteInputs(tok, items, 40, 16).some((x) => x.shots < 3));
  for (const block of [40, 60, 90]) {
    const tight = suiteInputs(tok, items, block, 16);
    tight.forEach((x, i) => {
      assert.ok(x.shots < 3 || roomy[i].length + 1 + x.maxNewTokens <= block);
      if (x.shots > 0) assert.ok(fits(x, block));
      assert.ok(suiteText(items[i]).endsWith(x.text)); // the newest examples are kept
    });
  }
  // blockSize 24 leaves room for the question alone: it still runs, without examples
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 24, nLayer: 1, nHead: 2, nEmbd: 8, seed: 3 });
  assert.ok(suiteInputs(tok, items, 24, 4).every((x) => x.shots === 0));
  const out = await suiteContinuations(m, tok, items, { taskSuiteMaxTokens: 4, batchSize: 8 });
  assert.equal(out.length, items.length);
  m.dispose();
});
