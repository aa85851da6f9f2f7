/**
 * Clean splits. Every prompt has a key (`promptKey`), and every key is owned by exactly one
 * split, so no question about one subject sits in two splits; users never cross splits either
 * (the paper's rule), and no prompt text does.
 *
 * The key is what the prompt asks about: `fact|<subject>` for every question whose answer is a
 * fact about the subject (closed QA, its false premises and its one-word rewrites: "Why is
 * Berlin the capital of France?" and "Answer in one word: What is the capital of France?" share
 * the answer "Paris" with "What is the capital of France?", and `facts.task` of a one-word
 * rewrite does not say which fact it asks), `<task>|<subject>` for every other task. Subjects
 * are normalised (lowercase, whitespace collapsed, trimmed). So the same subject can recur
 * across splits only in different non-fact tasks: the same person insulted in one split and
 * threatened in another, where the right answer is a refusal that does not depend on who the
 * person is.
 *
 * Ownership (`ownKeys`): the subjects of each group (`subjectGroups`: countries, elements,
 * words, the people of each harmful task, list subjects, ...) are dealt to the splits by a
 * seeded draw without replacement, with quotas proportional to the split sizes, except that
 * every split of size > 0 gets at least one key of every group (so the small dev and eval
 * splits still see every category). Where that minimum gives a split more than its share of a
 * group (list prompts have 7 subjects: 6 continents and "elements", so dev and eval own one
 * each, twice their share), the split keeps each such prompt with probability share / owned
 * fraction, so every split keeps about the same category mix. Keys outside the groups
 * (uppercase and reverse rewrites: random word combinations) go to a split drawn per key with
 * the split sizes as weights.
 *
 * Streams (`cleanSplits`): the training splits (SFT, RM, PPO) are filled from the data stream
 * (`data:<seed>`), each user belonging to the split that is furthest from full and contributing
 * only the prompts whose key that split owns; `dev` is filled from its own stream
 * (`dev:<seed>`) and `eval` from a sealed one (`sealed:<seed>`), so tuning never needs to read
 * the sealed stream. A prompt whose normalised text (`normalisePromptText`) is already in
 * another split is dropped, and so is a repeat within dev or eval: each of their prompts is a
 * separate sample of the measurement (training splits may repeat a question, as people do). Users are generated until every split is full, so sizes are exact.
 * The same seed and sizes give the same splits; the split sizes weigh the ownership, so
 * changing one size changes every split.
 */
import { Rng } from '../util/random';
import { FactPool } from './pool';
import { PromptConfig, subjectGroups, SubjectGroup, userPrompts } from './prompts';
import { Prompt, PromptFacts, Split, SPLITS, Task } from './types';

/** Lowercase, whitespace collapsed, trimmed. */
export function normaliseSubject(subject: string): string {
  return subject.toLowerCase().replace(/\s+/g, ' ').trim();
}

const INSTRUCTION_PREFIXES = ['answer only if you are sure. ', 'please be respectful. '];

/** A prompt's text as the verbatim-overlap check compares it: lowercase, whitespace collapsed,
 *  the instruction prefixes ("Answer only if you are sure. ", "Please be respectful. ") and
 *  trailing punctuation removed. */
export function normalisePromptText(text: string): string {
  let t = text.toLowerCase().replace(/\s+/g, ' ').trim();
  for (let again = true; again; ) {
    again = false;
    for (const p of INSTRUCTION_PREFIXES)
      if (t.startsWith(p)) {
        t = t.slice(p.length).trim();
        again = true;
      }
  }
  return t.replace(/[\s.?!,;:]+$/, '');
}

/** Tasks whose answer is a fact about the subject: keyed by the subject alone. */
const FACT_TASKS: ReadonlySet<Task> = new Set<Task>([
  'country_capital',
  'country_continent',
  'country_currency',
  'element_symbol',
  'element_number',
  'state_capital',
  'definition',
  'synonym',
  'antonym',
  'wrong_capital',
  'wrong_symbol',
  'wrong_state_capital',
  'one_word',
]);

/** The key a split owns: `fact|<subject>` for fact questions, `<task>|<subject>` otherwise. */
export function promptKey(facts: Pick<PromptFacts, 'task' | 'subject'>): string {
  return `${FACT_TASKS.has(facts.task) ? 'fact' : facts.task}|${normaliseSubject(facts.subject)}`;
}

export interface KeyOwnership {
  /** each split's share of all prompts (0 for an empty split) */
  weights: Record<Split, number>;
  /** the split that owns `key`; null when every split is empty */
  owner(key: string): Split | null;
  /** the probability that the owner keeps a prompt with this key (< 1 where the at-least-one
   *  rule gave it more than its share of the key's group) */
  keep(key: string): number;
  /** per group: its keys, and how many each split owns */
  groups: { name: string; keys: number; owned: Record<Split, number> }[];
}

const zeros = (): Record<Split, number> => Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;

/** Deal the keys of every group to the splits (see the file comment for the rule). */
export function ownKeys(groups: readonly SubjectGroup[], sizes: Record<Split, number>, seed: number | string): KeyOwnership {
  const total = SPLITS.reduce((a, s) => a + sizes[s], 0);
  const weights = Object.fromEntries(SPLITS.map((s) => [s, total > 0 ? sizes[s] / total : 0])) as Record<Split, number>;
  const active = SPLITS.filter((s) => sizes[s] > 0);
  const owners = new Map<string, Split>();
  const keeps = new Map<string, number>();
  const summary: KeyOwnership['groups'] = [];
  for (const g of groups) {
    // a key already dealt in an earlier group (Georgia: a country and a US state) keeps its owner
    const keys = [...new Set(g.subjects.map((subject) => promptKey({ task: g.task, subject })))].filter((k) => !owners.has(k)).sort();
    const n = keys.length;
    const owned = zeros();
    if (n && active.length) {
      // one key each first (the largest splits first if there are fewer keys than splits), then
      // each next key to the split furthest below its share
      const byWeight = [...active].sort((a, b) => sizes[b] - sizes[a] || SPLITS.indexOf(a) - SPLITS.indexOf(b));
      for (const s of byWeight.slice(0, n)) owned[s]++;
      for (let left = n - Math.min(n, active.length); left > 0; left--) {
        let best = active[0];
        for (const s of active) if (weights[s] * n - owned[s] > weights[best] * n - owned[best]) best = s;
        owned[best]++;
      }
      const seats = new Rng(`keys:${seed}|${g.name}`).shuffle(active.flatMap((s) => new Array<Split>(owned[s]).fill(s)));
      keys.forEach((k, i) => {
        owners.set(k, seats[i]);
        keeps.set(k, Math.min(1, (weights[seats[i]] * n) / owned[seats[i]]));
      });
    }
    summary.push({ name: g.name, keys: n, owned });
  }
  const drawn = new Map<string, Split>();
  return {
    weights,
    groups: summary,
    owner(key) {
      const own = owners.get(key) ?? drawn.get(key);
      if (own) return own;
      if (!active.length) return null;
      const s = active[new Rng(`owner:${seed}|${key}`).categorical(active.map((a) => weights[a]))];
      drawn.set(key, s);
      return s;
    },
    keep: (key) => keeps.get(key) ?? 1,
  };
}

/** The splits that measure (dev for tuning, eval for the report): no text twice within them. */
const MEASURING: ReadonlySet<Split> = new Set<Split>(['dev', 'eval']);

/** Where each split's prompts come from. */
const STREAMS: { name: string; splits: Split[]; rng: (seed: number) => Rng; users: string; ids: string }[] = [
  { name: 'training', splits: ['sft', 'rm', 'ppo'], rng: (seed) => new Rng(`data:${seed}`).fork('prompts'), users: 'user-', ids: 'p' },
  { name: 'dev', splits: ['dev'], rng: (seed) => new Rng(`dev:${seed}`), users: 'dev-user-', ids: 'dev-p' },
  { name: 'sealed', splits: ['eval'], rng: (seed) => new Rng(`sealed:${seed}`), users: 'eval-user-', ids: 'eval-p' },
];

export interface CleanSplits {
  prompts: Record<Split, Prompt[]>;
  ownership: KeyOwnership;
  /** prompts generated per stream (most are dropped: their key belongs to another split) */
  generated: Record<string, number>;
  /** prompts dropped because their normalised text was already in another split */
  duplicatesDropped: number;
}

/**
 * Fill every split with exactly `sizes[split]` prompts, clean of each other (see the file
 * comment). Throws, naming the split, if a split cannot be filled from a generous number of
 * generated prompts.
 */
export function cleanSplits(pool: FactPool, config: PromptConfig, sizes: Record<Split, number>, seed: number): CleanSplits {
  for (const s of SPLITS)
    if (!(Number.isInteger(sizes[s]) && sizes[s] >= 0)) throw new Error(`cleanSplits: sizes.${s} must be a whole number >= 0, got ${sizes[s]}`);
  const ownership = ownKeys(subjectGroups(pool), sizes, seed);
  const total = SPLITS.reduce((a, s) => a + sizes[s], 0);
  const limit = 50 * total + 20 * config.maxPromptsPerUser + 10000;
  const prompts = Object.fromEntries(SPLITS.map((s) => [s, [] as Prompt[]])) as Record<Split, Prompt[]>;
  const textSplit = new Map<string, Split>();
  const generated: Record<string, number> = {};
  let duplicatesDropped = 0;
  for (const stream of STREAMS) {
    const rng = stream.rng(seed);
    const open = () => stream.splits.filter((s) => prompts[s].length < sizes[s]);
    let n = 0;
    for (let user = 1; open().length; user++) {
      // the user belongs to the split furthest from full
      const split = open().reduce((a, b) => ((sizes[b] - prompts[b].length) / sizes[b] > (sizes[a] - prompts[a].length) / sizes[a] ? b : a));
      const out = prompts[split];
      for (const draft of userPrompts(user, pool, config, rng, `${stream.users}${String(user).padStart(5, '0')}`)) {
        const prompt: Prompt = { prompt_id: `${stream.ids}${String(++n).padStart(6, '0')}`, ...draft };
        if (out.length >= sizes[split]) continue;
        const key = promptKey(prompt.facts);
        if (ownership.owner(key) !== split) continue;
        const keep = ownership.keep(key);
        if (keep < 1 && !(new Rng(`keep:${seed}|${prompt.prompt_id}`).next() < keep)) continue;
        const text = normalisePromptText(prompt.text);
        const other = textSplit.get(text);
        if (other && other !== split) {
          duplicatesDropped++;
          continue;
        }
        // a measuring split asks each text once: a repeat would be judged again and counted as
        // another sample, narrowing the interval with no new evidence
        if (other === split && MEASURING.has(split)) continue;
        textSplit.set(text, split);
        out.push(prompt);
      }
      if (n > limit) {
        const s = open()[0];
        throw new Error(
          `cleanSplits: ${n} prompts of the ${stream.name} stream filled "${s}" only to ${prompts[s].length}/${sizes[s]} (sizes ${SPLITS.map((x) => `${x} ${sizes[x]}`).join(', ')})`,
        );
      }
    }
    generated[stream.name] = n;
  }
  return { prompts, ownership, generated, duplicatesDropped };
}

/** Users that appear in more than one split (empty when the split is clean). */
export function usersInSeveralSplits(splits: Partial<Record<Split, readonly Prompt[]>>): string[] {
  const where = new Map<string, Set<Split>>();
  for (const s of SPLITS) for (const p of splits[s] ?? []) (where.get(p.user_id) ?? where.set(p.user_id, new Set()).get(p.user_id)!).add(s);
  return [...where.entries()].filter(([, s]) => s.size > 1).map(([u]) => u);
}

/** Split prompts by user (a user's prompts never sit on both sides), about `fraction` held out. */
export function holdOutUsers<P extends { user_id: string }>(prompts: readonly P[], fraction: number, seed: number | string): { train: P[]; validation: P[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`holdOutUsers: fraction must be in (0, 1), got ${fraction}`);
  const users = [...new Set(prompts.map((p) => p.user_id))].sort();
  const order = new Rng(`rm-split:${seed}`).shuffle(users);
  const held = new Set<string>();
  let count = 0;
  for (const u of order) {
    if (count >= fraction * prompts.length) break;
    held.add(u);
    count += prompts.filter((p) => p.user_id === u).length;
  }
  return { train: prompts.filter((p) => !held.has(p.user_id)), validation: prompts.filter((p) => held.has(p.user_id)) };
}
