/**
 * Sample answers from a checkpoint:
 *
 *   npm run generate -- --model runs/sft/checkpoint --prompt "Name a country in Europe."
 *   npm run generate -- --model <dir> --prompts in.jsonl --out out.jsonl --top-p 0.95 --seed 1
 *
 * Input JSONL rows are `{"prompt": "..."}` (other fields are ignored); each output row is
 * `{prompt, answer, tokens, logprob, eos}`: the answer text, its token ids, the summed
 * log-prob of those tokens under softmax(logits / temperature), and whether it ended at EOS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { aboutInput, parseCommand, runCli } from '../util/cli';
import { initEngine, requestedBackend } from '../engine';
import { InputError, readJsonl } from '../util/jsonl';
import { writeJsonlAtomic } from '../util/atomic';
import { loadCheckpoint, readCheckpointConfig } from '../model/checkpoint';
import { DEFAULTS, generate } from '../model/generate';

export interface GeneratedRow {
  prompt: string;
  answer: string;
  tokens: number[];
  logprob: number;
  eos: boolean;
}

function numberIn(name: string, lo: number, hi: number, integer = false) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got "${raw}"`);
    }
    return v;
  };
}

function program(): Command {
  return new Command('generate')
    .description('Sample answers from a checkpoint as JSONL {prompt, answer, tokens, logprob, eos}')
    .requiredOption('--model <dir>', 'checkpoint folder (config.json, model.safetensors, tokenizer.json)')
    .option('--prompt <text>', 'one prompt')
    .option('--prompts <file>', 'JSONL file of {"prompt": "..."} rows')
    .option('--out <file>', 'write JSONL here (atomically) instead of stdout')
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', numberIn('--temperature', 0, 100), DEFAULTS.temperature)
    .option('--top-p <p>', 'nucleus sampling mass (1 = off; the paper uses 0.95)', numberIn('--top-p', 1e-9, 1), DEFAULTS.topP)
    .option('--top-k <k>', 'keep the k most probable tokens (0 = off)', numberIn('--top-k', 0, 1e9, true), DEFAULTS.topK)
    .option(
      '--max-new-tokens <n>',
      `most tokens per answer (default: ${DEFAULTS.maxNewTokens}, at most half the model's blockSize)`,
      numberIn('--max-new-tokens', 1, 1e6, true),
    )
    .option('--seed <n>', 'sampler seed', numberIn('--seed', 0, 2 ** 32 - 1, true), DEFAULTS.seed)
    .option('--greedy', 'always take the most probable token', false)
    .option('--raw', 'feed the prompt text as is (after <|bos|>) instead of the <|prompt|>...<|answer|> format', false)
    .option('--batch-size <n>', 'prompts sampled together', numberIn('--batch-size', 1, 4096, true), 16)
    .option('--backend <name>', 'tfjs backend (default: RLHF_BACKEND or the fastest that works)');
}

function readPrompts(file: string): string[] {
  return readJsonl(file, (row) => {
    const prompt = (row as { prompt?: unknown } | null)?.prompt;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`expected an object like {"prompt": "..."}, got ${JSON.stringify(row)}`);
    if (typeof prompt !== 'string') throw new Error(`"prompt" must be a string, got ${JSON.stringify(prompt)}`);
    return prompt;
  });
}

/**
 * The checkpoint's config, refusing what cannot write text: a folder that is not a checkpoint,
 * and a reward or value model (a scalar head on the network; it scores answers).
 */
function checkpointToSample(dir: string): ReturnType<typeof readCheckpointConfig> {
  const meta = aboutInput(() => readCheckpointConfig(dir), dir);
  const stage = typeof meta.extra.stage === 'string' ? meta.extra.stage : null;
  if (meta.heads.length || stage === 'reward-model' || stage === 'ppo-value') {
    const what = meta.heads.includes('value_head') || stage === 'ppo-value' ? 'value model' : 'reward model';
    throw new InputError(
      `--model ${dir} is a ${what} checkpoint (${[stage && `stage "${stage}"`, meta.heads.length && `head ${meta.heads.join(', ')}`].filter(Boolean).join(', ')}): it scores answers and does not write them; give a pretrain, SFT or PPO policy checkpoint`,
    );
  }
  return meta;
}

/** Run the CLI on argv (without node and script); returns the rows written. */
export async function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<GeneratedRow[]> {
  const o = parseCommand(program(), argv);
  if (!o) return [];
  if ((o.prompt !== undefined) === !!o.prompts) throw new InputError('give exactly one of --prompt "..." or --prompts file.jsonl');
  if (o.prompt !== undefined && !o.prompt.trim()) throw new InputError('--prompt is empty: give the prompt text, e.g. --prompt "Name a country in Europe."');
  if (o.out && fs.existsSync(o.out) && fs.statSync(o.out).isDirectory())
    throw new InputError(`--out ${o.out} is a folder; give a file path such as ${path.join(o.out, 'answers.jsonl')}`);
  const prompts: string[] = o.prompts ? readPrompts(o.prompts) : [o.prompt];
  try {
    requestedBackend({ backend: o.backend });
  } catch (e) {
    throw new InputError(`--backend: ${(e as Error).message.replace(/^option backend: /, '')}`);
  }
  const meta = checkpointToSample(o.model);
  const blockSize = meta.model.blockSize;
  const maxNewTokens: number = o.maxNewTokens ?? Math.max(1, Math.min(DEFAULTS.maxNewTokens, Math.floor(blockSize / 2)));
  if (maxNewTokens >= blockSize) throw new InputError(`--max-new-tokens (${maxNewTokens}) must be < the model's blockSize (${blockSize})`);
  await initEngine({ backend: o.backend });
  const ck = loadCheckpoint(o.model, { withOptimizer: false });
  const rows: GeneratedRow[] = [];
  try {
    for (let start = 0; start < prompts.length; start += o.batchSize) {
      const batch = prompts.slice(start, start + o.batchSize);
      const out = await generate(ck.model, ck.tokenizer, batch, {
        maxNewTokens: maxNewTokens,
        temperature: o.temperature,
        topP: o.topP,
        topK: o.topK,
        greedy: o.greedy,
        seed: o.seed,
        rowOffset: start,
        raw: o.raw,
      });
      batch.forEach((prompt, b) => {
        const row = { prompt, answer: out.texts[b], tokens: out.tokens[b], logprob: out.logprobs[b].reduce((s, x) => s + x, 0), eos: out.hitEos[b] };
        rows.push(row);
        if (!o.out) write(JSON.stringify(row));
      });
    }
  } finally {
    ck.model.dispose();
    ck.heads.forEach((h) => h.dispose());
  }
  if (o.out) writeJsonlAtomic(o.out, rows);
  return rows;
}

if (require.main === module) runCli('generate', () => main(process.argv.slice(2)));
