/**
 * `--param` reaches every field of every stage's config: for each field the stage builder
 * returns, a `--param` on the profile key behind it changes that field (and only the run's
 * one `seed` is shared). The builders reproduce what the notebooks passed before they existed,
 * so a run's numbers do not move.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseParams } from '../../src/workbook/params';
import {
  dataConfig,
  dpoTrainerConfig,
  ppoTrainerConfig,
  rejectionSftConfig,
  pretrainConfig,
  rewardConfig,
  rlooTrainerConfig,
  sftConfig,
} from '../../src/workbook/stage-configs';
import { WorkbookConfig } from '../../src/workbook/profiles';
import { PRETRAIN_DEFAULTS } from '../../src/train/pretrain-config';
import { SFT_DEFAULTS } from '../../src/train/sft-config';
import { REWARD_DEFAULTS } from '../../src/train/reward-config';
import { PPO_DEFAULTS } from '../../src/train/ppo-config';
import { DPO_DEFAULTS } from '../../src/train/dpo-config';

type Built = Record<string, unknown>;
const PROFILES = ['smoke', 'default', 'gpu', 'paper'];

/** A different valid value for a param currently at `v`. */
function another(key: string, v: unknown): string {
  if (Array.isArray(v)) return JSON.stringify(v.map((x) => (Number.isInteger(x) ? 2 * x : x / 2)));
  if (typeof v === 'boolean') return String(!v);
  if (typeof v === 'number' && /(dropout|Ratio|Fraction|gamma|lambda)$/.test(key)) return String(v === 0 ? 0.1 : v / 2); // fractions stay in range
  if (/(miniBatch|agreementPrompts)$/.test(key)) return String(Math.floor((v as number) / 2)); // must divide rolloutBatch / stay <= rmPrompts
  if (typeof v === 'number') return String(Number.isInteger(v) ? (v === 0 ? 1 : 2 * v) : v / 2); // doubling keeps divisibility
  if (key === 'ppo.trainer.valueTrunk') return v === 'frozen' ? 'trained' : 'frozen';
  if (key === 'ppo.trainer.valueInit') return v === 'reward' ? 'zero' : 'reward';
  if (key === 'ppo.trainer.klEstimator') return v === 'k1' ? 'k3' : 'k1';
  if (key === 'ppo.trainer.kl.kind') return v === 'fixed' ? 'adaptive' : 'fixed';
  if (key === 'ppo.trainer.missingEos.mode') return v === 'replace' ? 'subtract' : 'replace';
  throw new Error(`no other value for ${key} = ${JSON.stringify(v)}`);
}

function valueAt(c: unknown, key: string): unknown {
  return key.split('.').reduce((node: any, k) => node?.[k], c);
}

/**
 * For every field of `build(config)` (nested objects walked), the param `keyOf(field)`
 * changes it. Fields in `fromSeed` come from the run's seed.
 */
function checkReachable(stage: string, build: (c: WorkbookConfig) => Built, keyOf: (field: string) => string, fromSeed: string[] = ['seed']): string[] {
  const { config } = parseParams('smoke', []);
  const base = build(config);
  const unreached: string[] = [];
  const walk = (node: Built, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const field = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        walk(v as Built, field);
        continue;
      }
      if (fromSeed.includes(field)) {
        const seeded = build(parseParams('smoke', [`seed=${config.seed + 1}`]).config);
        if (valueAt(seeded, field) === valueAt(base, field)) unreached.push(`${stage}.${field} (not from seed)`);
        continue;
      }
      const key = keyOf(field);
      const now = valueAt(config, key);
      if (now === undefined) {
        unreached.push(`${stage}.${field} (no profile key ${key})`);
        continue;
      }
      const changed = build(parseParams('smoke', [`${key}=${another(key, now)}`]).config);
      if (JSON.stringify(valueAt(changed, field)) === JSON.stringify(valueAt(base, field)))
        unreached.push(`${stage}.${field} (--param ${key} does not change it)`);
    }
  };
  walk(base, '');
  return unreached;
}

test('--param reaches every field of every stage config', () => {
  const unreached = [
    ...checkReachable(
      'pretrain',
      (c) => pretrainConfig(c, 1) as unknown as Built,
      (f) => (f === 'minLr' ? 'pretrain.minLrRatio' : `pretrain.${f}`),
    ),
    ...checkReachable(
      'sft',
      (c) => sftConfig(c) as unknown as Built,
      (f) => (f === 'minLr' ? 'sft.minLrRatio' : `sft.${f}`),
    ),
    // mode is the ablation's switch: the RM itself always trains on whole rankings
    ...checkReachable(
      'reward',
      (c) => {
        const { mode: _m, ...rest } = rewardConfig(c);
        return rest as Built;
      },
      (f) => `reward.${f}`,
    ),
    ...checkReachable(
      'ppo',
      (c) => ppoTrainerConfig(c, 'ppo-ptx', 'large') as unknown as Built,
      (f) => `ppo.trainer.${f}`,
    ),
    ...checkReachable(
      'dpo',
      (c) => dpoTrainerConfig(c) as unknown as Built,
      (f) => (f === 'minLr' ? 'after.dpo.minLrRatio' : `after.dpo.${f}`),
    ),
    // RLOO runs PPO's rollout: every field but k is a ppo.trainer key
    ...checkReachable(
      'rloo',
      (c) => rlooTrainerConfig(c) as unknown as Built,
      (f) =>
        (
          ({
            k: 'after.rloo.k',
            promptsPerIteration: 'ppo.trainer.rolloutBatch',
            beta: 'ppo.trainer.kl.initKlCoef',
            gradientChunk: 'ppo.trainer.miniBatch',
          }) as Record<string, string>
        )[f] ?? `ppo.trainer.${f}`,
    ),
    ...checkReachable(
      'data',
      (c) => {
        const d = dataConfig(c);
        return {
          sizes: d.sizes,
          kMin: d.kMin,
          kMax: d.kMax,
          agreementPrompts: d.agreementPrompts,
          trainLabelers: d.panel.trainLabelers,
          heldOutLabelers: d.panel.heldOutLabelers,
          devLabelers: d.panel.devLabelers,
          seed: d.seed,
        };
      },
      (f) =>
        (
          ({
            'sizes.sft': 'data.sftPrompts',
            'sizes.rm': 'data.rmPrompts',
            'sizes.ppo': 'data.ppoPrompts',
            'sizes.dev': 'data.devPrompts',
            'sizes.eval': 'data.evalPrompts',
          }) as Record<string, string>
        )[f] ?? `data.${f}`,
    ),
  ];
  assert.deepEqual(unreached, []);
});

test('the builders give every profile the values the notebooks used before them (so numbers stay)', () => {
  for (const profile of PROFILES) {
    const { config: c } = parseParams(profile, []);
    c.models.sizes.forEach((_, i) => {
      const p = c.pretrain;
      assert.deepEqual(
        pretrainConfig(c, i),
        {
          ...PRETRAIN_DEFAULTS,
          steps: p.steps[i],
          batchSize: p.batchSize,
          lr: p.lr[i],
          minLr: p.lr[i] / 10,
          warmupSteps: p.warmupSteps,
          evalEvery: p.evalEvery,
          evalWindows: p.evalWindows,
          checkpointEvery: p.checkpointEvery,
          seed: c.seed,
        },
        `${profile} pretrain ${i}`,
      );
    });
    const s = c.sft;
    assert.deepEqual(
      sftConfig(c),
      { ...SFT_DEFAULTS, epochs: s.epochs, batchSize: s.batchSize, lr: s.lr, minLr: s.lr / 10, dropout: s.dropout, seed: c.seed },
      `${profile} sft`,
    );
    const r = c.reward;
    assert.deepEqual(
      rewardConfig(c),
      { ...REWARD_DEFAULTS, batchPrompts: r.batchPrompts, epochs: r.epochs, lr: r.lr, warmupSteps: r.warmupSteps, evalEvery: r.evalEvery, seed: c.seed },
      `${profile} reward`,
    );
    for (const [i, { name }] of c.models.sizes.entries()) {
      const lr = c.ppo.trainer.lr * c.ppo.lrScale[i];
      assert.deepEqual(ppoTrainerConfig(c, 'ppo', name), { ...c.ppo.trainer, lr, ptxCoef: 0, seed: c.seed }, `${profile} ppo ${name}`);
      assert.equal(ppoTrainerConfig(c, 'ppo-ptx', name).ptxCoef, c.ppo.trainer.ptxCoef * c.ppo.ptxScale[i]);
    }
  }
  assert.ok(
    Object.keys(PPO_DEFAULTS).every((k) => k in parseParams('default', []).config.ppo.trainer),
    'the profile holds the whole PPO trainer',
  );
});

test("ppo.lrScale sets each size's policy learning rate, one entry per size, the value network's rate untouched", () => {
  const { config: c } = parseParams('default', ['ppo.lrScale=[1,1,0.5]', 'ppo.trainer.lr=0.0002']);
  assert.deepEqual(
    c.models.sizes.map((s) => ppoTrainerConfig(c, 'ppo-ptx', s.name).lr),
    [0.0002, 0.0002, 0.0001],
  );
  assert.deepEqual(
    c.models.sizes.map((s) => ppoTrainerConfig(c, 'ppo', s.name).valueLr),
    [c.ppo.trainer.valueLr, c.ppo.trainer.valueLr, c.ppo.trainer.valueLr],
  );
  assert.throws(
    () => parseParams('default', ['ppo.lrScale=[1,0.5]']),
    /^InputError: --param: ppo\.lrScale must have one entry per model size \(3\), got \[1,0\.5\]$/,
  );
  assert.throws(() => parseParams('default', ['ppo.lrScale=[1,0,1]']), /^InputError: --param: ppo\.lrScale\[1\] must be a finite number > 0, got 0$/);
  assert.throws(() => ppoTrainerConfig(c, 'ppo', 'huge'), /^Error: ppoTrainerConfig: no model size "huge" \(small, medium, large\)$/);
});

test("ppo.ptxScale sets each size's PPO-ptx pretraining weight, one entry per size; plain PPO keeps none", () => {
  const { config: c } = parseParams('default', ['ppo.ptxScale=[1,2,0.25]', 'ppo.trainer.ptxCoef=0.04']);
  assert.deepEqual(
    c.models.sizes.map((s) => ppoTrainerConfig(c, 'ppo-ptx', s.name).ptxCoef),
    [0.04, 0.08, 0.01],
  );
  assert.deepEqual(
    c.models.sizes.map((s) => ppoTrainerConfig(c, 'ppo', s.name).ptxCoef),
    [0, 0, 0],
  );
  assert.throws(
    () => parseParams('default', ['ppo.ptxScale=[1,1,1,1]']),
    /^InputError: --param: ppo\.ptxScale must have one entry per model size \(3\), got \[1,1,1,1\]$/,
  );
  assert.throws(() => parseParams('default', ['ppo.ptxScale=[1,1,-1]']), /^InputError: --param: ppo\.ptxScale\[2\] must be a finite number > 0, got -1$/);
});

test("ppo.rejection.samples turns rejection-sampling fine-tuning on per size; it samples and scores as the size's trainer", () => {
  assert.deepEqual(
    parseParams('default', []).config.models.sizes.map((s) => rejectionSftConfig(parseParams('default', []).config, s.name)),
    [null, null, null],
    'off in default',
  );
  const { config: c } = parseParams('default', ['ppo.rejection.samples=[0,0,8]', 'ppo.rejection.lr=3e-4']);
  assert.equal(rejectionSftConfig(c, 'small'), null);
  const t = c.ppo.trainer;
  assert.deepEqual(rejectionSftConfig(c, 'large'), {
    samples: 8,
    prompts: c.ppo.rejection.prompts,
    epochs: c.ppo.rejection.epochs,
    batchSize: c.ppo.rejection.batchSize,
    lr: 3e-4,
    maxNewTokens: t.maxNewTokens,
    temperature: t.temperature,
    missingEos: t.missingEos,
    seed: c.seed,
  });
  assert.throws(
    () => parseParams('default', ['ppo.rejection.samples=[0,1,0]']),
    /^InputError: --param: ppo\.rejection\.samples\[1\] must be 0 \(none\) or an integer >= 2, got 1$/,
  );
  assert.throws(
    () => parseParams('default', ['ppo.rejection.samples=[8,8]']),
    /^InputError: --param: ppo\.rejection\.samples must have one entry per model size \(3\), got \[8,8\]$/,
  );
});

test('a param the workbook would overwrite is refused, naming what to use instead', () => {
  assert.throws(
    () => parseParams('smoke', ['ppo.trainer.seed=3']),
    /^InputError: --param: ppo\.trainer\.seed is set by the workbook: every stage takes the run's one seed; use --param seed=N$/,
  );
});

test("the library's DEFAULTS are the default profile's: one set of defaults (the run's seed aside)", () => {
  const { config: c } = parseParams('default', []);
  const noSeed = <T extends { seed: number }>(x: T) => ({ ...x, seed: 0 });
  assert.deepEqual(noSeed(PRETRAIN_DEFAULTS), noSeed(pretrainConfig(c, 0)), 'pretraining: the smallest size');
  assert.deepEqual(noSeed(SFT_DEFAULTS), noSeed(sftConfig(c)));
  assert.deepEqual(noSeed(REWARD_DEFAULTS), noSeed(rewardConfig(c)));
  for (const { name } of c.models.sizes) assert.deepEqual(noSeed(PPO_DEFAULTS), noSeed(ppoTrainerConfig(c, 'ppo-ptx', name)), name);
  assert.deepEqual(noSeed(DPO_DEFAULTS), noSeed(dpoTrainerConfig(c)));
});
