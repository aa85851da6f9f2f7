import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';
import {
  batchElements,
  batchRewards,
  encodeForReward,
  evaluateRankings,
  loadRewardModel,
  Ranked,
  RewardModel,
  rewardTrainingSteps,
  trainRewardModel,
} from '../../src/train/reward';
import { rankingLoss } from '../../src/train/reward-loss';

let tok: Tokenizer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reward-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);
const softplus = (x: number) => Math.log1p(Math.exp(x));

before(async () => {
  await initEngine({ backend: 'wasm' }); // the backend notebooks train on (cpu is ~6x slower here)
  tok = trainTokenizer(['the answer is good. the answer is bad. what is the capital? paris is fine, rome is wrong.'], { vocabSize: 300, minFrequency: 1 });
});

function tinyRm(seed = 1): RewardModel {
  const gpt = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 16, seed });
  return new RewardModel(gpt, new ScalarHead('reward_head', 16, seed), tok);
}

/** Rankings where answers with more "good" beat those with "bad" (ties when equal). */
function synthetic(n: number, seed: string): Ranked[] {
  const rng = new Rng(seed);
  const words = ['good', 'bad', 'fine', 'wrong'];
  const value: Record<string, number> = { good: 2, fine: 1, wrong: -1, bad: -2 };
  return Array.from({ length: n }, (_, i) => {
    const k = rng.intBetween(4, 6);
    const answers = Array.from({ length: k }, (__, j) => `${rng.choice(words)} ${rng.choice(words)} ${j}`);
    const score = answers.map((a) =>
      a
        .split(' ')
        .slice(0, 2)
        .reduce((s, w) => s + value[w], 0),
    );
    const levels = [...new Set(score)].sort((a, b) => b - a);
    return { prompt: `what is the capital ${i}?`, answers, ranks: score.map((s) => levels.indexOf(s) + 1) };
  });
}

test('the RM reads prompt+answer+<|eos|>, left-truncated so the end stays', () => {
  const ids = encodeForReward(tok, 'what is the capital?', 'paris', 1000);
  assert.equal(ids[ids.length - 1], tok.eosId);
  assert.deepEqual(ids, tok.encodeEpisode('what is the capital?', 'paris'));
  const cut = encodeForReward(tok, 'what is the capital? '.repeat(5), 'paris', 8);
  assert.equal(cut.length, 8);
  assert.deepEqual(cut, tok.encodeEpisode('what is the capital? '.repeat(5), 'paris').slice(-8));
  assert.equal(cut[cut.length - 1], tok.eosId);
});

test('padding does not change a score (right padding under the causal mask)', async () => {
  const rm = tinyRm(2);
  const short = { prompt: 'what is the capital?', answer: 'paris' };
  const long = { prompt: 'what is the capital? the answer is good', answer: 'rome is wrong, paris is fine' };
  const alone = (await rm.score([short]))[0];
  const together = await rm.score([short, long], 2);
  close(together[0], alone, 1e-5);
  rm.dispose();
});

test("a K-way batch: K answers scored once; its loss equals the hand-computed mean over each prompt's pairs, ties dropped", async () => {
  const rm = tinyRm(3);
  // D > C > A = B (ranks 3, 3, 2, 1) and a K = 2 prompt
  const batch: Ranked[] = [
    { prompt: 'what is the capital?', answers: ['rome', 'bad', 'fine', 'paris'], ranks: [3, 3, 2, 1] },
    { prompt: 'is it good?', answers: ['good', 'wrong'], ranks: [1, 2] },
  ];
  const before = tf.memory().numTensors;
  const { rewards, pairs, rows } = batchRewards(rm, batch);
  assert.equal(rows, 6, 'each answer is read once');
  assert.deepEqual(rewards.shape, [2, 4]);
  const loss = rankingLoss(rewards, pairs);
  const got = loss.dataSync()[0];
  tf.dispose([rewards, loss]);
  assert.equal(tf.memory().numTensors, before);
  // hand computation from separately scored answers
  const [a, b, c, d] = await rm.score(batch[0].answers.map((answer) => ({ prompt: batch[0].prompt, answer })));
  const [g, w] = await rm.score(batch[1].answers.map((answer) => ({ prompt: batch[1].prompt, answer })));
  const prompt0 = (softplus(c - d) + softplus(a - d) + softplus(b - d) + softplus(a - c) + softplus(b - c)) / 5; // A=B tie dropped
  const prompt1 = softplus(w - g);
  close(got, (prompt0 + prompt1) / 2);
  close((await evaluateRankings(rm, batch)).loss, (prompt0 + prompt1) / 2);
  rm.dispose();
});

test('rewardTrainingSteps counts the steps trainRewardModel takes, in both modes', async () => {
  const rankings = synthetic(10, 'steps');
  for (const mode of ['ranking', 'shuffled-pairs'] as const) {
    const rm = tinyRm(3);
    const history = await trainRewardModel(rm, rankings, { batchPrompts: 3, epochs: 2, mode, evalEvery: 0 });
    rm.dispose();
    assert.equal(rewardTrainingSteps(rankings, { batchPrompts: 3, epochs: 2, mode }), history.length, mode);
  }
  assert.equal(rewardTrainingSteps([{ prompt: 'p', answers: ['a', 'b'], ranks: [1, 1] }]), 0, 'all tied: nothing to train on');
});

test('shuffled-pairs ablation: one element per non-tied pair, winner ranked first', () => {
  const elements = batchElements([{ prompt: 'p', answers: ['a', 'b', 'c', 'd'], ranks: [3, 3, 2, 1] }], 'shuffled-pairs', new Rng(1));
  assert.equal(elements.length, 5);
  for (const e of elements) assert.equal(e.answers.length, 2);
  const asText = elements.map((e) => (e.ranks[0] < e.ranks[1] ? `${e.answers[0]}>${e.answers[1]}` : `${e.answers[1]}>${e.answers[0]}`)).sort();
  assert.deepEqual(asText, ['c>a', 'c>b', 'd>a', 'd>b', 'd>c']);
});

test('training learns held-out rankings; every parameter moves; no tensor leaks; same seed, same numbers', async () => {
  const train = synthetic(48, 'train');
  const heldOut = synthetic(16, 'held-out');
  const run = async () => {
    const rm = tinyRm(4);
    const before0 = rm.trainableVariables().map((v) => v.dataSync().slice());
    const chance = (await evaluateRankings(rm, heldOut)).accuracy;
    const tensors = tf.memory().numTensors;
    const history = await trainRewardModel(rm, train, { batchPrompts: 4, epochs: 3, lr: 3e-3, warmupSteps: 2, evalEvery: 0 }, { validation: heldOut });
    // Adam's moments are disposed at the end: nothing left behind
    assert.equal(tf.memory().numTensors, tensors);
    const moved = rm.trainableVariables().filter((v, i) => v.dataSync().some((x, j) => x !== before0[i][j])).length;
    assert.equal(moved, rm.trainableVariables().length, 'every parameter changed');
    const after = (await evaluateRankings(rm, heldOut)).accuracy;
    rm.dispose();
    return { history, chance, after };
  };
  const a = await run();
  assert.equal(a.history.length, 36);
  assert.equal(rewardTrainingSteps(train, { batchPrompts: 4, epochs: 3 }), 36, 'the step count without training');
  assert.ok(a.after > 0.85 && a.after > a.chance + 0.2, `held-out accuracy ${a.chance} -> ${a.after}`);
  assert.equal(a.history[a.history.length - 1].valAccuracy, a.after);
  const first = a.history.slice(0, 4).reduce((s, h) => s + h.loss, 0) / 4;
  const last = a.history.slice(-4).reduce((s, h) => s + h.loss, 0) / 4;
  assert.ok(last < first, `loss ${first} -> ${last}`);
  const b = await run();
  assert.deepEqual(b.history, a.history);
});

test('bias normalisation: demonstrations average 0 afterwards, differences unchanged', async () => {
  const rm = tinyRm(5);
  const demos = [
    { prompt: 'what is the capital?', answer: 'paris is fine.' },
    { prompt: 'is it good?', answer: 'the answer is good.' },
    { prompt: 'is it bad?', answer: 'rome is wrong.' },
  ];
  const before = await rm.score(demos);
  const offset = await rm.normaliseOn(demos);
  const after = await rm.score(demos);
  close(offset, -(before[0] + before[1] + before[2]) / 3);
  close(after[0] + after[1] + after[2], 0, 1e-5);
  close(after[0] - after[1], before[0] - before[1]);
  rm.dispose();
});

test('save and load: same scores; an SFT checkpoint or a wrong head shape fails clearly', async () => {
  const rm = tinyRm(6);
  const items = [{ prompt: 'what is the capital?', answer: 'paris' }];
  const dir = path.join(root, 'rm');
  await rm.save(dir, { accuracy: 0.7 });
  const { rewardModel, extra } = loadRewardModel(dir);
  assert.deepEqual(await rewardModel.score(items), await rm.score(items));
  assert.equal(extra.stage, 'reward-model');
  assert.equal(extra.accuracy, 0.7);
  rewardModel.dispose();

  // an SFT checkpoint: no reward_head
  const sftDir = path.join(root, 'sft');
  await saveCheckpoint(sftDir, { model: rm.gpt, tokenizer: tok });
  assert.throws(() => loadRewardModel(sftDir), /config\.json: no reward_head .*reward model checkpoint/);

  // a head of the wrong width: the file names the tensor and both shapes
  const badDir = path.join(root, 'bad-head');
  const wrong = new ScalarHead('reward_head', 5, 1);
  await saveCheckpoint(badDir, { model: rm.gpt, tokenizer: tok, heads: [wrong] });
  assert.throws(() => loadRewardModel(badDir), /model\.safetensors: reward_head\.weight has shape \[5,1\] but config\.json needs \[16,1\]/);
  assert.throws(() => new RewardModel(rm.gpt, wrong, tok), /reward_head reads 5 features but the GPT has nEmbd 16/);
  wrong.dispose();

  // the RM keeps the SFT network: its GPT weights load as a plain GPT too
  const body = loadCheckpoint(dir);
  for (const [name, v] of rm.gpt.weights) assert.deepEqual(body.model.weights.get(name)!.dataSync(), v.dataSync(), name);
  body.model.dispose();
  for (const h of body.heads.values()) h.dispose();
  rm.dispose();
});

test('bad configs and inputs are rejected by name', async () => {
  const rm = tinyRm(7);
  await assert.rejects(trainRewardModel(rm, synthetic(2, 'x'), { batchPrompts: 0 }), /batchPrompts must be a positive integer/);
  await assert.rejects(trainRewardModel(rm, synthetic(2, 'x'), { epochs: 1.5 }), /RewardConfig: epochs must be a positive integer, got 1.5/);
  await assert.rejects(trainRewardModel(rm, synthetic(2, 'x'), { mode: 'pairs' as any }), /mode must be "ranking" or "shuffled-pairs"/);
  await assert.rejects(trainRewardModel(rm, [{ prompt: 'p', answers: ['a', 'b'], ranks: [1] }]), /ranking 0: 2 answers but 1 ranks/);
  await assert.rejects(trainRewardModel(rm, [{ prompt: 'p', answers: ['a', 'b'], ranks: [1, 1] }]), /no ranking has a non-tied comparison/);
  rm.dispose();
});
