/**
 * Build the datasets of a profile and print their sha256:
 *   npm run data -- --profile smoke --out data/smoke [--param data.sftPrompts=200 ...]
 */
import { Command } from 'commander';
import { parseCommand, runCli } from '../util/cli';
import { parseParams } from '../workbook/params';
import { buildDatasets, writeDatasets } from '../labelers/datasets';
import { dataConfig } from '../workbook/stage-configs';

function program(): Command {
  return new Command('data')
    .description('Build the datasets of a profile (prompts, demonstrations, rankings, panel) and print their sha256')
    .option('--profile <name>', 'smoke | default | paper', 'smoke')
    .option('--out <dir>', 'output folder, replaced as a whole (default: runs/data-<profile>)')
    .option(
      '--param <key=value>',
      'override a profile value, e.g. data.sftPrompts=200 (repeatable)',
      (v: string, all: string[]) => all.concat(v),
      [] as string[],
    );
}

export function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  const o = parseCommand(program(), argv);
  if (!o) return;
  const { config } = parseParams(o.profile, o.param);
  const out: string = o.out ?? `runs/data-${o.profile}`;
  const t0 = Date.now();
  const ds = buildDatasets(dataConfig(config));
  const manifest = writeDatasets(out, ds);
  const a = ds.agreement;
  write(`built ${o.profile} data in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${out}`);
  write(
    `agreement: training ${(100 * a.train.mean).toFixed(1)} +- ${(100 * a.train.std).toFixed(1)}%, sealed judges ${(100 * a.heldOut.mean).toFixed(1)} +- ${(100 * a.heldOut.std).toFixed(1)}%, dev judges ${(100 * a.dev.mean).toFixed(1)} +- ${(100 * a.dev.std).toFixed(1)}%, across ${(100 * a.across.mean).toFixed(1)}%, ties ${(100 * a.tieRate).toFixed(1)}%`,
  );
  const worst = ds.contamination.filter((r) => r.other === 'training' || (r.split === 'eval' && r.other === 'dev'));
  write(
    `contamination of dev and eval (verbatim / same task and subject / same subject): ${worst.map((r) => `${r.split} vs ${r.other} ${r.verbatim}/${r.sameTaskSubject}/${r.sameSubject}`).join(', ')}`,
  );
  for (const f of manifest.files) write(`${f.sha256}  ${f.file} (${f.rows} rows, ${f.bytes} bytes)`);
}

if (require.main === module) runCli('data', () => main(process.argv.slice(2)));
