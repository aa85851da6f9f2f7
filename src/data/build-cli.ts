/**
 * Build the datasets of a profile and print their sha256:
 *   npx tsx src/data/build-cli.ts --profile smoke --out data/smoke
 */
import { Command } from 'commander';
import { workbookConfig } from '../workbook/profiles';
import { buildDatasets, writeDatasets } from './build';
import { dataConfig } from './profile';

const program = new Command()
  .option('--profile <name>', 'smoke | default | paper', 'smoke')
  .option('--out <dir>', 'output folder (replaced as a whole)')
  .option('--param <key=value...>', 'profile overrides, e.g. data.sftPrompts=200', [])
  .parse(process.argv);
const opts = program.opts<{ profile: string; out?: string; param: string[] }>();
const params: Record<string, string> = {};
for (const p of opts.param) {
  const eq = p.indexOf('=');
  if (eq <= 0) throw new Error(`--param: expected key=value, got "${p}"`);
  params[p.slice(0, eq)] = p.slice(eq + 1);
}
const cfg = workbookConfig(opts.profile, params);
const out = opts.out ?? `runs/data-${opts.profile}`;
const t0 = Date.now();
const ds = buildDatasets(dataConfig(cfg));
const manifest = writeDatasets(out, ds);
const a = ds.agreement;
console.log(`built ${opts.profile} data in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${out}`);
console.log(`agreement: training ${(100 * a.train.mean).toFixed(1)} +- ${(100 * a.train.std).toFixed(1)}%, held-out ${(100 * a.heldOut.mean).toFixed(1)} +- ${(100 * a.heldOut.std).toFixed(1)}%, across ${(100 * a.across.mean).toFixed(1)}%, ties ${(100 * a.tieRate).toFixed(1)}%`);
for (const f of manifest.files) console.log(`${f.sha256}  ${f.file} (${f.rows} rows, ${f.bytes} bytes)`);
