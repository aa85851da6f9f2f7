import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeOwnedTempDir, OWNER_FILE, removeOrphanedDirs } from '../../src/util/process';

const ROOT = path.resolve(__dirname, '../..');
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

test('folders whose owner is gone are removed; live, kept, ownerless and other folders stay (ownerless ones only until the given age)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-orphans-'));
  try {
    const mine = makeOwnedTempDir('x-', tmp);
    assert.equal(fs.readFileSync(path.join(mine, OWNER_FILE), 'utf8'), String(process.pid));
    const make = (name: string, owner?: number, ageMs = 0) => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      if (owner !== undefined) fs.writeFileSync(path.join(dir, OWNER_FILE), String(owner));
      if (ageMs) fs.utimesSync(dir, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
      return dir;
    };
    const gone = make('x-gone', deadPid());
    const goneKept = make('x-gone-kept', deadPid());
    const oldOwnerless = make('x-old', undefined, 2 * 3600_000);
    const otherPrefix = make('y-gone', deadPid());
    assert.deepEqual(removeOrphanedDirs('x-', { tmp, keep: new Set([goneKept]) }), [gone]);
    assert.ok(fs.existsSync(oldOwnerless), 'an ownerless folder stays when no age is given');
    assert.deepEqual(removeOrphanedDirs('x-', { tmp, ownerlessAfterMs: 3600_000, keep: new Set([goneKept]) }), [oldOwnerless]);
    assert.deepEqual(fs.readdirSync(tmp).sort(), [path.basename(mine), 'x-gone-kept', path.basename(otherPrefix)].sort());
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a kernel killed outright leaves its wasm worker folder; the next engine start removes it, and its own goes at exit', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-wasm-tmp-'));
  const env = { ...process.env, TMPDIR: tmp };
  const start =
    "require('./src/engine').initEngine({ backend: 'wasm', threads: 2 }).then(() => { console.log('ready'); if (process.argv[1] === 'hang') setInterval(() => {}, 1000); })";
  const workerDirs = () =>
    fs
      .readdirSync(tmp)
      .filter((d) => d.startsWith('rlhf-wasm-threads-'))
      .sort();
  try {
    const ownerless = path.join(tmp, 'rlhf-wasm-threads-older-version');
    fs.mkdirSync(ownerless); // made before folders named their owner: never touched
    const hung = spawn(process.execPath, ['--import', 'tsx', '-e', start, 'hang'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      hung.stdout!.on('data', (b) => String(b).includes('ready') && resolve());
      hung.on('exit', (code) => reject(new Error(`the first engine exited (${code}) before it was ready`)));
    });
    const left = workerDirs().filter((d) => d !== path.basename(ownerless));
    assert.equal(left.length, 1);
    hung.removeAllListeners('exit');
    const killed = new Promise((resolve) => hung.on('exit', resolve));
    hung.kill('SIGKILL');
    await killed;
    assert.deepEqual(workerDirs(), [left[0], path.basename(ownerless)].sort(), 'SIGKILL runs no exit handler');
    const next = spawnSync(process.execPath, ['--import', 'tsx', '-e', start], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(next.status, 0, next.stderr);
    assert.deepEqual(workerDirs(), [path.basename(ownerless)], "the killed engine's folder swept, the new one removed at exit");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
