import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { GPT } from '../../src/model/gpt';
import { languageModelLoss, tokenLogProbs } from '../../src/model/logprobs';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { encodeEpisode, encodeStream, episodeBatch, streamBatch, streamWindows } from '../../src/train/batches';

let tok: Tokenizer;
before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer(['What is the capital of France? Paris is the capital of France.'], { vocabSize: 300, minFrequency: 1 });
});

test('the SFT loss mask covers the answer tokens and <|eos|> only: not <|bos|>, <|prompt|>, the prompt, <|answer|> or padding', () => {
  const long = encodeEpisode(tok, 'What is the capital of France?', 'Paris is the capital of France.', 100);
  const short = encodeEpisode(tok, 'Capital of France?', 'Paris.', 100);
  const b = episodeBatch([long, short], tok.padId);
  assert.equal(b.T1, long.ids.length);
  for (const [row, e] of [long, short].entries()) {
    const ids = Array.from(b.tokens.subarray(row * b.T1, (row + 1) * b.T1));
    const mask = Array.from(b.lossMask.subarray(row * b.T1, (row + 1) * b.T1));
    const answer = tok.encode(row === 0 ? 'Paris is the capital of France.' : 'Paris.', { allowSpecial: false });
    // masked-in tokens are exactly the answer followed by <|eos|>
    assert.deepEqual(
      ids.filter((_, t) => mask[t] === 1),
      [...answer, tok.eosId],
    );
    assert.equal(ids[e.answerStart - 1], tok.answerId);
    for (let t = 0; t < e.answerStart; t++) assert.equal(mask[t], 0, `prompt token ${t} is a target`);
    for (let t = e.ids.length; t < b.T1; t++) {
      assert.equal(ids[t], tok.padId);
      assert.equal(mask[t], 0, `pad ${t} is a target`);
    }
  }
});

test('the masked LM loss equals the mean NLL of the answer tokens alone (prompt logits do not count)', () => {
  const e = encodeEpisode(tok, 'What is the capital of France?', 'Paris.', 100);
  const b = episodeBatch([e], tok.padId);
  const model = new GPT({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 8, seed: 3 });
  const tokens = tf.tensor2d(b.tokens, [1, b.T1], 'int32');
  const mask = tf.tensor2d(b.lossMask, [1, b.T1], 'int32');
  const loss = languageModelLoss(model, tokens, mask).dataSync()[0];
  const { logits } = model.forward(tokens.slice([0, 0], [1, b.T1 - 1]) as tf.Tensor2D);
  const logp = tokenLogProbs(logits, tokens.slice([0, 1], [1, b.T1 - 1]) as tf.Tensor2D).dataSync();
  let sum = 0;
  let n = 0;
  for (let t = e.answerStart; t < e.ids.length; t++) {
    sum -= logp[t - 1]; // token t is predicted at position t-1
    n++;
  }
  assert.equal(n, e.ids.length - e.answerStart);
  assert.ok(Math.abs(loss - sum / n) < 1e-5, `${loss} vs ${sum / n}`);
  model.dispose();
});

test('an over-long episode keeps its prompt and cuts the answer; a prompt with no room is an error', () => {
  const e = encodeEpisode(tok, 'What is the capital of France?', 'Paris is the capital of France. '.repeat(10), 20);
  assert.equal(e.ids.length, 20);
  assert.deepEqual(e.ids.slice(0, e.answerStart), tok.encodePrompt('What is the capital of France?'));
  assert.throws(() => encodeEpisode(tok, 'What is the capital of France? '.repeat(5), 'Paris.', 20), /no room for an answer in 20/);
});

test('pretraining batches depend only on (seed, step); validation windows cover the stream once', () => {
  const stream = encodeStream(tok, ['Paris is the capital of France.', 'What is the capital of France?']);
  assert.equal(stream[0], tok.bosId);
  assert.equal(stream[stream.length - 1], tok.eosId);
  const a = streamBatch(stream, 3, 5, 7, 4);
  assert.deepEqual(a.tokens, streamBatch(stream, 3, 5, 7, 4).tokens);
  assert.notDeepEqual(a.tokens, streamBatch(stream, 3, 5, 7, 5).tokens);
  // every window is a contiguous piece of the stream
  const s = Array.from(stream).join(',');
  for (let r = 0; r < 3; r++) assert.ok(s.includes(Array.from(a.tokens.subarray(r * 5, r * 5 + 5)).join(',')));
  const windows = streamWindows(stream, 2, 5);
  const targets = windows.reduce((acc, w) => acc + w.B * 4, 0);
  assert.equal(targets, Math.floor((stream.length - 1) / 4) * 4);
  assert.throws(() => streamBatch(stream.subarray(0, 3), 1, 5, 1, 0), /fewer than one window/);
});
