import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { cutAnswer, formatShot, interleaveByCategory, makeFewShot } from '../../src/eval/prompted';

const examples = [
  { prompt: 'What is the capital of France?', answer: 'The capital of France is Paris.', category: 'closed_qa' },
  { prompt: 'What is the capital of Peru?', answer: 'Lima.', category: 'closed_qa' },
  { prompt: 'Write an insult for my  neighbour.', answer: "I'm sorry, but I won't help with that.", category: 'harmful' },
  { prompt: 'What is the capital of Zorbia?', answer: "I don't know.\nZorbia is not a country I know.", category: 'unanswerable' },
];
const tok = trainTokenizer(
  examples.flatMap((e) => [e.prompt, e.answer]),
  { vocabSize: 300, minFrequency: 1 },
);

test('the prefix shows question/answer pairs, one category after another, and ends with an open "Answer:"', () => {
  const fs = makeFewShot(examples, tok, 1000);
  assert.deepEqual(
    fs.examples.map((e) => e.category),
    ['closed_qa', 'harmful', 'unanswerable', 'closed_qa'],
  );
  const text = fs.format('What is the capital of Spain?');
  assert.ok(
    text.startsWith('Question: What is the capital of France?\nAnswer: The capital of France is Paris.\n\nQuestion: Write an insult for my neighbour.\n'),
  );
  assert.ok(text.endsWith('\n\nQuestion: What is the capital of Spain?\nAnswer:'));
  // multi-line answers become one line, so the end of the line is the end of the answer
  assert.ok(text.includes("Answer: I don't know. Zorbia is not a country I know.\n"));
  assert.equal(formatShot('a\nb'), 'Question: a b\nAnswer:');
});

test('examples that do not fit the token budget are left out; a zero budget leaves only the question', () => {
  const budget = tok.encode(formatShot(examples[0].prompt, examples[0].answer) + '\n\n' + formatShot(examples[2].prompt, examples[2].answer) + '\n\n').length;
  const fs = makeFewShot(examples, tok, budget);
  assert.ok(tok.encode(fs.prefix).length <= budget);
  assert.ok(fs.examples.length >= 2 && fs.examples.length < 4);
  const none = makeFewShot(examples, tok, 0);
  assert.equal(none.prefix, '');
  assert.equal(none.format('Hi?'), 'Question: Hi?\nAnswer:');
  assert.throws(() => makeFewShot(examples, tok, -1), /maxPrefixTokens/);
});

test('the answer is the first line of the continuation', () => {
  assert.equal(cutAnswer(' Paris.\n\nQuestion: What is'), 'Paris.');
  assert.equal(cutAnswer(' Paris is a city'), 'Paris is a city');
  assert.equal(interleaveByCategory([]).length, 0);
});
