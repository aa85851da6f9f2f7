/**
 * The panel of simulated labelers. Each weighs the rubric's criteria in their own way
 * (gold weights times a log-normal factor), adds noise of their own size, and rounds to a
 * coarse scale, so two answers can tie (D > C > A = B). The noise is a pure function of
 * (labeler, prompt, answer): `rank` and `prefer` agree, and re-asking gives the same verdict.
 *
 * Three groups, each from its own random stream: the training labelers (`panel:<seed>`) write
 * demonstrations and rank; the dev judges (`panel-dev:<seed>`) judge whatever tuning needs
 * judged (dev prompts, the RM's validation by labelers it never learned from); the sealed
 * judges (`panel-sealed:<seed>`, `heldOut`) judge the evaluation only. `judgingPanel` gives
 * the panel in which one group of judges is the held-out one, so judge code serves both.
 */
import { Rng } from '../util/random';
import { Prompt } from '../data/types';
import { CRITERIA } from './criteria';
import { criterionScores, CriterionScores, CriterionWeights, GOLD_WEIGHTS, weightedScore } from './rubric';

export interface PanelConfig {
  /** Labelers who rank the SFT / RM data (paper: ~40 contractors; we simulate a few). */
  trainLabelers: number;
  /** Sealed judges: the evaluation (eval prompts) only. */
  heldOutLabelers: number;
  /** Dev judges: tuning and any judging before the evaluation (dev prompts). */
  devLabelers: number;
  /** Sigma of the log-normal factor on each gold weight (how differently labelers weigh). */
  weightJitter: number;
  /** Mean std of the noise added to a labeler's score of one answer (score scale 0..1). */
  noise: number;
  /** Sigma of the log-normal spread of noise between labelers (some are more careful). */
  noiseSpread: number;
  /** Held-out labelers' noise (sealed and dev judges alike) is multiplied by this (the paper's
   *  held-out labelers agreed slightly more: 77.3% vs 72.6%). */
  heldOutNoiseFactor: number;
  /** Scores are rounded to this step; equal rounded scores are a tie. */
  resolution: number;
  seed: number;
}

export const PANEL_DEFAULTS: PanelConfig = {
  trainLabelers: 10,
  heldOutLabelers: 5,
  devLabelers: 5,
  weightJitter: 0.5,
  noise: 0.14,
  noiseSpread: 0.15,
  heldOutNoiseFactor: 0.85,
  resolution: 0.05,
  seed: 1,
};

export interface Labeler {
  labeler_id: string;
  /** A sealed judge: only the evaluation asks them (in a `judgingPanel`, that panel's judges). */
  heldOut: boolean;
  /** A dev judge: judges for tuning, never writes training data. */
  dev: boolean;
  weights: CriterionWeights;
  /** Std of this labeler's per-answer noise. */
  noise: number;
  resolution: number;
  /** Chance this labeler writes the shortest phrasing in a demonstration. */
  terse: number;
  /** Seeds this labeler's per-answer noise. */
  seed: string;
}

type Group = 'train' | 'dev' | 'sealed';

function makeGroup(config: PanelConfig, group: Group, n: number): Labeler[] {
  const rng = new Rng(group === 'train' ? `panel:${config.seed}` : `panel-${group}:${config.seed}`);
  const prefix = { train: 'L', dev: 'D', sealed: 'S' }[group];
  const out: Labeler[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.fork(i);
    const weights = {} as CriterionWeights;
    for (const c of CRITERIA) weights[c] = GOLD_WEIGHTS[c] * Math.exp(r.normal(0, config.weightJitter));
    out.push({
      labeler_id: `${prefix}${String(i + 1).padStart(2, '0')}`,
      heldOut: group === 'sealed',
      dev: group === 'dev',
      weights,
      noise: config.noise * Math.exp(r.normal(0, config.noiseSpread)) * (group === 'train' ? 1 : config.heldOutNoiseFactor),
      resolution: config.resolution,
      terse: r.next() * 0.6,
      seed: `${group === 'train' ? '' : `${group}:`}${config.seed}:${i}:${r.uint32()}`,
    });
  }
  return out;
}

/** Training labelers L01.., dev judges D01.., sealed judges S01.., in that order. */
export function makePanel(config: PanelConfig = PANEL_DEFAULTS): Labeler[] {
  return [
    ...makeGroup(config, 'train', config.trainLabelers),
    ...makeGroup(config, 'dev', config.devLabelers),
    ...makeGroup(config, 'sealed', config.heldOutLabelers),
  ];
}

/**
 * The panel as the judges of one split see it: exactly that split's judges are `heldOut`, so
 * every judge function (held-out labelers only) works for either. `dev`: the dev judges marked
 * held out, the sealed ones dropped; `eval`: the sealed judges as they are, the dev ones
 * dropped. The training labelers stay. Idempotent.
 */
export function judgingPanel(panel: readonly Labeler[], split: 'dev' | 'eval'): Labeler[] {
  const out =
    split === 'dev' ? panel.filter((l) => l.dev || !l.heldOut).map((l) => (l.dev && !l.heldOut ? { ...l, heldOut: true } : l)) : panel.filter((l) => !l.dev);
  if (!out.some((l) => l.heldOut))
    throw new Error(
      `judgingPanel: the panel of ${panel.length} labelers has no ${split === 'dev' ? 'dev' : 'sealed'} judges${split === 'dev' ? ' (a panel from before dev judges: rebuild the data with 01-data)' : ''}`,
    );
  return out;
}

/** This labeler's score of one answer: weighted criteria + noise, rounded to the scale.
 *  `scores` may pass the answer's criterion scores when already computed. */
export function labelerScore(labeler: Labeler, prompt: Prompt, answer: unknown, scores?: CriterionScores): number {
  const text = typeof answer === 'string' ? answer : '';
  const base = weightedScore(scores ?? criterionScores(prompt, text), labeler.weights);
  const noise = new Rng(`${labeler.seed}|${prompt.prompt_id}|${prompt.text}|${text}`).normal(0, labeler.noise);
  return Math.round((base + noise) / labeler.resolution) * labeler.resolution;
}

export interface Ranking {
  labeler_id: string;
  /** Dense ranks, 1 = best; tied answers share a rank. */
  ranks: number[];
  scores: number[];
  /** The paper's notation with answers lettered A, B, ...: "D > C > A = B". */
  order: string;
}

export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Rank K answers to one prompt as `labeler` would (ties allowed). */
export function rank(labeler: Labeler, prompt: Prompt, answers: readonly string[]): Ranking {
  if (answers.length > LETTERS.length) throw new Error(`rank: at most ${LETTERS.length} answers, got ${answers.length}`);
  const scores = answers.map((a) => labelerScore(labeler, prompt, a));
  const levels = [...new Set(scores.map((s) => s.toFixed(6)))].map(Number).sort((a, b) => b - a);
  const ranks = scores.map((s) => levels.indexOf(Number(s.toFixed(6))) + 1);
  const order = levels
    .map((_, r) =>
      ranks
        .map((k, i) => (k === r + 1 ? LETTERS[i] : ''))
        .filter(Boolean)
        .join(' = '),
    )
    .join(' > ');
  return { labeler_id: labeler.labeler_id, ranks, scores, order };
}

/** Pairwise preference: 1 if `a` is preferred, -1 if `b`, 0 for a tie. */
export function prefer(labeler: Labeler, prompt: Prompt, a: string, b: string): 1 | -1 | 0 {
  const sa = labelerScore(labeler, prompt, a);
  const sb = labelerScore(labeler, prompt, b);
  const d = Number((sa - sb).toFixed(6));
  return d > 0 ? 1 : d < 0 ? -1 : 0;
}

/** The labeler assigned to a prompt (one labeler per prompt, as in the paper): a training one,
 *  or with `heldOut` one of the panel's held-out judges. */
export function assignLabeler(panel: readonly Labeler[], prompt: Prompt, heldOut = false): Labeler {
  const pool = panel.filter((l) => (heldOut ? l.heldOut : !l.heldOut && !l.dev));
  if (!pool.length) throw new Error(`assignLabeler: the panel has no ${heldOut ? 'held-out' : 'training'} labelers`);
  return pool[new Rng(`assign|${prompt.prompt_id}|${heldOut}`).int(pool.length)];
}
