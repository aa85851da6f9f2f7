import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBrowser } from '../../src/report/png';

const ROOT = path.resolve(__dirname, '../..');
const leftovers = () => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('rlhf-workbook-chromium-'));

test('a chart renders to PNG and the browser profile is gone when the process exits', { skip: findBrowser() ? false : 'no headless Chromium here' }, () => {
  const before = new Set(leftovers());
  const script = `require('./src/report/png').renderPng({ data: [{ type: 'bar', x: [1, 2], y: [3, 4] }] }).then((b) => { process.stdout.write(String(b ? Buffer.from(b, 'base64').length : 0)); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Number(r.stdout) > 1000, `PNG of ${r.stdout} bytes`);
  assert.deepEqual(leftovers().filter((d) => !before.has(d)), [], 'no Chromium profile left in the temp folder');
});
