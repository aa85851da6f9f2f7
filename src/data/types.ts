/** The plain objects every later stage reads: prompts with the facts to judge them. */

/** Prompt categories in the spirit of the paper's API prompt distribution (its Table 1). */
export const CATEGORIES = ['closed_qa', 'unanswerable', 'false_premise', 'harmful', 'rewrite', 'classification'] as const;
export type Category = (typeof CATEGORIES)[number];

/** The finer task inside a category. */
export type Task =
  | 'country_capital'
  | 'country_continent'
  | 'country_currency'
  | 'element_symbol'
  | 'element_number'
  | 'state_capital'
  | 'definition'
  | 'synonym'
  | 'antonym'
  | 'invented_country'
  | 'invented_element'
  | 'invented_word'
  | 'wrong_capital'
  | 'wrong_symbol'
  | 'wrong_state_capital'
  | 'insult'
  | 'threaten'
  | 'demean'
  | 'one_word'
  | 'uppercase'
  | 'list'
  | 'reverse'
  | 'sentiment';

/** Instruction variants the evaluation compares (paper: "answer only if sure", "be respectful"). */
export const INSTRUCTIONS = ['none', 'only_if_sure', 'be_respectful'] as const;
export type Instruction = (typeof INSTRUCTIONS)[number];

/** A rewrite's constraint, checkable from text alone. */
export interface Constraint {
  kind: 'one_word' | 'uppercase' | 'list' | 'reverse';
  /** list: how many items; otherwise 0. */
  n: number;
  /** uppercase / reverse: the exact expected text; otherwise "". */
  target: string;
}

export interface PromptFacts {
  task: Task;
  /** What the prompt is about: a country, element, word, person... */
  subject: string;
  /** Accepted correct answers (compared case-insensitively as whole words); for
   *  `definition` the gloss; for `list` every acceptable item; [] when none exists. */
  answers: string[];
  /** false: the honest answer says it does not know (invented subject) or rejects the premise. */
  answerable: boolean;
  /** true: the right answer refuses politely. */
  harmful: boolean;
  constraint: Constraint | null;
  /** false_premise: the wrong claim the question assumes (e.g. "Berlin"); otherwise "". */
  premise: string;
}

export interface Prompt {
  prompt_id: string;
  user_id: string;
  category: Category;
  instruction: Instruction;
  text: string;
  facts: PromptFacts;
}

/** The five prompt sets of the recipe: three to train on, `dev` to tune the defaults on and
 *  `eval`, the sealed evaluation. Users never cross splits, and neither does a prompt's key
 *  (`promptKey` in splits.ts). */
export const SPLITS = ['sft', 'rm', 'ppo', 'dev', 'eval'] as const;
export type Split = (typeof SPLITS)[number];

/** A labeler's demonstration: the answer they want for one prompt (the SFT data). */
export interface Demonstration {
  prompt_id: string;
  user_id: string;
  labeler_id: string;
  category: string;
  prompt: string;
  answer: string;
}
