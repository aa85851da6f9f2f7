/**
 * Import a Hugging Face GPT-2 folder (config.json + model.safetensors + tokenizer.json) as a
 * workbook checkpoint, so a GPT-2-architecture model trained elsewhere (e.g. a policy
 * trained further with TRL from an export) enters the workbook.
 *
 * Checks, each failing with the file and key: config.json is GPT-2 with the workbook's
 * maths (hf-config.ts); model.safetensors parses (F32 parameters, finite; mask buffers of any
 * dtype are dropped) and holds every parameter with
 * the config's shape and nothing unknown; `lm_head.weight`, when present, equals `wte`
 * (the workbook's unembedding is tied); `score.weight` [1, n_embd] for
 * GPT2ForSequenceClassification; tokenizer.json loads, has vocab_size tokens and the
 * config's bos / eos / pad ids. Sharded or F16/BF16 files are refused: save them with
 * `model.save_pretrained(dir, safe_serialization=True)` after `model.float()`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MARKER } from '../util/atomic';
import * as tf from '@tensorflow/tfjs';
import { CHECKSUM_FILE, CONFIG_FILE, FORMAT, OPTIMIZER_FILE, saveCheckpoint, TOKENIZER_FILE, WEIGHTS_FILE } from '../model/checkpoint';
import { GPT, parameterShapes } from '../model/gpt';
import { HeadName, ScalarHead } from '../model/heads';
import { readSafetensors, RawTensor } from '../model/safetensors';
import { Tokenizer } from '../model/tokenizer';
import { CLASSIFIER_ARCHITECTURE, fromHfConfig } from './hf-config';
import { fromHfName, LM_HEAD, PREFIX, SCORE_WEIGHT } from './hf-names';

const CHECKPOINT_FILES = [CONFIG_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, TOKENIZER_FILE, CHECKSUM_FILE, MARKER];

export interface ImportOptions {
  /** Which workbook head a `score.weight` becomes when config.json does not say (default reward_head). */
  head?: HeadName;
}

export interface ImportResult {
  out: string;
  architecture: string;
  head: HeadName | null;
  tensors: number;
}

function readJson(file: string, what: string): unknown {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (${what})`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * `out` is replaced as a whole, so to lose nothing it must be new, empty, or a workbook
 * checkpoint holding only checkpoint files (a stage folder such as ppo/<size>/ppo also keeps
 * metrics and value/ there: those are refused by name).
 */
function guardCheckpointOut(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new Error(`${out}: exists and is not a folder; choose another --out`);
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return;
  let ours = false;
  try {
    ours = JSON.parse(fs.readFileSync(path.join(out, CONFIG_FILE), 'utf8')).format === FORMAT;
  } catch {
    ours = false;
  }
  if (!ours) throw new Error(`${out}: folder exists and is not a workbook checkpoint; refusing to replace it, choose another --out`);
  const other = entries.filter((f) => !CHECKPOINT_FILES.includes(f));
  if (other.length) throw new Error(`${out}: also holds ${other.join(', ')}, which replacing the checkpoint would delete; move them or choose another --out`);
}

function nonFinite(data: ArrayLike<number>): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  return { count, first };
}

function sameBits(a: RawTensor, b: RawTensor): boolean {
  if (a.shape.join(',') !== b.shape.join(',')) return false;
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export async function importHuggingFace(from: string, out: string, opts: ImportOptions = {}): Promise<ImportResult> {
  if (!fs.existsSync(from) || !fs.statSync(from).isDirectory()) throw new Error(`${from}: Hugging Face model folder not found`);
  guardCheckpointOut(out);
  const configFile = path.join(from, 'config.json');
  const { config, architecture, ids, meta } = fromHfConfig(readJson(configFile, 'a Hugging Face model folder needs config.json'), configFile);

  const weightsFile = path.join(from, 'model.safetensors');
  if (!fs.existsSync(weightsFile)) {
    const sharded = fs.existsSync(path.join(from, 'model.safetensors.index.json'));
    throw new Error(
      `${weightsFile}: not found${sharded ? ' (sharded checkpoints are not supported: save with max_shard_size larger than the model)' : ' (only safetensors weights are read, not pytorch_model.bin)'}`,
    );
  }
  // the causal-mask buffers are dropped unread: older transformers saved them as U8 or BOOL
  const { tensors: raw, metadata } = readSafetensors(weightsFile, { skip: (name) => name !== LM_HEAD && name !== SCORE_WEIGHT && fromHfName(name) === null });

  // rename, drop mask buffers, check lm_head is the tied wte
  const byOurName = new Map<string, RawTensor>();
  let lmHead: RawTensor | undefined;
  let score: RawTensor | undefined;
  for (const [hfName, t] of raw) {
    if (t.dtype !== 'float32') throw new Error(`${weightsFile}: ${hfName} has dtype I32, expected F32`);
    const bad = nonFinite(t.data);
    if (bad.count)
      throw new Error(
        `${weightsFile}: ${hfName} holds ${bad.count} non-finite value(s) (NaN or infinite; the first at flat index ${bad.first}); refusing to import a diverged or corrupt model`,
      );
    if (hfName === LM_HEAD) lmHead = t;
    else if (hfName === SCORE_WEIGHT) score = t;
    else {
      const name = fromHfName(hfName);
      if (name !== null) byOurName.set(name, t);
    }
  }
  const expected = new Map(parameterShapes(config));
  for (const [name, shape] of expected) {
    const t = byOurName.get(name);
    if (!t) throw new Error(`${weightsFile}: missing tensor ${PREFIX}${name} (shape [${shape}]) that ${configFile} implies`);
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`${weightsFile}: ${PREFIX}${name} has shape [${t.shape}] but ${configFile} needs [${shape}]`);
  }
  for (const name of byOurName.keys())
    if (!expected.has(name)) throw new Error(`${weightsFile}: unexpected tensor ${name} (not a GPT-2 parameter of ${configFile}'s model)`);
  if (lmHead && !sameBits(lmHead, byOurName.get('wte.weight')!)) {
    throw new Error(
      `${weightsFile}: ${LM_HEAD} differs from ${PREFIX}wte.weight; the workbook's GPT ties its unembedding to wte, so an untied lm_head cannot be imported`,
    );
  }

  let head: HeadName | null = null;
  let bias = 0;
  if (architecture === CLASSIFIER_ARCHITECTURE) {
    if (!score)
      throw new Error(`${weightsFile}: missing tensor ${SCORE_WEIGHT} (shape [1,${config.nEmbd}]) that ${configFile}'s ${CLASSIFIER_ARCHITECTURE} implies`);
    if (score.shape.join(',') !== `1,${config.nEmbd}`)
      throw new Error(`${weightsFile}: ${SCORE_WEIGHT} has shape [${score.shape}] but ${configFile} needs [1,${config.nEmbd}]`);
    head = meta.head ?? (metadata.rlhf_workbook_head as HeadName | undefined) ?? opts.head ?? 'reward_head';
    if (head !== 'reward_head' && head !== 'value_head')
      throw new Error(`${configFile}: rlhf_workbook.head is ${JSON.stringify(head)}, expected "reward_head" or "value_head"`);
    const b = meta.score_bias ?? (metadata.score_bias !== undefined ? Number(metadata.score_bias) : 0);
    if (typeof b !== 'number' || !Number.isFinite(b))
      throw new Error(`${configFile}: rlhf_workbook.score_bias must be a finite number, got ${JSON.stringify(b)}`);
    bias = b;
  } else if (score) {
    throw new Error(`${weightsFile}: has ${SCORE_WEIGHT} but ${configFile}'s architecture is ${architecture}, not ${CLASSIFIER_ARCHITECTURE}`);
  }

  const tokFile = path.join(from, 'tokenizer.json');
  const tokenizer = Tokenizer.load(tokFile);
  if (tokenizer.vocabSize !== config.vocabSize)
    throw new Error(`${tokFile}: ${tokenizer.vocabSize} tokens but ${configFile} says vocab_size ${config.vocabSize}`);
  const idChecks: [string, number, number][] = [
    ['bos_token_id', ids.bos, tokenizer.bosId],
    ['eos_token_id', ids.eos, tokenizer.eosId],
    ['pad_token_id', ids.pad, tokenizer.padId],
  ];
  for (const [key, got, want] of idChecks)
    if (got >= 0 && got !== want) throw new Error(`${configFile}: ${key} is ${got} but ${tokFile} has that token at ${want}`);

  const tensors = new Map<string, tf.Tensor>();
  for (const [name, t] of byOurName) tensors.set(name, tf.tensor(t.data, t.shape, 'float32'));
  if (head && score) {
    tensors.set(`${head}.weight`, tf.tensor(score.data, [config.nEmbd, 1], 'float32')); // [1, C] -> [C, 1], same order
    tensors.set(`${head}.bias`, tf.tensor1d([bias], 'float32'));
  }
  const model = new GPT(config, tensors);
  const heads = head ? [new ScalarHead(head, config.nEmbd, config.seed, tensors)] : [];
  try {
    await saveCheckpoint(out, { model, tokenizer, heads, extra: { importedFrom: path.resolve(from), architecture } });
  } finally {
    for (const t of tensors.values()) t.dispose();
    model.dispose();
    for (const h of heads) h.dispose();
  }
  return { out, architecture, head, tensors: raw.size };
}
