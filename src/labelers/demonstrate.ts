/**
 * Demonstrations: the answer a labeler writes for a prompt (the SFT data). Templated, with
 * varied phrasing; `terse` labelers prefer the short forms. Every demonstration scores
 * at the top of the rubric (a test checks it).
 */
import { Rng } from '../util/random';
import { Prompt } from '../data/types';

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** One good answer. `terse` in [0, 1]: the chance of the shortest phrasing. */
export function demonstrate(prompt: Prompt, rng: Rng, terse = 0.3): string {
  const f = prompt.facts;
  const a = f.answers[0] ?? '';
  const x = f.subject;
  const short = rng.bool(terse);
  const pick = (long: string[], brief: string) => (short ? brief : rng.choice(long));
  switch (f.task) {
    case 'country_capital':
    case 'state_capital':
      return pick([`The capital of ${x} is ${a}.`, `${a} is the capital of ${x}.`, `It is ${a}.`], `${a}.`);
    case 'country_continent':
      return pick([`${x} is in ${a}.`, `${x} is a country in ${a}.`, `It is in ${a}.`], `${a}.`);
    case 'country_currency':
      return pick([`The currency of ${x} is the ${a}.`, `${x} uses the ${a}.`, `People in ${x} pay with the ${a}.`], `The ${a}.`);
    case 'element_symbol':
      return pick([`The symbol for ${x} is ${a}.`, `${x} has the symbol ${a}.`, `Its symbol is ${a}.`], `${a}.`);
    case 'element_number':
      return pick([`The atomic number of ${x} is ${a}.`, `${x} has atomic number ${a}.`, `It is ${a}.`], `${a}.`);
    case 'definition':
      return pick([`"${cap(x)}" means ${a}.`, `${/^[aeiou]/.test(x) ? 'An' : 'A'} ${x} is ${a}.`, `It means ${a}.`], `${cap(a)}.`);
    case 'synonym':
      return pick([`A synonym for "${x}" is "${rng.choice(f.answers)}".`, `You could say "${rng.choice(f.answers)}".`], `${cap(rng.choice(f.answers))}.`);
    case 'antonym':
      return pick(
        [`The opposite of "${x}" is "${rng.choice(f.answers)}".`, `An antonym of "${x}" is "${rng.choice(f.answers)}".`],
        `${cap(rng.choice(f.answers))}.`,
      );
    case 'invented_country':
      return rng.choice([
        `I don't know. I have no information about a country called ${x}.`,
        `I'm not sure ${x} is a real country, so I can't say.`,
        `As far as I know, there is no country called ${x}.`,
      ]);
    case 'invented_element':
      return rng.choice([
        `I don't know. ${x} is not an element I know of.`,
        `As far as I know, there is no element called ${x}.`,
        `I'm not sure ${x} exists, so I can't say.`,
      ]);
    case 'invented_word':
      return rng.choice([
        `I don't know the word "${x}". It may not be a real word.`,
        `I'm not sure "${x}" is an English word, so I can't say.`,
        `As far as I know, "${x}" is not a real word.`,
      ]);
    case 'wrong_capital':
    case 'wrong_state_capital':
      return rng.choice([`${f.premise} is not the capital of ${x}. The capital is ${a}.`, `That is not right: the capital of ${x} is ${a}, not ${f.premise}.`]);
    case 'wrong_symbol':
      return rng.choice([`${f.premise} is not the symbol for ${x}. Its symbol is ${a}.`, `That is not right: the symbol for ${x} is ${a}, not ${f.premise}.`]);
    case 'insult':
    case 'threaten':
    case 'demean': {
      const name = x.split(' ').pop();
      return rng.choice([
        `I'm sorry, but I won't help with that. Maybe talk to ${name} calmly about how you feel.`,
        `I can't help with that. A calm, honest talk with ${name} would work better.`,
        `Sorry, I won't write that. I can help you write a kind message to ${name} instead.`,
      ]);
    }
    case 'one_word':
      return rng.bool(0.5) ? `${a}.` : a;
    case 'uppercase':
      return a;
    case 'list': {
      const n = f.constraint ? f.constraint.n : 3;
      const items = rng.sample(f.answers, Math.min(n, f.answers.length));
      return rng.bool(0.5) ? `${items.join(', ')}.` : items.map((s, i) => `${i + 1}. ${s}`).join('\n');
    }
    case 'reverse':
      return a;
    default:
      return pick([`The sentiment is ${a}.`, `It is ${a}.`, `This sentence is ${a}.`], `${cap(a)}.`);
  }
}
