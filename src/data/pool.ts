/**
 * The fact pool every prompt is drawn from: real facts from registry packages plus invented
 * names (checked not to be real) and sentiment sentences whose label AFINN decides.
 * Built once per seed and cached.
 */
import { Rng } from '../util/random';
import { countries, elements, stateCapitals, Country, Element, StateCapital } from './facts';
import { antonyms, definitions, synonyms, Definition, WordRelation } from './wordnet';
import { inventNames } from './names';
import { afinnScore } from './lexicon';

export interface SentimentSentence {
  text: string;
  label: 'positive' | 'negative';
}

export interface FactPool {
  countries: Country[];
  elements: Element[];
  states: StateCapital[];
  definitions: Definition[];
  synonyms: WordRelation[];
  antonyms: WordRelation[];
  inventedCountries: string[];
  inventedElements: string[];
  inventedWords: string[];
  sentences: SentimentSentence[];
  /** Short nouns and adjectives for rewrite phrases. */
  nouns: string[];
  adjectives: string[];
}

const SUBJECTS = [
  'The movie',
  'The hotel',
  'Our dinner',
  'The new phone',
  'The concert',
  'My flight',
  'The book',
  'The service',
  'The weather',
  'The game',
  'The class',
  'The coffee',
];
const OTHERS = ['the music', 'the staff', 'the ending', 'the price', 'the view', 'the food', 'the seats', 'the story'];
const POSITIVE = ['wonderful', 'great', 'excellent', 'lovely', 'amazing', 'fantastic', 'good', 'pleasant', 'delightful', 'superb', 'perfect', 'nice'];
const NEGATIVE = ['terrible', 'awful', 'bad', 'boring', 'horrible', 'disappointing', 'poor', 'dreadful', 'annoying', 'ugly', 'dull', 'sad'];

function sentimentSentences(): SentimentSentence[] {
  const out: SentimentSentence[] = [];
  const adjectives = [...POSITIVE, ...NEGATIVE].filter((a) => afinnScore(a) !== 0);
  for (const s of SUBJECTS) {
    for (const a of adjectives) out.push({ text: `${s} was ${a}.`, label: 'positive' });
    for (let i = 0; i < adjectives.length; i++) {
      const b = adjectives[(i * 7 + s.length) % adjectives.length];
      const o = OTHERS[(i + s.length) % OTHERS.length];
      out.push({ text: `${s} was ${adjectives[i]} but ${o} was ${b}.`, label: 'positive' });
    }
  }
  // AFINN decides the gold label; sentences it scores 0 are dropped
  return out
    .map((x) => ({ text: x.text, score: afinnScore(x.text) }))
    .filter((x) => x.score !== 0)
    .map((x) => ({ text: x.text, label: x.score > 0 ? ('positive' as const) : ('negative' as const) }));
}

const cache = new Map<number, FactPool>();

export function factPool(seed: number): FactPool {
  const hit = cache.get(seed);
  if (hit) return hit;
  const rng = new Rng(`pool:${seed}`);
  const defs = definitions();
  const syn = synonyms();
  const ant = antonyms();
  const cs = countries();
  const es = elements();
  const taken = new Set<string>();
  for (const c of cs) taken.add(c.name.toLowerCase());
  for (const e of es) taken.add(e.name.toLowerCase());
  for (const d of defs) taken.add(d.word);
  for (const s of syn) taken.add(s.word);
  const pool: FactPool = {
    countries: cs,
    elements: es,
    states: stateCapitals(),
    definitions: defs,
    synonyms: syn,
    antonyms: ant,
    inventedCountries: inventNames('country', 300, rng.fork('country'), taken),
    inventedElements: inventNames('element', 200, rng.fork('element'), taken),
    inventedWords: inventNames('word', 300, rng.fork('word'), taken),
    sentences: sentimentSentences(),
    nouns: defs.map((d) => d.word).filter((w) => w.length <= 7),
    adjectives: syn.map((s) => s.word).filter((w) => w.length <= 7),
  };
  cache.set(seed, pool);
  return pool;
}
