/**
 * Replication across seeds: the same workbook run once per master seed, its summaries joined
 * claim by claim (on the claim's `id`). For each claim: its estimate per seed, their mean, the
 * spread (min..max and the sample standard deviation), each seed's verdict, and a replicated
 * verdict that needs every seed to agree:
 *
 * - every seed gives the same verdict: that verdict (all "reproduces": reproduces; all "does
 *   not reproduce": does not reproduce; all "partly": partly);
 * - otherwise, any seed "not measured" (or without the claim, or without a summary): not
 *   measured; else any seed "not judged": not judged;
 * - otherwise the seeds disagree: "not judged: seeds disagree".
 *
 * Pure: reading the runs and writing runs/<run-id>-replication/ is workbook/replication.ts.
 */
import { toCsv } from '../data/csv';
import type { Claim } from './summary';
import { formatEstimate, Measure, Verdict } from './verdicts';

/** One seed's run and its summary (null: the run has no eval/summary.json). */
export interface SeedRun {
  seed: number;
  runId: string;
  claims: readonly Partial<Claim>[] | null;
}

export interface SeedFigure {
  seed: number;
  estimate: number | null;
  lower: number | null;
  upper: number | null;
  n: number | null;
  verdict: Verdict;
  why: string;
}

export interface ReplicatedClaim {
  id: string;
  claim: string;
  paper: string;
  measure: Measure | null;
  perSeed: SeedFigure[];
  /** over the seeds with an estimate (null: none has one) */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** sample standard deviation (n - 1); null with fewer than 2 estimates */
  sd: number | null;
  verdict: Verdict;
  why: string;
}

export interface Replication {
  /** the base run id: the seeds' folders are <runId>-seed<N> */
  runId: string;
  profile: string;
  params: Record<string, unknown>;
  seeds: number[];
  runs: { seed: number; runId: string }[];
  claims: ReplicatedClaim[];
}

const VERDICTS: readonly Verdict[] = ['reproduces', 'does not reproduce', 'partly', 'not measured', 'not judged'];

/** The verdict every seed agrees on, or why there is none. */
export function replicatedVerdict(perSeed: readonly { seed: number; verdict: Verdict; why?: string }[]): { verdict: Verdict; why: string } {
  if (!perSeed.length) return { verdict: 'not measured', why: 'no seeds' };
  const all = new Set(perSeed.map((s) => s.verdict));
  const seeds = (v: Verdict) =>
    perSeed
      .filter((s) => s.verdict === v)
      .map((s) => s.seed)
      .join(', ');
  const first = perSeed[0];
  if (all.size === 1)
    return {
      verdict: first.verdict,
      // an unjudged or unmeasured claim keeps a seed's reason (e.g. the smoke profile)
      why: `all ${perSeed.length} seeds: ${first.verdict}${(first.verdict === 'not judged' || first.verdict === 'not measured') && first.why ? ` (seed ${first.seed}: ${first.why})` : ''}`,
    };
  if (all.has('not measured')) return { verdict: 'not measured', why: `not measured with seed(s) ${seeds('not measured')}` };
  if (all.has('not judged')) return { verdict: 'not judged', why: `not judged with seed(s) ${seeds('not judged')}` };
  return {
    verdict: 'not judged',
    why: `not judged: seeds disagree (${[...all].map((v) => `${v}: seed(s) ${seeds(v)}`).join('; ')})`,
  };
}

/** Mean, min, max and sample sd of the numbers given (nulls skipped). */
export function spread(xs: readonly (number | null)[]): { mean: number | null; min: number | null; max: number | null; sd: number | null } {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (!v.length) return { mean: null, min: null, max: null, sd: null };
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1)) : null;
  return { mean, min: Math.min(...v), max: Math.max(...v), sd };
}

/** Join the seeds' summaries on the claim id (ids in the first seen order). */
export function replicate(runs: readonly SeedRun[]): ReplicatedClaim[] {
  if (!runs.length) throw new Error('replicate: no seeds');
  const seeds = runs.map((r) => r.seed);
  if (new Set(seeds).size !== seeds.length) throw new Error(`replicate: a seed appears twice (${seeds.join(', ')})`);
  const ids: string[] = [];
  for (const r of runs)
    for (const c of r.claims ?? []) {
      if (typeof c.id !== 'string' || !c.id) throw new Error(`replicate: run ${r.runId} has a claim without an id ("${c.claim ?? '?'}")`);
      if (!ids.includes(c.id)) ids.push(c.id);
    }
  return ids.map((id) => {
    const first = runs.flatMap((r) => r.claims ?? []).find((c) => c.id === id)!;
    const perSeed: SeedFigure[] = runs.map((r) => {
      const c = r.claims?.find((x) => x.id === id);
      if (!c)
        return {
          seed: r.seed,
          estimate: null,
          lower: null,
          upper: null,
          n: null,
          verdict: 'not measured',
          why: r.claims ? 'claim absent from this run' : 'no summary in this run',
        };
      const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
      const verdict = VERDICTS.includes(c.verdict as Verdict) ? (c.verdict as Verdict) : 'not measured';
      return { seed: r.seed, estimate: num(c.estimate), lower: num(c.lower), upper: num(c.upper), n: num(c.n), verdict, why: c.why ?? '' };
    });
    return {
      id,
      claim: first.claim ?? id,
      paper: first.paper ?? '',
      measure: first.measure ?? null,
      perSeed,
      ...spread(perSeed.map((s) => s.estimate)),
      ...replicatedVerdict(perSeed),
    };
  });
}

const fmt = (m: Measure | null, x: number | null) => (m ? formatEstimate(m, x) : x === null ? '—' : x.toFixed(4));

/** "mean 57.3% (55.0%..59.1%, sd 2.1 points) over 3 seeds" */
export function describeSpread(c: ReplicatedClaim): string {
  if (c.mean === null) return `no estimate over ${c.perSeed.length} seed(s)`;
  const sd =
    c.sd === null
      ? ''
      : `, sd ${c.measure === 'rate' || c.measure === 'rate difference' || c.measure === 'reduction' ? `${(100 * c.sd).toFixed(1)} points` : c.sd.toFixed(3)}`;
  const have = c.perSeed.filter((s) => s.estimate !== null).length;
  return `mean ${fmt(c.measure, c.mean)} (${fmt(c.measure, c.min)}..${fmt(c.measure, c.max)}${sd}) over ${have} of ${c.perSeed.length} seeds`;
}

/** One row per claim: the replicated figures, then estimate and verdict per seed. */
export function replicationCsv(r: Replication): string {
  const columns = [
    'id',
    'claim',
    'verdict',
    'why',
    'measure',
    'mean',
    'min',
    'max',
    'sd',
    ...r.seeds.flatMap((s) => [`seed${s}_estimate`, `seed${s}_verdict`]),
  ];
  const rows = r.claims.map((c) => ({
    id: c.id,
    claim: c.claim,
    verdict: c.verdict,
    why: c.why,
    measure: c.measure,
    mean: c.mean,
    min: c.min,
    max: c.max,
    sd: c.sd,
    ...Object.fromEntries(c.perSeed.flatMap((s) => [[`seed${s.seed}_estimate`, s.estimate] as const, [`seed${s.seed}_verdict`, s.verdict] as const])),
  }));
  return toCsv(columns, rows);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A markdown page: the replicated verdicts, then each seed's. */
export function replicationMarkdown(r: Replication): string {
  const head = `| claim | paper | ours (across seeds) | verdict |\n|---|---|---|---|\n`;
  const body = r.claims.map((c) => `| ${cell(c.claim)} | ${cell(c.paper)} | ${cell(describeSpread(c))} | **${c.verdict}**: ${cell(c.why)} |`).join('\n');
  const seedHead = `| claim | ${r.seeds.map((s) => `seed ${s}`).join(' | ')} |\n|---|${r.seeds.map(() => '---|').join('')}\n`;
  const seedBody = r.claims.map((c) => `| ${cell(c.claim)} | ${c.perSeed.map((s) => `${fmt(c.measure, s.estimate)} (${s.verdict})`).join(' | ')} |`).join('\n');
  return (
    `# Replication of ${r.runId} over seeds ${r.seeds.join(', ')}\n\n` +
    `Profile \`${r.profile}\`${Object.keys(r.params).length ? `, params \`${JSON.stringify(r.params)}\`` : ''}; runs ${r.runs.map((x) => `\`${x.runId}\``).join(', ')}. ` +
    `A claim replicates only when every seed gives the same verdict.\n\n${head}${body}\n\n## Per seed\n\n${seedHead}${seedBody}\n`
  );
}
