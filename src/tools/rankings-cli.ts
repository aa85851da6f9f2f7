/**
 * Check people's rankings and turn them into the rankings table the reward model trains on:
 *
 *   npm run rankings -- --in people.jsonl                        # check only, print a summary
 *   npm run rankings -- --in people.jsonl --out rankings/people.jsonl
 *   npm run workbook -- --param reward.rankings=rankings/people.jsonl
 *
 * The input is K-way rankings, pairwise preferences or the rankings table (told apart by
 * the first line's keys; `--format` says it outright). Every bad line is reported at once as
 * `file:line: reason` and nothing is written.
 */
import { Command } from 'commander';
import * as path from 'path';
import { parseCommand, runCli } from '../util/cli';
import { InputError } from '../util/jsonl';
import { writeFileAtomic } from '../util/atomic';
import { sha256 } from '../util/hash';
import { RANKINGS_FORMATS, RankingsFormat, readHumanRankings } from '../data/humans';
import { comparisonCounts, rankingsCsv, rankingsJsonl } from '../data/tables';

function program(): Command {
  return new Command('rankings')
    .description("Check people's rankings (K-way, pairwise or the rankings table) and write them as the rankings table that reward.rankings trains on")
    .requiredOption(
      '--in <file>',
      'JSONL of K-way rankings {prompt, answers, ranks}, pairwise preferences {prompt, chosen, rejected}, or the rankings table (.jsonl or .csv)',
    )
    .option('--format <name>', `${RANKINGS_FORMATS.join(' | ')} (default: told from the file)`)
    .option('--out <file>', 'the rankings table to write, .jsonl or .csv (replaced atomically); without it the file is only checked');
}

export function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  const o = parseCommand(program(), argv);
  if (!o) return;
  if (o.format !== undefined && !(RANKINGS_FORMATS as readonly string[]).includes(o.format))
    throw new InputError(`--format must be one of ${RANKINGS_FORMATS.join(', ')}, got "${o.format}"`);
  if (o.out !== undefined && !/\.(jsonl|csv)$/.test(o.out)) throw new InputError(`--out must end in .jsonl or .csv, got "${o.out}"`);
  if (o.out !== undefined && path.resolve(o.out) === path.resolve(o.in)) throw new InputError(`--out is the --in file ${o.in}; write the table elsewhere`);
  const rankings = readHumanRankings(o.in, o.format as RankingsFormat | undefined);
  const c = comparisonCounts(rankings);
  const users = new Set(rankings.map((r) => r.user_id)).size;
  const labelers = new Set(rankings.map((r) => r.labeler_id)).size;
  write(
    `${o.in}: ${c.prompts} rankings from ${users} user${users === 1 ? '' : 's'} and ${labelers} labeler${labelers === 1 ? '' : 's'}: ${c.answers} answers, ${c.comparisons} comparisons, ${c.ties} ties`,
  );
  if (users < 2) write('note: one user only; the reward model holds users out for validation, so it needs rankings from at least 2');
  if (o.out === undefined) return;
  const text = o.out.endsWith('.csv') ? rankingsCsv(rankings) : rankingsJsonl(rankings);
  writeFileAtomic(o.out, text);
  write(`-> ${o.out} (sha256 ${sha256(text)})`);
  write(`train the reward model on them: npm run workbook -- --param reward.rankings=${o.out}`);
}

if (require.main === module) runCli('rankings', () => main(process.argv.slice(2)));
