/**
 * Import a Hugging Face GPT-2 folder as a workbook checkpoint:
 *
 *   npm run import -- --from hf/ppo-trained --out runs/<run>/ppo/<size>/ppo
 *   npm run import -- --from hf/reward-trained --out ckpt/reward [--head value_head]
 */
import { Command } from 'commander';
import { aboutInput, aboutInputAsync, parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';
import { initEngine } from '../engine';
import { HeadName } from '../model/heads';
import { importHuggingFace } from '../interop/hf-import';

function program(): Command {
  return new Command('import')
    .description('Import a Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer.json) as a workbook checkpoint')
    .requiredOption('--from <dir>', 'Hugging Face model folder')
    .requiredOption('--out <dir>', 'checkpoint folder to write (replaced atomically; must be new, empty or a checkpoint)')
    .option('--head <name>', 'workbook head for a score.weight when config.json does not name one: reward_head | value_head', 'reward_head');
}

export async function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const o = parseCommand(program(), argv);
  if (!o) return;
  if (o.head !== 'reward_head' && o.head !== 'value_head') throw new InputError(`--head must be reward_head or value_head, got "${o.head}"`);
  await initEngine({ backend: 'cpu' });
  const r = await aboutInputAsync(() => importHuggingFace(o.from, o.out, { head: o.head as HeadName }), o.from, o.out);
  write(`${r.out}: checkpoint from ${r.architecture} (${r.tensors} tensors${r.head ? `, score -> ${r.head}` : ''})`);
}

if (require.main === module) runCli('import', () => main(process.argv.slice(2)));
