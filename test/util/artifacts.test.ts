import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'os';
import * as path from 'path';
import { artifacts, requireArtifact } from '../../src/util/artifacts';

test('artifact paths live under the run folder, one per stage', () => {
  const a = artifacts('/r');
  assert.equal(a.pretrain('small'), path.join('/r', 'pretrain', 'small'));
  assert.equal(a.sftEpoch('large', 3), path.join('/r', 'sft', 'large', 'epoch-3'));
  assert.equal(a.ppo('medium', 'ppo-ptx'), path.join('/r', 'ppo', 'medium', 'ppo-ptx'));
});

test('requireArtifact names the notebook to run first', () => {
  const missing = path.join(os.tmpdir(), 'no-such-run', 'reward', 'model');
  assert.throws(() => requireArtifact(missing, 'reward model', '04-reward-model'), /reward model not found at .*: run notebook 04-reward-model first/);
  assert.equal(requireArtifact(os.tmpdir(), 'tmp', 'x'), os.tmpdir());
});
