import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { injectParameters, listNotebooks, readNotebook, selectNotebooks, cellSource } from '../../src/workbook/notebook';

const FIXTURES = path.resolve(__dirname, '../notebooks/fixtures');
const ALL = ['/n/00-setup.ipynb', '/n/01-data.ipynb', '/n/02-sft.ipynb', '/n/03-reward-model.ipynb'];

test('--only and --from pick notebooks by name or number prefix', () => {
  assert.deepEqual(selectNotebooks(ALL, { only: ['02'] }), ['/n/02-sft.ipynb']);
  assert.deepEqual(selectNotebooks(ALL, { only: ['03-reward-model.ipynb', '00-setup'] }), ['/n/00-setup.ipynb', '/n/03-reward-model.ipynb']);
  assert.deepEqual(selectNotebooks(ALL, { from: '02' }), ['/n/02-sft.ipynb', '/n/03-reward-model.ipynb']);
  assert.deepEqual(selectNotebooks(ALL, {}), ALL);
  assert.throws(() => selectNotebooks(ALL, { only: ['0'] }), /--only "0" is ambiguous \(00-setup, 01-data, 02-sft, 03-reward-model\)/);
  assert.throws(() => selectNotebooks(ALL, { from: 'ppo' }), /--from "ppo" matches no notebook; expected one of: 00-setup/);
});

test('parameters are injected right after the parameters cell, replacing an earlier injection', () => {
  const file = path.join(FIXTURES, 'params.ipynb');
  const nb = readNotebook(file);
  const once = injectParameters(nb, { profile: 'smoke', params: { 'data.sftPrompts': 3 }, runDir: '/r/1' }, file);
  const twice = injectParameters(once, { profile: 'paper', params: {}, runDir: '/r/2' }, file);
  assert.equal(twice.cells.length, nb.cells.length + 1);
  const injected = twice.cells[2];
  assert.deepEqual(injected.metadata.tags, ['injected-parameters']);
  assert.equal(
    cellSource(injected).split('\n').slice(1).join('\n'),
    'const profile: string = "paper";\nconst params: Record<string, unknown> = {};\nconst runDir: string = "/r/2";',
  );
  assert.equal(nb.cells.length, 4, 'input notebook untouched');
});

test('listNotebooks sorts by name and only takes .ipynb', () => {
  assert.deepEqual(
    listNotebooks(FIXTURES).map((f) => path.basename(f)),
    ['dies.ipynb', 'no-params.ipynb', 'not-json.ipynb', 'params.ipynb', 'sleeps.ipynb', 'throws.ipynb'],
  );
  assert.throws(() => listNotebooks('/no/such/dir'), /\/no\/such\/dir: notebooks folder not found/);
});
