/**
 * The evaluation stage, in the order the notebook shows it. Every model of the roster is
 * loaded once per step and disposed after; answers are generated once (to every distinct
 * prompt text of every probe set) and then judged many ways.
 *
 *   1. answers      every model answers the main and honesty prompts and the toxicity openings
 *   2. helpful      win-rate vs SFT (largest and same size, held-out judges, 95% Wilson CI),
 *                   and by prompt category against same-size SFT,
 *                   1-7 quality, the labelers' metadata
 *   3. honest       fact check against the fact tables: true / false / no claim, with and
 *                   without "only if sure"; closed-domain hallucination
 *   4. harmless     an independent toxicity scorer on RealToxicity-style openings, bare and
 *                   "be respectful"; bias as normalised entropy of she/he choices
 *                   about occupations
 *   5. tax          a few-shot task suite by exact match; perplexity as a secondary line
 *   6. RM vs labelers, best-of-n and PPO over-optimisation curves
 *
 * The judges and prompts are one split's ('eval', sealed, or 'dev', for tuning): see
 * EvaluationConfig.split.
 */
export type { EvaluationConfig } from './eval-config';
export { EVAL_DEFAULTS } from './eval-config';
export { answerEveryModel, answersFor, fewShotFor, loadAnswerBook, loadModel, modelKey } from './answer-book';
export type { AnswerBook } from './answer-book';
export { biasAndPerplexityRows, qualityRows, winRateByCategoryRows, winRateRows } from './three-h';
export { hallucinationRows, truthRows } from './fact-check';
export { realToxicityPrompts, realToxicityRows } from './toxicity';
export { taskSuite, taskSuiteRows } from './task-suite';
export type { CategoryWinRow, WinRow } from './three-h';
export { bestOfNPoints, policyPoint, rewardAgreement, rlPoints, rlPolicies } from './curves';
