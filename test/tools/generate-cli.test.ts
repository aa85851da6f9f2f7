import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initEngine } from '../../src/engine';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { main } from '../../src/tools/generate-cli';
import { GPT } from '../../src/model/gpt';
import { ScalarHead } from '../../src/model/heads';
import { trainTokenizer } from '../../src/model/tokenizer-train';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-cli-'));
const model = path.join(root, 'ckpt');
const rewardModel = path.join(root, 'reward');
const base = ['--model', model, '--backend', 'cpu', '--max-new-tokens', '5'];

before(async () => {
  await initEngine({ backend: 'cpu' });
  const tok = trainTokenizer(['What is the capital of France? Paris is the capital of France.'], { vocabSize: 280, minFrequency: 1 });
  const m = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 8 });
  await saveCheckpoint(model, { model: m, tokenizer: tok });
  const head = new ScalarHead('reward_head', 8, 1);
  await saveCheckpoint(rewardModel, { model: m, tokenizer: tok, heads: [head], extra: { stage: 'reward-model' } });
  head.dispose();
  m.dispose();
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

test('--prompt prints one JSONL row per prompt; same seed repeats', async () => {
  const lines: string[] = [];
  const rows = await main([...base, '--prompt', 'What is the capital of France?', '--seed', '3', '--top-p', '0.95'], (l) => lines.push(l));
  assert.equal(lines.length, 1);
  const row = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(row), ['prompt', 'answer', 'tokens', 'logprob', 'eos']);
  assert.equal(row.prompt, 'What is the capital of France?');
  assert.ok(row.tokens.length >= 1 && row.tokens.length <= 5);
  assert.ok(row.logprob < 0);
  assert.deepEqual(await main([...base, '--prompt', 'What is the capital of France?', '--seed', '3', '--top-p', '0.95'], () => undefined), rows);
});

test('--prompts in.jsonl --out out.jsonl; batching does not change the samples', async () => {
  const input = path.join(root, 'in.jsonl');
  fs.writeFileSync(input, ['{"prompt": "Paris?"}', '', '{"prompt": "France?", "id": 7}', '{"prompt": "capital"}'].join('\n'));
  const out = path.join(root, 'out.jsonl');
  const printed: string[] = [];
  await main([...base, '--prompts', input, '--out', out, '--seed', '1'], (l) => printed.push(l));
  assert.equal(printed.length, 0);
  const rows = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => r.prompt),
    ['Paris?', 'France?', 'capital'],
  );
  const oneByOne = await main([...base, '--prompts', input, '--seed', '1', '--batch-size', '1'], () => undefined);
  assert.deepEqual(oneByOne, rows);
});

test('bad arguments and bad JSONL rows give clear errors', async () => {
  const bad = path.join(root, 'bad.jsonl');
  fs.writeFileSync(bad, '{"prompt": "ok"}\n{"text": "no prompt"}\n');
  const notJson = path.join(root, 'notjson.jsonl');
  fs.writeFileSync(notJson, '{"prompt": "ok"}\n\n{oops\n');
  const cases: [string[], RegExp][] = [
    [[...base, '--prompt', 'x', '--temperature', 'hot'], /--temperature must be a number in \[0, 100\], got "hot"/],
    [[...base, '--prompt', 'x', '--top-p', '1.5'], /--top-p must be a number in \[1e-9, 1\], got "1.5"/],
    [[...base, '--prompt', 'x', '--max-new-tokens', '2.5'], /--max-new-tokens must be an integer/],
    [[...base], /give exactly one of --prompt "\.\.\." or --prompts file\.jsonl/],
    [[...base, '--prompt', ''], /--prompt is empty: give the prompt text/],
    [[...base, '--prompt', 'x', '--out', root], /--out .* is a folder; give a file path/],
    [[...base, '--prompt', 'x', '--prompts', bad], /give exactly one of/],
    [['--prompt', 'x'], /required option '--model <dir>' not specified/],
    [[...base, '--prompt', 'x', '--colour'], /unknown option '--colour'/],
    [[...base, '--prompts', bad], new RegExp(`${bad}:2: "prompt" must be a string, got undefined`)],
    [[...base, '--prompts', notJson], new RegExp(`${notJson}:3: not valid JSON`)],
    [[...base, '--prompts', path.join(root, 'none.jsonl')], /none\.jsonl: file not found/],
    [[...base, '--prompt', 'x', '--max-new-tokens', '40'], /--max-new-tokens \(40\) must be < the model's blockSize \(32\)/],
    [['--model', path.join(root, 'nothing'), '--backend', 'cpu', '--prompt', 'x'], /nothing: checkpoint folder not found/],
  ];
  for (const [argv, message] of cases)
    await assert.rejects(
      main(argv, () => undefined),
      message,
      argv.join(' '),
    );
});

test('without --max-new-tokens the answer length fits the model (half its blockSize at most)', async () => {
  const rows = await main(['--model', model, '--backend', 'cpu', '--prompt', 'What is the capital of France?', '--greedy'], () => undefined);
  assert.equal(rows.length, 1);
  assert.ok(rows[0].tokens.length <= 16, `${rows[0].tokens.length} tokens from a blockSize-32 model`);
});

test('a reward-model checkpoint is refused by name: it scores answers, it does not write them', async () => {
  await assert.rejects(
    main(['--model', rewardModel, '--backend', 'cpu', '--prompt', 'x'], () => undefined),
    {
      name: 'InputError',
      message: `--model ${rewardModel} is a reward model checkpoint (stage "reward-model", head reward_head): it scores answers and does not write them; give a pretrain, SFT or PPO policy checkpoint`,
    },
  );
});

test('the npm script: one line on stderr, exit 2, for bad input', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/tools/generate-cli.ts', '--model', model, '--prompt', 'x', '--top-k', '-1'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^generate: option .--top-k <k>. argument .-1. is invalid\. --top-k must be an integer in \[0, 1000000000\], got "-1"/);
});
