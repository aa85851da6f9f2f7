/**
 * Headless PPO / PPO-ptx, the 05 notebook's training loop without the displays, for timing
 * and for checking the paper's effects on a run folder that 02-04 filled:
 *
 *   npx tsx src/tools/ppo-cli.ts <runDir> [profile] [sizes] [params-json]
 *   npx tsx src/tools/ppo-cli.ts runs/r1 default small,medium '{"ppo.trainer.iterations": 10}'
 *
 * Prints one line per iteration and, per size, SFT / PPO / PPO-ptx measured on the held-out
 * prompts (RM reward, KL to SFT, held-out pretraining loss). Checkpoints go where 05 puts them
 * (so 05 resumes from them).
 */
import * as path from 'path';
import { initEngine } from '../engine';
import { loadPrompts } from '../data/prompts';
import { buildCorpus, CORPUS_DEFAULTS, firstChars } from '../data/corpus';
import { Tokenizer } from '../model/tokenizer';
import { artifacts, requireArtifact } from '../util/artifacts';
import { workbookConfig } from '../workbook/profiles';
import { encodeStream } from '../train/batches';
import { trainPpo } from '../train/ppo';
import { measurePolicy, PolicyMeasure } from '../eval/measure-policy';
import { disposePpoModels, loadPpoModels } from '../train/ppo-models';
import { ppoTrainerConfig } from '../workbook/stage-configs';

const line = (name: string, m: PolicyMeasure, extra = '') =>
  `${name.padEnd(16)} reward ${m.reward.toFixed(3)}  KL ${m.kl.toFixed(2)}  pretrain loss ${m.pretrainLoss.toFixed(3)}  EOS ${(100 * m.eosRate).toFixed(0)}%${extra}`;

async function main(): Promise<void> {
  const [runDir, profile = 'default', sizesArg, paramsArg = '{}'] = process.argv.slice(2);
  if (!runDir) throw new Error('usage: ppo-cli.ts <runDir> [profile] [sizes] [params-json]');
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(paramsArg);
  } catch (e) {
    throw new Error(`params-json: not valid JSON (${(e as Error).message})`);
  }
  const cfg = workbookConfig(profile, params);
  const pc = cfg.ppo;
  const a = artifacts(runDir);
  const engine = await initEngine();
  const tokenizer = Tokenizer.load(requireArtifact(a.tokenizer, 'the tokenizer', '02-pretrain'));
  const corpus = buildCorpus({ ...CORPUS_DEFAULTS, maxAddresses: cfg.pretrain.maxAddresses, seed: cfg.seed });
  const pretrainTokens = encodeStream(tokenizer, firstChars(corpus.train, pc.pretrainChars));
  const heldOutTokens = encodeStream(tokenizer, firstChars(corpus.validation, pc.heldOutChars));
  const prompts = loadPrompts(requireArtifact(path.join(a.data, 'prompts-ppo.jsonl'), 'PPO prompts', '01-data')).map((p) => p.text);
  const evalPrompts = loadPrompts(requireArtifact(path.join(a.data, 'prompts-eval.jsonl'), 'evaluation prompts', '01-data'))
    .slice(0, pc.measurePrompts)
    .map((p) => p.text);
  const measureOpts = {
    maxNewTokens: pc.trainer.maxNewTokens,
    temperature: pc.trainer.temperature,
    seed: cfg.seed,
    missingEos: pc.trainer.missingEos,
    heldOutTokens,
    heldOutWindows: 4 * pc.trainer.evalPretrainBatch,
    ptxLength: pc.trainer.ptxLength,
  };
  const sizes = sizesArg ? sizesArg.split(',') : cfg.models.sizes.map((s) => s.name);
  console.log(`profile ${profile}, backend ${engine.backend}, ${prompts.length} PPO prompts, ${evalPrompts.length} held-out prompts, sizes ${sizes.join(',')}`);
  const t00 = Date.now();
  for (const size of sizes) {
    const results: string[] = [];
    for (const kind of ['ppo', 'ppo-ptx'] as const) {
      const t0 = Date.now();
      const start = loadPpoModels(runDir, size, pc.trainer.valueTrunk);
      if (kind === 'ppo') {
        console.log(`${size}: ${start.note}`);
        results.push(line('SFT', await measurePolicy({ ...start.models, policy: start.models.reference }, evalPrompts, measureOpts)));
      }
      const r = await trainPpo(start.models, { prompts, pretrainTokens, heldOutTokens }, ppoTrainerConfig(cfg, kind), {
        dir: a.ppo(size, kind),
        onIteration: (row) =>
          console.log(
            `  ${kind} ${size} ${String(row.iteration).padStart(3)}: score ${row['objective/scores'].toFixed(3)} kl ${row['objective/kl'].toFixed(2)} ` +
              `entropy ${row['objective/entropy'].toFixed(2)} clipfrac ${row['policy/clipfrac'].toFixed(2)} eos ${row['val/num_eos_tokens']} ` +
              `pretrain ${row['val/pretrain_loss'].toFixed(3)} ${row['time/seconds'].toFixed(1)}s`,
          ),
      });
      if (r.resumedFrom > 0) console.log(`  ${kind} ${size}: ${r.resumeNote}`);
      results.push(
        line(kind === 'ppo' ? 'PPO' : 'PPO-ptx', await measurePolicy(start.models, evalPrompts, measureOpts), `  (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
      );
      disposePpoModels(start.models);
    }
    console.log(`${size}, ${evalPrompts.length} held-out prompts:\n  ${results.join('\n  ')}`);
  }
  console.log(`total ${((Date.now() - t00) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  process.stderr.write(`ppo-cli: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
