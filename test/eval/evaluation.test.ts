import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { factPool } from '../../src/data/pool';
import { generatePrompts, PROMPT_DEFAULTS } from '../../src/data/prompts';
import { parseCsv } from '../../src/data/csv';
import { CORPUS_DEFAULTS } from '../../src/data/corpus';
import { demonstrate } from '../../src/labelers/demonstrate';
import { makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { measureAgreement } from '../../src/labelers/agreement';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { Rng } from '../../src/util/random';
import { writeJsonAtomic, writeJsonlAtomic } from '../../src/util/atomic';
import { artifacts } from '../../src/util/artifacts';
import { workbookConfig } from '../../src/workbook/profiles';
import {
  answerEveryModel,
  answersFor,
  biasAndPerplexityRows,
  bestOfNPoints,
  EvaluationConfig,
  hallucinationRows,
  loadAnswerBook,
  qualityRows,
  realToxicityPrompts,
  realToxicityRows,
  rewardAgreement,
  rlPoints,
  taskSuite,
  taskSuiteRows,
  truthRows,
  winRateByCategoryRows,
  winRateRows,
} from '../../src/eval/evaluation';
import { probeSets, distinctTexts } from '../../src/eval/probes';
import { modelRoster, NOT_TRAINED, ppoStepDir } from '../../src/eval/roster';
import { loadDemonstrations, loadEvalPrompts, loadPanel, loadRunPanel } from '../../src/eval/run-data';
import { buildSummary, writeSummary } from '../../src/eval/summary';
import { saveTable } from '../../src/eval/tables';

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-run-'));
after(() => fs.rmSync(runDir, { recursive: true, force: true }));
const CFG: EvaluationConfig = {
  ...workbookConfig('smoke').evaluation,
  maxNewTokens: 6,
  batchSize: 16,
  realToxicityPrompts: 3,
  taskSuiteItems: 3,
  taskSuiteShots: 2,
  taskSuiteMaxTokens: 6,
  bestOfNPrompts: 2,
  bestOfN: [1, 2, 4],
  perplexityTokens: 64,
  biasPairs: 2,
  klPrompts: 3,
};
let tok: Tokenizer;

before(async () => {
  await initEngine({ backend: 'cpu' });
  const a = artifacts(runDir);
  const prompts = generatePrompts(14, factPool(1), PROMPT_DEFAULTS, new Rng(2)).slice(0, 14);
  const demos = prompts.slice(0, 4).map((p, i) => ({ prompt: p.text, answer: demonstrate(p, new Rng(i)), category: p.category }));
  writeJsonlAtomic(path.join(a.data, 'prompts-eval.jsonl'), prompts);
  writeJsonlAtomic(path.join(a.data, 'demonstrations.jsonl'), demos);
  writeJsonAtomic(path.join(a.data, 'panel.json'), makePanel({ ...PANEL_DEFAULTS, trainLabelers: 3, heldOutLabelers: 2 }));
  tok = trainTokenizer([...prompts.map((p) => p.text), ...demos.map((d) => d.answer)], { vocabSize: 300, minFrequency: 1 });
  const gpt = (seed: number, nEmbd: number) => new GPT({ vocabSize: tok.vocabSize, blockSize: 48, nLayer: 1, nHead: 2, nEmbd, seed });
  const save = async (dir: string, m: GPT, heads: ScalarHead[] = []) => {
    await saveCheckpoint(dir, { model: m, tokenizer: tok, heads });
    m.dispose();
    heads.forEach((h) => h.dispose());
  };
  await save(a.pretrain('small'), gpt(1, 8));
  await save(a.pretrain('large'), gpt(2, 16));
  for (const e of [1, 2]) {
    await save(a.sftEpoch('small', e), gpt(10 + e, 8));
    await save(a.sftEpoch('large', e), gpt(20 + e, 16));
  }
  writeJsonAtomic(a.sftChoice, { chosen: { small: { epoch: 2 }, large: { epoch: 1 } } });
  await save(a.rewardModel, gpt(30, 16), [new ScalarHead('reward_head', 16, 3)]);
  await save(a.ppo('large', 'ppo-ptx'), gpt(40, 16));
  await save(ppoStepDir(runDir, 'large', 'ppo-ptx', 1), gpt(41, 16)); // a snapshot 05 keeps along the way
});

test('the roster finds what exists and lists the rest as not trained', () => {
  const roster = modelRoster(runDir, ['small', 'large']);
  assert.equal(roster.length, 10);
  const of = (kind: string, size: string) => roster.find((e) => e.kind === kind && e.size === size)!;
  assert.match(of('sft', 'small').dir!, /epoch-2$/);
  assert.match(of('sft', 'large').note, /epoch 1, chosen by RM score/);
  assert.equal(of('ppo', 'large').dir, null);
  assert.equal(of('ppo', 'large').note, NOT_TRAINED);
  assert.ok(of('ppo-ptx', 'large').dir);
  assert.equal(of('gpt-prompted', 'small').dir, of('gpt', 'small').dir);
});

test('the whole evaluation runs on tiny models: tables, missing models, summary, no leaks, repeatable', async () => {
  const before = tf.memory().numTensors;
  const roster = modelRoster(runDir, ['small', 'large']);
  const prompts = loadEvalPrompts(runDir);
  const panel = loadRunPanel(runDir);
  const sets = probeSets(prompts);
  const openings = realToxicityPrompts(CFG.realToxicityPrompts, 5);
  const texts = distinctTexts(sets.main, sets.honesty, openings);
  const book = await answerEveryModel(runDir, roster, texts, CFG, 5, { examples: loadDemonstrations(runDir), maxTokens: 24 });
  assert.equal(Object.keys(book.answers).length, 7); // 10 minus ppo x2 and ppo-ptx small
  assert.deepEqual(loadAnswerBook(path.join(artifacts(runDir).eval, 'answers.jsonl')), book);
  const again = await answerEveryModel(
    runDir,
    roster.filter((e) => e.kind === 'sft'),
    texts,
    CFG,
    5,
    { examples: [], maxTokens: 0 },
  );
  assert.deepEqual(again.answers['sft/large'], book.answers['sft/large']);

  const vsLarge = winRateRows(book, roster, sets.main, panel, 'sft/large');
  const self = vsLarge.find((r) => r.kind === 'sft' && r.size === 'large')!;
  assert.equal(self.winRate, 0.5); // identical answers always tie
  assert.equal(self.ties, prompts.length);
  const missing = vsLarge.find((r) => r.kind === 'ppo' && r.size === 'small')!;
  assert.equal(missing.winRate, null);
  assert.equal(missing.note, NOT_TRAINED);
  const vsSame = winRateRows(book, roster, sets.main, panel, null);
  const ptx = vsSame.find((r) => r.kind === 'ppo-ptx' && r.size === 'large')!;
  assert.ok(ptx.lower! <= ptx.winRate! && ptx.winRate! <= ptx.upper!);
  assert.equal(ptx.wins! + ptx.ties! + ptx.losses!, prompts.length);
  const byCategory = winRateByCategoryRows(book, roster, sets.main, panel, null);
  const ptxAll = byCategory.find((r) => r.kind === 'ppo-ptx' && r.size === 'large' && r.category === 'all')!;
  assert.deepEqual(
    [ptxAll.wins, ptxAll.ties, ptxAll.losses, ptxAll.winRate, ptxAll.lower, ptxAll.upper],
    [ptx.wins, ptx.ties, ptx.losses, ptx.winRate, ptx.lower, ptx.upper],
  );
  assert.equal(
    byCategory.filter((r) => r.kind === 'ppo-ptx' && r.size === 'large' && r.category !== 'all').reduce((n, r) => n + r.n, 0),
    prompts.length,
  );

  const quality = qualityRows(book, roster, sets.main, panel);
  for (const q of quality) if (q.likert !== null) assert.ok(q.likert >= 1 && q.likert <= 7);
  const pool = factPool(1);
  const truth = truthRows(book, roster, sets.honesty, pool);
  assert.equal(truth.length, 10 * 4 * 2);
  const hallucination = hallucinationRows(book, roster, sets.main, pool);
  assert.equal(hallucination.length, 10);
  const toxicity = realToxicityRows(book, roster, openings);
  const tptx = toxicity.find((r) => r.kind === 'ppo-ptx' && r.size === 'large' && r.openings === 'all' && r.instruction === 'be_respectful')!;
  assert.equal(tptx.n, CFG.realToxicityPrompts);
  assert.equal(typeof tptx.toxicCount, 'number');
  const items = taskSuite(prompts, pool, CFG, 5);
  const tax = await taskSuiteRows(roster, items, CFG);
  const taxPtx = tax.find((r) => r.kind === 'ppo-ptx' && r.size === 'large' && r.task === 'all')!;
  assert.equal(taxPtx.n, items.length);
  assert.equal(typeof taxPtx.correctCount, 'number');
  const bp = await biasAndPerplexityRows(roster, CFG, { ...CORPUS_DEFAULTS, maxAddresses: 6, seed: 1 });
  const gptLarge = bp.find((r) => r.kind === 'gpt' && r.size === 'large')!;
  assert.ok((gptLarge.biasEntropy as number) > 0 && (gptLarge.biasEntropy as number) <= 1);
  assert.equal(gptLarge.biasOccupations, CFG.biasPairs, 'the probe reads biasPairs occupations');
  assert.ok((gptLarge.pplAddresses as number) > 1);
  const rm = await rewardAgreement(runDir, book, sets.main, panel, 16);
  assert.ok(rm && rm.accuracy >= 0 && rm.accuracy <= 1 && rm.comparisons > 0);
  // the labelers' bar is their agreement on these same answers (measureAgreement on the answer book)
  const same = measureAgreement(
    panel,
    sets.main.map((p, i) => ({
      prompt: p,
      answers: Object.keys(book.answers)
        .filter((k) => !k.startsWith('gpt-prompted'))
        .map((k) => answersFor(book, k, sets.main)![i]),
    })),
  );
  assert.deepEqual(rm.labelersOnSamePairs, { train: same.train.mean, heldOut: same.heldOut.mean });
  const sftLarge = roster.find((e) => e.kind === 'sft' && e.size === 'large')!.dir!;
  const bon = (await bestOfNPoints(runDir, sftLarge, sets.main, panel, CFG, 5))!;
  assert.deepEqual(
    bon.map((p) => p.label),
    ['best-of-1', 'best-of-2', 'best-of-4'],
  );
  for (let i = 1; i < bon.length; i++) assert.ok(bon[i].proxy >= bon[i - 1].proxy - 1e-6);
  const rl = (await rlPoints(runDir, roster, 'large', sets.main, panel, CFG, 5))!;
  assert.deepEqual(
    rl.map((p) => p.label),
    ['SFT', 'PPO-ptx step 1', 'PPO-ptx'],
  );
  assert.equal(rl[0].d, 0);

  const claims = buildSummary({
    sizes: ['small', 'large'],
    winVsLargestSft: vsLarge,
    winVsSameSft: vsSame,
    ptxVsGpt: null,
    rm,
    labelerAgreement: null,
    truth,
    hallucination,
    toxicity,
    tax,
    bias: bp,
    perplexity: bp,
  });
  assert.ok(claims.length >= 8);
  assert.equal(claims.find((c) => c.claim.startsWith('PPO-ptx pays less'))!.verdict, 'not measured'); // no PPO in this run
  for (const c of claims) assert.ok(['reproduces', 'does not reproduce', 'partly', 'not measured', 'not judged'].includes(c.verdict), c.verdict);
  const evalDir = artifacts(runDir).eval;
  writeSummary(evalDir, claims);
  saveTable(vsLarge as any, evalDir, 'win-rates');
  const csv = parseCsv(fs.readFileSync(path.join(evalDir, 'win-rates.csv'), 'utf8'));
  assert.equal(csv.length, vsLarge.length + 1);
  assert.equal(JSON.parse(fs.readFileSync(path.join(evalDir, 'win-rates.json'), 'utf8')).length, vsLarge.length);
  assert.match(fs.readFileSync(path.join(evalDir, 'summary.html'), 'utf8'), /not measured/);
  assert.equal(tf.memory().numTensors, before);
});

test('a bad panel file is rejected naming the file, the labeler and the key', () => {
  const file = path.join(runDir, 'bad-panel.json');
  const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 1, heldOutLabelers: 1 });
  fs.writeFileSync(file, JSON.stringify([panel[0], { ...panel[1], weights: { ...panel[1].weights, honest: 'high' } }]));
  assert.throws(
    () => loadPanel(file),
    (e: Error) => e.message.includes(file) && /labeler 1 \(D01\): weights\.honest must be a number/.test(e.message),
  );
  fs.writeFileSync(file, '{not json');
  assert.throws(() => loadPanel(file), /not valid JSON/);
  assert.throws(() => loadEvalPrompts(path.join(runDir, 'nowhere')), /run notebook 01-data first/);
});
