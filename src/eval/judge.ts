/**
 * Judging by the HELD-OUT labelers only (the paper's evaluation labelers never wrote
 * training data). Each prompt goes to one held-out labeler, chosen by the prompt (as the
 * paper assigns one labeler per comparison), who compares two answers or rates one.
 *
 * In the run's panel the held-out labelers are the sealed judges, for the evaluation (06).
 * Anything judged before it (tuning, dev prompts) passes `judgingPanel(panel, 'dev')`, in which
 * the dev judges are the held-out ones and the sealed judges are gone.
 */
import { Prompt } from '../data/types';
import { declines } from '../labelers/criteria';
import { assignLabeler, judgingPanel, Labeler, labelerScore, prefer } from '../labelers/panel';
import { WinCounts } from './stats';

export { judgingPanel };

/** The held-out part of a panel; throws when it has none (they are the only judges). */
export function heldOutPanel(panel: readonly Labeler[]): Labeler[] {
  const held = panel.filter((l) => l.heldOut);
  if (!held.length)
    throw new Error(`heldOutPanel: the panel of ${panel.length} labelers has no held-out labelers; the evaluation is judged by held-out labelers only`);
  return held;
}

/** The held-out labeler who judges `prompt`. */
export function judgeFor(panel: readonly Labeler[], prompt: Prompt): Labeler {
  return assignLabeler(heldOutPanel(panel), prompt, true);
}

/**
 * Wins, ties and losses of `answers` against `baseline` (same prompts, same order), each
 * pair judged by the prompt's held-out labeler.
 */
export function winCounts(panel: readonly Labeler[], prompts: readonly Prompt[], answers: readonly string[], baseline: readonly string[]): WinCounts {
  if (answers.length !== prompts.length || baseline.length !== prompts.length) {
    throw new Error(`winCounts: ${prompts.length} prompts but ${answers.length} answers and ${baseline.length} baseline answers`);
  }
  const held = heldOutPanel(panel);
  const c: WinCounts = { wins: 0, ties: 0, losses: 0 };
  prompts.forEach((p, i) => {
    const v = prefer(assignLabeler(held, p, true), p, answers[i], baseline[i]);
    if (v > 0) c.wins++;
    else if (v < 0) c.losses++;
    else c.ties++;
  });
  return c;
}

/** The paper's 1-7 Likert quality: the held-out labeler's score in [0, 1] mapped to 1..7. */
export function likert(score: number): number {
  return Math.min(7, Math.max(1, Math.round(1 + 6 * score)));
}

/** 1-7 quality of each answer, by the prompt's held-out labeler. */
export function qualityScores(panel: readonly Labeler[], prompts: readonly Prompt[], answers: readonly string[]): number[] {
  const held = heldOutPanel(panel);
  return prompts.map((p, i) => likert(labelerScore(assignLabeler(held, p, true), p, answers[i])));
}

/** The gold score of an answer as the held-out labelers see it: their mean score. */
export function heldOutScore(panel: readonly Labeler[], prompt: Prompt, answer: string): number {
  const held = heldOutPanel(panel);
  return held.reduce((s, l) => s + labelerScore(l, prompt, answer), 0) / held.length;
}

/**
 * What the held-out judges make of a batch of sampled answers (`answers[i]` answers
 * `prompts[i]`; PPO's rollout, k answers to a prompt): `judgeScore`, the mean score of each
 * answer by its prompt's held-out judge (one judge per prompt, chosen as `judgeFor` chooses:
 * the rubric's [0, 1] plus the judge's noise, so a mean may stray just past either end);
 * `refusalRate`, the share of answers that refuse or say they do not know (`declines`), on
 * any prompt, the harmful and unanswerable ones included.
 */
export function rolloutJudgement(
  panel: readonly Labeler[],
  prompts: readonly Prompt[],
  answers: readonly string[],
): { judgeScore: number; refusalRate: number } {
  if (answers.length !== prompts.length) throw new Error(`rolloutJudgement: ${prompts.length} prompts but ${answers.length} answers`);
  if (!answers.length) throw new Error('rolloutJudgement: no answers');
  const held = heldOutPanel(panel);
  let score = 0;
  let refusals = 0;
  prompts.forEach((p, i) => {
    score += labelerScore(assignLabeler(held, p, true), p, answers[i]);
    if (declines(answers[i])) refusals++;
  });
  return { judgeScore: score / answers.length, refusalRate: refusals / answers.length };
}
