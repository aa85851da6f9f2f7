import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBrowser, removeStaleProfiles } from '../../src/report/png';
import { removeDirQuietly } from '../../src/util/process';

const ROOT = path.resolve(__dirname, '../..');

test('a chart renders to PNG and the browser profile is gone when the process exits', { skip: findBrowser() ? false : 'no headless Chromium here' }, () => {
  // The child gets a temp folder of its own, so only its Chromium profile is counted, not
  // those of other Chromiums running on the machine.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-png-test-'));
  try {
    const script = `require('./src/report/png').renderPng({ data: [{ type: 'bar', x: [1, 2], y: [3, 4] }] }).then((b) => { process.stdout.write(require('os').tmpdir() + ' ' + String(b ? Buffer.from(b, 'base64').length : 0)); });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
    assert.equal(r.status, 0, r.stderr);
    const [childTmp, bytes] = r.stdout.split(' ');
    assert.equal(childTmp, tmp, 'the profile was made in the folder counted here');
    assert.ok(Number(bytes) > 1000, `PNG of ${bytes} bytes`);
    const profiles = fs.readdirSync(tmp).filter((d) => d.startsWith('rlhf-workbook-chromium-'));
    assert.deepEqual(profiles, [], 'no Chromium profile left in the temp folder');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('profiles whose process is gone are removed; live ones and fresh unmarked ones are kept', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-png-stale-'));
  try {
    const make = (name: string, owner?: number, ageMs = 0) => {
      const dir = path.join(tmp, `rlhf-workbook-chromium-${name}`);
      fs.mkdirSync(dir);
      if (owner !== undefined) fs.writeFileSync(path.join(dir, 'rlhf-workbook-owner'), String(owner));
      if (ageMs) fs.utimesSync(dir, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
      return dir;
    };
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const gone = make('gone', Number(dead.stdout));
    const mine = make('mine', process.pid);
    const fresh = make('fresh');
    const old = make('old', undefined, 2 * 3600_000);
    const other = path.join(tmp, 'someone-elses');
    fs.mkdirSync(other);
    assert.deepEqual(removeStaleProfiles(tmp).sort(), [gone, old].sort());
    assert.deepEqual(fs.readdirSync(tmp).sort(), [path.basename(fresh), path.basename(mine), 'someone-elses'].sort());
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('removing a profile that another process is still writing into never throws, and finishes once the writer stops', () => {
  // what Chromium's helpers do for a moment after the browser closes; a throw here (ENOTEMPTY)
  // once killed a kernel in the middle of 06
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-png-busy-'));
  const dir = path.join(tmp, 'rlhf-workbook-chromium-busy');
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'); const d = process.argv[1] + '/Default'; let i = 0;
       setInterval(() => { for (let k = 0; k < 200; k++) try { fs.mkdirSync(d, { recursive: true }); fs.writeFileSync(d + '/f' + i++, 'x'); } catch {} }, 0);`,
      dir,
    ],
    { stdio: 'ignore' },
  );
  try {
    const until = Date.now() + 1500;
    let calls = 0;
    while (Date.now() < until) {
      assert.equal(typeof removeDirQuietly(dir), 'boolean');
      calls++;
    }
    assert.ok(calls > 0);
    writer.kill('SIGKILL');
    spawnSync('sleep', ['0.2']);
    assert.equal(removeDirQuietly(dir), true);
    assert.equal(fs.existsSync(dir), false);
  } finally {
    writer.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
  }
});

test(
  'a browser closed after its idle seconds leaves no process and no profile behind, while the process goes on',
  { skip: findBrowser() ? false : 'no headless Chromium here' },
  () => {
    // the path a kernel takes between charts: the browser is closed by its idle timer, not at exit
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-png-idle-'));
    try {
      const script = `
      const fs = require('fs');
      require('./src/report/png').renderPng({ data: [{ type: 'bar', x: [1, 2], y: [3, 4] }] }).then((b) => {
        setTimeout(() => {
          const left = fs.readdirSync(require('os').tmpdir()).filter((d) => d.startsWith('rlhf-workbook-chromium-'));
          // every process whose command line names a profile in this temp folder (read from /proc, no procps needed)
          const flag = '--user-data-dir=' + require('os').tmpdir();
          const procs = fs.readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p)).filter((p) => {
            try { return fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').includes(flag); } catch { return false; }
          }).join(' ');
          process.stdout.write(JSON.stringify({ bytes: b ? b.length : 0, left, procs }));
        }, 8000);
      });`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout);
      assert.ok(got.bytes > 1000, `PNG of ${got.bytes} base64 characters`);
      assert.deepEqual(got.left, [], 'the profile was removed by the idle close, before the process exited');
      assert.equal(got.procs, '', 'no Chromium process of that profile is left');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
    }
  },
);
