import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../../src/engine';
import { loadPrompts } from '../../src/data/prompts';
import { loadRankings } from '../../src/data/tables';
import { Prompt } from '../../src/data/types';
import { makePanel, PANEL_DEFAULTS, rank } from '../../src/labelers/panel';
import { GPT } from '../../src/model/gpt';
import { Tokenizer } from '../../src/model/tokenizer';
import { trainTokenizer } from '../../src/model/tokenizer-train';
import { comparisonRows, comparisonsFrame, rankAnswers, sampleAnswers, writeComparisons } from '../../src/train/comparisons';
import { comparisonCounts } from '../../src/data/tables';

let tok: Tokenizer;
let prompts: Prompt[];
let small: GPT;
let medium: GPT;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'comparisons-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const CFG = { kMin: 4, kMax: 9, maxNewTokens: 6, batchSize: 16, seed: 3 };

before(async () => {
  await initEngine({ backend: 'wasm' });
  prompts = loadPrompts(path.join(__dirname, '../../data/smoke/prompts-rm.jsonl')).slice(0, 8);
  tok = trainTokenizer(
    prompts.map((p) => p.text),
    { vocabSize: 300, minFrequency: 1 },
  );
  small = new GPT({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 8, seed: 1 });
  medium = new GPT({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16, seed: 2 });
});

test('K in [kMin, kMax] answers per prompt, each from a named SFT model; the same seed repeats, batching does not matter', async () => {
  const sources = [
    { name: 'sft-small', model: small },
    { name: 'sft-medium', model: medium },
  ];
  const calls: number[] = [];
  const a = await sampleAnswers(prompts, sources, tok, CFG, (done) => {
    calls.push(done);
  });
  const ks = a.map((s) => s.answers.length);
  for (const k of ks) assert.ok(k >= 4 && k <= 9, `K = ${k}`);
  assert.ok(new Set(ks).size > 1, 'K varies between prompts');
  for (const s of a) assert.equal(s.sources.length, s.answers.length);
  const used = new Set(a.flatMap((s) => s.sources));
  assert.deepEqual([...used].sort(), ['sft-medium', 'sft-small']);
  assert.equal(
    calls[calls.length - 1],
    ks.reduce((x, y) => x + y, 0),
    'progress reaches every answer',
  );
  assert.ok(
    a.some((s) => new Set(s.answers).size > 1),
    'sampling, not greedy: answers differ',
  );
  const b = await sampleAnswers(prompts, sources, tok, { ...CFG, batchSize: 5 });
  assert.deepEqual(b, a);
  const c = await sampleAnswers(prompts, sources, tok, { ...CFG, seed: 4 });
  assert.notDeepEqual(
    c.map((s) => s.answers),
    a.map((s) => s.answers),
  );
});

test('one training labeler ranks each prompt with ties allowed; dev judges (never the sealed ones) when asked for held-out labelers', () => {
  const panel = makePanel({ ...PANEL_DEFAULTS, seed: 7 });
  const sampled = prompts.map((p) => ({
    prompt: p,
    answers: ['I am not sure.', 'I am not sure.', p.facts.answers[0] ?? 'yes', 'what what what what'],
    sources: ['x', 'x', 'y', 'y'],
  }));
  const train = rankAnswers(sampled, panel);
  const held = rankAnswers(sampled, panel, true);
  train.forEach((r, i) => {
    const l = panel.find((x) => x.labeler_id === r.labeler_id)!;
    assert.equal(l.heldOut, false);
    assert.deepEqual(r.ranks, rank(l, prompts[i], sampled[i].answers).ranks);
    assert.equal(r.ranks[0], r.ranks[1], 'identical answers tie');
    assert.equal(r.category, prompts[i].category);
  });
  for (const r of held) {
    const l = panel.find((x) => x.labeler_id === r.labeler_id)!;
    assert.ok(l.dev && !l.heldOut, `${r.labeler_id} is a dev judge`);
  }
  const counts = comparisonCounts(train);
  assert.equal(counts.answers, 4 * prompts.length);
  assert.equal(counts.comparisons + counts.ties, 6 * prompts.length);
  assert.ok(counts.ties >= prompts.length);
});

test('saved as JSONL + CSV that the rankings loader reads back; sources beside; a DataFrame for the notebook', async () => {
  const panel = makePanel({ ...PANEL_DEFAULTS, seed: 7 });
  const sampled = await sampleAnswers(prompts.slice(0, 3), [{ name: 'sft-small', model: small }], tok, CFG);
  const comps = rankAnswers(sampled, panel);
  const files = writeComparisons(root, 'rm-train', comps);
  assert.deepEqual(
    files.map((f) => path.basename(f)),
    ['rm-train.jsonl', 'rm-train.csv', 'rm-train-sources.jsonl'],
  );
  const strip = (c: (typeof comps)[number]) => ({
    prompt_id: c.prompt_id,
    user_id: c.user_id,
    labeler_id: c.labeler_id,
    prompt: c.prompt,
    answers: c.answers,
    ranks: c.ranks,
  });
  assert.deepEqual(loadRankings(files[0]), comps.map(strip));
  assert.deepEqual(loadRankings(files[1]), comps.map(strip));
  const rows = comparisonRows(comps);
  const df = comparisonsFrame(comps);
  assert.deepEqual(df.shape, [rows.length, 7]);
  assert.deepEqual(df.columns, ['prompt_id', 'category', 'labeler_id', 'answer_id', 'source', 'rank', 'answer']);
  assert.equal(fs.readdirSync(root).filter((f) => f.includes('.tmp')).length, 0, 'no temp files left');
  assert.throws(() => writeComparisons(root, '../escape', comps), /name must be lowercase/);
});

test('bad configs are rejected by name', async () => {
  await assert.rejects(sampleAnswers(prompts, [{ name: 'a', model: small }], tok, { kMin: 5, kMax: 4 }), /kMin 5, kMax 4/);
  await assert.rejects(sampleAnswers(prompts, [], tok), /no model to sample answers from/);
  await assert.rejects(
    sampleAnswers(
      prompts,
      [
        { name: 'a', model: small },
        { name: 'a', model: medium },
      ],
      tok,
    ),
    /source names must be unique/,
  );
});
