/**
 * Split prompts by user (the paper does, so one user's prompts never sit in two splits).
 * Users are shuffled with a seeded Rng and poured into the splits in order; the user that
 * overflows a split contributes only what fits and the rest of their prompts is dropped, so
 * sizes are exact and no user crosses a split.
 */
import { Rng } from '../util/random';
import { Prompt, Split, SPLITS } from './types';

export function splitByUser<P extends { user_id: string }>(prompts: readonly P[], sizes: Record<Split, number>, rng: Rng): Record<Split, P[]> {
  const byUser = new Map<string, P[]>();
  for (const p of prompts) {
    const list = byUser.get(p.user_id);
    if (list) list.push(p);
    else byUser.set(p.user_id, [p]);
  }
  const users = rng.shuffle([...byUser.keys()].sort());
  const out = { sft: [], rm: [], ppo: [], eval: [] } as Record<Split, P[]>;
  let u = 0;
  for (const split of SPLITS) {
    while (out[split].length < sizes[split]) {
      if (u >= users.length) {
        const need = SPLITS.map((s) => `${s} ${sizes[s]}`).join(', ');
        throw new Error(`splitByUser: ran out of users filling "${split}" (${out[split].length}/${sizes[split]}); need ${need} from ${prompts.length} prompts`);
      }
      const own = byUser.get(users[u++])!;
      out[split].push(...own.slice(0, sizes[split] - out[split].length));
    }
  }
  return out;
}

/** Users that appear in more than one split (empty when the split is clean). */
export function usersInSeveralSplits(splits: Record<Split, readonly Prompt[]>): string[] {
  const where = new Map<string, Set<Split>>();
  for (const s of SPLITS) for (const p of splits[s]) (where.get(p.user_id) ?? where.set(p.user_id, new Set()).get(p.user_id)!).add(s);
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
