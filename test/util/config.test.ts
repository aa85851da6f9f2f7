import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mergeConfig, parseOverride } from '../../src/util/config';

const DEFAULTS = { lr: 0.001, steps: 10, name: 'x', model: { nEmbd: 64, dropout: 0.1 }, sizes: [1, 2] };

test('mergeConfig overrides nested fields and keeps the rest', () => {
  const c = mergeConfig(DEFAULTS, { steps: 3, model: { nEmbd: 128 } }, 'test');
  assert.equal(c.steps, 3);
  assert.equal(c.model.nEmbd, 128);
  assert.equal(c.model.dropout, 0.1);
  assert.equal(DEFAULTS.model.nEmbd, 64, 'defaults untouched');
});

test('mergeConfig rejects unknown keys and wrong types by name', () => {
  assert.throws(() => mergeConfig(DEFAULTS, { stepz: 3 }, 'profile smoke'), /profile smoke: unknown key "stepz"/);
  assert.throws(() => mergeConfig(DEFAULTS, { model: { nEmbed: 3 } }, 'p'), /unknown key "model.nEmbed"/);
  assert.throws(() => mergeConfig(DEFAULTS, { lr: '0.1' }, 'p'), /"lr" must be a number, got string/);
});

test('parseOverride types the value from the default', () => {
  assert.deepEqual(parseOverride(DEFAULTS, 'model.dropout=0.2'), { model: { dropout: 0.2 } });
  assert.deepEqual(parseOverride(DEFAULTS, 'name=abc'), { name: 'abc' });
  assert.deepEqual(parseOverride(DEFAULTS, 'sizes=[3,4]'), { sizes: [3, 4] });
  assert.throws(() => parseOverride(DEFAULTS, 'steps=ten'), /"steps" must be a number, got "ten"/);
  assert.throws(() => parseOverride(DEFAULTS, 'nope=1'), /unknown key "nope"/);
  assert.throws(() => parseOverride(DEFAULTS, 'steps'), /expected key=value/);
});
