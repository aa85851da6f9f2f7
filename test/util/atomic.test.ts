import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { folderKind, MARKER, recoverDir, replaceDirAtomic, writeFileAtomic } from '../../src/util/atomic';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const DEAD = 2 ** 22 + 17; // above Linux's default pid_max: no such process

const siblings = (name: string) => fs.readdirSync(root).filter((f) => f.startsWith(`${name}.`));

test('a folder the product made is replaced whole and carries the marker of its kind', () => {
  const dir = path.join(root, 'built');
  replaceDirAtomic(dir, 'data', (tmp) => fs.writeFileSync(path.join(tmp, 'a.jsonl'), '1\n'));
  assert.equal(folderKind(dir), 'data');
  replaceDirAtomic(dir, 'data', (tmp) => fs.writeFileSync(path.join(tmp, 'b.jsonl'), '2\n'));
  assert.deepEqual(fs.readdirSync(dir).sort(), [MARKER, 'b.jsonl']);
  assert.deepEqual(siblings('built'), []);
});

test('a folder the product did not make is refused by name and keeps every file', () => {
  const dir = path.join(root, 'thesis');
  fs.mkdirSync(path.join(dir, 'chapters'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'chapters', 'ch1.tex'), 'keep');
  let built = false;
  assert.throws(
    () => replaceDirAtomic(dir, 'data', () => (built = true)),
    new RegExp(`${dir}: folder exists and was not made by the workbook as a data build \\(no \\${MARKER} marker\\); refusing to replace it`),
  );
  assert.equal(built, false, 'nothing is built for a refused folder');
  assert.equal(fs.readFileSync(path.join(dir, 'chapters', 'ch1.tex'), 'utf8'), 'keep');
  // a folder of another kind, e.g. a whole run, is refused too
  const run = path.join(root, 'a-run');
  fs.mkdirSync(run);
  fs.writeFileSync(path.join(run, MARKER), JSON.stringify({ kind: 'run' }));
  assert.throws(() => replaceDirAtomic(run, 'dataset-export', () => {}), /a-run: is a workbook run folder, not a dataset export; refusing to replace it/);
  // a file is never turned into a folder
  const file = path.join(root, 'notes.txt');
  fs.writeFileSync(file, 'keep');
  assert.throws(() => replaceDirAtomic(file, 'data', () => {}), /notes\.txt: is a file, not a folder/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'keep');
  // the caller may recognise its own folders written before markers existed
  const old = path.join(root, 'old-build');
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, 'manifest.json'), '{}');
  replaceDirAtomic(old, 'data', (tmp) => fs.writeFileSync(path.join(tmp, 'x'), ''), { legacy: (d) => fs.existsSync(path.join(d, 'manifest.json')) });
  assert.deepEqual(fs.readdirSync(old).sort(), [MARKER, 'x']);
});

test('a failed build leaves the old folder and no temporary folder', () => {
  const dir = path.join(root, 'fails');
  replaceDirAtomic(dir, 'report', (tmp) => fs.writeFileSync(path.join(tmp, 'index.html'), 'v1'));
  assert.throws(
    () =>
      replaceDirAtomic(dir, 'report', () => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(fs.readFileSync(path.join(dir, 'index.html'), 'utf8'), 'v1');
  assert.deepEqual(siblings('fails'), []);
});

test('an interrupted swap is put back: the complete new folder, else the old one; dead leftovers are swept', () => {
  const dir = path.join(root, 'swap');
  replaceDirAtomic(dir, 'checkpoint', (tmp) => fs.writeFileSync(path.join(tmp, 'v'), 'old'));
  fs.renameSync(dir, `${dir}.old-${DEAD}-1`);
  fs.mkdirSync(`${dir}.tmp-${DEAD}-2`); // unfinished: no marker
  assert.equal(recoverDir(dir), `${dir}.old-${DEAD}-1`);
  assert.equal(fs.readFileSync(path.join(dir, 'v'), 'utf8'), 'old');
  assert.deepEqual(siblings('swap'), []);
  // a marked (complete) new folder wins
  fs.cpSync(dir, `${dir}.tmp-${DEAD}-4`, { recursive: true });
  fs.writeFileSync(path.join(`${dir}.tmp-${DEAD}-4`, 'v'), 'new');
  fs.renameSync(dir, `${dir}.old-${DEAD}-3`);
  recoverDir(dir);
  assert.equal(fs.readFileSync(path.join(dir, 'v'), 'utf8'), 'new');
  assert.deepEqual(siblings('swap'), []);
  // a live process's temporary folder is left alone
  fs.mkdirSync(`${dir}.tmp-${process.pid}-5`);
  assert.equal(recoverDir(dir), null);
  assert.deepEqual(siblings('swap'), [`swap.tmp-${process.pid}-5`]);
});

test('writeFileAtomic refuses a folder and leaves no temporary file on failure', () => {
  assert.throws(() => writeFileAtomic(root, 'x'), /is a folder; give a file path/);
  const blocked = path.join(root, 'ro');
  fs.mkdirSync(blocked);
  const target = path.join(blocked, 'out.jsonl');
  fs.mkdirSync(target); // rename onto a non-empty folder fails after the temp file is written
  fs.writeFileSync(path.join(target, 'inside'), '');
  assert.throws(() => writeFileAtomic(target, 'x'));
  assert.deepEqual(fs.readdirSync(blocked), ['out.jsonl']);
});
