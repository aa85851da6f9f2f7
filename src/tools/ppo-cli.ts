/**
 * Headless PPO / PPO-ptx, the 05 notebook's training loop without the displays, for timing
 * and for checking the paper's effects on a run folder that 02-04 filled:
 *
 *   npx tsx src/tools/ppo-cli.ts <runDir> [profile] [sizes] [params-json]
 *   npx tsx src/tools/ppo-cli.ts runs/r1 default small,medium '{"ppo.trainer.iterations": 10}'
 *
 * Prints one line per iteration and, per size, SFT / PPO / PPO-ptx measured on the dev
 * prompts (RM reward, KL to SFT, held-out pretraining loss). Checkpoints go where 05 puts them
 * (so 05 resumes from them).
 */
import { initEngine } from '../engine';
import { PolicyMeasure } from '../eval/measure-policy';
import { workbookConfig } from '../workbook/profiles';
import { preparePpoStage, runPpoStage } from '../workbook/ppo-stage';

const line = (name: string, m: PolicyMeasure) =>
  `${name.padEnd(16)} reward ${m.reward.toFixed(3)}  KL ${m.kl.toFixed(2)}  pretrain loss ${m.pretrainLoss.toFixed(3)}  EOS ${(100 * m.eosRate).toFixed(0)}%`;

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
  const engine = await initEngine();
  const data = preparePpoStage(runDir, cfg, sizesArg ? sizesArg.split(',') : undefined);
  console.log(
    `profile ${profile}, backend ${engine.backend}, ${data.ppoPrompts.length} PPO prompts, ${data.devPrompts.length} dev prompts, sizes ${data.sizes.join(',')}`,
  );
  const t00 = Date.now();
  const { runs } = await runPpoStage(runDir, cfg, data, {
    onSize: (size, note) => console.log(`${size}: ${note}`),
    onRunStart: (r) => {
      if (r.resumedFrom > 0) console.log(`  ${r.kind} ${r.size}: ${r.resumeNote}`);
    },
    onIteration: (size, kind, row) =>
      console.log(
        `  ${kind} ${size} ${String(row.iteration).padStart(3)}: score ${row['objective/scores'].toFixed(3)} kl ${row['objective/kl'].toFixed(2)} ` +
          `entropy ${row['objective/entropy'].toFixed(2)} clipfrac ${row['policy/clipfrac'].toFixed(2)} eos ${row['val/num_eos_tokens']} ` +
          `pretrain ${row['val/pretrain_loss'].toFixed(3)} dev judges ${row['dev/judge_score'].toFixed(3)} refusing ${row['dev/refusal_rate'].toFixed(2)} ` +
          `${row['time/seconds'].toFixed(1)}s`,
      ),
    onMeasured: (size, model, m) => console.log(`${size}, ${data.devPrompts.length} dev prompts: ${line(model, m)}`),
  });
  for (const r of runs) console.log(`${r.kind} ${r.size}: ${r.seconds.toFixed(0)} s`);
  console.log(`total ${((Date.now() - t00) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  process.stderr.write(`ppo-cli: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
