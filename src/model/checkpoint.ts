/**
 * Checkpoints: one folder per model, written atomically (built beside, then renamed):
 *
 *   config.json             { format, model: GPTConfig, heads, files, extra }
 *   model.safetensors       GPT weights by GPT-2 name (+ reward_head.* / value_head.*)
 *   optimizer.safetensors   optional optimizer state (resume)
 *   tokenizer.json          Hugging Face tokenizers format
 *   checksums.sha256        sha256 of every other file (`sha256sum -c` format)
 *   .rlhf-workbook          marker: the product made this folder and may replace it
 *
 * Loading first puts back a folder whose swap a crash interrupted, then checks, in order:
 * the files exist, each file's sha256 matches (an edited tokenizer.json or config.json is
 * refused: it would change outputs silently), config.json parses and matches the expected
 * config, the weights are not truncated and carry exactly the config's names and shapes.
 * Each failure names the file and the mismatch.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readScalar, readValues } from '../engine/readback';
import { recoverDir, replaceDirAtomic } from '../util/atomic';
import { GPT, GPTConfig, parameterShapes, validateConfig } from './gpt';
import { HeadName, ScalarHead } from './heads';
import { decodeSafetensors, encodeSafetensors, RawTensor } from './safetensors';
import { Tokenizer } from './tokenizer';

export const FORMAT = 'rlhf-workbook-checkpoint/1';
export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const CHECKSUM_FILE = 'checksums.sha256';

export interface CheckpointContents {
  model: GPT;
  tokenizer: Tokenizer;
  /** Reward and/or value head saved beside the GPT weights. */
  heads?: ScalarHead[];
  /** Optimizer state by name (e.g. Adam moments), restored on resume. */
  optimizerState?: Map<string, tf.Tensor>;
  /** Anything JSON the stage wants back (step, metrics, data hash, resolved stage config). */
  extra?: Record<string, unknown>;
}

export interface Checkpoint {
  dir: string;
  config: GPTConfig;
  model: GPT;
  tokenizer: Tokenizer;
  heads: Map<HeadName, ScalarHead>;
  optimizerState?: Map<string, tf.Tensor>;
  extra: Record<string, unknown>;
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

async function toRaw(tensors: Iterable<[string, tf.Tensor]>): Promise<Map<string, RawTensor>> {
  const out = new Map<string, RawTensor>();
  for (const [name, t] of tensors) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`checkpoint: ${name} has dtype ${t.dtype}; only float32 / int32 are saved`);
    out.set(name, { dtype: t.dtype, shape: t.shape.slice(), data: (await readValues(t, { keep: true })) as Float32Array | Int32Array });
  }
  return out;
}

/** A checkpoint's files as bytes, read back from the tensors (see encodeCheckpoint). */
export interface EncodedCheckpoint {
  /** File name -> contents, in the order they are written. */
  files: Map<string, Buffer | string>;
}

/**
 * Read the tensors of a checkpoint back (awaited: a GPU backend cannot read synchronously)
 * and encode every file. Nothing is written; writeCheckpointInto writes the result.
 */
export async function encodeCheckpoint(contents: CheckpointContents): Promise<EncodedCheckpoint> {
  const { model, tokenizer, heads = [], optimizerState, extra = {} } = contents;
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new Error(`saveCheckpoint: tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabSize is ${model.config.vocabSize}`);
  }
  const named: [string, tf.Tensor][] = [...model.weights];
  for (const h of heads) named.push(...h.weights);
  const weightBytes = encodeSafetensors(await toRaw(named), { format: 'pt' });
  const optBytes = optimizerState ? encodeSafetensors(await toRaw(optimizerState), { format: 'rlhf-workbook-optimizer' }) : null;
  const config = {
    format: FORMAT,
    model: model.config,
    heads: heads.map((h) => h.name),
    files: { weights: WEIGHTS_FILE, optimizer: optBytes ? OPTIMIZER_FILE : null, tokenizer: TOKENIZER_FILE, checksums: CHECKSUM_FILE },
    extra,
  };
  const files = new Map<string, Buffer | string>();
  files.set(WEIGHTS_FILE, weightBytes);
  let sums = `${sha256(weightBytes)}  ${WEIGHTS_FILE}\n`;
  if (optBytes) {
    files.set(OPTIMIZER_FILE, optBytes);
    sums += `${sha256(optBytes)}  ${OPTIMIZER_FILE}\n`;
  }
  const tokenizerText = JSON.stringify(tokenizer.toJSON()) + '\n';
  const configText = JSON.stringify(config, null, 2) + '\n';
  sums += `${sha256(Buffer.from(tokenizerText))}  ${TOKENIZER_FILE}\n${sha256(Buffer.from(configText))}  ${CONFIG_FILE}\n`;
  files.set(CHECKSUM_FILE, sums);
  files.set(TOKENIZER_FILE, tokenizerText);
  files.set(CONFIG_FILE, configText);
  return { files };
}

/** Write an encoded checkpoint into `dir`, a folder being built (e.g. by replaceDirAtomic). */
export function writeCheckpointInto(dir: string, encoded: EncodedCheckpoint): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of encoded.files) fs.writeFileSync(path.join(dir, name), bytes);
}

/** Write a checkpoint folder atomically (the old folder, if any, stays until the new one is complete). */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const encoded = await encodeCheckpoint(contents);
  replaceDirAtomic(dir, 'checkpoint', (tmp) => writeCheckpointInto(tmp, encoded), CHECKPOINT_FOLDER);
}

/** A checkpoint written before folder markers: its config.json names this format. */
/** A checkpoint's identity: the sha256 of its checksums file, which lists every file's sha256. */
export function checkpointFingerprint(dir: string): string {
  const file = path.join(dir, CHECKSUM_FILE);
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (not a checkpoint folder)`);
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function isCheckpointFolder(dir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8'))?.format === FORMAT;
  } catch {
    return false;
  }
}

/** How writers replace a checkpoint folder: only one the product made. */
export const CHECKPOINT_FOLDER = { legacy: isCheckpointFolder, advice: 'choose another checkpoint folder' };

/** Read and check config.json; returns the model config and the saved metadata. */
export function readCheckpointConfig(dir: string): { model: GPTConfig; heads: HeadName[]; optimizer: boolean; extra: Record<string, unknown> } {
  const file = path.join(dir, CONFIG_FILE);
  const restored = recoverDir(dir);
  if (restored) process.stderr.write(`${dir}: restored from ${restored} (a save was interrupted between its two renames)\n`);
  if (!fs.existsSync(dir)) throw new Error(`${dir}: checkpoint folder not found`);
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (is ${dir} a checkpoint folder?)`);
  const bytes = fs.readFileSync(file);
  if (fs.existsSync(path.join(dir, CHECKSUM_FILE))) checkListed(dir, CONFIG_FILE, bytes, readChecksums(dir));
  let json: any;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (json?.format !== FORMAT) throw new Error(`${file}: format is ${JSON.stringify(json?.format)}, expected "${FORMAT}"`);
  const model = json.model as GPTConfig;
  if (typeof model !== 'object' || model === null) throw new Error(`${file}: missing "model" config`);
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd', 'dropout', 'seed'] as const) {
    if (typeof model[key] !== 'number') throw new Error(`${file}: model.${key} must be a number, got ${JSON.stringify(model[key])}`);
  }
  validateConfig(model, `${file}: model`);
  const heads: HeadName[] = Array.isArray(json.heads) ? json.heads : [];
  for (const h of heads) if (h !== 'reward_head' && h !== 'value_head') throw new Error(`${file}: unknown head ${JSON.stringify(h)}`);
  return { model, heads, optimizer: !!json.files?.optimizer, extra: json.extra ?? {} };
}

/**
 * Check a file's bytes against checksums.sha256. Weights must be listed; config.json and
 * tokenizer.json are listed by every checkpoint written since they were added to the sums
 * (an older checkpoint that does not list them still loads).
 */
function checkListed(dir: string, name: string, bytes: Buffer, sums: Map<string, string>, required = false): void {
  const want = sums.get(name);
  if (!want) {
    if (required) throw new Error(`${path.join(dir, CHECKSUM_FILE)}: no sha256 listed for ${name}`);
    return;
  }
  const got = sha256(bytes);
  if (got !== want)
    throw new Error(
      `${path.join(dir, name)}: sha256 mismatch: ${CHECKSUM_FILE} says ${want}, the file hashes to ${got} (edited or corrupted since it was saved)`,
    );
}

/** Read one weights file: exists, checksum matches, not truncated. */
function readWeightsFile(dir: string, name: string, sums: Map<string, string>): Map<string, RawTensor> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`${file}: not found`);
  const bytes = fs.readFileSync(file);
  const { tensors } = decodeSafetensors(bytes, file);
  checkListed(dir, name, bytes, sums, true);
  return tensors;
}

function readChecksums(dir: string): Map<string, string> {
  const file = path.join(dir, CHECKSUM_FILE);
  if (!fs.existsSync(file)) throw new Error(`${file}: not found (a checkpoint needs the sha256 of its weights)`);
  const sums = new Map<string, string>();
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
      if (!m) throw new Error(`${file}:${i + 1}: expected "<sha256 hex>  <file>", got ${JSON.stringify(line)}`);
      sums.set(m[2], m[1]);
    });
  return sums;
}

export interface LoadOptions {
  /** Fields the caller's config needs; any difference is an error naming the field. */
  expectConfig?: Partial<GPTConfig>;
  /** Also load optimizer.safetensors when present (default true). */
  withOptimizer?: boolean;
  /**
   * Train the loaded model with this dropout rate instead of the saved one (the paper uses
   * 0.2 residual dropout in SFT and none in RL). Not a shape, so any value loads.
   */
  dropout?: number;
}

/** Load a checkpoint folder into a new GPT (+ heads, tokenizer, optimizer state). */
export function loadCheckpoint(dir: string, opts: LoadOptions = {}): Checkpoint {
  const meta = readCheckpointConfig(dir);
  const configFile = path.join(dir, CONFIG_FILE);
  for (const [key, want] of Object.entries(opts.expectConfig ?? {})) {
    const got = (meta.model as any)[key];
    if (got !== want) throw new Error(`${configFile}: model.${key} is ${got} but the expected config has ${want}`);
  }
  if (opts.dropout !== undefined) {
    meta.model = { ...meta.model, dropout: opts.dropout };
    validateConfig(meta.model, 'loadCheckpoint: dropout option');
  }
  const sums = readChecksums(dir);
  const tokenizerFile = path.join(dir, TOKENIZER_FILE);
  if (fs.existsSync(tokenizerFile)) checkListed(dir, TOKENIZER_FILE, fs.readFileSync(tokenizerFile), sums);
  const tokenizer = Tokenizer.load(tokenizerFile);
  if (tokenizer.vocabSize !== meta.model.vocabSize) {
    throw new Error(`${path.join(dir, TOKENIZER_FILE)}: ${tokenizer.vocabSize} tokens but ${configFile} says vocabSize ${meta.model.vocabSize}`);
  }
  const weightsFile = path.join(dir, WEIGHTS_FILE);
  const raw = readWeightsFile(dir, WEIGHTS_FILE, sums);
  // exactly the names and shapes the config implies
  const expected = new Map<string, number[]>(parameterShapes(meta.model));
  for (const h of meta.heads) {
    expected.set(`${h}.weight`, [meta.model.nEmbd, 1]);
    expected.set(`${h}.bias`, [1]);
  }
  for (const [name, shape] of expected) {
    const t = raw.get(name);
    if (!t) throw new Error(`${weightsFile}: missing tensor ${name} that ${CONFIG_FILE} implies`);
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`${weightsFile}: ${name} has shape [${t.shape}] but ${CONFIG_FILE} needs [${shape}]`);
  }
  for (const name of raw.keys()) if (!expected.has(name)) throw new Error(`${weightsFile}: unexpected tensor ${name} (not in ${CONFIG_FILE}'s model)`);

  const tensors = new Map<string, tf.Tensor>();
  for (const [name, t] of raw) tensors.set(name, tf.tensor(t.data, t.shape, t.dtype));
  try {
    const model = new GPT(meta.model, tensors);
    const heads = new Map<HeadName, ScalarHead>();
    for (const h of meta.heads) heads.set(h, new ScalarHead(h, meta.model.nEmbd, meta.model.seed, tensors));
    let optimizerState: Map<string, tf.Tensor> | undefined;
    if (meta.optimizer && opts.withOptimizer !== false) {
      optimizerState = new Map();
      for (const [name, t] of readWeightsFile(dir, OPTIMIZER_FILE, sums)) optimizerState.set(name, tf.tensor(t.data, t.shape, t.dtype));
    }
    return { dir, config: meta.model, model, tokenizer, heads, optimizerState, extra: meta.extra };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Every trainable parameter by checkpoint name: the GPT-2 names plus `reward_head.*` / `value_head.*`. */
export function namedParameters(model: GPT, heads: ScalarHead[] = []): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>(model.weights);
  for (const h of heads) for (const [name, v] of h.weights) out.set(name, v);
  return out;
}

/**
 * Adam moments keyed by parameter name (`wte.weight/m`, `wte.weight/v`, and `step`), for
 * `optimizerState`. `moments` is keyed by tf variable name (as the engine's Adam keeps them).
 */
export function namedOptimizerState(
  params: Map<string, tf.Variable>,
  moments: Map<string, { m: tf.Tensor; v: tf.Tensor }>,
  step: number,
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, p] of params) {
    const mv = moments.get(p.name);
    if (!mv) continue;
    out.set(`${name}/m`, mv.m);
    out.set(`${name}/v`, mv.v);
  }
  out.set('step', tf.scalar(step, 'int32'));
  return out;
}

/** The reverse of namedOptimizerState: moments keyed by the tf variable names of `params`. */
export async function optimizerMomentsByVariable(
  params: Map<string, tf.Variable>,
  saved: Map<string, tf.Tensor>,
  where = OPTIMIZER_FILE,
): Promise<{ step: number; moments: Map<string, { m: tf.Tensor; v: tf.Tensor }> }> {
  const stepT = saved.get('step');
  if (!stepT) throw new Error(`${where}: no "step" entry`);
  const moments = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
  for (const [name, p] of params) {
    const m = saved.get(`${name}/m`);
    const v = saved.get(`${name}/v`);
    if (!m && !v) continue;
    if (!m || !v) throw new Error(`${where}: ${name} has only one of its two Adam moments`);
    if (m.shape.join(',') !== p.shape.join(',') || v.shape.join(',') !== p.shape.join(',')) {
      throw new Error(`${where}: moments of ${name} have shape [${m.shape}] but the parameter is [${p.shape}]`);
    }
    moments.set(p.name, { m, v });
  }
  return { step: await readScalar(stepT, { keep: true }), moments };
}
