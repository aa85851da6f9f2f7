import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadPrompts } from '../../src/data/prompts';
import { loadDemonstrations, splitDemonstrationsByUser } from '../../src/train/demonstrations';
import { rubricAccuracy } from '../../src/train/rubric-accuracy';

const DATA = path.join(__dirname, '..', '..', 'data', 'smoke');
const demos = loadDemonstrations(path.join(DATA, 'demonstrations.jsonl'));
const prompts = loadPrompts(path.join(DATA, 'prompts-sft.jsonl'));

test('the validation split holds out whole users, seeded', () => {
  const { train, validation } = splitDemonstrationsByUser(demos, 0.2, 7);
  assert.equal(train.length + validation.length, demos.length);
  assert.ok(validation.length > 0 && train.length > 0);
  const trainUsers = new Set(train.map((d) => d.user_id));
  for (const d of validation) assert.ok(!trainUsers.has(d.user_id), `user ${d.user_id} in both`);
  assert.deepEqual(splitDemonstrationsByUser(demos, 0.2, 7).validation, validation);
  assert.throws(() => splitDemonstrationsByUser(demos, 1, 7), /fraction must be in \(0, 1\)/);
  assert.throws(() => splitDemonstrationsByUser(demos.slice(0, 1), 0.5, 7), /at least 2 users/);
});

test('a malformed demonstration names its file and line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demos-'));
  const file = path.join(dir, 'd.jsonl');
  fs.writeFileSync(file, JSON.stringify(demos[0]) + '\n' + JSON.stringify({ ...demos[0], answer: 3 }) + '\n');
  assert.throws(() => loadDemonstrations(file), /d\.jsonl:2: "answer" must be a string/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('rubric accuracy: demonstrations are accurate in every category, empty answers are not', () => {
  const byId = new Map(demos.map((d) => [d.prompt_id, d.answer]));
  const rows = rubricAccuracy(prompts, { demo: prompts.map((p) => byId.get(p.prompt_id)!), empty: prompts.map(() => '') });
  const all = (m: string) => rows.find((r) => r.model === m && r.category === 'all')!;
  assert.equal(all('demo').n, prompts.length);
  assert.equal(all('demo').correct, prompts.length);
  assert.equal(all('empty').correct, 0);
  assert.ok(all('demo').goldScore > 0.9 && all('empty').goldScore < all('demo').goldScore);
  const cats = new Set(prompts.map((p) => p.category));
  assert.equal(rows.filter((r) => r.model === 'demo').length, cats.size + 1);
  for (const r of rows.filter((r) => r.category !== 'all')) assert.equal(r.accuracy, r.correct / r.n);
  assert.throws(() => rubricAccuracy(prompts, { short: [] }), /has 0 answers/);
});
