import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PROFILES, PROFILE_NAMES, workbookConfig } from '../../src/workbook/profiles';

test('four profiles, three model sizes each, growing from smoke to paper', () => {
  assert.deepEqual(PROFILE_NAMES, ['smoke', 'default', 'gpu', 'paper']);
  for (const name of PROFILE_NAMES) {
    assert.deepEqual(PROFILES[name].models.sizes.map((s) => s.name), ['small', 'medium', 'large']);
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
  const c = workbookConfig('smoke', { 'data.sftPrompts': 7, seed: '99', 'models.sizes': [{ name: 'small', nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 8 }] });
  assert.equal(c.data.sftPrompts, 7);
  assert.equal(c.seed, 99);
  assert.equal(c.models.sizes.length, 1);
  assert.equal(c.data.rmPrompts, PROFILES.smoke.data.rmPrompts, 'rest untouched');
  assert.equal(PROFILES.smoke.data.sftPrompts !== 7, true, 'profile not mutated');
});

test('bad profile or params are rejected by name', () => {
  assert.throws(() => workbookConfig('tiny'), /unknown profile "tiny" \(expected one of: smoke, default, gpu, paper\)/);
  assert.throws(() => workbookConfig('smoke', { 'data.sftPrompt': 3 }), /unknown key "data.sftPrompt"/);
  assert.throws(() => workbookConfig('smoke', { 'data.sftPrompts': true }), /"data.sftPrompts" must be a number, got boolean/);
  assert.throws(() => workbookConfig('smoke', { seed: 'abc' }), /"seed" must be a number, got "abc"/);
});
