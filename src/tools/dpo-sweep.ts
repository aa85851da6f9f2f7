/**
 * DPO's beta and learning rate, chosen on the dev split (never on the sealed evaluation 07
 * reports on). For each (beta, lr) of a grid, DPO is trained from a finished run's chosen SFT
 * checkpoint of one size on 07's training pairs, and measured three ways:
 *
 *   held-out pair accuracy  how often its implicit reward orders 04's validation comparisons
 *                           (held-out users, training labelers) as the labeler did
 *   dev win-rate            the dev prompts answered with 06's sampler, against the same SFT's
 *                           answers, judged by the dev judges (95% Wilson interval)
 *   KL to SFT, RM score     on its own samples of the first dev prompts (as 07 measures)
 *
 * Everything else comes from the run's config. The row with beta 0 is not a setting: it is SFT.
 */
import * as fs from 'fs';
import * as path from 'path';
import { answerPrompts } from '../eval/answers';
import { judgingPanel, winCounts } from '../eval/judge';
import { measurePolicy } from '../eval/measure-policy';
import { loadRunPanel, loadSplitPrompts } from '../eval/run-data';
import { winRateInterval, proportion } from '../eval/stats';
import { loadCheckpoint } from '../model/checkpoint';
import { pairAccuracy, trainDpo } from '../train/dpo';
import { disposePpoModels, loadPpoModels } from '../train/ppo-models';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { InputError } from '../util/jsonl';
import { dpoPairs } from '../workbook/after-stage';
import { workbookConfig } from '../workbook/profiles';
import { dpoTrainerConfig } from '../workbook/stage-configs';
import { toCsv } from '../data/csv';
import { finishedRunManifest, readJson } from './results';

export interface SweepOptions {
  run: string;
  size?: string;
  betas: number[];
  lrs: number[];
  /** dev prompts answered and judged */
  prompts: number;
  /** validation pairs scored */
  heldOut: number;
  onProgress?: (line: string) => void;
}

export interface SweepRow {
  beta: number;
  lr: number;
  heldOutAccuracy: number;
  heldOutLower: number;
  heldOutUpper: number;
  heldOutPairs: number;
  devWinRate: number;
  devLower: number;
  devUpper: number;
  wins: number;
  ties: number;
  losses: number;
  kl: number;
  rmScore: number;
  trainLoss: number;
  seconds: number;
}

export async function dpoSweep(o: SweepOptions): Promise<{ rows: SweepRow[]; size: string; runId: string; note: string }> {
  const dir = path.resolve(o.run);
  const m = finishedRunManifest(dir, o.run);
  const c = readJson(path.join(dir, 'config.json'), o.run);
  const cfg = workbookConfig(c.profile, c.params ?? {});
  const sizes = cfg.models.sizes.map((s) => s.name);
  const size = o.size ?? sizes[sizes.length - 1];
  if (!sizes.includes(size)) throw new InputError(`--size: ${size} is not a size of ${o.run} (${sizes.join(', ')})`);
  for (const [k, xs] of [
    ['--beta', o.betas],
    ['--lr', o.lrs],
  ] as const)
    if (!xs.length || xs.some((x) => !(Number.isFinite(x) && x > 0)))
      throw new InputError(`${k}: expected positive numbers separated by commas, got ${xs.join(',')}`);
  const ev = cfg.evaluation;
  const pairs = dpoPairs(dir, cfg);
  const heldOut = dpoPairs(dir, cfg, 'validation-training-labelers.jsonl', o.heldOut);
  const prompts = loadSplitPrompts(dir, 'dev').slice(0, o.prompts);
  const texts = prompts.map((p) => p.text);
  const judges = judgingPanel(loadRunPanel(dir), 'dev');
  const sampler = { maxNewTokens: ev.maxNewTokens, temperature: ev.temperature, topP: ev.topP, seed: cfg.seed };
  const start = loadPpoModels(dir, size, 'frozen', 'reward');
  const models = start.models;
  const rows: SweepRow[] = [];
  try {
    const sft = (await answerPrompts(models.reference, models.tokenizer, texts, { batchSize: ev.batchSize, generation: sampler })).answers;
    for (const beta of o.betas) {
      for (const lr of o.lrs) {
        const policy = loadCheckpoint(start.sftDir, { withOptimizer: false });
        for (const h of policy.heads.values()) h.dispose();
        try {
          const base = dpoTrainerConfig(cfg);
          const r = await trainDpo({
            policy: policy.model,
            reference: models.reference,
            tokenizer: models.tokenizer,
            pairs,
            config: { ...base, beta, lr, minLr: lr * (base.minLr / base.lr) },
          });
          const acc = await pairAccuracy(policy.model, models.reference, models.tokenizer, heldOut);
          const accCi = proportion(acc.right, acc.n);
          const answers = (await answerPrompts(policy.model, models.tokenizer, texts, { batchSize: ev.batchSize, generation: sampler })).answers;
          const counts = winCounts(judges, prompts, answers, sft);
          const ci = winRateInterval(counts);
          const measured = await measurePolicy({ ...models, policy: policy.model }, texts.slice(0, cfg.after.measurePrompts), {
            maxNewTokens: ev.maxNewTokens,
            temperature: ev.temperature,
            seed: cfg.seed,
            batchSize: ev.batchSize,
          });
          const tail = r.rows.slice(-Math.max(1, Math.floor(r.rows.length / 10)));
          const row: SweepRow = {
            beta,
            lr,
            heldOutAccuracy: acc.accuracy,
            heldOutLower: accCi.lower!,
            heldOutUpper: accCi.upper!,
            heldOutPairs: acc.n,
            devWinRate: ci.rate,
            devLower: ci.lower,
            devUpper: ci.upper,
            ...counts,
            kl: measured.kl,
            rmScore: measured.reward,
            trainLoss: tail.reduce((s, x) => s + x.loss, 0) / tail.length,
            seconds: r.seconds,
          };
          rows.push(row);
          o.onProgress?.(
            `beta ${beta} lr ${lr}: held-out pairs ${(100 * row.heldOutAccuracy).toFixed(1)}%, dev win-rate ${(100 * row.devWinRate).toFixed(1)}% [${(100 * row.devLower).toFixed(1)}, ${(100 * row.devUpper).toFixed(1)}], KL ${row.kl.toFixed(2)}, ${row.seconds.toFixed(0)} s`,
          );
        } finally {
          policy.model.dispose();
        }
      }
    }
  } finally {
    disposePpoModels(models);
  }
  const note = `run ${m.runId ?? o.run} (profile ${c.profile}, commit ${String(m.git?.commit ?? '?').slice(0, 7)}), size ${size} from ${start.note}; ${pairs.length} training pairs, ${heldOut.length} held-out pairs, ${prompts.length} dev prompts judged by the dev judges`;
  return { rows, size, runId: m.runId ?? o.run, note };
}

export function sweepMarkdown(s: { rows: SweepRow[]; note: string }, command: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    '# DPO on the dev split: beta and learning rate',
    '',
    `${s.note}. Made by \`${command}\`. Dev split only: a tuning read-out, not a result.`,
    '',
    '| beta | lr | held-out pair accuracy | dev win-rate vs SFT | W/T/L | KL to SFT | RM score | train loss (last tenth) | seconds |',
    '|---|---|---|---|---|---|---|---|---|',
    ...s.rows.map(
      (r) =>
        `| ${r.beta} | ${r.lr} | ${pct(r.heldOutAccuracy)} [${pct(r.heldOutLower)}, ${pct(r.heldOutUpper)}] | ${pct(r.devWinRate)} [${pct(r.devLower)}, ${pct(r.devUpper)}] | ${r.wins}/${r.ties}/${r.losses} | ${r.kl.toFixed(2)} | ${r.rmScore.toFixed(3)} | ${r.trainLoss.toFixed(3)} | ${r.seconds.toFixed(0)} |`,
    ),
    '',
  ].join('\n');
}

export function writeSweep(s: { rows: SweepRow[]; note: string }, out: string, command: string): string[] {
  fs.mkdirSync(out, { recursive: true });
  const files = [path.join(out, 'dpo-sweep.md'), path.join(out, 'dpo-sweep.csv'), path.join(out, 'dpo-sweep.json')];
  writeFileAtomic(files[0], sweepMarkdown(s, command));
  writeFileAtomic(files[1], toCsv(s.rows.length ? Object.keys(s.rows[0]) : [], s.rows as unknown as Record<string, unknown>[]));
  writeJsonAtomic(files[2], { note: s.note, command, rows: s.rows });
  return files;
}
