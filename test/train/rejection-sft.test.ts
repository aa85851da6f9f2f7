import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { Adam, trainStep } from '../../src/engine/optimizer';
import { checkpointFingerprint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { languageModelLoss } from '../../src/model/logprobs';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { encodeEpisode, episodeBatch } from '../../src/train/batches';
import type { PpoModels } from '../../src/train/ppo-types';
import { rejectionSft, RejectionSftConfig } from '../../src/train/rejection-sft';
import { readJsonl } from '../../src/util/jsonl';

let tok: Tokenizer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rejection-sft-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const corpus = 'the answer is good. the answer is bad. what is the capital? paris is fine, rome is wrong. ';
const prompts = ['what is the capital?', 'is the answer good?', 'rome or paris?', 'say something fine', 'the capital is', 'what is wrong?'];
const answers = ['paris is fine.', 'good.', 'rome is wrong.', 'fine.', 'paris.', 'rome.'];
const C = 16;

/** The SFT stand-in: a tiny GPT taught for a few steps to answer briefly and end with EOS, so
 *  that sampled answers end (an untrained one almost never samples EOS). Same seed, same model. */
let sftWeights: Map<string, tf.Tensor>;

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer([corpus], { vocabSize: 300, minFrequency: 1 });
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 40, nLayer: 1, nHead: 2, nEmbd: C, seed: 1 });
  const batch = episodeBatch(
    prompts.map((p, i) => encodeEpisode(tok, p, answers[i], 41)),
    tok.padId,
  );
  const adam = new Adam({ lr: 1e-2, clipNorm: 1 });
  for (let s = 0; s < 60; s++)
    await trainStep(
      () =>
        tf.tidy(() => languageModelLoss(m, tf.tensor2d(batch.tokens, [batch.B, batch.T1], 'int32'), tf.tensor2d(batch.lossMask, [batch.B, batch.T1], 'int32'))),
      m.trainableVariables(),
      adam,
    );
  adam.dispose();
  sftWeights = new Map([...m.weights].map(([k, v]) => [k, v.clone()]));
  m.dispose();
});

function models(): PpoModels {
  const policy = new GPT({ vocabSize: tok.vocabSize, blockSize: 40, nLayer: 1, nHead: 2, nEmbd: C, seed: 1 }, sftWeights);
  const rewardHead = new ScalarHead('reward_head', C, 7);
  const valueHead = new ScalarHead('value_head', C, 0);
  return {
    policy,
    reference: new GPT(policy.config, sftWeights),
    rewardModel: new GPT({ ...policy.config, seed: 5 }),
    rewardHead,
    valueHead,
    tokenizer: tok,
  };
}
function dispose(m: PpoModels): void {
  for (const x of [m.policy, m.reference, m.rewardModel, m.rewardHead, m.valueHead]) x.dispose();
}
const values = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, v]) => [k, Array.from(v.dataSync())]));

const config: RejectionSftConfig = {
  samples: 4,
  prompts: 6,
  epochs: 2,
  batchSize: 2,
  lr: 1e-3,
  maxNewTokens: 8,
  temperature: 1,
  missingEos: { mode: 'replace', penalty: 2 },
  seed: 3,
};
const origin = { sft: 'a', rewardModel: 'b' };
const where = (name: string) => ({ dir: path.join(root, name), pickedFile: path.join(root, `${name}.jsonl`), origin });

test("trains the policy (not the reference or the RM) on each prompt's best-scored ended answer, and saves both", async () => {
  const m = models();
  const before = { policy: values(m.policy.weights), ref: values(m.reference.weights), rm: values(m.rewardModel.weights) };
  const ticks: string[] = [];
  const r = await rejectionSft(m, prompts, config, { ...where('one'), onProgress: (d, t, what) => void ticks.push(`${d}/${t} ${what}`) });
  assert.equal(r.loaded, false);
  const s = r.summary;
  assert.equal(s.prompts, 6);
  assert.equal(s.samples, 4);
  assert.ok(s.kept >= 1 && s.kept <= 6, `kept ${s.kept}`);
  assert.ok(s.eosRate > 0, 'the SFT stand-in ends some answers');
  assert.ok(s.meanBest >= s.meanScore, `the best of 4 scores at least the mean: ${s.meanBest} vs ${s.meanScore}`);
  assert.equal(s.epochLoss.length, 2);
  assert.ok(s.epochLoss.every(Number.isFinite) && s.epochLoss[1] < s.epochLoss[0], `the loss falls over the passes: ${s.epochLoss}`);
  // one row per prompt; the trained ones are the ended ones; the prompts are PPO prompts
  const picked = readJsonl<{ prompt: string; answer: string; score: number; meanScore: number; ended: boolean }>(where('one').pickedFile);
  assert.equal(picked.length, 6);
  assert.equal(picked.filter((p) => p.ended).length, s.kept);
  assert.ok(picked.every((p) => prompts.includes(p.prompt) && p.score >= p.meanScore));
  assert.deepEqual(new Set(picked.map((p) => p.prompt)).size, 6, 'each prompt once');
  // a cut-off answer is picked only when none of the prompt's answers ended: it scores -2
  assert.ok(picked.every((p) => p.ended || p.score === -2));
  // progress: the sampling, then every step of both epochs
  const steps = 2 * Math.ceil(s.kept / 2);
  assert.equal(ticks[ticks.length - 1], `${steps}/${steps} steps`);
  assert.ok(ticks.includes('6/6 prompts sampled'));
  const changed = (a: Map<string, number[]>, vars: Map<string, tf.Variable>) =>
    [...vars].filter(([k, v]) => Array.from(v.dataSync()).some((x, i) => x !== a.get(k)![i])).map(([k]) => k);
  assert.ok(changed(before.policy, m.policy.weights).length > 0, 'the policy trained');
  assert.deepEqual(changed(before.ref, m.reference.weights), []);
  assert.deepEqual(changed(before.rm, m.rewardModel.weights), []);
  assert.equal(r.fingerprint, checkpointFingerprint(where('one').dir));
  dispose(m);
});

test('same config and origin: the saved policy is loaded, not trained again; the same seed gives the same policy', async () => {
  const a = models();
  const first = await rejectionSft(a, prompts, config, where('again'));
  const b = models();
  const loaded = await rejectionSft(b, prompts, config, where('again'));
  assert.equal(loaded.loaded, true);
  assert.deepEqual(loaded.summary, first.summary);
  assert.deepEqual(values(b.policy.weights), values(a.policy.weights));
  // a run from scratch elsewhere repeats it bit for bit (same seed, same backend)
  const c = models();
  const repeat = await rejectionSft(c, prompts, config, where('repeat'));
  assert.equal(repeat.loaded, false);
  assert.deepEqual(values(c.policy.weights), values(a.policy.weights));
  assert.deepEqual({ ...repeat.summary, seconds: 0 }, { ...first.summary, seconds: 0 });
  // another origin (another reward model) or config trains again
  const d = models();
  assert.equal((await rejectionSft(d, prompts, config, { ...where('again'), origin: { ...origin, rewardModel: 'c' } })).loaded, false);
  const e = models();
  assert.equal((await rejectionSft(e, prompts, { ...config, lr: 2e-3 }, where('again'))).loaded, false);
  for (const m of [a, b, c, d, e]) dispose(m);
});

test('bad input: a clear error naming the field, or why there is nothing to train on', async () => {
  const m = models();
  await assert.rejects(
    () => rejectionSft(m, prompts, { ...config, samples: 1 }, where('bad')),
    /^Error: RejectionSftConfig: samples must be an integer >= 2, got 1$/,
  );
  await assert.rejects(
    () => rejectionSft(m, prompts, { ...config, lr: 0 }, where('bad')),
    /^Error: RejectionSftConfig: lr must be a finite number > 0, got 0$/,
  );
  await assert.rejects(() => rejectionSft(m, [], config, where('bad')), /^Error: rejectionSft: no prompts$/);
  // one token per answer: the stand-in starts every answer with a word, so none ends
  await assert.rejects(
    () => rejectionSft(m, prompts, { ...config, maxNewTokens: 1 }, where('bad')),
    /^Error: rejectionSft: none of the 6 prompts had an answer that ended with EOS among 4 samples; nothing to train on$/,
  );
  assert.equal(fs.existsSync(where('bad').dir), false, 'nothing saved');
  dispose(m);
});
