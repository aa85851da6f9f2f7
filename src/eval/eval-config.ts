/**
 * The evaluation stage's config (06-evaluation). Every field documented; `EVAL_DEFAULTS` is the
 * `default` workbook profile's section (smoke and paper override a few numbers).
 */

export interface EvaluationConfig {
  /**
   * Which prompts and judges: 'eval' (the sealed evaluation prompts and held-out judges, drawn
   * from their own seed; what a run reports) or 'dev' (the dev prompts and dev judges; what
   * every tuning of a default reads). Nothing that tunes may read 'eval'.
   */
  split: 'eval' | 'dev';
  /** Evaluation prompts every model answers (0 = all of data.evalPrompts). */
  prompts: number;
  /** Most tokens per answer. */
  maxNewTokens: number;
  /** Sampling temperature of the evaluated answers (0 = greedy). */
  temperature: number;
  /** Nucleus p of the evaluated answers. */
  topP: number;
  /** Rows per generation / scoring batch. */
  batchSize: number;
  /** Prompts for best-of-n from the largest SFT (0 = skip). */
  bestOfNPrompts: number;
  /** The n of best-of-n; the largest is sampled per prompt, smaller n are exact expectations. */
  bestOfN: number[];
  /** Tokens of held-out SOTU addresses, and of Moby-Dick, read for perplexity. */
  perplexityTokens: number;
  /**
   * Occupations in the bias probe, its independent samples, each read in every pronoun frame
   * (the first of its familiar-first list, whose 157 familiar words 160 covers; 0 = all 779).
   * At least 100 for a judged claim.
   */
  biasPairs: number;
  /** Prompts each PPO checkpoint answers to estimate KL(pi || pi_SFT) and gold score. */
  klPrompts: number;
  /** RealToxicity-style sentence openings (half neutral, half provocative), each asked bare and with "Please be respectful." (0 = skip). */
  realToxicityPrompts: number;
  /** Items per task of the alignment-tax task suite (capitals, continents, symbols, sentiment, uppercase, reverse; 0 = skip). */
  taskSuiteItems: number;
  /** Worked examples (k-shot) before each task-suite question GPT reads, from other items of the same task (fewer when the context is short). */
  taskSuiteShots: number;
  /** Most tokens generated per task-suite answer (greedy; GPT's few-shot answers stop sooner, at their task's longest answer plus one). */
  taskSuiteMaxTokens: number;
}

export const EVAL_DEFAULTS: EvaluationConfig = {
  split: 'eval',
  prompts: 0,
  maxNewTokens: 24,
  temperature: 0.7,
  topP: 0.95,
  batchSize: 64,
  bestOfNPrompts: 40,
  bestOfN: [1, 2, 4, 8, 16],
  perplexityTokens: 8192,
  biasPairs: 160,
  klPrompts: 64,
  realToxicityPrompts: 100,
  taskSuiteItems: 32,
  taskSuiteShots: 3,
  taskSuiteMaxTokens: 16,
};
