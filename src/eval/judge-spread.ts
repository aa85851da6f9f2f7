/**
 * How much a win-rate verdict depends on who judged and on which prompts. A run is judged once,
 * by one panel of judges (drawn from the run's seed) on one set of prompts. This redraws both,
 * many times, for the SAME answers: each draw is a fresh panel made the way the run's was (same
 * sizes, weight jitter and noise) from seed -(draw + 1), which no run uses (run seeds are >= 0),
 * and a bootstrap sample of the prompts, of the run's count or more. Draw d is the same panel
 * and the same prompt positions for every run, so two runs' spreads are paired. Then it counts how often the draw would pass the summary's rules for
 * PPO-ptx against same-size SFT: every size's 95% Wilson interval above 50%, and the largest
 * size's win-rate not below the smallest's by more than SIZE_TREND_MARGIN (Newcombe interval).
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
import { newcombeDifference, Proportion, wilson } from './verdicts';

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
const sd = (xs: readonly number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

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
      const props: Proportion[] = sizes.map((s) => {
        const c = winCounts(
          panel,
          drawn,
          at.map((i) => s.policy[i]),
          at.map((i) => s.sft[i]),
        );
        return { k: c.wins + c.ties / 2, n };
      });
      let all = true;
      props.forEach((p, i) => {
        const w = wilson(p);
        rates[i].push(w.rate);
        if (w.lower > 0.5) above[i]++;
        else all = false;
      });
      const diff = newcombeDifference(props[props.length - 1], props[0]);
      trend.push(diff.estimate);
      const ok = diff.lower >= -SIZE_TREND_MARGIN; // as the summary's notLowerBy
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
