/**
 * People's rankings train notebook 04's reward model: the smoke workbook up to 04 runs
 * through the real runner and kernel with `--param reward.rankings=<a K-way JSONL of
 * rankings written by a person>`, and the run shows it trained on that file (its sha256,
 * its prompts as the training set, accuracy on its held-out users). The run folder is
 * removed afterwards (WORKBOOK_KEEP_TEST_RUNS=1 keeps it).
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readHumanRankingsSplit } from '../../src/data/humans';
import { loadRankings } from '../../src/data/tables';
import { sha256 } from '../../src/util/hash';
import { workbookConfig } from '../../src/workbook/profiles';

const ROOT = path.resolve(__dirname, '../..');
const PEOPLE = 'test/fixtures/people-rankings.jsonl';
const runId = `test-people-${process.pid}`;
const runDir = path.join(ROOT, 'runs', runId);
after(() => {
  if (process.env.WORKBOOK_KEEP_TEST_RUNS !== '1') fs.rmSync(runDir, { recursive: true, force: true });
});

test("04 trains its reward model on people's rankings given with --param reward.rankings", () => {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/workbook/cli.ts',
      '--profile',
      'smoke',
      '--only',
      '00,01,02,03,04',
      '--run-id',
      runId,
      '--no-report',
      '--param',
      `reward.rankings=${PEOPLE}`,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', INIT_CWD: ROOT },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'ok');
  assert.deepEqual(manifest.params, { 'reward.rankings': PEOPLE }, 'the file is recorded relative to the checkout');

  const cfg = workbookConfig('smoke', manifest.params);
  const split = readHumanRankingsSplit(path.join(ROOT, PEOPLE), cfg.reward.validationFraction, cfg.seed);
  const record = JSON.parse(fs.readFileSync(path.join(runDir, 'reward/human-rankings.json'), 'utf8'));
  assert.equal(record.file, path.basename(PEOPLE));
  assert.equal(record.sha256, sha256(fs.readFileSync(path.join(ROOT, PEOPLE))));
  assert.equal(record.train.prompts + record.validation.prompts, 24);
  // the training set the RM read is exactly the people's training rankings
  const trained = loadRankings(path.join(runDir, 'reward/comparisons/train.jsonl'));
  assert.deepEqual(trained, split.train);
  assert.deepEqual(loadRankings(path.join(runDir, 'reward/comparisons/validation-people.jsonl')), split.validation);
  const steps = fs.readFileSync(path.join(runDir, 'reward/metrics.jsonl'), 'utf8').trim().split('\n').length;
  assert.equal(steps, Math.ceil(split.train.length / cfg.reward.batchPrompts) * cfg.reward.epochs, "one step per batch of people's prompts, per epoch");
  const accuracy = JSON.parse(fs.readFileSync(path.join(runDir, 'reward/accuracy.json'), 'utf8'));
  assert.deepEqual(accuracy.trainedOn, { rankings: path.basename(PEOPLE), sha256: record.sha256 });
  assert.equal(accuracy.accuracy.heldOutPeople.prompts, split.validation.length);
  assert.ok(accuracy.accuracy.heldOutPeople.accuracy >= 0 && accuracy.accuracy.heldOutPeople.accuracy <= 1);
  const nb = JSON.parse(fs.readFileSync(path.join(runDir, 'notebooks/04-reward-model.ipynb'), 'utf8'));
  assert.match(JSON.stringify(nb), /held-out people's rankings/, 'the accuracy table shows the people row');
});
