import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { GPTConfig } from '../../src/model/gpt';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { encodeStream } from '../../src/train/batches';
import { pretrain, PretrainMetrics } from '../../src/train/pretrain';
import { PRETRAIN_DEFAULTS as DEFAULTS, PretrainConfig } from '../../src/train/pretrain-config';
import { readJsonl } from '../../src/util/jsonl';

const TEXT = [
  'We hold these truths to be self-evident, that all men are created equal.',
  'The state of the union is strong, and the people of this nation are at work.',
  'Congress shall make no law respecting an establishment of religion.',
];
let tok: Tokenizer;
let train: Int32Array;
let validation: Int32Array;
let modelConfig: GPTConfig;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pretrain-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const config: PretrainConfig = { ...DEFAULTS, steps: 8, batchSize: 4, warmupSteps: 2, evalEvery: 3, evalWindows: 4, checkpointEvery: 3, dropout: 0.1, seed: 5 };

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer(TEXT, { vocabSize: 300, minFrequency: 1 });
  train = encodeStream(tok, TEXT.slice(0, 2));
  validation = encodeStream(tok, TEXT.slice(2));
  modelConfig = { vocabSize: tok.vocabSize, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0, seed: 2 };
});

const strip = (rows: PretrainMetrics[]) => rows.map(({ seconds, ...r }) => r);

test('resuming after an interruption gives the weights and metrics of an uninterrupted run', async () => {
  const whole = await pretrain({ dir: path.join(root, 'whole'), modelConfig, tokenizer: tok, train, validation, config });
  assert.equal(whole.resumedFrom, null);
  assert.equal(whole.metrics.length, 8);
  assert.ok(whole.metrics[7].loss < whole.metrics[0].loss, 'loss falls');
  assert.deepEqual(
    whole.metrics.filter((r) => r.valLoss !== undefined).map((r) => r.step),
    [3, 6, 8],
  );

  const dir = path.join(root, 'interrupted');
  const first = await pretrain({ dir, modelConfig, tokenizer: tok, train, validation, config, stopAfter: 7 });
  first.model.dispose();
  // the interruption came after step 7, but the last checkpoint is step 6: step 7 is redone
  assert.equal(loadCheckpoint(dir).extra.step, 6);
  assert.equal(readJsonl(path.join(dir, 'metrics.jsonl')).length, 6);
  const resumed = await pretrain({ dir, modelConfig, tokenizer: tok, train, validation, config });
  assert.equal(resumed.resumedFrom, 6);
  assert.deepEqual(strip(resumed.metrics), strip(whole.metrics));
  for (const [name, v] of whole.model.weights) assert.deepEqual(resumed.model.weights.get(name)!.dataSync(), v.dataSync(), name);
  assert.deepEqual(strip(readJsonl<PretrainMetrics>(path.join(dir, 'metrics.jsonl'))), strip(whole.metrics));

  // a finished run is loaded, not retrained; another config starts from scratch
  const again = await pretrain({ dir, modelConfig, tokenizer: tok, train, validation, config });
  assert.equal(again.resumedFrom, 8);
  const other = await pretrain({ dir: path.join(root, 'whole'), modelConfig, tokenizer: tok, train, validation, config: { ...config, steps: 2 } });
  assert.equal(other.resumedFrom, null);
  assert.match(other.resumeNote, /another config/);
  tf.dispose([whole.model, resumed.model, again.model, other.model].flatMap((m) => m.trainableVariables()));
});

test('training does not leak tensors, and bad configs are rejected by name', async () => {
  const warm = await pretrain({ dir: path.join(root, 'leak0'), modelConfig, tokenizer: tok, train, validation, config: { ...config, steps: 1 } });
  warm.model.dispose();
  const before = tf.memory().numTensors;
  const r = await pretrain({ dir: path.join(root, 'leak'), modelConfig, tokenizer: tok, train, validation, config: { ...config, steps: 4 } });
  r.model.dispose();
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    () => pretrain({ dir: path.join(root, 'bad'), modelConfig, tokenizer: tok, train, validation, config: { ...config, steps: 0 } }),
    /steps must be a positive integer/,
  );
});
