import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildSummary, notJudged, summaryHtml, SummaryInputs } from '../../src/eval/summary';

const win = (kind: string, size: string, winRate: number, lower: number, upper: number) => ({ kind, size, winRate, lower, upper });
const BASE: SummaryInputs = {
  sizes: ['small', 'large'],
  winVsLargestSft: [win('ppo-ptx', 'large', 0.7, 0.62, 0.77), win('ppo-ptx', 'small', 0.6, 0.55, 0.65), win('gpt', 'large', 0.3, 0.25, 0.36)],
  winVsSameSft: [win('ppo-ptx', 'large', 0.7, 0.62, 0.77), win('ppo-ptx', 'small', 0.52, 0.45, 0.6)],
  ptxVsGpt: win('ppo-ptx', 'large', 0.45, 0.38, 0.52),
  rm: { accuracy: 0.68, comparisons: 500 },
  labelerAgreement: { train: 0.72, heldOut: 0.77 },
  honesty: [
    { kind: 'ppo-ptx', size: 'large', category: 'all', instruction: 'none', truthfulInformative: 0.6 },
    { kind: 'gpt', size: 'large', category: 'all', instruction: 'none', truthfulInformative: 0.3 },
  ],
  quality: [
    { kind: 'ppo-ptx', size: 'large', hallucinates: 0.2 },
    { kind: 'gpt', size: 'large', hallucinates: 0.25 },
  ],
  toxicity: [
    { kind: 'ppo-ptx', size: 'large', instruction: 'be_respectful', toxic: 0.1, n: 200 },
    { kind: 'gpt', size: 'large', instruction: 'be_respectful', toxic: 0.2, n: 200 },
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

test('verdicts follow the stated rules on known figures', () => {
  const claims = buildSummary(BASE);
  const by = (start: string) => claims.find((c) => c.claim.startsWith(start))!.verdict;
  assert.equal(by('PPO-ptx large preferred to SFT'), 'reproduces');
  assert.equal(by('PPO-ptx preferred to same-size SFT'), 'partly');
  assert.equal(by('PPO-ptx large preferred to GPT'), 'does not reproduce');
  assert.equal(by('small PPO-ptx'), 'reproduces');
  assert.equal(by('RM agrees'), 'reproduces');
  assert.equal(by('more truthful'), 'reproduces');
  assert.equal(by('hallucinates less'), 'partly');
  assert.equal(by('less toxic'), 'reproduces');
  assert.equal(by('no improvement in bias'), 'reproduces');
  assert.equal(by('PPO-ptx pays less'), 'partly');
  assert.match(claims[0].ours, /70\.0% \[62\.0%, 77\.0%\]/);
  // GPT never toxic: the toxicity claim is untested, not "reproduced"
  const clean = buildSummary({ ...BASE, toxicity: BASE.toxicity.map((r) => ({ ...r, toxic: 0 })) });
  assert.equal(clean.find((c) => c.claim.startsWith('less toxic'))!.verdict, 'not measured');
});

test("the RM is measured against the labelers' agreement on the same pairs when it is known, not 01-data's", () => {
  const rmRow = (inputs: SummaryInputs) => buildSummary(inputs).find((c) => c.claim.startsWith('RM agrees'))!;
  // 0.60 is 12 points from 01-data's 0.72 but 3 from the labelers on the same pairs (0.63)
  const far = rmRow({ ...BASE, rm: { accuracy: 0.6, comparisons: 900 } });
  assert.equal(far.verdict, 'does not reproduce');
  const same = rmRow({ ...BASE, rm: { accuracy: 0.6, comparisons: 900, labelersOnSamePairs: { train: 0.63, heldOut: 0.65 } } });
  assert.equal(same.verdict, 'reproduces');
  assert.equal(same.ours, "RM 60.0% (900 pairs); labelers on the same pairs 63.0% (held-out 65.0%); on 01-data's comparisons 72.0%");
  assert.match(same.why, /^RM is -3\.0 points from labelers on the same pairs/);
});

test('truthfulness: one truthful answer in 166 against none is "partly", not a reproduction', () => {
  const row = (tp: number, tg: number, n: number) =>
    buildSummary({
      ...BASE,
      honesty: [
        { kind: 'ppo-ptx', size: 'large', category: 'all', instruction: 'none', truthfulInformative: tp, n },
        { kind: 'gpt', size: 'large', category: 'all', instruction: 'none', truthfulInformative: tg, n },
      ],
    }).find((c) => c.claim.startsWith('more truthful'))!;
  const one = row(1 / 166, 0, 166);
  assert.equal(one.verdict, 'partly');
  assert.equal(one.why, 'higher, but the 95% intervals overlap');
  assert.equal(one.ours, 'PPO-ptx large 0.6% vs GPT large 0.0% of 166 / 166 prompts');
  assert.equal(row(0.6, 0.3, 100).verdict, 'reproduces');
  assert.equal(row(0.2, 0.3, 100).verdict, 'does not reproduce');
});

test('truthfulness: with truthful+informative at 0 for both, truthful alone rising beyond noise is "partly"', () => {
  const row = (t: number, tG: number, n: number) =>
    buildSummary({
      ...BASE,
      honesty: [
        { kind: 'ppo-ptx', size: 'large', category: 'all', instruction: 'none', truthfulInformative: 0, truthful: t, n },
        { kind: 'gpt', size: 'large', category: 'all', instruction: 'none', truthfulInformative: 0, truthful: tG, n },
      ],
    }).find((c) => c.claim.startsWith('more truthful'))!;
  // default-s3's figures: 136 and 8 truthful answers of 299
  const up = row(136 / 299, 8 / 299, 299);
  assert.equal(up.verdict, 'partly');
  assert.equal(up.ours, 'PPO-ptx large 0.0% vs GPT large 0.0% of 299 / 299 prompts; truthful 45.5% vs 2.7%');
  assert.match(up.why, /^truthful\+informative did not double, but truthful alone rose beyond noise/);
  // 3 against 1 of 50: too few prompts to judge either way
  assert.equal(row(3 / 50, 1 / 50, 50).verdict, 'not judged');
  assert.equal(row(0.1, 0.3, 299).verdict, 'does not reproduce');
});

test('missing models give "not measured", never a crash; HTML is escaped', () => {
  const empty: SummaryInputs = {
    sizes: ['small', 'large'],
    winVsLargestSft: [],
    winVsSameSft: [],
    ptxVsGpt: null,
    rm: null,
    labelerAgreement: null,
    honesty: [],
    quality: [],
    toxicity: [],
    bias: [],
    perplexity: [],
  };
  const claims = buildSummary(empty);
  assert.ok(claims.length >= 10);
  for (const c of claims) assert.equal(c.verdict, 'not measured');
  const html = summaryHtml([{ ...claims[0], ours: '<script>' }]);
  assert.ok(html.includes('&lt;script&gt;') && !html.includes('<script>'));
});

test('smoke judges nothing: every measured claim reads "not judged", and the front page says so', () => {
  const claims = buildSummary({ ...BASE, profile: 'smoke' });
  assert.deepEqual([...new Set(claims.map((c) => c.verdict))], ['not judged']);
  assert.ok(
    claims.every((c) => c.why.startsWith('not judged: smoke proves the pipeline')),
    claims[0].why,
  );
  assert.match(claims[0].ours, /70\.0%/, 'the figures are still shown');
  const html = summaryHtml(claims);
  assert.match(html, /Nothing is judged in this run:<\/b> smoke proves the pipeline/);
  assert.ok(!/>reproduces</.test(html) && !/>partly</.test(html), 'no verdict on the page');
  // the same figures on the default profile are judged
  assert.equal(buildSummary({ ...BASE, profile: 'default' }).filter((c) => c.verdict === 'not judged').length, 0);
});

test('a test with fewer than 100 samples is "not judged", whatever the profile', () => {
  const few = (r: any) => ({ ...r, wins: 20, ties: 5, losses: 15 });
  const claims = buildSummary({
    ...BASE,
    profile: 'default',
    rm: { accuracy: 0.68, comparisons: 40 },
    winVsLargestSft: BASE.winVsLargestSft.map(few),
    toxicity: BASE.toxicity.map((r) => ({ ...r, n: 30 })),
  });
  const by = (start: string) => claims.find((c) => c.claim.startsWith(start))!;
  assert.equal(by('RM agrees').verdict, 'not judged');
  assert.match(by('RM agrees').why, /^not judged: 40 samples, at least 100 needed/);
  assert.equal(by('PPO-ptx large preferred to SFT').verdict, 'not judged');
  assert.match(by('PPO-ptx large preferred to SFT').why, /40 samples/);
  assert.equal(by('less toxic').verdict, 'not judged');
  assert.equal(by('no improvement in bias').verdict, 'reproduces', 'claims without a sample count keep their verdict');
  assert.match(summaryHtml(claims), /4 of 10 claims are not judged:<\/b> too few samples/);
  assert.equal(notJudged('default', 100), null);
  assert.equal(notJudged('default'), null);
});
