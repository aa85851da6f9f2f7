import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { tokenLogProbs } from '../../src/model/logprobs';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { DivergenceError, RolloutTexts, trainPpo } from '../../src/train/ppo';
import { PpoConfig } from '../../src/train/ppo-config';
import { answerLogProbs, makeEpisodes, promptOrder, rewardScores, rolloutPrompt, rolloutPromptIndices } from '../../src/train/ppo-episodes';
import { METRICS, PpoModels, PpoRow } from '../../src/train/ppo-types';
import { measurePolicy } from '../../src/eval/measure-policy';
import { validatePpoConfig, PPO_DEFAULTS as DEFAULTS } from '../../src/train/ppo-config';
import { DEFAULTS as KL_DEFAULTS } from '../../src/rl/kl-controller';
import { DEFAULTS as EOS_DEFAULTS } from '../../src/rl/rewards';
import { chooseSftEpoch, disposePpoModels, loadPpoModels } from '../../src/train/ppo-models';
import { RewardModel } from '../../src/train/reward';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { artifacts } from '../../src/util/artifacts';

let tok: Tokenizer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ppo-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const corpus = 'the answer is good. the answer is bad. what is the capital? paris is fine, rome is wrong. ';
let pretrainTokens: number[];
const prompts = ['what is the capital?', 'is the answer good?', 'rome or paris?', 'say something fine', 'the capital is', 'what is wrong?'];

before(async () => {
  await initEngine({ backend: 'cpu' });
  tok = trainTokenizer([corpus], { vocabSize: 300, minFrequency: 1 });
  pretrainTokens = tok.encode(corpus.repeat(4), { allowSpecial: false });
});

const C = 16;
function gpt(seed: number): GPT {
  return new GPT({ vocabSize: tok.vocabSize, blockSize: 40, nLayer: 1, nHead: 2, nEmbd: C, seed });
}

/** A random RM whose EOS position reads the answer: attention weights scaled up from a fresh
 *  init (at init scale its EOS state is nearly the EOS embedding alone, whatever the answer). */
function sharpGpt(seed: number, scale: number): GPT {
  const base = gpt(seed);
  const w = new Map<string, tf.Tensor>([...base.weights].map(([k, v]) => [k, /attn\.c_(attn|proj)\.weight$/.test(k) ? v.mul(scale) : v.clone()]));
  base.dispose();
  return new GPT(base.config, w);
}

/** SFT stand-in (policy = reference at the start) and an RM whose head also starts the value network. */
function models(opts: { rmBias?: number; rmWeight?: number; rmScale?: number } = {}): PpoModels {
  const rewardHead = new ScalarHead('reward_head', C, 7);
  if (opts.rmWeight !== undefined) rewardHead.weight.assign(tf.fill([C, 1], opts.rmWeight));
  if (opts.rmBias !== undefined) rewardHead.bias.assign(tf.fill([1], opts.rmBias));
  const valueHead = new ScalarHead(
    'value_head',
    C,
    0,
    new Map<string, tf.Tensor>([
      ['value_head.weight', rewardHead.weight],
      ['value_head.bias', rewardHead.bias],
    ]),
  );
  const rm = () => (opts.rmScale ? sharpGpt(5, opts.rmScale) : gpt(5));
  return { policy: gpt(1), reference: gpt(1), rewardModel: rm(), rewardHead, valueModel: rm(), valueHead, tokenizer: tok };
}

function dispose(m: PpoModels): void {
  for (const x of [m.policy, m.reference, m.rewardModel, m.valueModel, m.rewardHead, m.valueHead]) x?.dispose();
}

const tiny: Partial<PpoConfig> = {
  iterations: 1,
  rolloutBatch: 4,
  miniBatch: 2,
  ppoEpochs: 1,
  maxNewTokens: 6,
  ptxBatch: 2,
  ptxLength: 8,
  evalPretrainBatch: 2,
  lr: 1e-3,
  valueLr: 1e-3,
  // the paper's mechanics, which these tests check (the default profile's tuned trainer runs
  // end to end in the smoke workbook): one answer per prompt at temperature 1, a trained value
  // trunk, beta 0.02, no-EOS answers score r - 1, plain PPO
  samplesPerPrompt: 1,
  temperature: 1,
  valueTrunk: 'trained',
  kl: { ...KL_DEFAULTS },
  missingEos: { ...EOS_DEFAULTS },
  ptxCoef: 0,
};
const data = () => ({ prompts, pretrainTokens, heldOutTokens: pretrainTokens.slice(0, 60) });
const snapshot = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, v]) => [k, Array.from(v.dataSync())]));
const withoutTime = (rows: PpoRow[]) => rows.map((r) => ({ ...r, 'time/seconds': 0, 'time/generate': 0, 'time/optimise': 0 }));

test('episodes: answer log-probs are gathered from the logits that predict each answer token', async () => {
  const m = gpt(3);
  const prompt = [
    [tok.bosId, 10, 11, 12],
    [tok.bosId, 20],
  ];
  const answers = [
    [30, tok.eosId],
    [40, 41, 42],
  ];
  const ep = makeEpisodes(prompt, answers, tok.padId, tok.eosId);
  assert.equal(ep.S, 6);
  assert.equal(ep.T, 3);
  assert.deepEqual(Array.from(ep.mask), [1, 1, 0, 1, 1, 1]);
  assert.deepEqual(ep.hitEos, [true, false]);
  // each row alone, no padding: log p(answer token t) from position p + t - 1
  for (let b = 0; b < 2; b++) {
    const seq = [...prompt[b], ...answers[b]];
    const want = tf.tidy(() => {
      const { logits } = m.forward(tf.tensor2d([seq], [1, seq.length], 'int32'));
      return Array.from(tokenLogProbs(logits, tf.tensor2d([seq.slice(1).concat(0)], [1, seq.length], 'int32')).dataSync());
    });
    // the batched path: trainPpo's gather at the answer positions of the right-padded batch
    const got = tf.tidy(() => Array.from(answerLogProbs(m, ep, 1).logprobs.dataSync()).slice(b * ep.T, b * ep.T + answers[b].length));
    got.forEach((g, t) => assert.ok(Math.abs(g - want[prompt[b].length - 1 + t]) < 1e-5, `row ${b} token ${t}: ${g} vs ${want[prompt[b].length - 1 + t]}`));
  }
  m.dispose();
});

test('one iteration changes every policy and value parameter, not the reference or the RM; fixed metric names', async () => {
  const m = models();
  const before = {
    policy: snapshot(m.policy.weights),
    value: snapshot(m.valueModel!.weights),
    head: snapshot(m.valueHead.weights),
    ref: snapshot(m.reference.weights),
    rm: snapshot(m.rewardModel.weights),
  };
  const { rows, table } = await trainPpo(m, data(), { ...tiny, ptxCoef: 1 }, {});
  const changed = (a: Map<string, number[]>, vars: Map<string, tf.Variable>) =>
    [...vars].filter(([k, v]) => Array.from(v.dataSync()).some((x, i) => x !== a.get(k)![i])).map(([k]) => k);
  assert.deepEqual(changed(before.policy, m.policy.weights).sort(), [...m.policy.weights.keys()].sort());
  assert.deepEqual(changed(before.value, m.valueModel!.weights).sort(), [...m.valueModel!.weights.keys()].sort());
  assert.deepEqual(changed(before.head, m.valueHead.weights).sort(), ['value_head.bias', 'value_head.weight']);
  assert.deepEqual(changed(before.ref, m.reference.weights), []);
  assert.deepEqual(changed(before.rm, m.rewardModel.weights), []);
  assert.equal(rows.length, 1);
  assert.deepEqual(Object.keys(rows[0]), [...METRICS]);
  assert.deepEqual(table.columnNames(), [...METRICS]);
  for (const k of METRICS) assert.ok(Number.isFinite(rows[0][k]), `${k} = ${rows[0][k]}`);
  assert.ok(rows[0]['loss/ptx'] > 0, 'PPO-ptx logs its pretraining loss');
  // the first iteration's policy equals the reference: KL and the ratio are ~0
  assert.ok(Math.abs(rows[0]['objective/kl']) < 1e-4, `KL at the start ${rows[0]['objective/kl']}`);
  dispose(m);
});

test("valueTrunk 'frozen': only the value head trains, on the RM trunk's cached features", async () => {
  const m = models();
  m.valueModel!.dispose();
  delete m.valueModel;
  const rm = snapshot(m.rewardModel.weights);
  const head = snapshot(m.valueHead.weights);
  const { rows } = await trainPpo(m, data(), { ...tiny, iterations: 2, valueTrunk: 'frozen' }, { dir: path.join(root, 'frozen') });
  for (const [k, v] of m.rewardModel.weights) assert.deepEqual(Array.from(v.dataSync()), rm.get(k), k);
  for (const [k, v] of m.valueHead.weights) assert.notDeepEqual(Array.from(v.dataSync()), head.get(k), k);
  assert.ok(rows.every((r) => Number.isFinite(r['loss/value']) && r['loss/value'] > 0));
  // the value checkpoint holds the RM trunk with the trained head
  const v = loadCheckpoint(path.join(root, 'frozen', 'value'));
  assert.deepEqual(Array.from(v.heads.get('value_head')!.weight.dataSync()), Array.from(m.valueHead.weight.dataSync()));
  v.model.dispose();
  for (const h of v.heads.values()) h.dispose();
  dispose(m);
  const bare = models();
  await assert.rejects(() => trainPpo({ ...bare, valueModel: undefined }, data(), tiny, {}), /valueTrunk 'trained' needs models.valueModel/);
  dispose(bare);
});

test('no tensor leaks across iterations', async () => {
  const m = models();
  const counts: number[] = [];
  await trainPpo(
    m,
    data(),
    { ...tiny, iterations: 4, ptxCoef: 0.5 },
    {
      onIteration: () => {
        counts.push(tf.memory().numTensors);
      },
    },
  );
  // the Adam moments are created by the first step; after that the count is flat
  assert.equal(counts.length, 4);
  assert.equal(counts[3], counts[1], `tensors per iteration: ${counts}`);
  assert.equal(counts[2], counts[1], `tensors per iteration: ${counts}`);
  dispose(m);
});

test('the no-EOS penalty: answers cut at maxNewTokens score r - 1, EOS answers keep r', async () => {
  // an RM that gives every answer the same score 0.5 (zero weights, bias 0.5)
  const m = models({ rmWeight: 0, rmBias: 0.5 });
  const { rows } = await trainPpo(m, data(), { ...tiny, maxNewTokens: 2, missingEos: { mode: 'subtract', penalty: 1 } }, {});
  const eos = rows[0]['val/num_eos_tokens'];
  assert.ok(eos < 4, 'an untrained policy rarely samples EOS in 2 tokens');
  assert.ok(Math.abs(rows[0]['objective/scores'] - (0.5 - (4 - eos) / 4)) < 1e-6, `scores ${rows[0]['objective/scores']} with ${eos} EOS`);
  dispose(m);
});

test('same seed, same numbers; a run resumed from its checkpoint repeats the uninterrupted run', async () => {
  const cfg = { ...tiny, iterations: 3, saveEvery: 1, ptxCoef: 0.5, kl: { kind: 'adaptive' as const, initKlCoef: 0.1, target: 1, horizon: 100 } };
  const a = models();
  const full = await trainPpo(a, data(), cfg, { dir: path.join(root, 'full'), snapshotDir: (it) => path.join(root, 'full-steps', `step-${it}`) });
  assert.deepEqual(fs.readdirSync(path.join(root, 'full-steps')).sort(), ['step-1', 'step-2', 'step-3']);
  const b = models();
  await trainPpo(b, data(), { ...cfg, iterations: 2 }, { dir: path.join(root, 'resumed') });
  dispose(b);
  const c = models(); // fresh SFT/RM weights: the checkpoint must overwrite them
  const resumed = await trainPpo(c, data(), cfg, { dir: path.join(root, 'resumed') });
  assert.equal(resumed.resumedFrom, 2);
  assert.deepEqual(withoutTime(resumed.rows), withoutTime(full.rows));
  assert.notEqual(full.rows[2]['objective/beta'], 0.1, 'the adaptive beta moved and was restored');
  for (const [k, v] of a.policy.weights) assert.deepEqual(Array.from(c.policy.weights.get(k)!.dataSync()), Array.from(v.dataSync()), k);
  for (const [k, v] of a.valueHead.weights) assert.deepEqual(Array.from(c.valueHead.weights.get(k)!.dataSync()), Array.from(v.dataSync()), k);
  // the policy folder is an ordinary checkpoint (evaluation loads it); metrics are on disk
  const ckpt = loadCheckpoint(path.join(root, 'full'));
  assert.equal((ckpt.extra.ppo as any).iteration, 3);
  ckpt.model.dispose();
  const jsonl = fs
    .readFileSync(path.join(root, 'full', 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(jsonl.length, 3);
  assert.equal(fs.readFileSync(path.join(root, 'full', 'metrics.csv'), 'utf8').split('\n')[0], METRICS.join(','));
  // a finished run returns its rows without training again
  const again = await trainPpo(c, data(), cfg, { dir: path.join(root, 'full') });
  assert.equal(again.resumedFrom, 3);
  // a run started from other models (03 or 04 run again) is not reloaded: it starts over, and says why
  const d = models();
  await trainPpo(d, data(), { ...cfg, iterations: 1 }, { dir: path.join(root, 'origin'), origin: { sft: 'aaa', rewardModel: 'rm1' } });
  const same = await trainPpo(d, data(), { ...cfg, iterations: 1 }, { dir: path.join(root, 'origin'), origin: { sft: 'aaa', rewardModel: 'rm1' } });
  assert.equal(same.resumedFrom, 1);
  const newSft = await trainPpo(d, data(), { ...cfg, iterations: 1 }, { dir: path.join(root, 'origin'), origin: { sft: 'bbb', rewardModel: 'rm1' } });
  assert.equal(newSft.resumedFrom, 0);
  assert.match(newSft.resumeNote, /started from other models \(sft: "aaa" vs "bbb", saved vs now\): starting over/);
  dispose(d);
  // another config in the same folder is not continued: the run starts over, and says why
  const other = await trainPpo(c, data(), { ...cfg, iterations: 1, lr: 5e-4 }, { dir: path.join(root, 'full') });
  assert.equal(other.resumedFrom, 0);
  assert.match(other.resumeNote, /another config \(lr: 0\.001 vs 0\.0005, saved vs now\): starting over/);
  const replaced = loadCheckpoint(path.join(root, 'full'), { withOptimizer: false });
  assert.equal((replaced.extra.ppo as any).config.lr, 5e-4, 'replaced at the first save');
  replaced.model.dispose();
  for (const m of [a, c]) dispose(m);
});

test("onRollout: each iteration's prompts and decoded answers; its numbers join the rows and metrics.jsonl, and change nothing else", async () => {
  const cfg = { ...tiny, iterations: 2, saveEvery: 1 };
  const dir = path.join(root, 'rollout');
  const seen: RolloutTexts[] = [];
  const a = models();
  const withHook = await trainPpo(a, data(), cfg, {
    dir,
    onRollout: (r) => {
      seen.push(r);
      return { 'dev/answers': r.answers.length, 'dev/says_paris': r.answers.filter((x) => x.includes('paris')).length / r.answers.length };
    },
  });
  const b = models();
  const without = await trainPpo(b, data(), cfg, {});
  const order = promptOrder(prompts.length, DEFAULTS.seed);
  assert.deepEqual(
    seen.map((r) => r.prompts),
    [0, 1].map((it) => rolloutPromptIndices(order, it, cfg.rolloutBatch!, 1)),
  );
  for (const r of seen) assert.ok(r.answers.length === cfg.rolloutBatch && r.answers.every((x) => typeof x === 'string'));
  assert.deepEqual(Object.keys(withHook.rows[0]), [...METRICS, 'dev/answers', 'dev/says_paris']);
  assert.equal(withHook.rows[1]['dev/answers'], cfg.rolloutBatch);
  const fixedOnly = withHook.rows.map((r) => Object.fromEntries(METRICS.map((k) => [k, r[k]])) as PpoRow);
  assert.deepEqual(withoutTime(fixedOnly), withoutTime(without.rows), 'the hook only observes');
  const onDisk = fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    onDisk.map((r) => r['dev/answers']),
    [cfg.rolloutBatch, cfg.rolloutBatch],
  );
  // a finished run reloads the rows with the caller's numbers
  const again = await trainPpo(b, data(), cfg, { dir });
  assert.equal(again.resumedFrom, 2);
  assert.deepEqual(withoutTime(again.rows), withoutTime(withHook.rows));
  // the caller may not overwrite the trainer's own names
  await assert.rejects(trainPpo(b, data(), { ...cfg, iterations: 1 }, { onRollout: () => ({ 'objective/kl': 0 }) }), /onRollout returned "objective\/kl"/);
  for (const m of [a, b]) dispose(m);
});

test('a diverging run stops with a clear message and leaves the last good checkpoint intact', async () => {
  const m = models();
  const dir = path.join(root, 'diverge');
  let good: Map<string, number[]> | null = null;
  await assert.rejects(
    () =>
      trainPpo(
        m,
        data(),
        { ...tiny, iterations: 3, saveEvery: 1 },
        {
          dir,
          onIteration: (_row, it) => {
            if (it !== 1) return;
            good = snapshot(m.policy.weights);
            // a NaN in the policy, as an exploding update leaves it
            const w = m.policy.weights.get('h.0.mlp.c_fc.bias')!;
            w.assign(tf.fill(w.shape, NaN));
          },
        },
      ),
    (e: unknown) =>
      e instanceof DivergenceError && /PPO diverged at iteration 2/.test(e.message) && /last good checkpoint \(iteration 1\) is intact/.test(e.message),
  );
  const ckpt = loadCheckpoint(dir);
  assert.equal((ckpt.extra.ppo as any).iteration, 1);
  for (const [k, v] of ckpt.model.weights) assert.deepEqual(Array.from(v.dataSync()), good!.get(k), k);
  ckpt.model.dispose();
  dispose(m);
});

test('an exploding update (NaN / infinite loss or gradient) is caught before anything is saved', async () => {
  const m = models();
  const dir = path.join(root, 'explode');
  // lr 1e6 without gradient clipping: the weights blow up within the first iteration's steps
  await assert.rejects(
    () => trainPpo(m, data(), { ...tiny, iterations: 2, ppoEpochs: 3, lr: 1e6, valueLr: 1e6, maxGradNorm: 0, ptxCoef: 1 }, { dir }),
    (e: unknown) =>
      e instanceof DivergenceError && /PPO diverged at iteration 1: .* is (NaN|-?Infinity)/.test(e.message) && /nothing was saved/.test(e.message),
  );
  assert.ok(!fs.existsSync(dir));
  dispose(m);
});

test('the RM reads a rollout the way 04 trained it and 04/06 score text: at an EOS, appended to a cut-off answer', async () => {
  const m = models();
  const rm = new RewardModel(m.rewardModel, m.rewardHead, tok);
  const promptIds = prompts.slice(0, 3).map((p) => tok.encodePrompt(p));
  const answerText = ['paris is fine', 'the answer is', 'rome'];
  // row 0 ended (EOS sampled), rows 1 and 2 were cut at the length limit
  const answerIds = answerText.map((a, b) => [...tok.encode(a, { allowSpecial: false }), ...(b === 0 ? [tok.eosId] : [])]);
  const ep = makeEpisodes(promptIds, answerIds, tok.padId, tok.eosId);
  assert.deepEqual(ep.hitEos, [true, false, false]);
  const { scores, hidden } = rewardScores(m.rewardModel, m.rewardHead, ep);
  assert.equal(hidden.shape[1], ep.S, 'hidden states at the positions of the rollout itself');
  const fromIds = Array.from(await scores.data());
  const fromText = Array.from(await rm.score(answerText.map((answer, b) => ({ prompt: prompts[b], answer }))));
  for (let b = 0; b < 3; b++) assert.ok(Math.abs(fromIds[b] - fromText[b]) < 1e-5, `row ${b}: ids ${fromIds[b]} vs text ${fromText[b]}`);
  // reading a cut-off answer at its last token instead (what PPO did before) is another number
  const atLastToken = Array.from(
    await m.rewardHead
      .applyAt(
        hidden,
        ep.promptLen.map((p, b) => p + ep.answerLen[b] - 1),
      )
      .data(),
  );
  assert.ok(Math.abs(atLastToken[0] - fromIds[0]) < 1e-5, 'an ended answer is read at its own EOS');
  assert.ok(Math.abs(atLastToken[1] - fromIds[1]) > 1e-6, 'a cut-off answer is not read at its last token');
  tf.dispose([scores, hidden]);
  // a rollout prompt leaves room for a full answer and the EOS
  assert.deepEqual(rolloutPrompt([1, 2, 3, 4, 5], 8, 4), [3, 4, 5]);
  assert.throws(() => rolloutPrompt([1, 2], 6, 5), /no room for a prompt and the EOS in a block of 6/);
  dispose(m);
});

test('measurePolicy: paired answers (batching does not change them), KL 0 for the reference itself, scores as the RM reads them', async () => {
  const m = models();
  const opts = {
    maxNewTokens: 5,
    temperature: 1,
    seed: 3,
    heldOutTokens: pretrainTokens,
    heldOutWindows: 2,
    ptxLength: 8,
  };
  const a = await measurePolicy(m, prompts, { ...opts, batchSize: 4 });
  const b = await measurePolicy(m, prompts, { ...opts, batchSize: 2 });
  assert.deepEqual(a.answers, b.answers);
  assert.equal(a.answers.length, prompts.length);
  assert.ok(Math.abs(a.kl) < 1e-4, `policy = reference gives KL ${a.kl}`);
  for (let i = 0; i < prompts.length; i++) assert.ok(Math.abs(a.scores[i] - b.scores[i]) < 1e-5);
  assert.ok(Math.abs(a.reward - a.scores.reduce((x, y) => x + y, 0) / prompts.length) < 1e-6);
  assert.ok(a.pretrainLoss > 0 && a.entropy > 0 && a.eosRate >= 0 && a.eosRate <= 1);
  dispose(m);
});

test('loadPpoModels: the RM-chosen SFT epoch (else the last, with a note); reference and value are copies', async () => {
  const runDir = path.join(root, 'run');
  const a = artifacts(runDir);
  await assert.rejects(async () => chooseSftEpoch(runDir, 'small'), /SFT checkpoints of size small not found .*run notebook 03-sft first/);
  for (const epoch of [1, 2]) await saveCheckpoint(a.sftEpoch('small', epoch), { model: gpt(epoch), tokenizer: tok });
  await assert.rejects(async () => loadPpoModels(runDir, 'small'), /the reward model not found .*run notebook 04-reward-model first/);
  await new RewardModel(gpt(9), new ScalarHead('reward_head', C, 9), tok).save(a.rewardModel);
  const fallback = loadPpoModels(runDir, 'small');
  assert.equal(fallback.sftEpoch, 2);
  assert.match(fallback.note, /starting from the last SFT epoch, 2/);
  const m = fallback.models;
  assert.deepEqual(Array.from(m.valueHead.weight.dataSync()), Array.from(m.rewardHead.weight.dataSync()));
  m.policy.weights.get('ln_f.bias')!.assign(tf.fill([C], 3));
  m.valueModel!.weights.get('ln_f.bias')!.assign(tf.fill([C], 3));
  assert.ok(
    Array.from(m.reference.weights.get('ln_f.bias')!.dataSync()).every((x) => x === 0),
    'the reference is a copy',
  );
  assert.ok(
    Array.from(m.rewardModel.weights.get('ln_f.bias')!.dataSync()).every((x) => x === 0),
    'the RM is a copy',
  );
  disposePpoModels(m);
  fs.mkdirSync(path.dirname(a.sftChoice), { recursive: true });
  fs.writeFileSync(a.sftChoice, JSON.stringify({ chosen: { small: { epoch: 1 } } }));
  const chosen = loadPpoModels(runDir, 'small', 'frozen');
  assert.equal(chosen.sftEpoch, 1);
  assert.equal(chosen.models.valueModel, undefined);
  disposePpoModels(chosen.models);
  // valueInit 'zero': the value head predicts 0 (the mean of leave-one-out centred scores); no tensor left behind
  const before = tf.memory().numTensors;
  const zero = loadPpoModels(runDir, 'small', 'frozen', 'zero');
  const V = tf.tidy(() => zero.models.valueHead.apply(tf.randomNormal([2, 3, C]) as tf.Tensor3D));
  assert.ok(Array.from(V.dataSync()).every((v) => v === 0));
  V.dispose();
  disposePpoModels(zero.models);
  assert.equal(tf.memory().numTensors, before, 'loading and disposing leaks nothing');
  fs.writeFileSync(a.sftChoice, JSON.stringify({ chosen: { small: { epoch: 7 } } }));
  assert.throws(() => chooseSftEpoch(runDir, 'small'), /chose epoch 7 for size small, but .*epoch-7 does not exist/);
});

test('bad configs and inputs are rejected by name', async () => {
  assert.throws(() => validatePpoConfig({ ...DEFAULTS, valueInit: 'rm' as never }), /valueInit must be reward or zero, got rm/);
  assert.throws(() => validatePpoConfig({ ...DEFAULTS, samplesPerPrompt: 1, rolloutBatch: 6, miniBatch: 4 }), /miniBatch \(4\) must divide rolloutBatch \(6\)/);
  assert.throws(
    () => validatePpoConfig({ ...DEFAULTS, rolloutBatch: 6, miniBatch: 2, samplesPerPrompt: 4 }),
    /samplesPerPrompt \(4\) must divide rolloutBatch \(6\)/,
  );
  assert.throws(() => validatePpoConfig({ ...DEFAULTS, clipRange: 0 }), /clipRange must be a finite number > 0/);
  assert.throws(() => validatePpoConfig({ ...DEFAULTS, lambda: 2 }), /lambda must be in \[0, 1\]/);
  const m = models();
  await assert.rejects(() => trainPpo(m, { prompts }, { ...tiny, evalPretrainBatch: 0, ptxCoef: 1 }, {}), /ptxCoef > 0 \(PPO-ptx\) needs data.pretrainTokens/);
  await assert.rejects(() => trainPpo(m, { prompts }, { ...tiny }, {}), /needs data.heldOutTokens/);
  await assert.rejects(() => trainPpo(m, data(), { ...tiny, klCoef: 1 } as any, {}), /klCoef/);
  dispose(m);
});

test('rollout prompts: k consecutive rows share a prompt; iterations walk on through one seeded pass', () => {
  const order = promptOrder(10, 3);
  const first = rolloutPromptIndices(order, 0, 8, 4);
  assert.deepEqual(first, [order(0), order(0), order(0), order(0), order(1), order(1), order(1), order(1)]);
  assert.deepEqual(rolloutPromptIndices(order, 1, 8, 4), [order(2), order(2), order(2), order(2), order(3), order(3), order(3), order(3)]);
  // one answer per prompt: 8 distinct prompts an iteration, as before
  assert.deepEqual(rolloutPromptIndices(order, 1, 8, 1), [8, 9, 10, 11, 12, 13, 14, 15].map(order));
  // a pass over the 10 prompts is a permutation, then a fresh shuffle starts
  assert.deepEqual(
    [...Array(10).keys()].map(order).sort((a, b) => a - b),
    [...Array(10).keys()],
  );
});

test('samplesPerPrompt 4: a run trains and logs the raw RM scores (the baseline only shapes the update)', async () => {
  const m = models({ rmWeight: 0, rmBias: 0.5 });
  const { rows } = await trainPpo(m, data(), { ...tiny, samplesPerPrompt: 4, ptxCoef: 0 }, {});
  for (const k of METRICS) assert.ok(Number.isFinite(rows[0][k]), `${k} = ${rows[0][k]}`);
  // a constant RM: every answer scores 0.5, minus 1 without EOS (the base trainer's rule); the
  // log keeps that scale although the update sees 0.5 - 0.5 = 0 for every finished answer
  assert.deepEqual(tiny.missingEos, { mode: 'subtract', penalty: 1 });
  const eos = rows[0]['val/num_eos_tokens'];
  const want = (eos * 0.5 + (4 - eos) * -0.5) / 4;
  assert.ok(Math.abs(rows[0]['objective/scores'] - want) < 1e-5, `${rows[0]['objective/scores']} vs ${want}`);
  dispose(m);
});

test('PPO learns: the reward it is trained on rises on held-out samples drawn with the same sampler streams', async () => {
  // the toy reward: a fixed random reward model; PPO must find the answers it scores higher.
  // Before and after are paired: the same prompts, the same seeded sampler streams.
  const measureOpts = { maxNewTokens: 6, temperature: 1, seed: 99, batchSize: 6 };
  const m = models({ rmScale: 10 });
  const before = await measurePolicy(m, prompts, measureOpts);
  const { rows } = await trainPpo(
    m,
    data(),
    { ...tiny, iterations: 20, rolloutBatch: 12, miniBatch: 6, ppoEpochs: 2, samplesPerPrompt: 1, lr: 1e-2, valueLr: 1e-2, evalPretrainBatch: 0, ptxCoef: 0 },
    {},
  );
  const after = await measurePolicy(m, prompts, measureOpts);
  dispose(m);
  // the reward PPO is trained on: the RM score minus tiny's no-EOS penalty of 1
  const trained = (r: typeof before) => r.scores.reduce((a, x, i) => a + x - (r.ended[i] ? 0 : 1), 0) / r.scores.length;
  const gain = trained(after) - trained(before);
  const mean = (rs: PpoRow[]) => rs.reduce((a, r) => a + r['objective/scores'], 0) / rs.length;
  process.stdout.write(
    `# PPO on a toy reward: held-out reward ${trained(before).toFixed(3)} -> ${trained(after).toFixed(3)} (RM alone ${before.reward.toFixed(3)} -> ${after.reward.toFixed(3)}), KL ${after.kl.toFixed(3)}; rollout reward ${mean(rows.slice(0, 4)).toFixed(3)} (first 4 iterations) -> ${mean(rows.slice(-4)).toFixed(3)} (last 4)\n`,
  );
  assert.ok(gain > 0.1, `the held-out reward rose by ${gain.toFixed(3)}`);
  assert.ok(after.kl > 0, 'the policy moved away from the reference');
  assert.ok(mean(rows.slice(-4)) > mean(rows.slice(0, 4)), 'the rollout reward rose during training');
});
