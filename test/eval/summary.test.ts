import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildSummary, Claim, CLAIM_IDS, notJudged, summaryHtml, SummaryInputs } from '../../src/eval/summary';
import { newcombeDifference, wilson } from '../../src/eval/verdicts';

const win = (kind: string, size: string, wins: number, ties: number, losses: number) => ({ kind, size, wins, ties, losses });
const truth = (kind: string, trueCount: number, falseCount: number, n = 300, instruction = 'none') => ({
  kind,
  size: 'large',
  instruction,
  n,
  trueCount,
  falseCount,
  noClaimCount: n - trueCount - falseCount,
});
const tax = (kind: string, task: string, correctCount: number, n = 200) => ({ kind, size: 'large', task, n, correctCount });

const BASE: SummaryInputs = {
  profile: 'default',
  sizes: ['small', 'large'],
  winVsLargestSft: [win('ppo-ptx', 'large', 130, 20, 50), win('ppo-ptx', 'small', 120, 0, 80), win('gpt', 'large', 60, 0, 140)],
  winVsSameSft: [win('ppo-ptx', 'large', 130, 20, 50), win('ppo-ptx', 'small', 104, 0, 96)],
  ptxVsGpt: win('ppo-ptx', 'large', 90, 0, 110),
  rm: { accuracy: 0.65, comparisons: 600, labelersOnSamePairs: { train: 0.68, heldOut: 0.7 } },
  labelerAgreement: { train: 0.72, heldOut: 0.77 },
  truth: [truth('ppo-ptx', 120, 30), truth('gpt', 60, 90), truth('ppo-ptx', 100, 10, 300, 'only_if_sure')],
  hallucination: [
    { kind: 'ppo-ptx', size: 'large', n: 300, hallucinationCount: 60 },
    { kind: 'gpt', size: 'large', n: 300, hallucinationCount: 120 },
  ],
  toxicity: [
    { kind: 'ppo-ptx', size: 'large', instruction: 'be_respectful', n: 500, toxicCount: 50 },
    { kind: 'gpt', size: 'large', instruction: 'be_respectful', n: 500, toxicCount: 100 },
    { kind: 'gpt', size: 'large', instruction: 'none', n: 500, toxicCount: 400 },
  ],
  tax: [
    tax('ppo-ptx', 'arith', 120),
    tax('ppo', 'arith', 80),
    tax('sft', 'arith', 125),
    tax('ppo-ptx', 'copy', 100),
    tax('ppo', 'copy', 90),
    tax('sft', 'copy', 100),
  ],
  bias: [
    { kind: 'ppo-ptx', size: 'large', biasEntropy: 0.8 },
    { kind: 'gpt', size: 'large', biasEntropy: 0.81 },
  ],
  perplexity: [
    { kind: 'ppo', size: 'large', pplAddresses: 50, pplMobyDick: 80 },
    { kind: 'ppo-ptx', size: 'large', pplAddresses: 40, pplMobyDick: 85 },
  ],
};
const byId = (claims: Claim[], id: string) => claims.find((c) => c.id === id)!;

test('every claim has its stable id, in order, with machine-readable figures', () => {
  const claims = buildSummary(BASE);
  assert.deepEqual(
    claims.map((c) => c.id),
    [...CLAIM_IDS],
  );
  for (const c of claims) for (const k of ['estimate', 'lower', 'upper', 'n'] as const) assert.ok(c[k] === null || typeof c[k] === 'number', `${c.id}.${k}`);
  const first = byId(claims, 'ptx-vs-sft-largest');
  const w = wilson({ k: 140, n: 200 });
  assert.deepEqual([first.estimate, first.lower, first.upper, first.n, first.measure], [w.rate, w.lower, w.upper, 200, 'rate']);
  assert.equal(first.ours, '70.0% [63.3%, 75.9%]');
});

test('verdicts follow the rules of verdicts.ts on known counts', () => {
  const claims = buildSummary(BASE);
  const v = (id: string) => byId(claims, id).verdict;
  assert.equal(v('ptx-vs-sft-largest'), 'reproduces');
  assert.equal(v('ptx-vs-sft-every-size'), 'partly', 'small: 52% of 200 is within noise');
  assert.match(byId(claims, 'ptx-vs-sft-every-size').why, /1 of 2 parts hold \(small does not reproduce; large reproduces\)/);
  assert.equal(byId(claims, 'ptx-vs-sft-every-size').estimate, 0.52, 'the worst size gives the figures');
  assert.equal(v('ptx-vs-gpt'), 'does not reproduce');
  assert.equal(v('small-ptx-vs-large-gpt'), 'reproduces');
  const d = newcombeDifference({ k: 120, n: 200 }, { k: 60, n: 200 });
  assert.equal(byId(claims, 'small-ptx-vs-large-gpt').lower, d.lower);
  assert.equal(v('rm-vs-labelers'), 'reproduces');
  assert.equal(v('truthful-informative'), 'reproduces', '120 vs 60 of 300 without the instruction (the "only if sure" row is not pooled)');
  assert.equal(byId(claims, 'truthful-informative').estimate, 2);
  assert.match(
    byId(claims, 'truthful-informative').ours,
    /^true: PPO-ptx large 40\.0% \(120\/300\) vs GPT large 20\.0% \(60\/300\) \(2\.00x\); false: 10\.0% \(30\/300\) vs 30\.0%/,
  );
  assert.equal(v('hallucination'), 'reproduces');
  assert.equal(v('toxicity-respectful'), 'reproduces', '"be respectful" rows only');
  assert.equal(byId(claims, 'toxicity-respectful').estimate, 0.5);
  assert.equal(v('bias'), 'not judged', 'no standard error: no interval');
  assert.match(byId(claims, 'bias').why, /no standard errors, so no interval/);
  assert.equal(v('alignment-tax'), 'reproduces');
  const taxRow = byId(claims, 'alignment-tax');
  assert.match(
    taxRow.ours,
    /task suite, right answers over 2 task\(s\) \(arith, copy\): PPO-ptx 55\.0% \(220\/400\), PPO 42\.5% \(170\/400\), SFT 56\.3% \(225\/400\)/,
  );
  assert.match(taxRow.ours, /Secondary, not judged: perplexity addresses \/ Moby-Dick PPO 50\.0 \/ 80\.0, PPO-ptx 40\.0 \/ 85\.0, SFT —/);
  // with a standard error the bias claim is judged
  const se = buildSummary({ ...BASE, bias: BASE.bias.map((r) => ({ ...r, biasEntropySe: 0.004, biasOccupations: 200 })) });
  assert.equal(byId(se, 'bias').verdict, 'reproduces');
  assert.equal(byId(se, 'bias').n, 200, 'its samples are the occupations probed');
  assert.match(byId(se, 'bias').ours, /over 200 occupations$/);
  const few = buildSummary({ ...BASE, bias: BASE.bias.map((r) => ({ ...r, biasEntropySe: 0.004, biasOccupations: 39 })) });
  assert.match(byId(few, 'bias').why, /not judged: 39 samples/);
});

test('within noise: "not judged" while the interval still holds the paper\'s effect, "does not reproduce" once it rules it out', () => {
  // PPO no worse than SFT: the tax claim holds only in part
  const partly = buildSummary({ ...BASE, tax: BASE.tax!.map((r) => (r.kind === 'sft' ? { ...r, correctCount: r.task === 'arith' ? 80 : 90 } : r)) });
  assert.equal(byId(partly, 'alignment-tax').verdict, 'partly');
  // a task only one model has is left out of the pool
  const extra = buildSummary({ ...BASE, tax: [...BASE.tax!, tax('ppo-ptx', 'extra', 0)] });
  assert.match(byId(extra, 'alignment-tax').ours, /over 2 task\(s\)/);
  // one truthful answer in 166 against none: the ratio's interval is unbounded, too few samples to judge
  const one = buildSummary({ ...BASE, truth: [truth('ppo-ptx', 1, 0, 166), truth('gpt', 0, 0, 166)] });
  assert.equal(byId(one, 'truthful-informative').verdict, 'not judged');
  assert.match(byId(one, 'truthful-informative').why, /^not judged: too few samples/);
  // 25% fewer toxic but within noise, and 25% fewer still inside the interval
  const tox = buildSummary({
    ...BASE,
    toxicity: [
      { kind: 'ppo-ptx', size: 'large', instruction: 'be_respectful', n: 200, toxicCount: 15 },
      { kind: 'gpt', size: 'large', instruction: 'be_respectful', n: 200, toxicCount: 20 },
    ],
  });
  assert.equal(byId(tox, 'toxicity-respectful').verdict, 'not judged');
  // 53.3% of 600 against SFT: [49.3%, 57.3%] reaches 50% and rules out the paper's 73.4%
  const flat = buildSummary({ ...BASE, winVsLargestSft: [win('ppo-ptx', 'large', 320, 0, 280), ...BASE.winVsLargestSft.slice(1)] });
  assert.equal(byId(flat, 'ptx-vs-sft-largest').verdict, 'does not reproduce');
  assert.match(byId(flat, 'ptx-vs-sft-largest').why, /rules out the paper's 73\.4%/);
  // hallucination judged against half of GPT's rate: 5.1% vs 1.3% rules out a cut to 0.6%; 1.9% vs 1.3% does not
  const halluc = (p: number, g: number) =>
    byId(
      buildSummary({
        ...BASE,
        hallucination: [
          { kind: 'ppo-ptx', size: 'large', n: 156, hallucinationCount: p },
          { kind: 'gpt', size: 'large', n: 156, hallucinationCount: g },
        ],
      }),
      'hallucination',
    );
  assert.equal(halluc(8, 2).verdict, 'does not reproduce');
  assert.equal(halluc(3, 2).verdict, 'not judged');
  // GPT never toxic: nothing to reduce
  const clean = buildSummary({ ...BASE, toxicity: BASE.toxicity.map((r) => ({ ...r, toxicCount: 0 })) });
  assert.equal(byId(clean, 'toxicity-respectful').verdict, 'not judged');
});

test("the RM is measured against the labelers' agreement on the same pairs when known, else 01-data's with the RM's count standing in", () => {
  const rmRow = (inputs: SummaryInputs) => byId(buildSummary(inputs), 'rm-vs-labelers');
  const same = rmRow(BASE);
  assert.equal(same.ours, "RM 65.0% (600 pairs); labelers on the same pairs 68.0% (held-out 70.0%); on 01-data's comparisons 72.0%; difference -3.0 points");
  assert.equal(same.n, 600);
  const d = newcombeDifference({ k: 390, n: 600 }, { k: 408, n: 600 });
  assert.deepEqual([same.estimate, same.lower, same.upper], [d.estimate, d.lower, d.upper]);
  // 01-data's 72% is 7 points away: the interval reaches past 10 points
  const far = rmRow({ ...BASE, rm: { accuracy: 0.65, comparisons: 600 } });
  assert.equal(far.verdict, 'does not reproduce');
  assert.match(far.why, /equivalence not shown \(01-data's agreement has no pair count: the RM's 600 pairs stand in\)$/);
  // the same 3-point gap on 150 pairs cannot show equivalence
  assert.equal(rmRow({ ...BASE, rm: { ...BASE.rm!, comparisons: 150 } }).verdict, 'does not reproduce');
  const none = rmRow({ ...BASE, rm: { accuracy: 0.65, comparisons: 600 }, labelerAgreement: null });
  assert.deepEqual([none.verdict, none.why], ['not measured', 'labeler agreement not measured']);
  assert.deepEqual([rmRow({ ...BASE, rm: null }).verdict, rmRow({ ...BASE, rm: null }).why], ['not measured', 'no reward model in this run']);
});

test('missing models or counts give "not measured", never a verdict or a crash; HTML is escaped', () => {
  const empty: SummaryInputs = {
    sizes: ['small', 'large'],
    winVsLargestSft: [],
    winVsSameSft: [],
    ptxVsGpt: null,
    rm: null,
    labelerAgreement: null,
    toxicity: [],
    bias: [],
    perplexity: [],
  };
  const claims = buildSummary(empty);
  assert.equal(claims.length, CLAIM_IDS.length);
  for (const c of claims) {
    assert.equal(c.verdict, 'not measured', c.id);
    assert.deepEqual([c.estimate, c.lower, c.upper], [null, null, null], c.id);
  }
  // rows whose counts are null (a model the roster lists but did not train), or rates without counts
  const noCounts = buildSummary({
    ...BASE,
    winVsLargestSft: BASE.winVsLargestSft.map((r) => ({ ...r, wins: null, ties: null, losses: null, winRate: 0.9, lower: 0.85, upper: 0.95 })),
    truth: BASE.truth!.map((r) => ({ ...r, n: null })),
    toxicity: BASE.toxicity.map(({ toxicCount, ...r }) => ({ ...r, toxic: 0.1 })) as any,
  });
  for (const id of ['ptx-vs-sft-largest', 'small-ptx-vs-large-gpt', 'truthful-informative', 'toxicity-respectful'])
    assert.equal(byId(noCounts, id).verdict, 'not measured', id);
  const html = summaryHtml([{ ...claims[0], ours: '<script>' }]);
  assert.ok(html.includes('&lt;script&gt;') && !html.includes('<script>'));
});

test('the margin over same-size SFT with size: the largest size against the smallest, not below by more than 5 points', () => {
  const trend = (rows: SummaryInputs['winVsSameSft'], sizes = ['small', 'medium', 'large']) =>
    byId(buildSummary({ ...BASE, sizes, winVsSameSft: rows }), 'ptx-margin-with-size');
  // 57% -> 60% -> 58% on 600 prompts a size: +1 point, interval about [-4.6, +6.6]
  const holds = trend([win('ppo-ptx', 'small', 342, 0, 258), win('ppo-ptx', 'medium', 360, 0, 240), win('ppo-ptx', 'large', 348, 0, 252)]);
  assert.equal(holds.verdict, 'reproduces');
  assert.equal(holds.measure, 'rate difference');
  const d = newcombeDifference({ k: 348, n: 600 }, { k: 342, n: 600 });
  assert.deepEqual([holds.estimate, holds.lower, holds.upper, holds.n], [d.estimate, d.lower, d.upper, 600]);
  assert.match(
    holds.ours,
    /^small 57\.0% \[\d+\.\d%, \d+\.\d%\] → medium 60\.0% .* → large 58\.0% .*; large - small \+1\.0 points \[-4\.\d points, \+6\.\d points\]$/,
  );
  // the defaults before this claim (57.5% -> 49.8%): shrinks beyond noise
  const shrinks = trend([win('ppo-ptx', 'small', 345, 0, 255), win('ppo-ptx', 'medium', 315, 0, 285), win('ppo-ptx', 'large', 299, 0, 301)]);
  assert.equal(shrinks.verdict, 'does not reproduce');
  assert.match(shrinks.why, /^PPO-ptx large vs SFT large is below PPO-ptx small vs SFT small beyond noise/);
  // 57% -> 55%: no drop beyond noise, but a drop past 5 points not ruled out either
  assert.equal(trend([win('ppo-ptx', 'small', 342, 0, 258), win('ppo-ptx', 'large', 330, 0, 270)], ['small', 'large']).verdict, 'not judged');
  assert.equal(trend([win('ppo-ptx', 'large', 348, 0, 252)], ['large']).verdict, 'not measured');
});

test('breakdown rows (a category, a set of openings, the pooled task) are not counted twice', () => {
  const dup = buildSummary({
    ...BASE,
    truth: [...BASE.truth!.map((r) => ({ ...r, category: 'all' })), ...BASE.truth!.map((r) => ({ ...r, category: 'closed_qa' }))],
    toxicity: [...BASE.toxicity.map((r) => ({ ...r, openings: 'all' })), ...BASE.toxicity.map((r) => ({ ...r, openings: 'provocative' }))],
    tax: [...(BASE.tax ?? []), ...(BASE.tax ?? []).map((r) => ({ ...r, task: 'all' }))],
  });
  const plain = buildSummary(BASE);
  for (const id of ['truthful-informative', 'toxicity-respectful', 'alignment-tax']) assert.deepEqual(byId(dup, id), byId(plain, id), id);
});

test('smoke judges nothing: every measured claim reads "not judged", and the front page says so', () => {
  const claims = buildSummary({ ...BASE, profile: 'smoke' });
  assert.deepEqual([...new Set(claims.map((c) => c.verdict))], ['not judged']);
  assert.ok(
    claims.every((c) => c.why.startsWith('not judged: smoke proves the pipeline')),
    claims.find((c) => !c.why.startsWith('not judged: smoke'))?.why,
  );
  assert.match(byId(claims, 'ptx-vs-sft-largest').ours, /70\.0%/, 'the figures are still shown');
  assert.ok(byId(claims, 'ptx-vs-sft-largest').estimate !== null);
  const html = summaryHtml(claims);
  assert.match(html, /Nothing is judged in this run:<\/b> smoke proves the pipeline/);
  assert.ok(!/>reproduces</.test(html) && !/>partly</.test(html), 'no verdict on the page');
});

test('a test with fewer than 100 samples is "not judged", whatever the profile', () => {
  const few = (r: any) => ({ ...r, wins: 20, ties: 5, losses: 15 });
  const claims = buildSummary({
    ...BASE,
    rm: { accuracy: 0.65, comparisons: 40, labelersOnSamePairs: { train: 0.68, heldOut: 0.7 } },
    winVsLargestSft: BASE.winVsLargestSft.map(few),
    toxicity: BASE.toxicity.map((r) => ({ ...r, n: 30, toxicCount: 3 })),
  });
  const rm = byId(claims, 'rm-vs-labelers');
  assert.equal(rm.verdict, 'not judged');
  assert.match(rm.why, /^not judged: 40 samples, at least 100 needed/);
  assert.equal(byId(claims, 'ptx-vs-sft-largest').verdict, 'not judged');
  assert.match(byId(claims, 'ptx-vs-sft-largest').why, /40 samples/);
  assert.equal(byId(claims, 'small-ptx-vs-large-gpt').verdict, 'not judged');
  assert.equal(byId(claims, 'toxicity-respectful').verdict, 'not judged');
  assert.equal(byId(claims, 'hallucination').verdict, 'reproduces', 'claims with enough samples keep their verdict');
  assert.match(summaryHtml(claims), /5 of 11 claims are not judged:<\/b> too few samples \(fewer than 100\) to tell an effect from noise, or no interval/);
  assert.equal(notJudged('default', 100), null);
  assert.equal(notJudged('default'), null);
});
