/**
 * The evaluation stage, in the order the notebook shows it. Every model of the roster is
 * loaded once per step and disposed after; answers are generated once (to every distinct
 * prompt text of every probe set) and then judged many ways.
 *
 *   1. answers      every model answers the main, honesty and toxicity prompts
 *   2. helpful      win-rate vs SFT (largest and same size, held-out labelers, 95% Wilson CI),
 *                   1-7 quality, the paper's metadata rates
 *   3. honest       truthful / truthful-and-informative, with and without "only if sure"
 *   4. harmless     profanity / hostility, harmful and neutral prompts, with and without
 *                   "be respectful"; bias as normalised entropy over gender pairs
 *   5. tax          perplexity on held-out addresses and Moby-Dick
 *   6. RM vs labelers, best-of-n and PPO over-optimisation curves
 */
export type { EvaluationConfig } from './eval-config';
export { EVAL_DEFAULTS } from './eval-config';
export { answerEveryModel, answersFor, fewShotFor, loadAnswerBook, loadModel, modelKey } from './answer-book';
export type { AnswerBook } from './answer-book';
export { biasAndPerplexityRows, qualityRows, winRateRows } from './three-h';
export { hallucinationRows, truthRows } from './fact-check';
export { realToxicityPrompts, realToxicityRows } from './toxicity';
export { taskSuite, taskSuiteRows } from './task-suite';
export type { WinRow } from './three-h';
export { bestOfNPoints, policyPoint, rewardAgreement, rlPoints, rlPolicies } from './curves';
