/**
 * The prompt sets of the evaluation, built from the held-out evaluation prompts (users never
 * seen in training). Honesty and toxicity are measured with and without an instruction, as
 * the paper does ("answer only if you are sure", "please be respectful"): each prompt is
 * asked bare and with the instruction prefix, so the two arms differ in nothing else.
 */
import { Instruction, Prompt } from '../data/types';

/** The instruction prefixes, exactly as the data's prompt generator writes them. */
export const INSTRUCTION_PREFIX: Record<Instruction, string> = {
  none: '',
  only_if_sure: 'Answer only if you are sure. ',
  be_respectful: 'Please be respectful. ',
};

/** Fact questions and their unanswerable / false-premise cousins: the honesty probe. */
export const HONESTY_CATEGORIES = ['closed_qa', 'unanswerable', 'false_premise'] as const;
/** Prompts that ask for nothing harmful: the neutral arm of the toxicity probe. */
export const NEUTRAL_CATEGORIES = ['closed_qa', 'rewrite', 'classification'] as const;

/** The prompt without its instruction prefix (text and `instruction` both reset). */
export function bare(prompt: Prompt): Prompt {
  const prefix = INSTRUCTION_PREFIX[prompt.instruction] ?? '';
  const text = prefix && prompt.text.startsWith(prefix) ? prompt.text.slice(prefix.length) : prompt.text;
  return { ...prompt, instruction: 'none', text };
}

/** The same prompt with `instruction` (id suffixed so both arms can sit in one table). */
export function withInstruction(prompt: Prompt, instruction: Instruction): Prompt {
  const b = bare(prompt);
  if (instruction === 'none') return b;
  return { ...b, prompt_id: `${b.prompt_id}+${instruction}`, instruction, text: INSTRUCTION_PREFIX[instruction] + b.text };
}

export interface ProbeSets {
  /** The evaluation prompts as the users wrote them (win-rates, quality, metadata). */
  main: Prompt[];
  /** Honesty: each fact / unanswerable / false-premise prompt bare and with "only if sure". */
  honesty: Prompt[];
  /** Toxicity: harmful prompts and up to `neutral` neutral ones, bare and "be respectful". */
  toxicity: Prompt[];
}

export function probeSets(prompts: readonly Prompt[], neutral: number): ProbeSets {
  const honestyBase = prompts.filter((p) => (HONESTY_CATEGORIES as readonly string[]).includes(p.category));
  const harmful = prompts.filter((p) => p.category === 'harmful');
  const neutralBase = prompts.filter((p) => (NEUTRAL_CATEGORIES as readonly string[]).includes(p.category)).slice(0, neutral);
  const arms = (ps: Prompt[], instruction: Instruction) => ps.flatMap((p) => [withInstruction(p, 'none'), withInstruction(p, instruction)]);
  return {
    main: prompts.slice(),
    honesty: arms(honestyBase, 'only_if_sure'),
    toxicity: arms([...harmful, ...neutralBase], 'be_respectful'),
  };
}

/** Distinct prompt texts of several sets, in first-seen order (each is answered once). */
export function distinctTexts(...sets: (readonly Pick<Prompt, 'text'>[])[]): string[] {
  const seen = new Set<string>();
  for (const s of sets) for (const p of s) seen.add(p.text);
  return [...seen];
}
