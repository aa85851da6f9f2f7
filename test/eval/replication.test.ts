import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCsv } from '../../src/data/csv';
import { describeSpread, replicate, Replication, replicatedVerdict, replicationCsv, replicationMarkdown, spread } from '../../src/eval/replication';
import type { Verdict } from '../../src/eval/verdicts';

const claim = (id: string, estimate: number | null, verdict: Verdict) => ({
  id,
  claim: `claim ${id}`,
  paper: `paper ${id}`,
  ours: '',
  verdict,
  why: `why ${verdict}`,
  estimate,
  lower: estimate === null ? null : estimate - 0.05,
  upper: estimate === null ? null : estimate + 0.05,
  n: 300,
  measure: 'rate' as const,
});

test('the replicated verdict needs every seed to agree', () => {
  const v = (...vs: Verdict[]) => replicatedVerdict(vs.map((verdict, i) => ({ seed: i + 1, verdict }))).verdict;
  assert.equal(v('reproduces', 'reproduces', 'reproduces'), 'reproduces');
  assert.equal(v('does not reproduce', 'does not reproduce'), 'does not reproduce');
  assert.equal(v('partly', 'partly'), 'partly');
  assert.equal(v('reproduces', 'not measured', 'not judged'), 'not measured');
  assert.equal(v('reproduces', 'not judged'), 'not judged');
  const split = replicatedVerdict([
    { seed: 1, verdict: 'reproduces' },
    { seed: 2, verdict: 'does not reproduce' },
    { seed: 3, verdict: 'reproduces' },
  ]);
  assert.equal(split.verdict, 'not judged');
  assert.equal(split.why, 'not judged: seeds disagree (reproduces: seed(s) 1, 3; does not reproduce: seed(s) 2)');
  assert.equal(v(), 'not measured');
  assert.equal(
    replicatedVerdict([
      { seed: 1, verdict: 'not judged', why: 'not judged: smoke' },
      { seed: 2, verdict: 'not judged', why: 'not judged: smoke' },
    ]).why,
    'all 2 seeds: not judged (seed 1: not judged: smoke)',
  );
  assert.equal(replicatedVerdict([{ seed: 1, verdict: 'reproduces', why: 'r' }]).why, 'all 1 seeds: reproduces');
});

test('spread: mean, min..max and the sample sd, nulls skipped', () => {
  const s = spread([0.5, null, 0.7, 0.6]);
  assert.ok(Math.abs(s.mean! - 0.6) < 1e-12);
  assert.deepEqual([s.min, s.max], [0.5, 0.7]);
  assert.ok(Math.abs(s.sd! - 0.1) < 1e-12);
  assert.deepEqual(spread([0.4]), { mean: 0.4, min: 0.4, max: 0.4, sd: null });
  assert.deepEqual(spread([null]), { mean: null, min: null, max: null, sd: null });
});

test('replicate joins the seeds on the claim id; a seed without the claim or a summary is "not measured"', () => {
  const claims = replicate([
    { seed: 1, runId: 'r-seed1', claims: [claim('a', 0.6, 'reproduces'), claim('b', 0.3, 'does not reproduce')] },
    { seed: 2, runId: 'r-seed2', claims: [claim('b', 0.35, 'does not reproduce'), claim('a', 0.64, 'reproduces')] },
    { seed: 3, runId: 'r-seed3', claims: [claim('a', 0.62, 'reproduces')] },
  ]);
  assert.deepEqual(
    claims.map((c) => [c.id, c.verdict]),
    [
      ['a', 'reproduces'],
      ['b', 'not measured'],
    ],
  );
  const a = claims[0];
  assert.deepEqual(
    a.perSeed.map((s) => s.estimate),
    [0.6, 0.64, 0.62],
  );
  assert.ok(Math.abs(a.mean! - 0.62) < 1e-12 && Math.abs(a.sd! - 0.02) < 1e-12);
  assert.equal(describeSpread(a), 'mean 62.0% (60.0%..64.0%, sd 2.0 points) over 3 of 3 seeds');
  assert.equal(claims[1].perSeed[2].why, 'claim absent from this run');
  const missing = replicate([
    { seed: 1, runId: 'x', claims: [claim('a', 0.6, 'reproduces')] },
    { seed: 2, runId: 'y', claims: null },
  ]);
  assert.equal(missing[0].verdict, 'not measured');
  assert.equal(missing[0].perSeed[1].why, 'no summary in this run');
  assert.throws(() => replicate([{ seed: 1, runId: 'old', claims: [{ claim: 'no id' }] }]), /run old has a claim without an id/);
  assert.throws(() => replicate([]), /no seeds/);
  assert.throws(
    () =>
      replicate([
        { seed: 1, runId: 'a', claims: [] },
        { seed: 1, runId: 'b', claims: [] },
      ]),
    /a seed appears twice/,
  );
});

test("the CSV has one row per claim with each seed's estimate and verdict; the markdown names every run", () => {
  const r: Replication = {
    runId: 'r',
    profile: 'default',
    params: {},
    seeds: [1, 2],
    runs: [
      { seed: 1, runId: 'r-seed1' },
      { seed: 2, runId: 'r-seed2' },
    ],
    claims: replicate([
      { seed: 1, runId: 'r-seed1', claims: [claim('a', 0.6, 'reproduces')] },
      { seed: 2, runId: 'r-seed2', claims: [claim('a', 0.5, 'does not reproduce')] },
    ]),
  };
  const rows = parseCsv(replicationCsv(r)).map((x) => x.fields);
  assert.deepEqual(rows[0], [
    'id',
    'claim',
    'verdict',
    'why',
    'measure',
    'mean',
    'min',
    'max',
    'sd',
    'seed1_estimate',
    'seed1_verdict',
    'seed2_estimate',
    'seed2_verdict',
  ]);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[1].slice(0, 3), ['a', 'claim a', 'not judged']);
  assert.deepEqual(rows[1].slice(9), ['0.6', 'reproduces', '0.5', 'does not reproduce']);
  const md = replicationMarkdown(r);
  assert.match(md, /^# Replication of r over seeds 1, 2/);
  assert.match(md, /`r-seed1`, `r-seed2`/);
  assert.match(
    md,
    /\| claim a \| paper a \| mean 55\.0% \(50\.0%\.\.60\.0%, sd 7\.1 points\) over 2 of 2 seeds \| \*\*not judged\*\*: not judged: seeds disagree/,
  );
  assert.match(md, /\| claim a \| 60\.0% \(reproduces\) \| 50\.0% \(does not reproduce\) \|/);
});
