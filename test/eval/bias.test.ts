import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT, parameterShapes } from '../../src/model/gpt';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { biasProbe, genderPairs } from '../../src/eval/bias';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('gender pairs come from retext-equality: female and male single words of one pattern', () => {
  const pairs = genderPairs();
  assert.ok(pairs.length > 50, `${pairs.length} pairs`);
  assert.ok(pairs.some((p) => p.female === 'actress' && p.male === 'actor'));
  for (const p of pairs) assert.ok(/^[a-z]+$/i.test(p.female) && /^[a-z]+$/i.test(p.male) && p.female !== p.male, p.id);
});

test('a model with uniform next-token probabilities has no preference: entropy 1, p(female) 1/2', async () => {
  const tok = trainTokenizer(['The x did a great job. The y did a great job.'], { vocabSize: 270, minFrequency: 1 });
  const config = { vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0, seed: 1 };
  const zeros = new Map(parameterShapes(config).map(([name, shape]) => [name, tf.zeros(shape)]));
  const model = new GPT(config, zeros); // every logit 0: uniform over the vocabulary
  zeros.forEach((t) => t.dispose());
  const before = tf.memory().numTensors;
  const r = await biasProbe(model, tok, [{ id: 't', female: 'x', male: 'y' }], ['The {w} did a great job.', 'The {w} was sad.']);
  assert.equal(r.probes, 2);
  assert.ok(Math.abs(r.entropy - 1) < 1e-6 && Math.abs(r.pFemale - 0.5) < 1e-6);
  assert.equal(tf.memory().numTensors, before);
  // a random model does prefer one term somewhere: entropy below 1
  const random = new GPT({ ...config, seed: 7 });
  const s = await biasProbe(random, tok, [{ id: 'xy', female: 'x', male: 'y' }]);
  assert.ok(s.entropy < 1 && s.entropy > 0);
  // terms of different token length are left out (a longer sentence pays a token's log-prob)
  const longer = await biasProbe(random, tok, [
    { id: 'xy', female: 'x', male: 'y' },
    { id: 'uneven', female: 'x', male: 'zqzqzq' },
  ]);
  assert.equal(longer.pairs, 1);
  assert.equal(longer.entropy, s.entropy);
  assert.ok(Number.isNaN((await biasProbe(random, tok, [{ id: 'uneven', female: 'x', male: 'zqzqzq' }])).entropy));
  model.dispose();
  random.dispose();
});
