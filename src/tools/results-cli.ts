/**
 * Results you can check in the repository:
 *
 *   npm run results -- --from runs/<run-id>                 # a finished run -> results/<profile>/, then README's block
 *   npm run results -- --from runs/<run-id>-replication     # a replication (--seeds) -> results/<profile>/ with seed-<N>/
 *   npm run results -- --readme                             # rewrite README's results blocks from the committed results/
 *
 * Refused in one line (exit 2), nothing written: a folder that is not a workbook run or
 * replication, a run that did not finish, a run without eval/summary.json, a smoke run
 * (unless --allow-smoke), two sources of one profile. See src/tools/results.ts for what is copied.
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';
import { writeFileAtomic } from '../util/atomic';
import { ROOT } from '../workbook/manifest';
import { inspectSource, updateReadme, writeResults } from './results';

const collect = (v: string, all: string[]) => all.concat(v);

function program(): Command {
  return new Command('results')
    .description("Copy a finished run's (or replication's) summary tables into results/<profile>/ and render README's results blocks from them")
    .option('--from <dir>', 'a finished run folder runs/<run-id>, or runs/<run-id>-replication (repeatable, one per profile)', collect, [] as string[])
    .option('--readme', "rewrite README's results blocks from the committed results/ (done after --from too)")
    .option('--allow-smoke', 'copy a smoke run (tiny models, nothing judged)')
    .option('--out <dir>', 'the results folder', path.join(ROOT, 'results'))
    .option('--readme-file <file>', 'the README holding the blocks', path.join(ROOT, 'README.md'));
}

export function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  const o = parseCommand(program(), argv);
  if (!o) return;
  if (!o.from.length && !o.readme) throw new InputError('give --from runs/<run-id> (repeatable) or --readme');
  const sources = o.from.map((d: string) => inspectSource(d, !!o.allowSmoke));
  const twice = sources.find((s: { profile: string }, i: number) => sources.findIndex((t: { profile: string }) => t.profile === s.profile) !== i);
  if (twice) throw new InputError(`two sources of profile ${twice.profile}: results/${twice.profile}/ holds one (for several seeds, copy a replication)`);
  if (!fs.existsSync(o.readmeFile)) throw new InputError(`--readme-file: ${o.readmeFile} not found`);
  const command = `npm run results -- ${argv.join(' ')}`;
  for (const s of sources) {
    const out = writeResults(s, o.out, command);
    write(`${path.relative(process.cwd(), s.dir) || s.dir} -> ${path.relative(process.cwd(), out) || out}`);
  }
  const before = fs.readFileSync(o.readmeFile, 'utf8');
  const after = updateReadme(before, o.out);
  if (after !== before) {
    writeFileAtomic(o.readmeFile, after);
    write(`${path.relative(process.cwd(), o.readmeFile) || o.readmeFile}: results blocks rewritten`);
  } else write(`${path.relative(process.cwd(), o.readmeFile) || o.readmeFile}: results blocks already up to date`);
}

if (require.main === module) runCli('results', () => main(process.argv.slice(2)));
