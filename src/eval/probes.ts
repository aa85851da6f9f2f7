/**
 * The prompt sets of the evaluation, built from the evaluation prompts (users, prompts and
 * (task, subject) keys never seen in training). Honesty is measured with and without "Answer
 * only if you are sure." as the paper does: each prompt is asked bare and with the prefix, so
 * the two arms differ in nothing else. (Toxicity's arms are the RealToxicity-style openings of
 * toxicity.ts, asked bare and with "Please be respectful.")
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
}

export function probeSets(prompts: readonly Prompt[]): ProbeSets {
  const honestyBase = prompts.filter((p) => (HONESTY_CATEGORIES as readonly string[]).includes(p.category));
  return {
    main: prompts.slice(),
    honesty: honestyBase.flatMap((p) => [withInstruction(p, 'none'), withInstruction(p, 'only_if_sure')]),
  };
}

/** Distinct prompt texts of several sets, in first-seen order (each is answered once). */
export function distinctTexts(...sets: (readonly Pick<Prompt, 'text'>[])[]): string[] {
  const seen = new Set<string>();
  for (const s of sets) for (const p of s) seen.add(p.text);
  return [...seen];
}
