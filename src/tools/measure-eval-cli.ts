/**
 * Time notebook 06 on a profile without training anything: a run folder with the profile's
 * data, a tokenizer of the profile's vocabulary (trained on a few addresses), and RANDOM
 * checkpoints for every model kind at every size (random models never emit EOS, so every
 * answer runs to maxNewTokens: the worst case). Prints per-cell seconds and the total.
 *
 *   npx tsx src/tools/measure-eval-cli.ts --profile default [--run-id measure-eval-default]
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { initEngine } from '../engine';
import { buildCorpus, CORPUS_DEFAULTS } from '../data/corpus';
import { buildDatasets, writeDatasets } from '../labelers/datasets';
import { dataConfig } from '../workbook/stage-configs';
import { saveCheckpoint } from '../model/checkpoint';
import { GPT } from '../model/gpt';
import { HeadName, ScalarHead } from '../model/heads';
import { trainTokenizer } from '../model/tokenizer-train';
import { writeJsonAtomic } from '../util/atomic';
import { artifacts } from '../util/artifacts';
import { executeNotebook } from '../workbook/execute';
import { injectParameters, readNotebook } from '../workbook/notebook';
import { ModelSize, workbookConfig } from '../workbook/profiles';

async function main(): Promise<void> {
  const o = new Command()
    .option('--profile <name>', 'smoke | default | paper', 'default')
    .option('--run-id <id>', 'run folder under runs/ (must not exist)')
    .parse(process.argv)
    .opts<{ profile: string; runId?: string }>();
  const cfg = workbookConfig(o.profile);
  const runDir = path.resolve('runs', o.runId ?? `measure-eval-${o.profile}-${Date.now()}`);
  if (fs.existsSync(runDir)) throw new Error(`${runDir} already exists; choose another --run-id`);
  await initEngine({ backend: 'cpu' }); // only to write weights
  const a = artifacts(runDir);
  writeDatasets(a.data, buildDatasets(dataConfig(cfg)));
  const corpus = buildCorpus({ ...CORPUS_DEFAULTS, maxAddresses: 12, seed: cfg.seed });
  const tokenizer = trainTokenizer(
    corpus.train.map((d) => d.text),
    { vocabSize: cfg.tokenizer.vocabSize },
  );
  tokenizer.save(a.tokenizer);
  const save = async (dir: string, s: ModelSize, seed: number, heads: HeadName[] = []) => {
    const model = new GPT({ vocabSize: tokenizer.vocabSize, blockSize: s.blockSize, nLayer: s.nLayer, nHead: s.nHead, nEmbd: s.nEmbd, dropout: 0, seed });
    const hs = heads.map((h) => new ScalarHead(h, s.nEmbd, seed));
    await saveCheckpoint(dir, { model, tokenizer, heads: hs, extra: { stage: 'measure-eval (random weights)' } });
    model.dispose();
    hs.forEach((h) => h.dispose());
  };
  for (const [i, s] of cfg.models.sizes.entries()) {
    await save(a.pretrain(s.name), s, 100 + i);
    await save(a.sftEpoch(s.name, 1), s, 200 + i);
    await save(a.ppo(s.name, 'ppo'), s, 300 + i);
    await save(a.ppo(s.name, 'ppo-ptx'), s, 400 + i);
  }
  await save(a.rewardModel, cfg.models.sizes[cfg.models.sizes.length - 1], 500, ['reward_head']);
  writeJsonAtomic(a.sftChoice, { chosen: Object.fromEntries(cfg.models.sizes.map((s) => [s.name, { epoch: 1 }])) });

  const file = path.resolve(__dirname, '../../notebooks/06-evaluation.ipynb');
  const input = path.join(runDir, 'notebooks', '06-evaluation.in.ipynb');
  fs.mkdirSync(path.dirname(input), { recursive: true });
  fs.writeFileSync(input, JSON.stringify(injectParameters(readNotebook(file), { profile: o.profile, params: {}, runDir }, file)));
  const r = await executeNotebook(input, path.join(runDir, 'notebooks', '06-evaluation.ipynb'), {
    cwd: path.dirname(file),
    kernel: 'tslab',
    timeoutSeconds: 3600,
    onEvent: (e) => {
      if (e.event === 'cell') console.log(`cell ${e.index}: ${e.seconds!.toFixed(1)} s`);
    },
  });
  if (!r.ok) {
    console.error(r.fatal ?? `cell ${r.failure?.index} failed:\n${r.failure?.stderr}`);
    process.exitCode = 1;
    return;
  }
  console.log(`06-evaluation on ${o.profile} (random checkpoints, worst case): ${r.seconds.toFixed(1)} s; run folder ${runDir}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
