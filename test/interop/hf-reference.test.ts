/**
 * The exported folder read with Hugging Face's GPT-2 semantics (config.json keys, prefixed
 * names, tied lm_head, score at the last non-pad token, no score bias) by a float64 numpy
 * implementation: logits match the workbook's GPT, and the score is the workbook's reward
 * minus rlhf_workbook.score_bias. Skipped, saying why, where python3 with numpy is missing.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';
import { exportHuggingFace } from '../../src/interop/hf-export';

// the Python with Jupyter (Debian's, where python3-numpy installs), not whatever python3 is first on PATH
const PYTHON = process.env.WORKBOOK_PYTHON ?? '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
// CI installs python3-numpy: there a missing numpy fails the test instead of skipping it
const noNumpy = hasNumpy || process.env.CI ? false : `${PYTHON} with numpy not installed (apt-get install python3-numpy)`;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-ref-'));
before(async () => {
  await initEngine({ backend: 'cpu' });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('exported reward model under HF GPT-2 semantics (numpy) gives our logits and our reward minus score_bias', { skip: noNumpy }, async () => {
  const tok = trainTokenizer(['reference corpus, reference text for the export'], { vocabSize: 280, minFrequency: 1 });
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 });
  const head = new ScalarHead('reward_head', 16, 3);
  const rng = new Rng('hf-reference');
  for (const [name, v] of [...m.weights, ...head.weights]) {
    const vals = Float32Array.from({ length: v.size }, () => rng.normal(name.includes('ln_') && name.endsWith('weight') ? 1 : 0, 0.3));
    tf.tidy(() => v.assign(tf.tensor(vals, v.shape)));
  }
  await saveCheckpoint(path.join(root, 'ckpt'), { model: m, tokenizer: tok, heads: [head] });
  await exportHuggingFace(path.join(root, 'ckpt'), path.join(root, 'hf'));
  const pad = tok.padId;
  const ids = [
    [5, 17, 200, 33, 101, 7, 64, 3, 250, 9],
    [1, 2, 3, 4, 5, 6, 7, pad, pad, pad],
  ];
  const r = spawnSync(PYTHON, [path.join(__dirname, 'reference', 'hf_gpt2_numpy.py'), path.join(root, 'hf'), JSON.stringify(ids)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as { logits: number[][][]; scores: number[] };
  const x = tf.tensor2d(
    ids.map((row) => row.map((id) => id)),
    [2, 10],
    'int32',
  );
  const mask = tf.tensor2d(
    ids.map((row) => row.map((id) => (id === pad ? 0 : 1))),
    [2, 10],
    'float32',
  );
  const out = m.forward(x, { attentionMask: mask });
  // logits: compare the real (unpadded) positions
  const got = out.logits.arraySync();
  let worst = 0;
  ids.forEach((row, b) =>
    row.forEach((id, t) => {
      if (id === pad) return;
      for (let v = 0; v < tok.vocabSize; v++)
        worst = Math.max(worst, Math.abs(got[b][t][v] - want.logits[b][t][v]) / Math.max(1, Math.abs(want.logits[b][t][v])));
    }),
  );
  assert.ok(worst < 1e-5, `max relative |tfjs - HF-numpy| logit = ${worst}`);
  const values = head.apply(out.hidden).arraySync(); // [B, T]
  const bias = JSON.parse(fs.readFileSync(path.join(root, 'hf', 'config.json'), 'utf8')).rlhf_workbook.score_bias;
  const last = [9, 6];
  last.forEach((t, b) =>
    assert.ok(Math.abs(values[b][t] - bias - want.scores[b]) < 1e-5, `row ${b}: ours ${values[b][t]} - bias ${bias} vs HF ${want.scores[b]}`),
  );
  tf.dispose([x, mask, out.logits, out.hidden]);
  m.dispose();
  head.dispose();
});
