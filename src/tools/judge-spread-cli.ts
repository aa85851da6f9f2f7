/**
 * How much a finished run's PPO-ptx verdicts depend on who judged and on which prompts: the same
 * answers (eval/answers.jsonl) judged by many other panels made as the run's was, on bootstrap
 * samples of its prompts (src/eval/judge-spread.ts says how).
 *
 *   npm run judge-spread -- --run runs/<run-id> [--draws 200] [--prompts 600,1200,2400] [--out spread.json]
 *
 * Refused in one line (exit 2), nothing written: a folder that is not a finished workbook run, a
 * run without eval/answers.jsonl, fewer than two sizes with both PPO-ptx and SFT answers, a bad
 * --draws or --prompts.
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { answersFor, loadAnswerBook } from '../eval/answer-book';
import { judgeSpread, SizeAnswers, SpreadRow } from '../eval/judge-spread';
import { loadSplitPrompts } from '../eval/run-data';
import { writeJsonAtomic } from '../util/atomic';
import { parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';
import { dataConfig } from '../workbook/stage-configs';
import { finishedRunManifest, readJson } from './results';

function program(): Command {
  return new Command('judge-spread')
    .description("Redraw a finished run's judges and prompts many times over the same answers: how often its PPO-ptx verdicts would pass")
    .requiredOption('--run <dir>', 'a finished run folder, runs/<run-id> (its 06 wrote eval/answers.jsonl)')
    .option('--draws <n>', 'panels drawn, each with its own bootstrap of prompts', '200')
    .option('--prompts <list>', "prompts per draw, comma-separated (default: the run's own count)")
    .option('--out <file>', 'also write the rows as JSON to this file');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** The rows as a markdown table. */
export function spreadMarkdown(rows: readonly SpreadRow[]): string {
  const sizes = rows[0].sizes.map((s) => s.size);
  const head = [
    'prompts',
    'draws',
    ...sizes.map((s) => `${s}: mean ± sd (share above 50%)`),
    `${sizes[sizes.length - 1]} − ${sizes[0]} (points)`,
    'every size above 50%',
    'trend held',
    'both',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows)
    lines.push(
      `| ${[
        r.prompts,
        r.draws,
        ...r.sizes.map((s) => `${pct(s.mean)} ± ${(100 * s.sd).toFixed(1)} (${pct(s.aboveHalf)})`),
        `${points(r.trendMean)} ± ${(100 * r.trendSd).toFixed(1)}`,
        pct(r.everySizeAbove),
        pct(r.trendHeld),
        pct(r.both),
      ].join(' | ')} |`,
    );
  return lines.join('\n');
}

export function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  const o = parseCommand(program(), argv);
  if (!o) return;
  const abs = path.resolve(o.run);
  finishedRunManifest(abs, o.run);
  const { config } = readJson(path.join(abs, 'config.json'), o.run);
  const split = config?.evaluation?.split;
  if (split !== 'dev' && split !== 'eval')
    throw new InputError(
      `${o.run}: config.json has no evaluation.split of "dev" or "eval" (got ${JSON.stringify(split)}): not a run of this workbook's evaluation`,
    );
  const answersFile = path.join(abs, 'eval', 'answers.jsonl');
  if (!fs.existsSync(answersFile)) throw new InputError(`${o.run}: no eval/answers.jsonl (06-evaluation did not run in it)`);
  const prompts = loadSplitPrompts(abs, split);
  const book = loadAnswerBook(answersFile);
  const sizes: SizeAnswers[] = [];
  for (const { name } of config.models.sizes as { name: string }[]) {
    const policy = answersFor(book, `ppo-ptx/${name}`, prompts);
    const sft = answersFor(book, `sft/${name}`, prompts);
    if (policy && sft) sizes.push({ size: name, policy, sft });
  }
  if (sizes.length < 2)
    throw new InputError(
      `${o.run}: PPO-ptx and SFT answers at ${sizes.length} size(s); the spread needs two or more (the trend compares the largest with the smallest)`,
    );
  const draws = Number(o.draws);
  if (!(Number.isInteger(draws) && draws >= 2)) throw new InputError(`--draws: expected an integer >= 2, got "${o.draws}"`);
  const counts = o.prompts === undefined ? [prompts.length] : String(o.prompts).split(',').map(Number);
  if (!counts.every((n) => Number.isInteger(n) && n >= 1))
    throw new InputError(`--prompts: expected positive integers separated by commas, got "${o.prompts}"`);
  const rows = judgeSpread(prompts, sizes, { draws, promptCounts: counts, panel: dataConfig(config).panel, split });
  write(
    `${o.run}: PPO-ptx against same-size SFT on the ${split === 'eval' ? 'sealed' : 'dev'} prompts (${prompts.length}), judged by ${draws} other panels on bootstrap samples of the prompts`,
  );
  write(spreadMarkdown(rows));
  if (o.out) {
    writeJsonAtomic(o.out, { run: o.run, split, prompts: prompts.length, rows });
    write(`-> ${o.out}`);
  }
}

if (require.main === module) runCli('judge-spread', () => main(process.argv.slice(2)));
