/**
 * Export for Hugging Face tools (TRL, OpenRLHF, vLLM):
 *
 *   npm run export -- --model runs/<run>/sft/<size>/epoch-<n> --out hf/sft
 *   npm run export -- --model runs/<run>/reward/model --out hf/reward      (GPT2ForSequenceClassification)
 *   npm run export -- --data runs/<run> --out hf/data [--format raw] [--no-eos]
 *
 * See environment/SCALE-OUT.md for what to run on the exported folders.
 */
import { Command } from 'commander';
import { aboutInput, aboutInputAsync, parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';
import { initEngine } from '../engine';
import { exportDatasets, TextFormat } from '../interop/datasets';
import { exportHuggingFace } from '../interop/hf-export';

function program(): Command {
  return new Command('export')
    .description("Export a checkpoint as a Hugging Face GPT-2 folder, or a run's datasets as TRL-style JSONL")
    .option('--model <dir>', 'workbook checkpoint folder to export as a Hugging Face GPT-2 folder')
    .option('--data <runDir>', 'run folder whose datasets to export as JSONL')
    .requiredOption('--out <dir>', 'output folder (replaced atomically; must be new, empty or an earlier export)')
    .option('--format <episode|raw>', "dataset texts: the workbook's episode format (default) or bare text", 'episode')
    .option('--no-eos', 'episode format: answers without the trailing <|eos|>, for trainers that append EOS themselves (TRL DPOTrainer)');
}

export async function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const o = parseCommand(program(), argv);
  if (!o) return;
  if (!!o.model === !!o.data) throw new InputError('give exactly one of --model <checkpoint> or --data <runDir>');
  if (o.format !== 'episode' && o.format !== 'raw') throw new InputError(`--format must be episode or raw, got "${o.format}"`);
  if (o.model) {
    await initEngine({ backend: 'cpu' });
    const r = await aboutInputAsync(() => exportHuggingFace(o.model, o.out), o.model, o.out);
    write(`${r.out}: ${r.architecture}, ${r.tensors} tensors, ${r.bytes} bytes of model.safetensors`);
  } else {
    const r = aboutInput(() => exportDatasets(o.data, o.out, o.format as TextFormat, { eos: o.eos }), o.data, o.out);
    for (const f of r.files) write(`${r.out}/${f.file}: ${f.rows} rows`);
  }
}

if (require.main === module) runCli('export', () => main(process.argv.slice(2)));
