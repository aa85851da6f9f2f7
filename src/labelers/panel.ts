/**
 * The panel of simulated labelers. Each weighs the rubric's criteria in their own way
 * (gold weights times a log-normal factor), adds noise of their own size, and rounds to a
 * coarse scale, so two answers can tie (D > C > A = B). The noise is a pure function of
 * (labeler, prompt, answer): `rank` and `prefer` agree, and re-asking gives the same verdict.
 * Some labelers are held out: only the evaluation asks them.
 */
import { Rng } from '../util/random';
import { Prompt } from '../data/types';
import { CRITERIA } from './criteria';
import { criterionScores, CriterionScores, CriterionWeights, GOLD_WEIGHTS, weightedScore } from './rubric';

export interface PanelConfig {
  /** Labelers who rank the SFT / RM data (paper: ~40 contractors; we simulate a few). */
  trainLabelers: number;
  /** Labelers kept for evaluation only. */
  heldOutLabelers: number;
  /** Sigma of the log-normal factor on each gold weight (how differently labelers weigh). */
  weightJitter: number;
  /** Mean std of the noise added to a labeler's score of one answer (score scale 0..1). */
  noise: number;
  /** Sigma of the log-normal spread of noise between labelers (some are more careful). */
  noiseSpread: number;
  /** Held-out labelers' noise is multiplied by this (the paper's held-out labelers agreed
   *  slightly more: 77.3% vs 72.6%). */
  heldOutNoiseFactor: number;
  /** Scores are rounded to this step; equal rounded scores are a tie. */
  resolution: number;
  seed: number;
}

export const PANEL_DEFAULTS: PanelConfig = {
  trainLabelers: 10,
  heldOutLabelers: 5,
  weightJitter: 0.5,
  noise: 0.14,
  noiseSpread: 0.15,
  heldOutNoiseFactor: 0.85,
  resolution: 0.05,
  seed: 1,
};

export interface Labeler {
  labeler_id: string;
  heldOut: boolean;
  weights: CriterionWeights;
  /** Std of this labeler's per-answer noise. */
  noise: number;
  resolution: number;
  /** Chance this labeler writes the shortest phrasing in a demonstration. */
  terse: number;
  /** Seeds this labeler's per-answer noise. */
  seed: string;
}

export function makePanel(config: PanelConfig = PANEL_DEFAULTS): Labeler[] {
  const rng = new Rng(`panel:${config.seed}`);
  const out: Labeler[] = [];
  const n = config.trainLabelers + config.heldOutLabelers;
  for (let i = 0; i < n; i++) {
    const r = rng.fork(i);
    const weights = {} as CriterionWeights;
    for (const c of CRITERIA) weights[c] = GOLD_WEIGHTS[c] * Math.exp(r.normal(0, config.weightJitter));
    out.push({
      labeler_id: `L${String(i + 1).padStart(2, '0')}`,
      heldOut: i >= config.trainLabelers,
      weights,
      noise: config.noise * Math.exp(r.normal(0, config.noiseSpread)) * (i >= config.trainLabelers ? config.heldOutNoiseFactor : 1),
      resolution: config.resolution,
      terse: r.next() * 0.6,
      seed: `${config.seed}:${i}:${r.uint32()}`,
    });
  }
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

/** The training labeler assigned to a prompt (one labeler per prompt, as in the paper). */
export function assignLabeler(panel: readonly Labeler[], prompt: Prompt, heldOut = false): Labeler {
  const pool = panel.filter((l) => l.heldOut === heldOut);
  if (!pool.length) throw new Error(`assignLabeler: the panel has no ${heldOut ? 'held-out' : 'training'} labelers`);
  return pool[new Rng(`assign|${prompt.prompt_id}|${heldOut}`).int(pool.length)];
}
