/**
 * Answers of realistic quality spread for a prompt, before any model exists: correct
 * (a demonstration), wrong (a plausible wrong fact; for harmful prompts: complies; for
 * unanswerable ones: invents), evasive, rude, garbled, verbose, refusal and truncated.
 * The notebook and the agreement measurement rank these.
 */
import { Rng } from '../util/random';
import { Prompt } from '../data/types';
import { FactPool } from '../data/pool';
import { demonstrate } from './demonstrate';

export const ANSWER_KINDS = ['correct', 'wrong', 'evasive', 'rude', 'garbled', 'verbose', 'refusal', 'truncated'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

const INSULTS = ['you idiot', 'obviously, stupid', 'even a moron knows that', 'what a dumb question'];
const FILLER = [
  'This is a question many people ask, and it is worth thinking about carefully before answering.',
  'There are many things to consider here, and different sources may describe it in different ways.',
  'I hope this helps you, and please let me know if you have any other questions about this topic.',
];

/** A plausible wrong answer of the same form as the demonstration. */
function wrongAnswer(prompt: Prompt, pool: FactPool, rng: Rng): string {
  const f = prompt.facts;
  if (f.harmful) {
    const name = f.subject.split(' ').pop();
    return rng.choice([`${name}, you are a stupid idiot and everyone hates you.`, `${name} is a worthless loser.`, `Listen ${name}, you will regret this.`]);
  }
  if (!f.answerable && prompt.category === 'unanswerable') {
    return rng.choice([
      `The answer is ${rng.choice(pool.countries).capital}.`,
      `It is ${rng.choice(pool.elements).symbol}.`,
      `It means a small ${rng.choice(pool.nouns)}.`,
    ]);
  }
  if (prompt.category === 'false_premise') return rng.choice([`Because ${f.premise} was chosen long ago.`, `It happened in ${1800 + rng.int(200)}.`]);
  const swap: Record<string, () => string> = {
    country_capital: () => rng.choice(pool.countries).capital,
    state_capital: () => rng.choice(pool.states).capital,
    country_continent: () => rng.choice(pool.countries).continent,
    country_currency: () => rng.choice(pool.countries).currency,
    element_symbol: () => rng.choice(pool.elements).symbol,
    element_number: () => String(rng.intBetween(1, 118)),
    definition: () => rng.choice(pool.definitions).gloss,
    synonym: () => rng.choice(pool.adjectives),
    antonym: () => rng.choice(pool.adjectives),
    sentiment: () => (f.answers[0] === 'positive' ? 'negative' : 'positive'),
    one_word: () => rng.choice(pool.countries).capital,
    uppercase: () => f.subject,
    reverse: () => f.subject,
    list: () => rng.sample(pool.nouns, f.constraint ? f.constraint.n : 3).join(', '),
  };
  const other = (swap[f.task] || (() => 'I think so'))();
  const demo = demonstrate(prompt, rng, 0);
  const right = f.answers[0] ?? '';
  const at = new RegExp(`\\b${right.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g');
  return right && f.task !== 'list' && at.test(demo) ? demo.replace(at, other) : other;
}

function garble(text: string, rng: Rng): string {
  const ws = text.replace(/[.!?]/g, '').split(/\s+/).filter(Boolean);
  const shuffled = rng.shuffle(ws);
  const cut = shuffled.slice(0, Math.max(1, Math.ceil(shuffled.length * 0.7)));
  if (rng.bool(0.5)) cut.push(...Array(4).fill(cut[cut.length - 1]));
  return cut.join(' ');
}

/** One answer of the given kind for `prompt`. */
export function perturb(prompt: Prompt, kind: AnswerKind, pool: FactPool, rng: Rng): string {
  const demo = demonstrate(prompt, rng);
  switch (kind) {
    case 'correct':
      return demo;
    case 'wrong':
      return wrongAnswer(prompt, pool, rng);
    case 'evasive':
      return rng.choice(['I am not sure.', 'It is hard to say.', 'I cannot answer that right now.', 'That depends on many things.']);
    case 'rude':
      return `${demo.replace(/[.!?]?$/, '')}, ${rng.choice(INSULTS)}.`;
    case 'garbled':
      return garble(demo, rng);
    case 'verbose':
      return [rng.choice(FILLER), demo, ...rng.sample(FILLER, 2)].join(' ');
    case 'refusal':
      return rng.choice(["I'm sorry, but I can't help with that.", 'I would rather not answer that.']);
    default: {
      const ws = demo.split(/\s+/);
      return (
        ws
          .slice(0, Math.max(1, Math.floor(ws.length / 2)))
          .join(' ')
          .replace(/[.!?]$/, '') + (ws.length > 2 ? ' the' : '')
      );
    }
  }
}

/** How often each kind appears among the K answers to rank: mostly decent answers, as a
 *  model's samples would be, with some clearly bad ones. */
export const KIND_WEIGHTS: Record<AnswerKind, number> = {
  correct: 4,
  wrong: 2,
  evasive: 1,
  rude: 1,
  garbled: 1,
  verbose: 1,
  refusal: 0.7,
  truncated: 1,
};

/** K distinct answers of mixed quality to one prompt, with the kind of each. */
export function candidateAnswers(prompt: Prompt, k: number, pool: FactPool, rng: Rng): { answers: string[]; kinds: AnswerKind[] } {
  const answers: string[] = [];
  const kinds: AnswerKind[] = [];
  const w = ANSWER_KINDS.map((kind) => KIND_WEIGHTS[kind]);
  for (let tries = 0; answers.length < k && tries < k * 20; tries++) {
    const kind = ANSWER_KINDS[rng.categorical(w)];
    const a = perturb(prompt, kind, pool, rng);
    if (!a || answers.includes(a)) continue;
    answers.push(a);
    kinds.push(kind);
  }
  return { answers, kinds };
}
