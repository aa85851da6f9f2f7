import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/tools/dpo-sweep-cli';
import { markFolder } from '../../src/util/atomic';

test('dpo-sweep refuses in one line: a folder that is not a finished run, a bad grid value', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpo-sweep-'));
  try {
    await assert.rejects(main(['--run', path.join(dir, 'nope')]), /nope: not found \(expected a run folder/);
    await assert.rejects(main(['--run', dir]), /not a workbook run folder/);
    markFolder(dir, 'run');
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ status: 'interrupted', reason: 'SIGINT during 03-sft' }));
    await assert.rejects(main(['--run', dir]), /the run did not finish \(manifest status "interrupted": SIGINT during 03-sft\)/);
    await assert.rejects(main(['--run', dir, '--beta', '0.1,x']), /--beta: expected positive numbers separated by commas, got "0\.1,x"/);
    await assert.rejects(main(['--run', dir, '--prompts', '2.5']), /--prompts: expected a whole number > 0, got "2\.5"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
