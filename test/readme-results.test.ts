/**
 * README's results blocks are what `npm run results -- --readme` renders from the committed
 * results/<profile>/ folders: every folder has its block, every block its folder, and each
 * block equals its rendering. With no results/<profile>/ committed yet this holds vacuously
 * (the test says so in its output); once a profile is committed, its block is required.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readmeBlocks, resultsBlock, resultsProfiles, updateReadme } from '../src/tools/results';

const ROOT = path.resolve(__dirname, '..');
const RESULTS = path.join(ROOT, 'results');

test("README's results blocks match the committed results/<profile>/ files", (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const profiles = resultsProfiles(RESULTS);
  // every folder under results/ is one npm run results made (a hand-made one would be skipped below)
  const folders = fs.existsSync(RESULTS) ? fs.readdirSync(RESULTS).filter((f) => fs.statSync(path.join(RESULTS, f)).isDirectory()) : [];
  assert.deepEqual(folders.sort(), profiles, 'every folder under results/ carries the results marker (write it with npm run results)');
  if (!profiles.length) t.diagnostic('results/ holds no profile yet: nothing to compare; a committed results/<profile>/ will need its README block');
  const blocks = readmeBlocks(readme);
  assert.deepEqual(blocks.map((b) => b.profile).sort(), profiles, 'one README block per results/<profile>/ (run npm run results -- --readme)');
  for (const p of profiles) {
    const block = blocks.find((b) => b.profile === p)!;
    assert.equal(block.text, resultsBlock(path.join(RESULTS, p)), `README's block for ${p} differs from results/${p}/ (run npm run results -- --readme)`);
  }
  assert.equal(updateReadme(readme, RESULTS), readme, 'npm run results -- --readme would change README.md');
});
