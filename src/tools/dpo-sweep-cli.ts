/**
 * DPO's beta and learning rate on the dev split (see src/tools/dpo-sweep.ts):
 *
 *   npm run dpo-sweep -- --run runs/<id> [--size large] [--beta 0.1,0.5] [--lr 1e-4,3e-4,1e-3] [--out docs/ablations/NAME]
 *
 * The run must have finished through 04 (its SFT checkpoints, reward model and comparisons).
 * Refused in one line (exit 2): a folder that is not a finished run, a size it does not have,
 * a grid value that is not a positive number.
 */
import { Command } from 'commander';
import * as path from 'path';
import { parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';
import { initEngine } from '../engine/index';
import { dpoSweep, sweepMarkdown, writeSweep } from './dpo-sweep';

const numbers = (flag: string) => (v: string) => {
  const xs = v.split(',').map((w) => Number(w.trim()));
  if (xs.some((x) => !(Number.isFinite(x) && x > 0))) throw new InputError(`${flag}: expected positive numbers separated by commas, got "${v}"`);
  return xs;
};
const whole = (flag: string) => (v: string) => {
  const x = Number(v);
  if (!(Number.isInteger(x) && x > 0)) throw new InputError(`${flag}: expected a whole number > 0, got "${v}"`);
  return x;
};

function program(): Command {
  return new Command('dpo-sweep')
    .description("DPO's beta and learning rate on the dev split: held-out pair accuracy, dev win-rate against SFT (dev judges), KL to SFT")
    .requiredOption('--run <dir>', 'a finished run folder, runs/<run-id>')
    .option('--size <name>', 'model size (default: the largest)')
    .option('--beta <list>', 'betas, comma-separated', numbers('--beta'), [0.1, 0.5])
    .option('--lr <list>', 'learning rates, comma-separated', numbers('--lr'), [1e-4, 3e-4, 1e-3])
    .option('--prompts <n>', 'dev prompts answered and judged', whole('--prompts'), 300)
    .option('--held-out <n>', "04's validation pairs scored", whole('--held-out'), 1000)
    .option('--out <dir>', 'write dpo-sweep.md, .csv and .json here instead of printing the markdown');
}

export async function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const o = parseCommand(program(), argv);
  if (!o) return;
  await initEngine();
  const s = await dpoSweep({ run: o.run, size: o.size, betas: o.beta, lrs: o.lr, prompts: o.prompts, heldOut: o.heldOut, onProgress: write });
  const command = `npm run dpo-sweep -- ${argv.join(' ')}`;
  if (!o.out) write(sweepMarkdown(s, command));
  else for (const f of writeSweep(s, o.out, command)) write(`-> ${path.relative(process.cwd(), f) || f}`);
}

if (require.main === module) runCli('dpo-sweep', () => main(process.argv.slice(2)));
