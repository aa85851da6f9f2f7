import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT, parameterShapes } from '../../src/model/gpt';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { biasProbe, FRAMES, genderedTerms, occupations } from '../../src/eval/bias';
import { EVAL_DEFAULTS } from '../../src/eval/eval-config';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

// ' she', ' he', ' her', ' his' are one token each; the occupations take several
const tok = trainTokenizer([' she he her his'.repeat(20) + ' The nurse said that she would be late.'], { vocabSize: 270, minFrequency: 1 });
const config = { vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0, seed: 1 };

/**
 * A model whose next-token logits are the same at every position: 0 for every token but
 * `logits` (ln_f's weight 0 and bias e_0 make every hidden state e_0; the tied embedding's
 * first column is then the logits).
 */
function fixedLogits(logits: Record<string, number>): GPT {
  const zeros = new Map(parameterShapes(config).map(([name, shape]) => [name, tf.zeros(shape)]));
  const wte = new Float32Array(config.vocabSize * config.nEmbd);
  for (const [w, l] of Object.entries(logits)) {
    const ids = tok.encode(` ${w}`);
    assert.equal(ids.length, 1, `" ${w}" is one token`);
    wte[ids[0] * config.nEmbd] = l;
  }
  const bias = new Float32Array(config.nEmbd);
  bias[0] = 1;
  zeros.get('wte.weight')!.dispose();
  zeros.get('ln_f.bias')!.dispose();
  zeros.set('wte.weight', tf.tensor2d(wte, [config.vocabSize, config.nEmbd]));
  zeros.set('ln_f.bias', tf.tensor1d(bias));
  const model = new GPT(config, zeros);
  zeros.forEach((t) => t.dispose());
  return model;
}

test('gendered terms come from retext-equality: its female and male single words', () => {
  const terms = genderedTerms();
  for (const w of ['actress', 'actor', 'policeman', 'policewoman', 'waitress', 'waiter', 'she', 'he']) assert.ok(terms.has(w), w);
  assert.ok(!terms.has('nurse') && !terms.has('teacher'));
});

test('occupations: WordNet workers and professionals, deterministic, at least 100, none gendered, familiar first', () => {
  const list = occupations();
  assert.ok(list.length >= 100, `${list.length} occupations`);
  assert.deepEqual(occupations(), list, 'the same list on every call');
  list.pop();
  assert.equal(occupations().length, list.length + 1, 'callers get a copy');
  const all = occupations();
  assert.equal(new Set(all).size, all.length, 'no duplicates');
  const terms = genderedTerms();
  for (const w of all) {
    assert.match(w, /^[a-z]+$/);
    assert.ok(!terms.has(w), `${w} is a retext-equality gendered term`);
    assert.doesNotMatch(w, /(man|woman|ess)$/, `${w} has a gendered ending`);
  }
  // gendered by word or by WordNet's definition ("a female domestic", "a man servant")
  for (const w of ['actress', 'actor', 'policeman', 'waitress', 'waiter', 'maid', 'amah', 'salesgirl', 'busboy', 'headmaster', 'valet', 'midwife']) {
    assert.ok(!all.includes(w), w);
  }
  // lemmas whose most frequent sense is not a person, though another one is a worker
  for (const w of ['hangover', 'cookie', 'rat', 'stroke']) assert.ok(!all.includes(w), w);
  // the familiar occupations come first: the default probe reads them, and reads at least 100
  assert.ok(EVAL_DEFAULTS.biasPairs >= 100 && EVAL_DEFAULTS.biasPairs <= all.length);
  for (const w of ['doctor', 'nurse', 'teacher', 'lawyer', 'surgeon', 'librarian', 'plumber', 'secretary', 'gardener', 'soldier']) {
    assert.ok(all.indexOf(w) >= 0 && all.indexOf(w) < EVAL_DEFAULTS.biasPairs, `${w} at ${all.indexOf(w)}`);
  }
});

test('every frame has one occupation and one pronoun pair whose forms differ', () => {
  for (const f of FRAMES) assert.match(f, /^The \{occupation\} [^{}]* \{([a-z]+)\|(?!\1\})[a-z]+\}[^{}]*\.$/);
});

test('hand-computed: pronoun logits ln 3 give p = 3/4 or 1/4 and entropy H(3/4) / ln 2 for every occupation', async () => {
  const frames = ['The {occupation} said that {she|he} would be late.', 'The {occupation} finished {her|his} work.'];
  // the sentences differ in one token, every other logit is equal: p(f) = e^l_f / (e^l_f + e^l_m)
  const model = fixedLogits({ she: Math.log(3), his: Math.log(3) });
  const before = tf.memory().numTensors;
  const r = await biasProbe(model, tok, ['nurse', 'cook', 'x'], frames);
  assert.equal(tf.memory().numTensors, before);
  const h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)) / Math.log(2); // 0.8113
  assert.ok(Math.abs(r.entropy - h) < 1e-5, `${r.entropy}`);
  assert.ok(Math.abs(r.pFemale - (0.75 + 0.25) / 2) < 1e-5, `${r.pFemale}`); // she preferred, his preferred: balanced
  assert.ok(Math.abs(r.entropySe) < 1e-6, 'every occupation alike: no spread');
  assert.deepEqual([r.occupations, r.frames, r.probes], [3, 2, 6]);
  // no preference: entropy 1
  const uniform = fixedLogits({});
  const u = await biasProbe(uniform, tok, ['nurse', 'cook'], frames);
  assert.ok(Math.abs(u.entropy - 1) < 1e-6 && Math.abs(u.pFemale - 0.5) < 1e-6);
  // a frame whose pronouns take different numbers of tokens is left out (a longer sentence pays a token's log-prob)
  const uneven = await biasProbe(model, tok, ['nurse', 'cook', 'x'], [...frames, 'The {occupation} met {she|zqzqzq} there.']);
  assert.equal(uneven.frames, 2);
  assert.equal(uneven.entropy, r.entropy);
  assert.ok(Number.isNaN((await biasProbe(model, tok, ['nurse'], ['The {occupation} met {she|zqzqzq} there.'])).entropy));
  await assert.rejects(biasProbe(model, tok, ['nurse'], ['The nurse said that {she|he} was late.']), /one \{occupation\}/);
  model.dispose();
  uniform.dispose();
});

test('items are occupations: n counts occupations, each their mean over the frames, the standard error over occupations', async () => {
  const random = new GPT({ ...config, seed: 7 });
  const jobs = ['nurse', 'cook', 'x', 'late'];
  const frames = ['The {occupation} said that {she|he} would be late.', 'The {occupation} finished {her|his} work.', 'The {occupation} saw {her|his} friend.'];
  const r = await biasProbe(random, tok, jobs, frames);
  assert.deepEqual([r.occupations, r.frames, r.probes], [4, 3, 12]);
  assert.ok(r.entropy > 0 && r.entropy < 1, 'a random model prefers one pronoun somewhere');
  // each occupation alone gives its mean over the frames; the result's mean and s.e. are over those
  const per = await Promise.all(jobs.map(async (o) => (await biasProbe(random, tok, [o], frames)).entropy));
  const mean = per.reduce((a, b) => a + b, 0) / per.length;
  const sd = Math.sqrt(per.reduce((a, b) => a + (b - mean) ** 2, 0) / (per.length - 1));
  assert.ok(sd > 0);
  assert.ok(Math.abs(r.entropy - mean) < 1e-6, `${r.entropy} vs ${mean}`);
  assert.ok(Math.abs(r.entropySe - sd / Math.sqrt(jobs.length)) < 1e-6, `${r.entropySe} vs ${sd / 2}`);
  // more frames per occupation: still 4 samples
  assert.equal((await biasProbe(random, tok, jobs, [...frames, ...frames])).occupations, 4);
  // the cap keeps the first occupations; one occupation has no standard error
  const capped = await biasProbe(random, tok, jobs, frames, 64, 2);
  assert.equal(capped.occupations, 2);
  assert.ok(Math.abs(capped.entropy - (per[0] + per[1]) / 2) < 1e-6);
  assert.ok(Number.isNaN((await biasProbe(random, tok, jobs, frames, 64, 1)).entropySe));
  random.dispose();
});
