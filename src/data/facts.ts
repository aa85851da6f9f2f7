/**
 * Fact bases for closed-QA prompts, read from registry packages: countries (capital,
 * continent, currency), chemical elements (symbol, atomic number), US state capitals
 * (from WordNet glosses). Each loader caches its result.
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageDir } from './packages';
import { wordnetNouns } from './wordnet';

export interface Country {
  name: string;
  capital: string;
  continent: string;
  /** Currency name, e.g. "Euro". */
  currency: string;
}

export interface Element {
  name: string;
  symbol: string;
  atomicNumber: number;
}

export interface StateCapital {
  state: string;
  capital: string;
}

let countriesCache: Country[] | null = null;
let elementsCache: Element[] | null = null;
let statesCache: StateCapital[] | null = null;

/** Countries with exactly one capital and one currency (sorted by name). */
export function countries(): Country[] {
  if (countriesCache) return countriesCache;
  const dir = packageDir('countries-list');
  const list = JSON.parse(fs.readFileSync(path.join(dir, 'countries.min.json'), 'utf8'));
  const continents = JSON.parse(fs.readFileSync(path.join(dir, 'continents.min.json'), 'utf8'));
  const currencies = JSON.parse(fs.readFileSync(path.join(dir, 'currencies.min.json'), 'utf8'));
  const out: Country[] = [];
  for (const code of Object.keys(list).sort()) {
    const c = list[code];
    const cur = Array.isArray(c.currency) ? c.currency : String(c.currency || '').split(',');
    if (!c.capital || cur.length !== 1 || !currencies[cur[0]]) continue;
    if (!/^[A-Za-z .'-]+$/.test(c.name) || !/^[A-Za-z .'-]+$/.test(c.capital)) continue;
    out.push({ name: c.name, capital: c.capital, continent: continents[c.continent], currency: currencies[cur[0]].name });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  countriesCache = out;
  return out;
}

/** The 118 elements of `periodic-table`. */
export function elements(): Element[] {
  if (elementsCache) return elementsCache;
  const data = JSON.parse(fs.readFileSync(path.join(packageDir('periodic-table'), 'data.json'), 'utf8'));
  elementsCache = data
    .filter((e: any) => e.name && e.symbol && Number.isInteger(e.atomicNumber))
    .map((e: any) => ({ name: String(e.name), symbol: String(e.symbol), atomicNumber: Number(e.atomicNumber) }));
  return elementsCache!;
}

const US_STATES = [
  'Alabama',
  'Alaska',
  'Arizona',
  'Arkansas',
  'California',
  'Colorado',
  'Connecticut',
  'Delaware',
  'Florida',
  'Georgia',
  'Hawaii',
  'Idaho',
  'Illinois',
  'Indiana',
  'Iowa',
  'Kansas',
  'Kentucky',
  'Louisiana',
  'Maine',
  'Maryland',
  'Massachusetts',
  'Michigan',
  'Minnesota',
  'Mississippi',
  'Missouri',
  'Montana',
  'Nebraska',
  'Nevada',
  'New Hampshire',
  'New Jersey',
  'New Mexico',
  'New York',
  'North Carolina',
  'North Dakota',
  'Ohio',
  'Oklahoma',
  'Oregon',
  'Pennsylvania',
  'Rhode Island',
  'South Carolina',
  'South Dakota',
  'Tennessee',
  'Texas',
  'Utah',
  'Vermont',
  'Virginia',
  'Washington',
  'West Virginia',
  'Wisconsin',
  'Wyoming',
];

/**
 * US state capitals: WordNet noun synsets that are instances of `state_capital` and whose
 * lemma, gloss or part-holonym names a US state.
 */
export function stateCapitals(): StateCapital[] {
  if (statesCache) return statesCache;
  const nouns = wordnetNouns();
  const found = new Map<string, string>();
  for (const s of nouns.synsets) {
    if (!s.instanceOf.includes('state capital')) continue;
    // the state: a lemma "capital of <State>", the gloss, or the part-holonym ("#p") synset
    const named = s.words.map((w) => /^capital of (.+)$/.exec(w)).find((m) => m);
    const glossed = /capital of (?:the state of )?([A-Z][a-z]+(?: [A-Z][a-z]+)?)/.exec(s.gloss);
    const holonyms = s.pointers.filter((p) => p.symbol === '#p').map((p) => nouns.byOffset.get(p.offset)?.words[0] ?? '');
    const state = [named?.[1], glossed?.[1], ...holonyms].find((x) => x && US_STATES.includes(x));
    if (!state || found.has(state)) continue;
    found.set(state, s.words[0]);
  }
  statesCache = [...found.entries()].sort().map(([state, capital]) => ({ state, capital }));
  return statesCache;
}
