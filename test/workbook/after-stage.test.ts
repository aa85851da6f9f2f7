import { test } from 'node:test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as assert from 'node:assert/strict';
import { afterFindings, MethodRow, prepareAfterStage, sameRecipe } from '../../src/workbook/after-stage';
import { workbookConfig } from '../../src/workbook/profiles';
import { makePanel, judgingPanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { answersFor } from '../../src/eval/answer-book';
import { writeJsonlAtomic } from '../../src/util/atomic';
import { prompt } from '../eval/fixtures';
import { winRateInterval } from '../../src/eval/stats';

/** A row judged on wins / ties / losses, its interval computed as the stage computes it. */
function row(method: MethodRow['method'], wins: number, ties: number, losses: number, extra: Partial<MethodRow> = {}): MethodRow {
  const ci = winRateInterval({ wins, ties, losses });
  return {
    size: 'large',
    method,
    n: 0,
    winRate: ci.rate,
    lower: ci.lower,
    upper: ci.upper,
    wins,
    ties,
    losses,
    kl: 1,
    rmScore: 0,
    taxCorrect: null,
    taxN: null,
    taxAccuracy: null,
    seconds: 100,
    optimiserSteps: 10,
    note: '',
    ...extra,
  };
}
const sft: MethodRow = { ...row('SFT', 1, 0, 1), winRate: null, lower: null, upper: null, wins: null, ties: null, losses: null };

test('afterFindings: preferred to SFT only with the whole interval above 50%, told apart from PPO-ptx only with intervals apart', () => {
  const rows = [
    sft,
    row('best-of-n', 160, 0, 140, { n: 4, seconds: 30 }), // 53.3% [47.7, 58.9]: within noise
    row('PPO-ptx', 200, 0, 100, { seconds: 400 }), // 66.7% [61.2, 71.7]: beats SFT
    row('DPO', 120, 0, 180, { seconds: 100 }), // 40% [34.6, 45.6]: SFT preferred, below PPO-ptx
    row('RLOO', 190, 20, 90, { seconds: 200 }), // 66.7%: beats SFT, not apart from PPO-ptx
  ];
  const text = afterFindings(rows, 'default');
  assert.match(text, /^- \*\*large\*\*: preferred to SFT beyond noise: PPO-ptx 66\.7% \[.*\], RLOO 66\.7%/);
  assert.match(text, /SFT preferred beyond noise to DPO 40\.0%/);
  assert.match(text, /within noise of SFT: best-of-4 53\.3%/);
  assert.match(text, /Against PPO-ptx: best-of-4 below PPO-ptx beyond noise; DPO below PPO-ptx beyond noise\./);
  assert.ok(!/RLOO (above|below) PPO-ptx/.test(text), 'overlapping intervals are not told apart');
  assert.match(text, /Training time relative to PPO-ptx's: DPO 0\.25x, RLOO 0\.50x\./);
});

test('afterFindings: smoke and too few prompts judge nothing', () => {
  const rows = [sft, row('PPO-ptx', 9, 0, 1), row('DPO', 1, 0, 9)];
  assert.match(afterFindings(rows, 'smoke'), /^- \*\*large\*\*: not judged \(smoke/);
  assert.match(afterFindings(rows, 'default'), /^- \*\*large\*\*: not judged \(10 samples, at least 100 needed\); win-rates PPO-ptx 90\.0%/);
  assert.match(afterFindings([sft], 'default'), /no method was judged/);
});

test('sameRecipe: a kept policy is reused only with the recipe it was trained with; otherwise one line names the key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'after-recipe-'));
  try {
    const file = path.join(dir, 'result.json');
    const recipe = { method: 'DPO', size: 'large', trainer: { beta: 0.1, lr: 1e-4 }, data: 2560 };
    fs.writeFileSync(file, JSON.stringify({ seconds: 1, optimiserSteps: 1, note: '', rows: [], recipe }));
    assert.equal(sameRecipe(file, recipe), true);
    assert.throws(
      () => sameRecipe(file, { ...recipe, trainer: { beta: 0.5, lr: 1e-4 } }),
      /result\.json: this policy was trained with trainer\.beta = 0\.1, this run asks for 0\.5; continue with the params it was trained with, or start a new run \(--run-id\)$/,
    );
    fs.writeFileSync(file, JSON.stringify({ seconds: 1 }));
    assert.throws(() => sameRecipe(file, recipe), /has no recipe .*move .* away to train it again/);
    fs.writeFileSync(file, '{ broken');
    assert.throws(() => sameRecipe(file, recipe), /result\.json: not readable JSON/);
    assert.ok(fs.existsSync(file), 'nothing deleted');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('prepareAfterStage: reads 06 split (dev run: dev prompts, dev judges), so its answers are in 06 book', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'after-split-'));
  const data = path.join(dir, 'data');
  const evalDir = path.join(dir, 'eval');
  const comparisons = path.join(dir, 'reward', 'comparisons');
  for (const d of [data, evalDir, comparisons]) fs.mkdirSync(d, { recursive: true });
  const dev = [prompt('d0', 'closed_qa', 'country_capital', 'What is the capital of Devland?', { subject: 'Devland', answers: ['Devcity'] })];
  const sealed = [prompt('e0', 'closed_qa', 'country_capital', 'What is the capital of Evalland?', { subject: 'Evalland', answers: ['Evalcity'] })];
  writeJsonlAtomic(path.join(data, 'prompts-dev.jsonl'), dev);
  writeJsonlAtomic(path.join(data, 'prompts-eval.jsonl'), sealed);
  writeJsonlAtomic(path.join(data, 'prompts-ppo.jsonl'), sealed);
  const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 2, devLabelers: 2, heldOutLabelers: 2 });
  fs.writeFileSync(path.join(data, 'panel.json'), JSON.stringify(panel));
  writeJsonlAtomic(path.join(evalDir, 'answers.jsonl'), [{ model: 'sft/large', prompt: dev[0].text, answer: 'It is Devcity.' }]);
  fs.writeFileSync(path.join(evalDir, 'task-suite.json'), '[]');
  const ranking = (answer_id: string, rank: number) => ({
    prompt_id: 'p0',
    user_id: 'u0',
    labeler_id: 'l0',
    answer_id,
    rank,
    prompt: 'Hi?',
    answer: `answer ${answer_id}`,
  });
  writeJsonlAtomic(path.join(comparisons, 'train.jsonl'), [ranking('A', 1), ranking('B', 2)]);

  try {
    for (const split of ['dev', 'eval'] as const) {
      const cfg = workbookConfig('smoke', { 'evaluation.split': split });
      const stage = prepareAfterStage(dir, cfg);
      assert.equal(stage.split, split);
      assert.deepEqual(
        stage.prompts.map((p) => p.prompt_id),
        [split === 'dev' ? 'd0' : 'e0'],
      );
      const judges = stage.panel.filter((l) => l.heldOut).map((l) => l.labeler_id);
      assert.deepEqual(
        judges,
        judgingPanel(panel, split)
          .filter((l) => l.heldOut)
          .map((l) => l.labeler_id),
      );
      // 06 answered the dev prompts only: a dev run's 07 finds them; reading the sealed ones was the bug
      if (split === 'dev') assert.deepEqual(answersFor(stage.book, 'sft/large', stage.prompts), ['It is Devcity.']);
      else assert.throws(() => answersFor(stage.book, 'sft/large', stage.prompts), /no answer to "What is the capital of Evalland\?"/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.notDeepEqual(
    judgingPanel(panel, 'dev')
      .filter((l) => l.heldOut)
      .map((l) => l.labeler_id),
    judgingPanel(panel, 'eval')
      .filter((l) => l.heldOut)
      .map((l) => l.labeler_id),
  );
});
