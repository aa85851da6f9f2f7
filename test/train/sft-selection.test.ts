import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../../src/engine';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { RewardModel } from '../../src/train/reward';
import { chooseEpochs, EpochScore, readSftChoice, scoreCheckpoint, selectSft, SftCandidate, sftCandidates } from '../../src/train/sft-selection';

let tok: Tokenizer;
let rm: RewardModel;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-selection-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const prompts = ['What is the capital of France?', 'Say something nice.', 'Name three fruits.', 'Is Atlantis real?', 'Write it in capitals: hello'];
const candidates: SftCandidate[] = [];
const CFG = { maxNewTokens: 6, batchSize: 2, seed: 5 };

before(async () => {
  await initEngine({ backend: 'wasm' });
  tok = trainTokenizer([...prompts, 'Paris. I do not know. apple, pear, plum. HELLO'], { vocabSize: 300, minFrequency: 1 });
  const cfg = { vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 8 };
  rm = new RewardModel(new GPT({ ...cfg, seed: 99 }), new ScalarHead('reward_head', 8, 99), tok);
  // two sizes, three "epochs" each (different weights stand in for training)
  for (const size of ['small', 'medium']) {
    for (const epoch of [1, 2, 3]) {
      const dir = path.join(root, 'sft', size, `epoch-${epoch}`);
      const m = new GPT({ ...cfg, seed: epoch * 10 + (size === 'small' ? 1 : 2) });
      await saveCheckpoint(dir, { model: m, tokenizer: tok });
      m.dispose();
      candidates.push({ size, epoch, dir });
    }
  }
});

test('the candidates are every saved epoch of each size, in order; unfinished folders are skipped', () => {
  fs.mkdirSync(path.join(root, 'sft', 'small', 'epoch-4'), { recursive: true }); // no config.json: an interrupted save
  const found = sftCandidates((size, epoch) => path.join(root, 'sft', size, `epoch-${epoch}`), ['small', 'medium', 'large']);
  assert.deepEqual(found, candidates);
});

const score = (size: string, epoch: number, meanReward: number): EpochScore => ({ size, epoch, meanReward, stdErr: 0, answers: 1, dir: '' });

test('per size, the epoch with the highest mean RM score; the earlier epoch on a tie', () => {
  const chosen = chooseEpochs([score('small', 1, 0.1), score('small', 2, 0.5), score('small', 3, 0.4), score('large', 4, 1), score('large', 2, 1)]);
  assert.equal(chosen.small.epoch, 2);
  assert.equal(chosen.large.epoch, 2);
  assert.throws(() => chooseEpochs([score('small', 1, NaN)]), /size small epoch 1 has no finite mean reward/);
});

test("an epoch's score is the RM's mean over its sampled answers; every epoch answers with the same sampler streams", async () => {
  const a = await scoreCheckpoint(rm, candidates[0], prompts, CFG);
  const direct = await rm.score(prompts.map((prompt, i) => ({ prompt, answer: a.texts[i] })));
  const mean = direct.reduce((s, x) => s + x, 0) / direct.length;
  assert.ok(Math.abs(a.meanReward - mean) < 1e-6);
  assert.ok(a.stdErr > 0);
  assert.equal(a.answers, prompts.length);
  const again = await scoreCheckpoint(rm, candidates[0], prompts, { ...CFG, batchSize: 5 });
  assert.deepEqual(again.texts, a.texts, 'batching does not change the answers');
});

test('selectSft writes sft-choice.json that readSftChoice (and the evaluation roster format) reads', async () => {
  const file = path.join(root, 'reward', 'sft-choice.json');
  const seen: number[] = [];
  const choice = await selectSft(rm, candidates, prompts, file, { ...CFG, prompts: 4 }, (_, done) => {
    seen.push(done);
  });
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.equal(choice.scores.length, 6);
  for (const size of ['small', 'medium']) {
    const best = Math.max(...choice.scores.filter((s) => s.size === size).map((s) => s.meanReward));
    assert.equal(choice.chosen[size].meanReward, best);
    assert.equal(choice.chosen[size].answers, 4);
  }
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(json.chosen.small.epoch, choice.chosen.small.epoch);
  assert.equal(
    json.chosen.small.dir,
    path.join('..', 'sft', 'small', `epoch-${choice.chosen.small.epoch}`),
    'relative to the file, so the run folder can move',
  );
  assert.equal(path.resolve(path.dirname(file), json.scores[0].dir), path.resolve(choice.scores[0].dir));
  assert.deepEqual(readSftChoice(file), { small: choice.chosen.small.epoch, medium: choice.chosen.medium.epoch });
  await assert.rejects(() => selectSft(rm, [], prompts, file), /no SFT checkpoints to choose from/);
});

test('readSftChoice names the file and the bad key', () => {
  const dir = path.join(root, 'bad');
  fs.mkdirSync(dir, { recursive: true });
  assert.throws(() => readSftChoice(path.join(dir, 'missing.json')), /missing\.json: not found: run notebook 04/);
  fs.writeFileSync(path.join(dir, 'a.json'), '{"chosen": {"small": {"epoch": "two"}}}');
  assert.throws(() => readSftChoice(path.join(dir, 'a.json')), /a\.json: chosen\.small\.epoch must be an integer >= 0, got "two"/);
  fs.writeFileSync(path.join(dir, 'b.json'), '{"chosen": ');
  assert.throws(() => readSftChoice(path.join(dir, 'b.json')), /b\.json: not valid JSON/);
});
