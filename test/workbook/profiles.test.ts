import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PROFILES, PROFILE_NAMES, workbookConfig } from '../../src/workbook/profiles';
import { KlController } from '../../src/rl/kl-controller';
import { penaliseMissingEos } from '../../src/rl/rewards';

test('four profiles, three model sizes each, growing from smoke to paper', () => {
  assert.deepEqual(PROFILE_NAMES, ['smoke', 'default', 'gpu', 'paper']);
  for (const name of PROFILE_NAMES) {
    assert.deepEqual(
      PROFILES[name].models.sizes.map((s) => s.name),
      ['small', 'medium', 'large'],
    );
    for (const s of PROFILES[name].models.sizes) assert.equal(s.nEmbd % s.nHead, 0, `${name}/${s.name}: nEmbd divisible by nHead`);
  }
  assert.equal(PROFILES.paper.data.sftPrompts, 13000);
  assert.equal(PROFILES.paper.data.rmPrompts, 33000);
  assert.equal(PROFILES.paper.data.ppoPrompts, 31000);
  assert.ok(PROFILES.smoke.data.sftPrompts < PROFILES.default.data.sftPrompts);
  assert.ok(PROFILES.smoke.models.sizes[2].nEmbd < PROFILES.default.models.sizes[2].nEmbd);
  // gpu: the benchmark's GPU-sized model as its large one, more data than default
  assert.deepEqual([PROFILES.gpu.models.sizes[2].nEmbd, PROFILES.gpu.models.sizes[2].nLayer], [512, 8]);
  assert.ok(PROFILES.gpu.data.rmPrompts > PROFILES.default.data.rmPrompts && PROFILES.gpu.data.rmPrompts < PROFILES.paper.data.rmPrompts);
});

test('params with dotted keys override the profile; strings are parsed like --param', () => {
  const c = workbookConfig('smoke', {
    'data.sftPrompts': 7,
    seed: '99',
    'models.sizes': ['small', 'medium', 'large'].map((name) => ({ name, nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 16 })),
  });
  assert.equal(c.data.sftPrompts, 7);
  assert.equal(c.seed, 99);
  assert.deepEqual(
    c.models.sizes.map((x) => x.nEmbd),
    [8, 8, 8],
  );
  assert.equal(c.data.rmPrompts, PROFILES.smoke.data.rmPrompts, 'rest untouched');
  assert.equal(PROFILES.smoke.data.sftPrompts !== 7, true, 'profile not mutated');
});

test('bad profile or params are rejected by name', () => {
  assert.throws(() => workbookConfig('tiny'), /unknown profile "tiny" \(expected one of: smoke, default, gpu, paper\)/);
  assert.throws(() => workbookConfig('smoke', { 'data.sftPrompt': 3 }), /unknown key "data.sftPrompt"/);
  assert.throws(() => workbookConfig('smoke', { 'data.sftPrompts': true }), /"data.sftPrompts" must be a number, got boolean/);
  assert.throws(() => workbookConfig('smoke', { seed: 'abc' }), /"seed" must be a number, got "abc"/);
});

test('ranges of the whole config are checked up front, naming the key', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ 'data.sftPrompts': 2.5 }, /data\.sftPrompts must be an integer >= 1, got 2\.5$/],
    [{ 'data.sftPrompts': -5 }, /data\.sftPrompts must be an integer >= 1, got -5$/],
    [{ 'models.sizes': [1] }, /models\.sizes must list three sizes/],
    [
      { 'models.sizes': ['s', 'm', 'l'].map((name) => ({ name, nLayer: 1, nHead: 3, nEmbd: 8, blockSize: 16 })) },
      /models\.sizes\[0\]: nHead \(3\) must divide nEmbd \(8\)/,
    ],
    [{ 'pretrain.steps': [10, 10] }, /pretrain\.steps must have one entry per model size \(3\)/],
    [{ 'pretrain.lr': [0.1, 0, 0.1] }, /pretrain\.lr\[1\] must be a finite number > 0, got 0$/],
    [{ 'sft.dropout': 1 }, /sft\.dropout must be in \[0, 1\), got 1$/],
    [{ 'reward.validationFraction': 0 }, /reward\.validationFraction must be in \(0, 1\)/],
    [{ 'reward.size': 'huge' }, /reward\.size must name a model size \(small, medium, large\)/],
    [{ 'data.kMax': 3, 'data.kMin': 4 }, /data\.kMax must be >= data\.kMin \(4\)/],
    [{ 'evaluation.bestOfN': [1, 0] }, /evaluation\.bestOfN\[1\] must be an integer >= 1, got 0$/],
    [{ 'evaluation.taskSuiteMaxTokens': 0 }, /evaluation\.taskSuiteMaxTokens must be an integer >= 1, got 0$/],
    [{ 'evaluation.taskSuiteItems': 2.5 }, /evaluation\.taskSuiteItems must be an integer >= 0, got 2\.5$/],
    [{ 'evaluation.realToxicityPrompts': 100000 }, /evaluation\.realToxicityPrompts must be <= \d+ \(the distinct openings/],
    [{ 'ppo.trainer.miniBatch': 3 }, /ppo\.trainer: miniBatch \(3\) must divide rolloutBatch/],
    [{ 'after.bestOfN': [4, 0] }, /after\.bestOfN\[1\] must be an integer >= 1, got 0$/],
    [{ 'after.rloo.k': 1 }, /after\.rloo\.k must be an integer >= 2, got 1$/],
    [{ 'after.dpo.beta': 0 }, /after\.dpo: beta must be a finite number > 0, got 0$/],
  ];
  for (const [params, message] of bad) assert.throws(() => workbookConfig('smoke', params), message, JSON.stringify(params));
  for (const name of ['smoke', 'default', 'gpu', 'paper']) assert.doesNotThrow(() => workbookConfig(name), name);
});

test("paper: PPO runs the paper's settings (Appendix C.4), gamma converted to per-token losses", () => {
  const t = PROFILES.paper.ppo.trainer;
  // 256k episodes of one answer each, batches of 512 in minibatches of 64, each batch used once
  assert.equal(t.iterations * t.rolloutBatch, 256000);
  assert.deepEqual([t.rolloutBatch, t.miniBatch, t.ppoEpochs, t.samplesPerPrompt], [512, 64, 1, 1]);
  assert.equal(t.temperature, 1);
  assert.equal(t.clipRange, 0.2);
  assert.equal(t.valueTrunk, 'trained', 'the value function is the RM, trained');
  // beta fixed at 0.02: whatever KL the controller is fed, it stays
  assert.deepEqual([t.kl.kind, t.kl.initKlCoef], ['fixed', 0.02]);
  const kl = new KlController(t.kl);
  assert.equal(kl.update(40, t.rolloutBatch), 0.02);
  // no missing-EOS penalty: the RM's scores pass through unchanged
  assert.deepEqual(Array.from(penaliseMissingEos([1.5, -0.25, 0.75], [false, true, false], t.missingEos)), [1.5, -0.25, 0.75]);
  // gamma 27.8 weighs per-sequence sums; both losses here are per-token means, so the ptx
  // weight is 27.8 * ptxLength / maxNewTokens (profiles.ts derives it)
  assert.deepEqual([t.ptxLength, t.maxNewTokens], [128, 64]);
  assert.ok(Math.abs(t.ptxCoef - (27.8 * t.ptxLength) / t.maxNewTokens) < 1e-12);
  assert.ok(Math.abs(t.ptxCoef - 55.6) < 1e-12);
  assert.equal(t.maxGradNorm, 0, 'no gradient clipping: the paper states none');
});
