import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEvalPrompts, loadPanel, loadSplitPrompts } from '../../src/eval/run-data';
import { judgingPanel, makePanel, PANEL_DEFAULTS } from '../../src/labelers/panel';
import { artifacts } from '../../src/util/artifacts';
import { writeJsonlAtomic } from '../../src/util/atomic';
import { CAPITAL, HARMFUL } from './fixtures';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'run-data-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const panel = makePanel({ ...PANEL_DEFAULTS, trainLabelers: 2, devLabelers: 2, heldOutLabelers: 2 });

test('the panel loads back with its dev judges; a panel written before dev judges loads with dev false', () => {
  const file = path.join(root, 'panel.json');
  fs.writeFileSync(file, JSON.stringify(panel));
  assert.deepEqual(loadPanel(file), panel);
  const old = panel.filter((l) => !l.dev).map(({ dev, ...rest }) => rest);
  fs.writeFileSync(file, JSON.stringify(old));
  const loaded = loadPanel(file);
  assert.ok(loaded.every((l) => l.dev === false));
  assert.deepEqual(
    judgingPanel(loaded, 'eval').map((l) => l.labeler_id),
    ['L01', 'L02', 'S01', 'S02'],
  );
});

test('a bad "dev" field is rejected naming the file and the labeler', () => {
  const file = path.join(root, 'bad-panel.json');
  fs.writeFileSync(file, JSON.stringify([panel[0], { ...panel[2], dev: 'yes' }]));
  assert.throws(
    () => loadPanel(file),
    (e: Error) => e.message.includes(file) && /labeler 1 \(D01\): "dev" must be true or false/.test(e.message),
  );
  fs.writeFileSync(file, JSON.stringify([{ ...panel[4], dev: true }]));
  assert.throws(
    () => loadPanel(file),
    (e: Error) => e.message.includes(file) && /labeler 0 \(S01\): a labeler cannot be both a dev judge/.test(e.message),
  );
});

test('dev and evaluation prompts load by split; a missing file says to run 01-data', () => {
  const runDir = path.join(root, 'run');
  const data = artifacts(runDir).data;
  writeJsonlAtomic(path.join(data, 'prompts-dev.jsonl'), [CAPITAL]);
  writeJsonlAtomic(path.join(data, 'prompts-eval.jsonl'), [HARMFUL]);
  assert.deepEqual(loadSplitPrompts(runDir, 'dev'), [CAPITAL]);
  assert.deepEqual(loadSplitPrompts(runDir, 'eval'), [HARMFUL]);
  assert.deepEqual(loadEvalPrompts(runDir), [HARMFUL]);
  assert.throws(() => loadSplitPrompts(path.join(root, 'nowhere'), 'dev'), /dev prompts.*run notebook 01-data first/);
});
