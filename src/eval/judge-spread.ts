/**
 * How much a win-rate verdict depends on who judged and on which prompts. A run is judged once,
 * by one panel of judges (drawn from the run's seed) on one set of prompts. This redraws both,
 * many times, for the SAME answers: each draw is a fresh panel made the way the run's was (same
 * sizes, weight jitter and noise) from seed -(draw + 1), which no run uses (run seeds are >= 0),
 * and a bootstrap sample of the prompts, of the run's count or more. Draw d is the same panel
 * and the same prompt positions for every run, so two runs' spreads are paired. Then it counts
 * how often the draw passes the summary's own rules (verdicts.ts) for PPO-ptx against same-size
 * SFT: `aboveHalf` at every size, and `notLowerBy` SIZE_TREND_MARGIN for the largest size
 * against the smallest, which also fails a gap below 0 beyond noise, however small.
 *
 * Each drawn prompt is judged afresh (its own judge and noise), so a count above the run's models
 * a larger evaluation whose new prompts are like the run's and are answered as the run's were.
 * The spread is the judging's and the prompts' alone: the policies and their answers are fixed,
 * so sampling other answers or training another seed adds its own on top. A pass rate far under
 * 1 says the verdict is a draw of the judging, whatever the policies.
 */
import { Prompt } from '../data/types';
import { judgingPanel, makePanel, PanelConfig } from '../labelers/panel';
import { Rng } from '../util/random';
import { winCounts } from './judge';
import { SIZE_TREND_MARGIN } from './summary';
import { aboveHalf, fromWins, notLowerBy } from './verdicts';

/** One size's answers: the policy's and its same-size SFT's, to `prompts` in order. */
export interface SizeAnswers {
  size: string;
  policy: readonly string[];
  sft: readonly string[];
}

export interface SpreadOptions {
  /** panels drawn (each with its own bootstrap of prompts) */
  draws: number;
  /** prompts per draw, one row each */
  promptCounts: readonly number[];
  /** how the run's panel was made; each draw changes only its seed */
  panel: PanelConfig;
  /** whose judges: the sealed ones (eval) or the dev ones (dev), as the run's 06 judged */
  split: 'dev' | 'eval';
}

/** What the draws of one prompt count give. Rates are win-rates with ties half. */
export interface SpreadRow {
  prompts: number;
  draws: number;
  /** per size: mean and sd over draws of the win-rate, and the share of draws whose lower bound is above 50% */
  sizes: { size: string; mean: number; sd: number; aboveHalf: number }[];
  /** largest minus smallest: mean and sd over draws */
  trendMean: number;
  trendSd: number;
  /** share of draws with every size above 50% / the trend held / both */
  everySizeAbove: number;
  trendHeld: number;
  both: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

/** The spread of the verdicts over `options.draws` panels and prompt samples; sizes smallest first. */
export function judgeSpread(prompts: readonly Prompt[], sizes: readonly SizeAnswers[], options: SpreadOptions): SpreadRow[] {
  if (sizes.length < 2) throw new Error(`judgeSpread: needs at least two sizes (got ${sizes.length}): the trend compares the largest with the smallest`);
  if (!prompts.length) throw new Error('judgeSpread: no prompts');
  if (!(Number.isInteger(options.draws) && options.draws >= 2)) throw new Error(`judgeSpread: draws must be an integer >= 2, got ${options.draws}`);
  for (const n of options.promptCounts)
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`judgeSpread: a prompt count must be a positive integer, got ${n}`);
  for (const s of sizes)
    if (s.policy.length !== prompts.length || s.sft.length !== prompts.length)
      throw new Error(`judgeSpread: ${prompts.length} prompts but ${s.policy.length} policy and ${s.sft.length} SFT answers at ${s.size}`);
  return options.promptCounts.map((n) => {
    const rates = sizes.map(() => [] as number[]);
    const above = sizes.map(() => 0);
    const trend: number[] = [];
    let every = 0,
      held = 0,
      both = 0;
    for (let d = 0; d < options.draws; d++) {
      const made = makePanel({ ...options.panel, seed: -(d + 1) });
      const panel = options.split === 'dev' ? judgingPanel(made, 'dev') : made;
      const rng = new Rng(`spread:${n}:${d}`);
      const at = Array.from({ length: n }, () => rng.int(prompts.length));
      // each drawn position is its own judgement: a judge assigned and noise drawn afresh (both keyed
      // on the prompt id), as a new user's prompt would get; the answers and their rubric scores are the run's
      const drawn = at.map((i, j) => ({ ...prompts[i], prompt_id: `${prompts[i].prompt_id}~${j}` }));
      const counts = sizes.map((s) =>
        winCounts(
          panel,
          drawn,
          at.map((i) => s.policy[i]),
          at.map((i) => s.sft[i]),
        ),
      );
      // the summary's own rules, so a draw passes exactly when the summary would say "reproduces"
      let all = true;
      counts.forEach((c, i) => {
        const j = aboveHalf(c);
        rates[i].push(j.estimate!);
        if (j.verdict === 'reproduces') above[i]++;
        else all = false;
      });
      const t = notLowerBy(fromWins(counts[counts.length - 1]), fromWins(counts[0]), SIZE_TREND_MARGIN);
      trend.push(t.estimate!);
      const ok = t.verdict === 'reproduces';
      if (all) every++;
      if (ok) held++;
      if (all && ok) both++;
    }
    const D = options.draws;
    return {
      prompts: n,
      draws: D,
      sizes: sizes.map((s, i) => ({ size: s.size, mean: mean(rates[i]), sd: sd(rates[i]), aboveHalf: above[i] / D })),
      trendMean: mean(trend),
      trendSd: sd(trend),
      everySizeAbove: every / D,
      trendHeld: held / D,
      both: both / D,
    };
  });
}
