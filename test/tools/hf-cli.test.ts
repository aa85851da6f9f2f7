import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../../src/engine';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { main as exportMain } from '../../src/tools/export-cli';
import { main as importMain } from '../../src/tools/import-cli';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-cli-'));
before(async () => {
  await initEngine({ backend: 'cpu' });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('npm run export / import: a checkpoint goes out and comes back; argument mistakes are named', async () => {
  const tok = trainTokenizer(['cli test text, cli test.'], { vocabSize: 275, minFrequency: 1 });
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 3 });
  const ckpt = path.join(root, 'ckpt');
  await saveCheckpoint(ckpt, { model: m, tokenizer: tok });
  const lines: string[] = [];
  await exportMain(['--model', ckpt, '--out', path.join(root, 'hf')], (l) => lines.push(l));
  assert.match(lines[0], /GPT2LMHeadModel, 16 tensors/);
  await importMain(['--from', path.join(root, 'hf'), '--out', path.join(root, 'back')], (l) => lines.push(l));
  assert.match(lines[1], /checkpoint from GPT2LMHeadModel/);
  const back = loadCheckpoint(path.join(root, 'back'));
  assert.deepEqual(Array.from(back.model.weights.get('h.0.mlp.c_fc.weight')!.dataSync()), Array.from(m.weights.get('h.0.mlp.c_fc.weight')!.dataSync()));
  back.model.dispose();
  m.dispose();
  await assert.rejects(exportMain(['--model', ckpt, '--data', root, '--out', path.join(root, 'x')]), /exactly one of --model <checkpoint> or --data <runDir>/);
  await assert.rejects(exportMain(['--model', ckpt]), /--out/);
  await assert.rejects(
    importMain(['--from', path.join(root, 'hf'), '--out', path.join(root, 'y'), '--head', 'policy']),
    /--head must be reward_head or value_head/,
  );
  await assert.rejects(importMain(['--from', path.join(root, 'nope'), '--out', path.join(root, 'y')]), /nope: Hugging Face model folder not found/);
});
