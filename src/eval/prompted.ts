/**
 * The paper's "GPT (prompted)" baseline: the base model behind a few-shot prefix that
 * coaxes it into the instruction-following format (Ouyang et al. 2022, section 3.5 and
 * Appendix: "GPT-3 given a few-shot prefix"). The base model never saw the episode markers
 * (`<|prompt|>`, `<|answer|>`), so the prefix is plain prose it can continue:
 *
 *   Question: What is the capital of France?
 *   Answer: The capital of France is Paris.
 *
 *   Question: <the prompt>
 *   Answer:
 *
 * and the answer is what it writes up to the end of that line. Examples come from the
 * training demonstrations, one per category in turn, as many as fit a token budget (the
 * model's context is short). Notebook 03 and the evaluation (06) use the same prefix.
 */
import type { Tokenizer } from '../model/tokenizer';

export interface FewShotExample {
  prompt: string;
  answer: string;
  /** used to take examples from every category in turn */
  category?: string;
}

/** What the base model reads instead of a prompt, and where its answer stops. */
export interface FewShot {
  /** the raw text the base model continues (encoded after <|bos|>, no episode markers) */
  format: (prompt: string) => string;
  /** the answer part of a continuation: its first line, trimmed */
  cut: (completion: string) => string;
  /** the prefix itself and the examples it holds */
  prefix: string;
  examples: FewShotExample[];
}

const Q = 'Question: ';
const A = 'Answer:';

/** One line, so the answer's end is the end of the line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function formatShot(prompt: string, answer?: string): string {
  return `${Q}${oneLine(prompt)}\n${A}${answer === undefined ? '' : ' ' + oneLine(answer)}`;
}

/** Examples interleaved by category (first of each category, then second of each...). */
export function interleaveByCategory(examples: readonly FewShotExample[]): FewShotExample[] {
  const groups = new Map<string, FewShotExample[]>();
  for (const e of examples) {
    const k = e.category ?? '';
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(e);
  }
  const out: FewShotExample[] = [];
  const lists = [...groups.values()];
  for (let i = 0; out.length < examples.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}

/**
 * The few-shot prompter: examples (interleaved by category) are added while the prefix
 * stays within `maxPrefixTokens` tokens; an example that does not fit is skipped.
 */
export function makeFewShot(examples: readonly FewShotExample[], tokenizer: Tokenizer, maxPrefixTokens: number): FewShot {
  if (!(Number.isInteger(maxPrefixTokens) && maxPrefixTokens >= 0))
    throw new Error(`makeFewShot: maxPrefixTokens must be an integer >= 0, got ${maxPrefixTokens}`);
  const chosen: FewShotExample[] = [];
  let prefix = '';
  for (const e of interleaveByCategory(examples)) {
    const next = prefix + formatShot(e.prompt, e.answer) + '\n\n';
    if (tokenizer.encode(next, { allowSpecial: false }).length > maxPrefixTokens) continue;
    prefix = next;
    chosen.push(e);
  }
  return {
    prefix,
    examples: chosen,
    format: (prompt: string) => prefix + formatShot(prompt),
    cut: cutAnswer,
  };
}

/** The answer in a continuation of "Answer:": up to the first line break, trimmed. */
export function cutAnswer(completion: string): string {
  const nl = completion.indexOf('\n');
  return (nl >= 0 ? completion.slice(0, nl) : completion).trim();
}
