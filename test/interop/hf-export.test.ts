/**
 * Hugging Face GPT-2 export / import: round trip bit-exact with identical logits, the
 * safetensors file parsed here independently of src/model/safetensors.ts, the exported
 * tokenizer.json read by Hugging Face's tokenizers.js, and bad input refused by name.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import { GPT, parameterShapes } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { Tokenizer, formatEpisode } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';
import { exportHuggingFace } from '../../src/interop/hf-export';
import { importHuggingFace } from '../../src/interop/hf-import';

let tok: Tokenizer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-'));
const C = 16;

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer(['a small corpus for a small tokenizer, a small test of the export.'], { vocabSize: 290, minFrequency: 1 });
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A tiny GPT (+ optional head) with weights far from init, saved as a checkpoint. */
async function savedCheckpoint(name: string, head?: 'reward_head' | 'value_head'): Promise<string> {
  const dir = path.join(root, name);
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: C, seed: 7 });
  const rng = new Rng(`hf:${name}`);
  for (const [n, v] of m.weights) {
    const vals = Float32Array.from({ length: v.size }, () => rng.normal(n.includes('ln_') && n.endsWith('weight') ? 1 : 0, 0.3));
    tf.tidy(() => v.assign(tf.tensor(vals, v.shape)));
  }
  const heads = head ? [new ScalarHead(head, C, 7)] : [];
  for (const h of heads) tf.tidy(() => h.bias.assign(tf.tensor1d([0.123456789])));
  await saveCheckpoint(dir, { model: m, tokenizer: tok, heads });
  m.dispose();
  heads.forEach((h) => h.dispose());
  return dir;
}

function bits(t: tf.Tensor): Uint32Array {
  const d = t.dataSync() as Float32Array;
  return new Uint32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

/** Parse a safetensors file with nothing but the spec: u64 LE header length, JSON, raw bytes. */
function parseIndependently(file: string): { header: Record<string, any>; data: Buffer } {
  const bytes = fs.readFileSync(file);
  const lo = bytes.readUInt32LE(0);
  const hi = bytes.readUInt32LE(4);
  assert.equal(hi, 0, 'header length fits in 32 bits');
  const header = JSON.parse(bytes.subarray(8, 8 + lo).toString('utf8'));
  return { header, data: bytes.subarray(8 + lo) };
}

test('export -> import is bit-exact on every weight and gives identical logits and rewards', async () => {
  const src = await savedCheckpoint('rm', 'reward_head');
  const hf = path.join(root, 'rm-hf');
  const back = path.join(root, 'rm-back');
  const r = await exportHuggingFace(src, hf);
  assert.equal(r.architecture, 'GPT2ForSequenceClassification');
  await importHuggingFace(hf, back);
  const a = loadCheckpoint(src);
  const b = loadCheckpoint(back);
  assert.deepEqual(b.config, a.config);
  for (const [name, v] of a.model.weights) assert.deepEqual(bits(b.model.weights.get(name)!), bits(v), name);
  const ha = a.heads.get('reward_head')!;
  const hb = b.heads.get('reward_head')!;
  assert.deepEqual(bits(hb.weight), bits(ha.weight));
  assert.deepEqual(bits(hb.bias), bits(ha.bias));
  const ids = tf.tensor2d([tok.encode(formatEpisode('a small test', 'of the export'), { allowSpecial: true }).slice(0, 12)], undefined, 'int32');
  const oa = a.model.forward(ids);
  const ob = b.model.forward(ids);
  assert.deepEqual(bits(ob.logits), bits(oa.logits));
  assert.deepEqual(bits(hb.apply(ob.hidden)), bits(ha.apply(oa.hidden)));
  assert.equal(b.tokenizer.vocabSize, a.tokenizer.vocabSize);
  tf.dispose([ids, oa.logits, oa.hidden, ob.logits, ob.hidden]);
  for (const c of [a, b]) {
    c.model.dispose();
    c.heads.forEach((h) => h.dispose());
  }
});

test('model.safetensors is a plain safetensors file: F32, HF GPT-2 names, Conv1D layout, contiguous in-bounds offsets', async () => {
  const src = await savedCheckpoint('lm');
  const hf = path.join(root, 'lm-hf');
  await exportHuggingFace(src, hf);
  const { header, data } = parseIndependently(path.join(hf, 'model.safetensors'));
  assert.equal(header.__metadata__.format, 'pt');
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, any][];
  const cfg = { vocabSize: tok.vocabSize, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: C, dropout: 0, seed: 7 };
  const want = new Map(parameterShapes(cfg).map(([n, s]) => [`transformer.${n}`, s]));
  assert.deepEqual(entries.map(([k]) => k).sort(), [...want.keys()].sort(), 'exactly the transformer.* parameters, lm_head tied and omitted');
  assert.deepEqual(want.get('transformer.h.0.attn.c_attn.weight'), [C, 3 * C], 'Conv1D [in, out]');
  const spans = entries.map(([k, e]) => {
    assert.equal(e.dtype, 'F32', k);
    assert.deepEqual(e.shape, want.get(k), k);
    const [b, end] = e.data_offsets;
    assert.equal(end - b, e.shape.reduce((x: number, y: number) => x * y, 1) * 4, `${k} byte length`);
    return [b, end] as [number, number];
  });
  spans.sort((x, y) => x[0] - y[0]);
  assert.equal(spans[0][0], 0);
  for (let i = 1; i < spans.length; i++) assert.equal(spans[i][0], spans[i - 1][1], 'contiguous');
  assert.equal(spans[spans.length - 1][1], data.length, 'last tensor ends at the end of the file');
  // the bytes are the model's values
  const ck = loadCheckpoint(src);
  const [b, e] = header['transformer.h.1.mlp.c_fc.weight'].data_offsets;
  const fromFile = new Float32Array(Uint8Array.from(data.subarray(b, e)).buffer);
  assert.deepEqual(Array.from(fromFile), Array.from(ck.model.weights.get('h.1.mlp.c_fc.weight')!.dataSync()));
  ck.model.dispose();

  const config = JSON.parse(fs.readFileSync(path.join(hf, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['GPT2LMHeadModel']);
  assert.equal(config.model_type, 'gpt2');
  assert.equal(config.layer_norm_epsilon, 1e-5);
  assert.equal(config.activation_function, 'gelu_new');
  assert.deepEqual([config.n_embd, config.n_layer, config.n_head, config.n_positions, config.vocab_size], [C, 2, 2, 12, tok.vocabSize]);
  assert.deepEqual([config.bos_token_id, config.eos_token_id, config.pad_token_id], [tok.bosId, tok.eosId, tok.padId]);
  const gen = JSON.parse(fs.readFileSync(path.join(hf, 'generation_config.json'), 'utf8'));
  assert.equal(gen.eos_token_id, tok.eosId);
});

test('a reward head exports as score.weight [1, n_embd] with its bias exact in config.json and metadata', async () => {
  const src = await savedCheckpoint('value', 'value_head');
  const hf = path.join(root, 'value-hf');
  await exportHuggingFace(src, hf);
  const { header } = parseIndependently(path.join(hf, 'model.safetensors'));
  assert.deepEqual(header['score.weight'].shape, [1, C]);
  assert.equal(header['score.bias'], undefined, "HF's score Linear has no bias");
  const config = JSON.parse(fs.readFileSync(path.join(hf, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['GPT2ForSequenceClassification']);
  assert.equal(config.num_labels, 1);
  assert.equal(config.rlhf_workbook.head, 'value_head');
  assert.equal(config.rlhf_workbook.score_bias, Math.fround(0.123456789));
  assert.equal(Number(header.__metadata__.score_bias), Math.fround(0.123456789));
  const back = path.join(root, 'value-back');
  assert.equal((await importHuggingFace(hf, back)).head, 'value_head');
});

test('exported tokenizer.json encodes the same ids in Hugging Face tokenizers.js', async (t) => {
  let HF: any;
  try {
    HF = require('@huggingface/tokenizers');
  } catch {
    t.skip('@huggingface/tokenizers (dev dependency) not installed');
    return;
  }
  const hf = path.join(root, 'tok-hf');
  await exportHuggingFace(await savedCheckpoint('tok'), hf);
  const theirs = new HF.Tokenizer(
    JSON.parse(fs.readFileSync(path.join(hf, 'tokenizer.json'), 'utf8')),
    JSON.parse(fs.readFileSync(path.join(hf, 'tokenizer_config.json'), 'utf8')),
  );
  const texts = [
    'a small test of the export',
    "It's 1,234.56 dollars -- don't   you think?!\n\tIndented.",
    'Café, naïve; 日本語; emoji 😀👍🏽',
    formatEpisode('Name a capital.', 'Paris.'),
    '',
  ];
  for (const s of texts) assert.deepEqual(theirs.encode(s).ids, tok.encode(s, { allowSpecial: true }), JSON.stringify(s));
  const config = JSON.parse(fs.readFileSync(path.join(hf, 'config.json'), 'utf8'));
  assert.equal(theirs.token_to_id('<|eos|>'), config.eos_token_id);
  assert.equal(theirs.token_to_id('<|pad|>'), config.pad_token_id);
});

/** A fresh copy of an export to break. */
function brokenCopy(name: string, hf: string): string {
  const dir = path.join(root, name);
  fs.cpSync(hf, dir, { recursive: true });
  return dir;
}

test('import refuses a malformed safetensors header, naming the file', async () => {
  const hf = path.join(root, 'bad-hf');
  await exportHuggingFace(await savedCheckpoint('bad'), hf);
  const corrupt = brokenCopy('corrupt', hf);
  const file = path.join(corrupt, 'model.safetensors');
  const bytes = fs.readFileSync(file);
  bytes.write('#', 9); // inside the header JSON
  fs.writeFileSync(file, bytes);
  await assert.rejects(
    () => importHuggingFace(corrupt, path.join(root, 'out1')),
    (e: Error) => e.message.includes(file) && /corrupt safetensors header/.test(e.message),
  );
  const long = brokenCopy('long', hf);
  const f2 = path.join(long, 'model.safetensors');
  const b2 = fs.readFileSync(f2);
  b2.writeBigUInt64LE(BigInt(b2.length * 2), 0);
  fs.writeFileSync(f2, b2);
  await assert.rejects(
    () => importHuggingFace(long, path.join(root, 'out2')),
    (e: Error) => e.message.includes(f2) && /truncated/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(root, 'out1')) && !fs.existsSync(path.join(root, 'out2')), 'nothing written on failure');
});

test('import refuses non-GPT-2 configs, missing tensors, wrong shapes and untied lm_head by file and key', async () => {
  const hf = path.join(root, 'cfg-hf');
  await exportHuggingFace(await savedCheckpoint('cfg'), hf);
  const edit = (name: string, change: (c: any) => void): string => {
    const dir = brokenCopy(name, hf);
    const file = path.join(dir, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    change(c);
    fs.writeFileSync(file, JSON.stringify(c));
    return dir;
  };
  const llama = edit('llama', (c) => {
    c.model_type = 'llama';
    c.architectures = ['LlamaForCausalLM'];
  });
  await assert.rejects(
    () => importHuggingFace(llama, path.join(root, 'o')),
    (e: Error) => e.message.includes(path.join(llama, 'config.json')) && /model_type is "llama"/.test(e.message),
  );
  const arch = edit('arch', (c) => (c.architectures = ['GPT2DoubleHeadsModel']));
  await assert.rejects(() => importHuggingFace(arch, path.join(root, 'o')), /architectures is \["GPT2DoubleHeadsModel"\]/);
  const gelu = edit('relu', (c) => (c.activation_function = 'relu'));
  await assert.rejects(() => importHuggingFace(gelu, path.join(root, 'o')), /activation_function is "relu"/);
  const eps = edit('eps', (c) => (c.layer_norm_epsilon = 1e-6));
  await assert.rejects(() => importHuggingFace(eps, path.join(root, 'o')), /layer_norm_epsilon is 0.000001/);
  const wider = edit('wider', (c) => (c.n_positions = 13));
  await assert.rejects(
    () => importHuggingFace(wider, path.join(root, 'o')),
    (e: Error) => /model\.safetensors: transformer\.wpe\.weight has shape \[12,16\] but .*needs \[13,16\]/.test(e.message),
  );
  const deeper = edit('deeper', (c) => (c.n_layer = 3));
  await assert.rejects(() => importHuggingFace(deeper, path.join(root, 'o')), /missing tensor transformer\.h\.2\.ln_1\.weight/);

  // an untied lm_head (HF files may carry lm_head.weight; it must equal wte)
  const untied = brokenCopy('untied', hf);
  const { header, data } = parseIndependently(path.join(untied, 'model.safetensors'));
  const [b, e] = header['transformer.wte.weight'].data_offsets;
  const lm = Buffer.from(data.subarray(b, e));
  lm.writeFloatLE(lm.readFloatLE(0) + 1, 0);
  delete header.__metadata__;
  const end = data.length;
  header['lm_head.weight'] = { ...header['transformer.wte.weight'], data_offsets: [end, end + lm.length] };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(path.join(untied, 'model.safetensors'), Buffer.concat([len, json, data, lm]));
  await assert.rejects(() => importHuggingFace(untied, path.join(root, 'o')), /lm_head\.weight differs from transformer\.wte\.weight/);
  assert.ok(!fs.existsSync(path.join(root, 'o')));
});

test('export and import refuse to replace a folder that is not theirs', async () => {
  const keep = path.join(root, 'precious');
  fs.mkdirSync(keep);
  fs.writeFileSync(path.join(keep, 'notes.txt'), 'mine');
  const src = await savedCheckpoint('guard');
  await assert.rejects(() => exportHuggingFace(src, keep), /is not an earlier export .*refusing to replace/);
  const hf = path.join(root, 'guard-hf');
  await exportHuggingFace(src, hf);
  await exportHuggingFace(src, hf); // an earlier export is replaced
  await assert.rejects(() => importHuggingFace(hf, keep), /not a workbook checkpoint; refusing/);
  // a stage folder (checkpoint + metrics) is not replaced either: the metrics would go
  const stage = path.join(root, 'stage');
  await importHuggingFace(hf, stage);
  await importHuggingFace(hf, stage); // a bare checkpoint is replaced
  fs.writeFileSync(path.join(stage, 'metrics.jsonl'), '{}\n');
  await assert.rejects(() => importHuggingFace(hf, stage), /also holds metrics\.jsonl/);
  assert.ok(fs.existsSync(path.join(stage, 'metrics.jsonl')));
  assert.equal(fs.readFileSync(path.join(keep, 'notes.txt'), 'utf8'), 'mine');
});

/** Append tensors (raw bytes of any dtype) to an exported folder's model.safetensors. */
function appendTensors(
  dir: string,
  extra: { name: string; dtype: string; shape: number[]; bytes: Buffer }[],
  change?: (header: Record<string, any>, data: Buffer) => void,
): void {
  const file = path.join(dir, 'model.safetensors');
  const { header, data } = parseIndependently(file);
  change?.(header, data);
  let end = data.length;
  for (const t of extra) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [end, end + t.bytes.length] };
    end += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, data, ...extra.map((t) => t.bytes)]));
}

test('import drops the causal-mask buffers older transformers saved as U8/BOOL, and still imports bit-exact', async () => {
  const ck = await savedCheckpoint('masks');
  const hf = path.join(root, 'masks-hf');
  await exportHuggingFace(ck, hf);
  const T = 12;
  const tril = Buffer.from(Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 1 : 0)));
  appendTensors(hf, [
    { name: 'transformer.h.0.attn.bias', dtype: 'U8', shape: [1, 1, T, T], bytes: tril },
    { name: 'transformer.h.1.attn.bias', dtype: 'BOOL', shape: [1, 1, T, T], bytes: tril },
    { name: 'transformer.h.0.attn.masked_bias', dtype: 'F16', shape: [], bytes: Buffer.from([0x00, 0xfc]) },
  ]);
  const back = path.join(root, 'masks-back');
  await importHuggingFace(hf, back);
  const a = loadCheckpoint(ck);
  const b = loadCheckpoint(back);
  for (const [name, v] of a.model.weights) assert.deepEqual(bits(b.model.weights.get(name)!), bits(v), name);
  a.model.dispose();
  b.model.dispose();
});

test('import refuses non-finite weights and F16 parameters, saying how to convert', async () => {
  const hf = path.join(root, 'nan-hf');
  await exportHuggingFace(await savedCheckpoint('nan'), hf);
  const nan = brokenCopy('nan-weights', hf);
  appendTensors(nan, [], (header, data) => {
    const [b] = header['transformer.h.1.mlp.c_fc.weight'].data_offsets;
    data.writeFloatLE(NaN, b + 4 * 5);
    data.writeFloatLE(Infinity, b + 4 * 9);
  });
  await assert.rejects(() => importHuggingFace(nan, path.join(root, 'o')), {
    message: `${path.join(nan, 'model.safetensors')}: transformer.h.1.mlp.c_fc.weight holds 2 non-finite value(s) (NaN or infinite; the first at flat index 5); refusing to import a diverged or corrupt model`,
  });
  const half = brokenCopy('half', hf);
  appendTensors(half, [{ name: 'transformer.ln_f.weight', dtype: 'F16', shape: [C], bytes: Buffer.alloc(2 * C) }], (header) => {
    delete header['transformer.ln_f.weight'];
  });
  await assert.rejects(
    () => importHuggingFace(half, path.join(root, 'o')),
    /transformer\.ln_f\.weight has dtype F16, expected F32 or I32; convert to float32 before saving, e\.g\. in PyTorch: model\.float\(\)\.save_pretrained\(dir, safe_serialization=True\)/,
  );
  assert.ok(!fs.existsSync(path.join(root, 'o')));
});
