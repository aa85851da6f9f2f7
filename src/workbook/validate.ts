/**
 * Ranges of the whole resolved workbook config, checked before a run folder exists.
 *
 * `mergeConfig` checks keys and types; this checks what a type cannot say: counts are whole
 * and positive, rates are in their intervals, per-size arrays have one entry per model size,
 * a model's heads divide its width. Every message names the key, e.g.
 * `data.sftPrompts must be an integer >= 1, got 2.5`. Without it, a bad value failed a minute
 * or two later inside 01 or 02, with a run folder already written.
 */
import { validateConfig as validateGptConfig } from '../model/gpt';
import { validatePpoConfig } from '../train/ppo-config';
import { validateDpoConfig } from '../train/dpo-config';
import { MAX_OPENINGS } from '../eval/toxicity';
import type { WorkbookConfig } from './profiles';

type Rule = (v: number) => string | null;

const int =
  (min: number): Rule =>
  (v) =>
    Number.isInteger(v) && v >= min ? null : `must be an integer >= ${min}`;
const positive: Rule = (v) => (Number.isFinite(v) && v > 0 ? null : 'must be a finite number > 0');
const nonNegative: Rule = (v) => (Number.isFinite(v) && v >= 0 ? null : 'must be a finite number >= 0');
const fraction: Rule = (v) => (v > 0 && v < 1 ? null : 'must be in (0, 1)');
const mass: Rule = (v) => (v > 0 && v <= 1 ? null : 'must be in (0, 1]');
const dropout: Rule = (v) => (v >= 0 && v < 1 ? null : 'must be in [0, 1)');
const ratio: Rule = (v) => (v >= 0 && v <= 1 ? null : 'must be in [0, 1]');

/** Rules by dotted key; `[]` marks every entry of an array. Numbers not listed must be finite. */
const RULES: Record<string, Rule> = {
  seed: int(0),
  'data.sftPrompts': int(1),
  'data.rmPrompts': int(1),
  'data.ppoPrompts': int(1),
  'data.devPrompts': int(1),
  'data.evalPrompts': int(1),
  'data.trainLabelers': int(1),
  'data.heldOutLabelers': int(1),
  'data.devLabelers': int(1),
  'data.kMin': int(2),
  'data.kMax': int(2),
  'data.agreementPrompts': int(0),
  'tokenizer.vocabSize': int(260),
  'pretrain.maxAddresses': int(0),
  'pretrain.steps[]': int(1),
  'pretrain.batchSize': int(1),
  'pretrain.lr[]': positive,
  'pretrain.minLrRatio': ratio,
  'pretrain.warmupSteps': int(0),
  'pretrain.weightDecay': nonNegative,
  'pretrain.clipNorm': nonNegative,
  'pretrain.dropout': dropout,
  'pretrain.evalEvery': int(1),
  'pretrain.evalWindows': int(1),
  'pretrain.checkpointEvery': int(1),
  'pretrain.sampleTokens': int(0),
  'sft.epochs': int(1),
  'sft.batchSize': int(1),
  'sft.lr': positive,
  'sft.minLrRatio': ratio,
  'sft.warmupSteps': int(0),
  'sft.weightDecay': nonNegative,
  'sft.clipNorm': nonNegative,
  'sft.dropout': dropout,
  'sft.validationFraction': fraction,
  'sft.answerPrompts': int(0),
  'sft.maxNewTokens': int(1),
  'sft.temperature': positive,
  'sft.topP': mass,
  'sft.fewShotTokens': int(0),
  'reward.prompts': int(0),
  'reward.validationFraction': fraction,
  'reward.topP': mass,
  'reward.temperature': positive,
  'reward.maxNewTokens': int(1),
  'reward.batchPrompts': int(1),
  'reward.epochs': int(1),
  'reward.lr': positive,
  'reward.warmupSteps': int(0),
  'reward.minLrRatio': ratio,
  'reward.weightDecay': nonNegative,
  'reward.clipNorm': nonNegative,
  'reward.scoreBatch': int(1),
  'reward.evalEvery': int(1),
  'reward.ablationPrompts': int(0),
  'reward.selectionPrompts': int(1),
  'ppo.lrScale[]': positive,
  'ppo.ptxScale[]': positive,
  'ppo.rejection.samples[]': (v) => (v === 0 || (Number.isInteger(v) && v >= 2) ? null : 'must be 0 (none) or an integer >= 2'),
  'ppo.rejection.prompts': int(1),
  'ppo.rejection.epochs': int(1),
  'ppo.rejection.batchSize': int(1),
  'ppo.rejection.lr': positive,
  'ppo.measurePrompts': int(1),
  'ppo.examples': int(0),
  'ppo.pretrainChars': int(1000),
  'ppo.heldOutChars': int(1000),
  'ppo.trainer.kl.initKlCoef': nonNegative,
  'ppo.trainer.kl.target': positive,
  'ppo.trainer.kl.horizon': positive,
  'ppo.trainer.missingEos.penalty': nonNegative,
  'ppo.trainer.seed': int(0),
  'evaluation.prompts': int(0),
  'evaluation.maxNewTokens': int(1),
  'evaluation.temperature': positive,
  'evaluation.topP': mass,
  'evaluation.batchSize': int(1),
  'evaluation.bestOfNPrompts': int(0),
  'evaluation.bestOfN[]': int(1),
  'evaluation.perplexityTokens': int(1),
  'evaluation.biasPairs': int(0),
  'evaluation.klPrompts': int(1),
  'evaluation.realToxicityPrompts': int(0),
  'evaluation.taskSuiteItems': int(0),
  'evaluation.taskSuiteShots': int(0),
  'evaluation.taskSuiteMaxTokens': int(1),
  'after.prompts': int(0),
  'after.bestOfN[]': int(1),
  'after.measurePrompts': int(1),
  'after.dpoPairs': int(0),
  'after.rloo.k': int(2),
  'after.dpo.minLrRatio': ratio,
};

function walk(node: unknown, key: string, visit: (key: string, v: number) => void): void {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${key}[${i}]`, visit));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, key ? `${key}.${k}` : k, visit);
  else if (typeof node === 'number') visit(key, node);
}

/** Throws one line naming the first key out of range (`[where: ]key must be ..., got v`). */
export function validateWorkbookConfig(c: WorkbookConfig, where = ''): void {
  const at = where ? `${where}: ` : '';
  const fail = (key: string, why: string, got: unknown) => {
    throw new Error(`${at}${key} ${why}, got ${JSON.stringify(got)}`);
  };
  // models first: the per-size arrays are checked against their count
  const sizes = c.models.sizes;
  if (sizes.length !== 3) fail('models.sizes', 'must list three sizes (small, medium, large)', sizes);
  sizes.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) fail(`models.sizes[${i}]`, 'must be {name, nLayer, nHead, nEmbd, blockSize}', s);
    if (typeof s.name !== 'string' || !s.name) fail(`models.sizes[${i}].name`, 'must be a non-empty string', s.name);
    try {
      validateGptConfig(
        { vocabSize: c.tokenizer.vocabSize, blockSize: s.blockSize, nLayer: s.nLayer, nHead: s.nHead, nEmbd: s.nEmbd, dropout: 0, seed: 0 },
        `models.sizes[${i}]`,
      );
    } catch (e) {
      throw new Error(`${at}${(e as Error).message}`);
    }
    if (s.blockSize < 16) fail(`models.sizes[${i}].blockSize`, 'must be >= 16 (a prompt and an answer must fit)', s.blockSize);
  });
  walk({ ...c, models: undefined }, '', (key, v) => {
    const rule = RULES[key.replace(/\[\d+\]/g, '[]')];
    const why = rule ? rule(v) : Number.isFinite(v) ? null : 'must be a finite number';
    if (why) fail(key, why, v);
  });
  const perSize: [string, number[]][] = [
    ['pretrain.steps', c.pretrain.steps],
    ['pretrain.lr', c.pretrain.lr],
    ['ppo.lrScale', c.ppo.lrScale],
    ['ppo.ptxScale', c.ppo.ptxScale],
    ['ppo.rejection.samples', c.ppo.rejection.samples],
  ];
  for (const [key, list] of perSize) if (list.length !== sizes.length) fail(key, `must have one entry per model size (${sizes.length})`, list);
  if (c.data.kMax < c.data.kMin) fail('data.kMax', `must be >= data.kMin (${c.data.kMin})`, c.data.kMax);
  if (c.data.agreementPrompts > c.data.rmPrompts) fail('data.agreementPrompts', `must be <= data.rmPrompts (${c.data.rmPrompts})`, c.data.agreementPrompts);
  if (c.reward.prompts > c.data.rmPrompts) fail('reward.prompts', `must be <= data.rmPrompts (${c.data.rmPrompts}; 0 = all)`, c.reward.prompts);
  if (c.ppo.measurePrompts > c.data.devPrompts)
    fail('ppo.measurePrompts', `must be <= data.devPrompts (${c.data.devPrompts}: the PPO stage measures on dev prompts)`, c.ppo.measurePrompts);
  if (!sizes.some((s) => s.name === c.reward.size)) fail('reward.size', `must name a model size (${sizes.map((s) => s.name).join(', ')})`, c.reward.size);
  if (c.ppo.trainer.kl.kind !== 'fixed' && c.ppo.trainer.kl.kind !== 'adaptive')
    fail('ppo.trainer.kl.kind', 'must be fixed or adaptive', c.ppo.trainer.kl.kind);
  if (c.ppo.trainer.missingEos.mode !== 'subtract' && c.ppo.trainer.missingEos.mode !== 'replace')
    fail('ppo.trainer.missingEos.mode', 'must be subtract or replace', c.ppo.trainer.missingEos.mode);
  if (c.evaluation.split !== 'eval' && c.evaluation.split !== 'dev') fail('evaluation.split', 'must be eval or dev', c.evaluation.split);
  if (c.evaluation.bestOfN.length === 0) fail('evaluation.bestOfN', 'must list at least one n', c.evaluation.bestOfN);
  if (c.evaluation.realToxicityPrompts > MAX_OPENINGS)
    fail('evaluation.realToxicityPrompts', `must be <= ${MAX_OPENINGS} (the distinct openings the templates make)`, c.evaluation.realToxicityPrompts);
  if (c.after.bestOfN.length === 0) fail('after.bestOfN', 'must list at least one n', c.after.bestOfN);
  if (c.ppo.trainer.rolloutBatch < c.after.rloo.k)
    fail(
      'after.rloo.k',
      `must be <= ppo.trainer.rolloutBatch (${c.ppo.trainer.rolloutBatch}: RLOO samples as many answers per iteration as PPO)`,
      c.after.rloo.k,
    );
  validatePpoConfig(c.ppo.trainer, `${at}ppo.trainer`);
  validateDpoConfig({ ...c.after.dpo, minLr: c.after.dpo.lr * c.after.dpo.minLrRatio, seed: c.seed }, `${at}after.dpo`);
}
