import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import {
  loadCheckpoint,
  readCheckpointConfig,
  namedOptimizerState,
  namedParameters,
  optimizerMomentsByVariable,
  saveCheckpoint,
} from '../../src/model/checkpoint';
import { Adam, trainStep } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';

let tok: Tokenizer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer(['a small corpus for a small tokenizer, a small test.'], { vocabSize: 280, minFrequency: 1 });
});

function tiny(seed = 1): GPT {
  return new GPT({ vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8, seed });
}

/** A good checkpoint in a fresh folder. */
async function saved(name: string): Promise<string> {
  const dir = path.join(root, name);
  const m = tiny();
  const head = new ScalarHead('reward_head', 8, 1);
  await saveCheckpoint(dir, { model: m, tokenizer: tok, heads: [head] });
  m.dispose();
  head.dispose();
  return dir;
}

test('round trip is bit-exact (GPT, heads, optimizer state, tokenizer, extra)', async () => {
  const dir = path.join(root, 'good');
  const m = tiny(5);
  const reward = new ScalarHead('reward_head', 8, 5);
  const value = new ScalarHead('value_head', 8, 6);
  const opt = new Map<string, tf.Tensor>([
    ['wte.weight/m', tf.randomNormal([tok.vocabSize, 8], 0, 1, 'float32', 1)],
    ['step', tf.tensor1d([17], 'int32')],
  ]);
  await saveCheckpoint(dir, { model: m, tokenizer: tok, heads: [reward, value], optimizerState: opt, extra: { step: 17, stage: 'sft' } });
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    '.rlhf-workbook',
    'checksums.sha256',
    'config.json',
    'model.safetensors',
    'optimizer.safetensors',
    'tokenizer.json',
  ]);
  assert.equal(fs.readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-')).length, 0);
  const ck = loadCheckpoint(dir, { expectConfig: { nEmbd: 8 } });
  assert.deepEqual(ck.config, m.config);
  for (const [name, v] of m.weights) assert.deepEqual(ck.model.weights.get(name)!.dataSync(), v.dataSync(), name);
  assert.deepEqual(ck.heads.get('reward_head')!.weight.dataSync(), reward.weight.dataSync());
  assert.deepEqual(ck.heads.get('value_head')!.weight.dataSync(), value.weight.dataSync());
  assert.deepEqual(ck.optimizerState!.get('wte.weight/m')!.dataSync(), opt.get('wte.weight/m')!.dataSync());
  assert.equal(ck.optimizerState!.get('step')!.dtype, 'int32');
  assert.deepEqual(ck.extra, { step: 17, stage: 'sft' });
  assert.deepEqual(ck.tokenizer.encode('a small test'), tok.encode('a small test'));
  const x = tf.tensor2d([[1, 5, 9]], [1, 3], 'int32');
  assert.deepEqual(ck.model.forward(x).logits.dataSync(), m.forward(x).logits.dataSync());
  // saving again replaces the folder atomically
  await saveCheckpoint(dir, { model: ck.model, tokenizer: tok });
  assert.ok(!fs.existsSync(path.join(dir, 'optimizer.safetensors')));
  assert.equal(loadCheckpoint(dir).heads.size, 0);
});

test('loading into another config names the field', async () => {
  const dir = await saved('other-config');
  assert.throws(
    () => loadCheckpoint(dir, { expectConfig: { nEmbd: 16 } }),
    (e: Error) => e.message === `${path.join(dir, 'config.json')}: model.nEmbd is 8 but the expected config has 16`,
  );
  // dropout is a training setting, not a shape: SFT's 0.2 can load into RL's 0
  const ck = loadCheckpoint(dir, { dropout: 0.2 });
  assert.equal(ck.config.dropout, 0.2);
  assert.equal(ck.model.config.dropout, 0.2);
  ck.model.dispose();
  assert.throws(() => loadCheckpoint(dir, { dropout: 1.5 }), /dropout must be in \[0, 1\), got 1.5/);
});

test('weights that do not match config.json name the tensor and shapes', async () => {
  const dir = await saved('shape');
  const cfgFile = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  cfg.model.nLayer = 2;
  writeListed(dir, 'config.json', JSON.stringify(cfg));
  assert.throws(() => loadCheckpoint(dir), new RegExp(`${path.join(dir, 'model.safetensors')}: missing tensor h\\.1\\.ln_1\\.weight`));
  cfg.model.nLayer = 1;
  cfg.model.blockSize = 32;
  writeListed(dir, 'config.json', JSON.stringify(cfg));
  assert.throws(() => loadCheckpoint(dir), /model\.safetensors: wpe\.weight has shape \[16,8\] but config\.json needs \[32,8\]/);
});

test('a truncated weights file is reported as truncated', async () => {
  const dir = await saved('truncated');
  const file = path.join(dir, 'model.safetensors');
  const size = fs.statSync(file).size;
  fs.truncateSync(file, size - 100);
  assert.throws(
    () => loadCheckpoint(dir),
    (e: Error) => e.message.startsWith(`${file}: truncated: tensor`) && /holds only \d+ data bytes/.test(e.message),
  );
  fs.truncateSync(file, 5);
  assert.throws(() => loadCheckpoint(dir), new RegExp(`${file}: truncated: 5 bytes`));
});

test('a wrong checksum names the file and both hashes', async () => {
  const dir = await saved('checksum');
  const file = path.join(dir, 'model.safetensors');
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 3] ^= 0xff; // flip one weight byte; length unchanged
  fs.writeFileSync(file, bytes);
  assert.throws(
    () => loadCheckpoint(dir),
    (e: Error) =>
      e.message.startsWith(`${file}: sha256 mismatch: checksums.sha256 says `) &&
      /the file hashes to [0-9a-f]{64} \(edited or corrupted since it was saved\)$/.test(e.message),
  );
});

/** Rewrite one file of a checkpoint and its line in checksums.sha256, as a careful editor would. */
function writeListed(dir: string, name: string, text: string): void {
  fs.writeFileSync(path.join(dir, name), text);
  const sum = crypto.createHash('sha256').update(text).digest('hex');
  const sums = fs
    .readFileSync(path.join(dir, 'checksums.sha256'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.endsWith(`  ${name}`));
  fs.writeFileSync(path.join(dir, 'checksums.sha256'), [...sums, `${sum}  ${name}`].join('\n') + '\n');
}

test('missing or malformed files are named', async () => {
  const dir = await saved('missing');
  assert.throws(() => loadCheckpoint(path.join(root, 'nope')), /nope: checkpoint folder not found/);
  const sums = fs.readFileSync(path.join(dir, 'checksums.sha256'), 'utf8');
  fs.writeFileSync(path.join(dir, 'checksums.sha256'), 'not a checksum line\n');
  assert.throws(() => loadCheckpoint(dir), /checksums\.sha256:1: expected "<sha256 hex>  <file>"/);
  fs.rmSync(path.join(dir, 'checksums.sha256'));
  assert.throws(() => loadCheckpoint(dir), /checksums\.sha256: not found/);
  fs.writeFileSync(path.join(dir, 'checksums.sha256'), sums);
  writeListed(dir, 'tokenizer.json', '{"model": {"type": "Unigram"}}');
  assert.throws(() => loadCheckpoint(dir), /tokenizer\.json: model\.type must be "BPE", got "Unigram"/);
  writeListed(dir, 'config.json', '{"format": "something-else"}');
  assert.throws(() => loadCheckpoint(dir), /config\.json: format is "something-else"/);
  writeListed(dir, 'config.json', '{');
  assert.throws(() => loadCheckpoint(dir), /config\.json: not valid JSON/);
});

test('an edited tokenizer.json or config.json fails its checksum, naming the file', async () => {
  const dir = await saved('edited');
  const tokFile = path.join(dir, 'tokenizer.json');
  const original = fs.readFileSync(tokFile, 'utf8');
  // one merge rule edited: the checkpoint would load and silently tokenize differently
  fs.writeFileSync(tokFile, original.replace('"merges":[', '"merges":["x y",'));
  assert.throws(() => loadCheckpoint(dir), new RegExp(`${tokFile}: sha256 mismatch: checksums\\.sha256 says [0-9a-f]{64}, the file hashes to [0-9a-f]{64}`));
  fs.writeFileSync(tokFile, original);
  const cfgFile = path.join(dir, 'config.json');
  fs.writeFileSync(cfgFile, fs.readFileSync(cfgFile, 'utf8').replace('"dropout": 0', '"dropout": 0.1'));
  assert.throws(() => readCheckpointConfig(dir), new RegExp(`${cfgFile}: sha256 mismatch`));
});

test('a save interrupted between its two renames is put back on load; leftovers of dead processes are swept', async () => {
  const dir = await saved('swap');
  const deadPid = 2 ** 22 + 17; // above Linux's pid_max default: no such process
  // the crash left the old folder renamed aside and the new one not yet in place
  fs.renameSync(dir, `${dir}.old-${deadPid}-1`);
  fs.mkdirSync(`${dir}.tmp-${deadPid}-2`); // an unfinished build (no marker): never restored
  fs.writeFileSync(path.join(`${dir}.tmp-${deadPid}-2`, 'model.safetensors'), 'partial');
  const ck = loadCheckpoint(dir);
  ck.model.dispose();
  assert.ok(fs.existsSync(path.join(dir, 'model.safetensors')));
  assert.deepEqual(
    fs.readdirSync(root).filter((f) => f.startsWith('swap.')),
    [],
  );
  // a complete new folder (marked) wins over the old one
  const newer = `${dir}.tmp-${deadPid}-4`;
  fs.cpSync(dir, newer, { recursive: true });
  fs.writeFileSync(path.join(newer, 'extra-proof'), 'new');
  fs.renameSync(dir, `${dir}.old-${deadPid}-3`);
  loadCheckpoint(dir).model.dispose();
  assert.ok(fs.existsSync(path.join(dir, 'extra-proof')));
  assert.deepEqual(
    fs.readdirSync(root).filter((f) => f.startsWith('swap.')),
    [],
  );
});

test('a checkpoint folder is only replaced if the workbook made it', async () => {
  const foreign = path.join(root, 'foreign');
  fs.mkdirSync(path.join(foreign, 'chapters'), { recursive: true });
  fs.writeFileSync(path.join(foreign, 'chapters', 'ch1.tex'), 'keep me');
  const model = tiny();
  const tokenizer = tok;
  await assert.rejects(
    () => saveCheckpoint(foreign, { model, tokenizer }),
    new RegExp(`${foreign}: folder exists and was not made by the workbook as a checkpoint`),
  );
  assert.equal(fs.readFileSync(path.join(foreign, 'chapters', 'ch1.tex'), 'utf8'), 'keep me');
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, 'x');
  await assert.rejects(() => saveCheckpoint(file, { model, tokenizer }), /a-file: is a file, not a folder/);
  model.dispose();
});

test('Adam state saved by parameter name maps back onto the loaded variables (resume)', async () => {
  const dir = path.join(root, 'resume');
  const m = tiny(2);
  const head = new ScalarHead('value_head', 8, 2);
  const params = namedParameters(m, [head]);
  const adam = new Adam({ lr: 1e-2 });
  const x = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
  const loss = () => tf.tidy(() => head.apply(m.forward(x).hidden).square().mean().add(m.forward(x).logits.mean()) as tf.Scalar);
  for (let i = 0; i < 2; i++) await trainStep(loss, [...params.values()], adam);
  const state = namedOptimizerState(params, adam.state(), adam.step);
  assert.equal(state.size, 2 * params.size + 1);
  await saveCheckpoint(dir, { model: m, tokenizer: tok, heads: [head], optimizerState: state });
  const ck = loadCheckpoint(dir);
  const loadedParams = namedParameters(ck.model, [...ck.heads.values()]);
  const { step, moments } = await optimizerMomentsByVariable(loadedParams, ck.optimizerState!);
  assert.equal(step, 2);
  for (const [name, p] of params) {
    const want = adam.state().get(p.name)!;
    const got = moments.get(loadedParams.get(name)!.name)!;
    assert.deepEqual(got.m.dataSync(), want.m.dataSync(), name);
    assert.deepEqual(got.v.dataSync(), want.v.dataSync(), name);
  }
  ck.optimizerState!.delete('h.0.ln_1.weight/v');
  await assert.rejects(
    () => optimizerMomentsByVariable(loadedParams, ck.optimizerState!),
    /optimizer\.safetensors: h\.0\.ln_1\.weight has only one of its two Adam moments/,
  );
});

test('a failed save leaves the previous checkpoint intact; no tensors leak', async () => {
  const dir = await saved('atomic');
  const before = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const wrong = new GPT({ vocabSize: tok.vocabSize + 1, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8 });
  await assert.rejects(() => saveCheckpoint(dir, { model: wrong, tokenizer: tok }), /tokenizer has 280 tokens but the model's vocabSize is 281/);
  wrong.dispose();
  assert.deepEqual(fs.readFileSync(path.join(dir, 'model.safetensors')), before);
  const start = tf.memory().numTensors;
  const ck = loadCheckpoint(dir);
  ck.model.dispose();
  ck.heads.forEach((h) => h.dispose());
  assert.equal(tf.memory().numTensors, start);
  fs.rmSync(root, { recursive: true, force: true });
});
