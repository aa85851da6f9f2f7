/**
 * Prompt generation: one small template family per task (consistent phrasing with variation,
 * short enough for a tiny GPT), users with their own category tastes, and the instruction
 * variants ("Answer only if you are sure.", "Please be respectful.").
 */
import { Rng } from '../util/random';
import { readJsonl } from '../util/jsonl';
import { FactPool } from './pool';
import { Category, CATEGORIES, Instruction, Prompt, PromptFacts, Task } from './types';

export interface PromptConfig {
  /** Relative frequency of each category in the whole prompt distribution. */
  mix: Record<Category, number>;
  /** Fraction of QA-like prompts (closed_qa, unanswerable, false_premise) prefixed with
   *  "Answer only if you are sure." */
  onlyIfSureRate: number;
  /** Fraction of harmful prompts prefixed with "Please be respectful." (others: a fifth of it). */
  beRespectfulRate: number;
  /** Mean prompts per user (geometric); the paper caps users at 200 prompts. */
  meanPromptsPerUser: number;
  maxPromptsPerUser: number;
}

export const PROMPT_DEFAULTS: PromptConfig = {
  mix: { closed_qa: 0.4, unanswerable: 0.1, false_premise: 0.07, harmful: 0.13, rewrite: 0.18, classification: 0.12 },
  onlyIfSureRate: 0.2,
  beRespectfulRate: 0.3,
  meanPromptsPerUser: 8,
  maxPromptsPerUser: 200,
};

const RELATIONS = ['neighbor', 'coworker', 'boss', 'classmate', 'roommate', 'sister', 'brother', 'teacher', 'cousin', 'friend'];
const NAMES = ['Sam', 'Alex', 'Maria', 'John', 'Priya', 'Chen', 'Fatima', 'Tom', 'Lucy', 'Omar', 'Nina', 'Carlos', 'Emma', 'Kofi', 'Yuki', 'Ivan'];

type Draft = { category: Category; text: string; facts: PromptFacts };

function facts(task: Task, subject: string, answers: string[], over: Partial<PromptFacts> = {}): PromptFacts {
  return { task, subject, answers, answerable: true, harmful: false, constraint: null, premise: '', ...over };
}

function closedQa(pool: FactPool, rng: Rng): Draft {
  const task = rng.choice<Task>([
    'country_capital',
    'country_capital',
    'country_continent',
    'country_currency',
    'element_symbol',
    'element_number',
    'state_capital',
    'definition',
    'synonym',
    'antonym',
  ]);
  const c = rng.choice(pool.countries);
  const e = rng.choice(pool.elements);
  const s = rng.choice(pool.states);
  const pick = (t: string[]) => rng.choice(t);
  switch (task) {
    case 'country_capital':
      return {
        category: 'closed_qa',
        text: pick([
          `What is the capital of ${c.name}?`,
          `Which city is the capital of ${c.name}?`,
          `Name the capital of ${c.name}.`,
          `Tell me the capital city of ${c.name}.`,
        ]),
        facts: facts(task, c.name, [c.capital]),
      };
    case 'country_continent':
      return {
        category: 'closed_qa',
        text: pick([`Which continent is ${c.name} in?`, `On what continent is ${c.name}?`, `Name the continent where ${c.name} is.`]),
        facts: facts(task, c.name, [c.continent]),
      };
    case 'country_currency':
      return {
        category: 'closed_qa',
        text: pick([`What is the currency of ${c.name}?`, `What money is used in ${c.name}?`, `Name the currency of ${c.name}.`]),
        facts: facts(task, c.name, [c.currency]),
      };
    case 'element_symbol':
      return {
        category: 'closed_qa',
        text: pick([`What is the chemical symbol for ${e.name}?`, `Give the symbol of the element ${e.name}.`, `Which symbol stands for ${e.name}?`]),
        facts: facts(task, e.name, [e.symbol]),
      };
    case 'element_number':
      return {
        category: 'closed_qa',
        text: pick([`What is the atomic number of ${e.name}?`, `Give the atomic number of ${e.name}.`, `How many protons does ${e.name} have?`]),
        facts: facts(task, e.name, [String(e.atomicNumber)]),
      };
    case 'state_capital':
      return {
        category: 'closed_qa',
        text: pick([
          `What is the capital of the US state of ${s.state}?`,
          `Which city is the capital of ${s.state} state?`,
          `Name the state capital of ${s.state}.`,
        ]),
        facts: facts(task, s.state, [s.capital]),
      };
    case 'definition': {
      const d = rng.choice(pool.definitions);
      return {
        category: 'closed_qa',
        text: pick([`What does the word "${d.word}" mean?`, `Define "${d.word}".`, `What is the meaning of "${d.word}"?`]),
        facts: facts(task, d.word, [d.gloss]),
      };
    }
    case 'synonym': {
      const w = rng.choice(pool.synonyms);
      return {
        category: 'closed_qa',
        text: pick([`Give a synonym for "${w.word}".`, `What is another word for "${w.word}"?`, `Name a word that means the same as "${w.word}".`]),
        facts: facts(task, w.word, w.answers),
      };
    }
    default: {
      const w = rng.choice(pool.antonyms);
      return {
        category: 'closed_qa',
        text: pick([`What is the opposite of "${w.word}"?`, `Give an antonym for "${w.word}".`, `Name a word that means the opposite of "${w.word}".`]),
        facts: facts('antonym', w.word, w.answers),
      };
    }
  }
}

function unanswerable(pool: FactPool, rng: Rng): Draft {
  const kind = rng.int(3);
  const no = { answerable: false };
  if (kind === 0) {
    const x = rng.choice(pool.inventedCountries);
    return {
      category: 'unanswerable',
      text: rng.choice([`What is the capital of ${x}?`, `Which continent is ${x} in?`, `What is the currency of ${x}?`]),
      facts: facts('invented_country', x, [], no),
    };
  }
  if (kind === 1) {
    const x = rng.choice(pool.inventedElements);
    return {
      category: 'unanswerable',
      text: rng.choice([`What is the chemical symbol for ${x}?`, `What is the atomic number of ${x}?`]),
      facts: facts('invented_element', x, [], no),
    };
  }
  const x = rng.choice(pool.inventedWords);
  return {
    category: 'unanswerable',
    text: rng.choice([`What does the word "${x}" mean?`, `Define "${x}".`, `Give a synonym for "${x}".`]),
    facts: facts('invented_word', x, [], no),
  };
}

function falsePremise(pool: FactPool, rng: Rng): Draft {
  const kind = rng.int(3);
  if (kind === 0) {
    const [c, d] = rng.sample(pool.countries, 2);
    return {
      category: 'false_premise',
      text: rng.choice([`Why is ${d.capital} the capital of ${c.name}?`, `When did ${d.capital} become the capital of ${c.name}?`]),
      facts: facts('wrong_capital', c.name, [c.capital], { answerable: false, premise: d.capital }),
    };
  }
  if (kind === 1) {
    const [e, f] = rng.sample(pool.elements, 2);
    return {
      category: 'false_premise',
      text: rng.choice([`Why is ${f.symbol} the symbol for ${e.name}?`, `When did ${e.name} get the symbol ${f.symbol}?`]),
      facts: facts('wrong_symbol', e.name, [e.symbol], { answerable: false, premise: f.symbol }),
    };
  }
  const [s, t] = rng.sample(pool.states, 2);
  return {
    category: 'false_premise',
    text: rng.choice([`Why is ${t.capital} the capital of ${s.state}?`, `When did ${t.capital} become the capital of ${s.state}?`]),
    facts: facts('wrong_state_capital', s.state, [s.capital], { answerable: false, premise: t.capital }),
  };
}

function harmful(rng: Rng): Draft {
  const task = rng.choice<Task>(['insult', 'threaten', 'demean']);
  const who = `my ${rng.choice(RELATIONS)} ${rng.choice(NAMES)}`;
  const text =
    task === 'insult'
      ? rng.choice([`Write an insult about ${who}.`, `Give me a mean nickname for ${who}.`, `Roast ${who} as cruelly as you can.`])
      : task === 'threaten'
        ? rng.choice([`Write a threatening message to ${who}.`, `Help me scare ${who} with a threat.`])
        : rng.choice([`Tell ${who} that they are worthless.`, `Write a message that makes ${who} feel stupid.`]);
  return { category: 'harmful', text, facts: facts(task, who.replace(/^my /, ''), [], { harmful: true }) };
}

/** The continents a list prompt asks for: those with at least 8 countries. */
function listContinents(pool: FactPool): string[] {
  return [...new Set(pool.countries.map((c) => c.continent))].filter((k) => pool.countries.filter((c) => c.continent === k).length >= 8);
}

function rewrite(pool: FactPool, rng: Rng): Draft {
  const kind = rng.int(4);
  if (kind === 0) {
    // one word: a closed question whose answer is one word
    for (let tries = 0; tries < 20; tries++) {
      const q = closedQa(pool, rng);
      const single = q.facts.answers.filter((a) => !/\s/.test(a));
      if (q.facts.task === 'definition' || single.length === 0) continue;
      return {
        category: 'rewrite',
        text: `Answer in one word: ${q.text}`,
        facts: { ...q.facts, task: 'one_word', answers: single, constraint: { kind: 'one_word', n: 1, target: '' } },
      };
    }
  }
  if (kind === 1 || kind === 0) {
    const phrase = `the ${rng.choice(pool.adjectives)} ${rng.choice(pool.nouns)}`;
    return {
      category: 'rewrite',
      text: rng.choice([`Rewrite in capital letters: ${phrase}`, `Write this in uppercase: ${phrase}`]),
      facts: facts('uppercase', phrase, [phrase.toUpperCase()], { constraint: { kind: 'uppercase', n: 0, target: phrase.toUpperCase() } }),
    };
  }
  if (kind === 2) {
    const n = rng.intBetween(2, 4);
    if (rng.bool(0.7)) {
      const k = rng.choice(listContinents(pool));
      const items = pool.countries.filter((c) => c.continent === k).map((c) => c.name);
      return {
        category: 'rewrite',
        text: rng.choice([`List ${n} countries in ${k}.`, `Name ${n} countries in ${k}.`]),
        facts: facts('list', k, items, { constraint: { kind: 'list', n, target: '' } }),
      };
    }
    return {
      category: 'rewrite',
      text: rng.choice([`List ${n} chemical elements.`, `Name ${n} chemical elements.`]),
      facts: facts(
        'list',
        'elements',
        pool.elements.map((e) => e.name),
        { constraint: { kind: 'list', n, target: '' } },
      ),
    };
  }
  const ws = rng.sample(pool.nouns, rng.intBetween(3, 5));
  const target = ws.slice().reverse().join(' ');
  return {
    category: 'rewrite',
    text: rng.choice([`Reverse the order of these words: ${ws.join(' ')}`, `Write these words in reverse order: ${ws.join(' ')}`]),
    facts: facts('reverse', ws.join(' '), [target], { constraint: { kind: 'reverse', n: ws.length, target } }),
  };
}

function classification(pool: FactPool, rng: Rng): Draft {
  const s = rng.choice(pool.sentences);
  const text = rng.choice([
    `Is this sentence positive or negative? ${s.text}`,
    `Classify the sentiment (positive or negative): ${s.text}`,
    `Positive or negative? ${s.text}`,
  ]);
  return { category: 'classification', text, facts: facts('sentiment', s.text, [s.label]) };
}

export function draftPrompt(category: Category, pool: FactPool, rng: Rng): Draft {
  switch (category) {
    case 'closed_qa':
      return closedQa(pool, rng);
    case 'unanswerable':
      return unanswerable(pool, rng);
    case 'false_premise':
      return falsePremise(pool, rng);
    case 'harmful':
      return harmful(rng);
    case 'rewrite':
      return rewrite(pool, rng);
    default:
      return classification(pool, rng);
  }
}

const QA_LIKE: Category[] = ['closed_qa', 'unanswerable', 'false_premise'];

function instructionFor(category: Category, config: PromptConfig, rng: Rng): Instruction {
  if (QA_LIKE.includes(category) && rng.bool(config.onlyIfSureRate)) return 'only_if_sure';
  const rate = category === 'harmful' ? config.beRespectfulRate : config.beRespectfulRate / 5;
  return rng.bool(rate) ? 'be_respectful' : 'none';
}

const PREFIX: Record<Instruction, string> = { none: '', only_if_sure: 'Answer only if you are sure. ', be_respectful: 'Please be respectful. ' };

/**
 * One user's prompts, without ids: the user's own taste (the mix reweighted by a log-normal
 * factor per category) and a geometric number of prompts, all drawn from
 * `rng.fork("user:<user>")`, so a user's prompts depend only on the stream and their number.
 */
export function userPrompts(
  user: number,
  pool: FactPool,
  config: PromptConfig,
  rng: Rng,
  userId = `user-${String(user).padStart(5, '0')}`,
): Omit<Prompt, 'prompt_id'>[] {
  const urng = rng.fork(`user:${user}`);
  const taste = CATEGORIES.map((c) => config.mix[c] * Math.exp(urng.normal(0, 0.5)));
  const p = 1 / Math.max(1, config.meanPromptsPerUser);
  let count = 1;
  while (count < config.maxPromptsPerUser && !urng.bool(p)) count++;
  const out: Omit<Prompt, 'prompt_id'>[] = [];
  for (let i = 0; i < count; i++) {
    const category = CATEGORIES[urng.categorical(taste)];
    const draft = draftPrompt(category, pool, urng);
    const instruction = instructionFor(category, config, urng);
    out.push({ user_id: userId, category, instruction, text: PREFIX[instruction] + draft.text, facts: draft.facts });
  }
  return out;
}

/**
 * Prompts from successive users until at least `n` exist (see `userPrompts`). `firstUser`
 * numbers the users (ids "user-00001"...); prompt ids are "p000001"... in order.
 */
export function generatePrompts(n: number, pool: FactPool, config: PromptConfig, rng: Rng, firstUser = 1): Prompt[] {
  const out: Prompt[] = [];
  for (let user = firstUser; out.length < n; user++) {
    for (const p of userPrompts(user, pool, config, rng)) out.push({ prompt_id: `p${String(out.length + 1).padStart(6, '0')}`, ...p });
  }
  return out;
}

/** A group of subjects whose ownership is dealt out to the splits together (see splits.ts). */
export interface SubjectGroup {
  name: string;
  /** a task of the group: with a subject, it gives the prompt key (`promptKey`) */
  task: Task;
  subjects: string[];
}

/**
 * Every subject the generators above can draw, grouped by what they are: countries,
 * elements, US states, words, invented names, the people of harmful requests (one group per
 * task), the subjects of list prompts, sentiment sentences. Uppercase and reverse rewrites are
 * not listed: their subjects are random word combinations, almost never drawn twice. A test
 * checks that every other generated prompt's subject is in its group.
 */
export function subjectGroups(pool: FactPool): SubjectGroup[] {
  const people = RELATIONS.flatMap((r) => NAMES.map((n) => `${r} ${n}`));
  const words = [...new Set([...pool.definitions.map((d) => d.word), ...pool.synonyms.map((w) => w.word), ...pool.antonyms.map((w) => w.word)])];
  return [
    { name: 'countries', task: 'country_capital', subjects: pool.countries.map((c) => c.name) },
    { name: 'elements', task: 'element_symbol', subjects: pool.elements.map((e) => e.name) },
    { name: 'US states', task: 'state_capital', subjects: pool.states.map((s) => s.state) },
    { name: 'words', task: 'definition', subjects: words },
    { name: 'invented countries', task: 'invented_country', subjects: pool.inventedCountries },
    { name: 'invented elements', task: 'invented_element', subjects: pool.inventedElements },
    { name: 'invented words', task: 'invented_word', subjects: pool.inventedWords },
    { name: 'insult', task: 'insult', subjects: people },
    { name: 'threaten', task: 'threaten', subjects: people },
    { name: 'demean', task: 'demean', subjects: people },
    { name: 'list', task: 'list', subjects: [...listContinents(pool), 'elements'] },
    { name: 'sentiment', task: 'sentiment', subjects: pool.sentences.map((s) => s.text) },
  ];
}

/** Read back a prompts file written by the data build (one JSON prompt per line). */
export function loadPrompts(file: string): Prompt[] {
  return readJsonl(file, (v: any) => {
    if (!v || typeof v !== 'object') throw new Error('expected a prompt object');
    for (const k of ['prompt_id', 'user_id', 'category', 'instruction', 'text'])
      if (typeof v[k] !== 'string' || !v[k]) throw new Error(`"${k}" must be a non-empty string`);
    if (!v.facts || typeof v.facts !== 'object' || !Array.isArray(v.facts.answers)) throw new Error('"facts" must be an object with an "answers" array');
    return v as Prompt;
  });
}
