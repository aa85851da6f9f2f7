/**
 * The dev-split ablation table of tuning levers:
 *
 *   npm run ablation -- --base runs/A --run "value head at 0=runs/B" --run "RM large=runs/C"   # markdown on stdout
 *   npm run ablation -- --base runs/A --run "value head at 0=runs/B" --out docs/ablations/NAME   # ablation.md, .csv, .json
 *
 * Every run must have been evaluated with `--param evaluation.split=dev`. Refused in one line
 * (exit 2), nothing written: a missing folder, one that is not a workbook run, a run that did not
 * finish, a run evaluated on the sealed split, a run without eval/win-rates.json, a run with
 * other sizes than the base run, a label given twice, a --run that is not "label=dir". See
 * src/tools/ablation.ts for what the table holds.
 */
import { Command } from 'commander';
import * as path from 'path';
import { parseCommand, runCli } from '../util/cli';
import { ablationMarkdown, buildAblation, parseRunSpec, writeAblation } from './ablation';

const collect = (v: string, all: string[]) => all.concat(v);

function program(): Command {
  return new Command('ablation')
    .description('Put dev-split runs side by side with a base run: what each tuning lever changed in win-rate against SFT, with intervals')
    .requiredOption('--base <dir>', 'the base run folder, runs/<run-id> (evaluated with evaluation.split=dev)')
    .option('--run <label=dir>', 'a run with one lever changed, and the label of its rows (repeatable)', collect, [] as string[])
    .option('--out <dir>', 'write ablation.md, ablation.csv and ablation.json into this folder (made if missing) instead of printing the markdown');
}

export function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  const o = parseCommand(program(), argv);
  if (!o) return;
  const specs = o.run.map(parseRunSpec);
  const a = buildAblation(o.base, specs);
  const command = `npm run ablation -- ${argv.map((x) => (/^[\w./=:-]+$/.test(x) ? x : `"${x.replace(/"/g, '\\"')}"`)).join(' ')}`;
  if (!o.out) {
    write(ablationMarkdown(a, command).replace(/\n$/, ''));
    return;
  }
  for (const f of writeAblation(a, o.out, command)) write(`-> ${path.relative(process.cwd(), f) || f}`);
}

if (require.main === module) runCli('ablation', () => main(process.argv.slice(2)));
