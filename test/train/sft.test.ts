import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { encodeEpisode, Episode } from '../../src/train/batches';
import { sft, SftMetrics } from '../../src/train/sft';
import { SFT_DEFAULTS as DEFAULTS, SftConfig } from '../../src/train/sft-config';
import { readJsonl } from '../../src/util/jsonl';

const PAIRS: [string, string][] = [
  ['What is the capital of France?', 'Paris.'],
  ['What is the capital of Spain?', 'Madrid.'],
  ['What is the capital of Italy?', 'Rome.'],
  ['What is the capital of Peru?', 'Lima.'],
  ['What is the capital of Chile?', 'Santiago.'],
  ['What is the capital of Japan?', 'Tokyo.'],
];
let tok: Tokenizer;
let train: Episode[];
let validation: Episode[];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const baseDir = path.join(root, 'base');
const config: SftConfig = { ...DEFAULTS, epochs: 3, batchSize: 2, warmupSteps: 1, lr: 3e-3, seed: 9 };

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer(PAIRS.flat(), { vocabSize: 300, minFrequency: 1 });
  const eps = PAIRS.map(([p, a]) => encodeEpisode(tok, p, a, 33));
  train = eps.slice(0, 5);
  validation = eps.slice(5);
  const base = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 16, seed: 4 });
  await saveCheckpoint(baseDir, { model: base, tokenizer: tok, extra: { stage: 'pretrain' } });
  base.dispose();
});

const dirs = (name: string) => ({ rootDir: path.join(root, name), epochDir: (e: number) => path.join(root, name, `epoch-${e}`) });
const strip = (rows: SftMetrics[]) => rows.map(({ seconds, ...r }) => r);

test('one checkpoint per epoch (dropout 0 in its config, 0.2 recorded), loss falls, validation at step 0 and every epoch end', async () => {
  const r = await sft({ baseDir, ...dirs('run'), train, validation, config });
  assert.deepEqual(fs.readdirSync(path.join(root, 'run')).sort(), ['epoch-1', 'epoch-2', 'epoch-3', 'metrics.jsonl']);
  const ck = loadCheckpoint(path.join(root, 'run', 'epoch-3'));
  assert.equal(ck.config.dropout, 0);
  assert.equal((ck.extra.config as SftConfig).dropout, 0.2);
  assert.equal(ck.extra.epoch, 3);
  // the saved weights are the trained ones
  for (const [name, v] of r.model.weights) assert.deepEqual(ck.model.weights.get(name)!.dataSync(), v.dataSync(), name);
  const val = r.metrics.filter((m) => m.valLoss !== undefined);
  assert.deepEqual(
    val.map((m) => m.step),
    [0, 3, 6, 9],
  ); // 3 steps per epoch (5 demos, batch 2)
  assert.ok(val[3].epochLoss! < val[1].epochLoss!, 'training loss falls');
  assert.deepEqual(
    strip(readJsonl<SftMetrics>(path.join(root, 'run', 'metrics.jsonl'))),
    strip(r.metrics).map((m) => JSON.parse(JSON.stringify(m))),
  );
  // the learning rate decays to minLr over all epochs' steps
  assert.ok(Math.abs(r.metrics[r.metrics.length - 1].lr - (config.minLr + (config.lr - config.minLr) * 0.5 * (1 + Math.cos((Math.PI * 7) / 8)))) < 1e-12);
  ck.model.dispose();
  r.model.dispose();
});

test('resuming from the last epoch equals an uninterrupted run', async () => {
  const whole = await sft({ baseDir, ...dirs('whole'), train, validation, config });
  const first = await sft({ baseDir, ...dirs('cut'), train, validation, config, stopAfterEpoch: 2 });
  first.model.dispose();
  assert.equal(fs.existsSync(path.join(root, 'cut', 'epoch-3')), false);
  const resumed = await sft({ baseDir, ...dirs('cut'), train, validation, config });
  assert.equal(resumed.resumedFrom, 2);
  assert.deepEqual(strip(resumed.metrics), strip(whole.metrics));
  for (const [name, v] of whole.model.weights) assert.deepEqual(resumed.model.weights.get(name)!.dataSync(), v.dataSync(), name);
  whole.model.dispose();
  resumed.model.dispose();
});

test('a run folder moved as a whole resumes where it stopped (the base is recorded relative to it)', async () => {
  const run = (name: string) => ({
    baseDir: path.join(root, name, 'pretrain'),
    rootDir: path.join(root, name, 'sft'),
    epochDir: (e: number) => path.join(root, name, 'sft', `epoch-${e}`),
  });
  fs.mkdirSync(path.join(root, 'moved-a'));
  fs.cpSync(baseDir, run('moved-a').baseDir, { recursive: true });
  const first = await sft({ ...run('moved-a'), train, validation, config, stopAfterEpoch: 2 });
  first.model.dispose();
  fs.renameSync(path.join(root, 'moved-a'), path.join(root, 'moved-b'));
  const resumed = await sft({ ...run('moved-b'), train, validation, config });
  assert.equal(resumed.resumedFrom, 2);
  const ck = loadCheckpoint(path.join(root, 'moved-b/sft/epoch-3'), { withOptimizer: false });
  assert.equal((ck.extra.config as { base: string }).base, path.join('..', 'pretrain'));
  ck.model.dispose();
  resumed.model.dispose();
});

test('no tensor leaks; an empty training set is an error', async () => {
  const before = tf.memory().numTensors;
  const r = await sft({ baseDir, ...dirs('leak'), train, validation, config: { ...config, epochs: 1 } });
  r.model.dispose();
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(() => sft({ baseDir, ...dirs('empty'), train: [], validation, config }), /no training demonstrations/);
});
