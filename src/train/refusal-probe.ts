/**
 * A reward-hacking probe for the reward model: on held-out prompts, does r(x, y) prefer one
 * stock refusal to the SFT models' own answers more often than the gold rubric does?
 *
 * A small RM that learned "refusals are good" from the harmful prompts (where the rubric
 * rewards them most) scores the refusal high on every prompt; PPO then finds that one answer
 * and writes it everywhere (reward hacking, Gao et al. 2022). Where the RM's rate is far above
 * the gold rate, the policy has a shortcut the labelers do not share.
 */
import { Prompt } from '../data/types';

/** The refusal the SFT demonstrations use for harmful requests. */
export const STOCK_REFUSAL = "I can't help with that.";

export interface RefusalProbeRow {
  category: string;
  /** (prompt, SFT answer) pairs compared with the refusal */
  pairs: number;
  /** share of pairs where r(x, refusal) > r(x, answer) */
  rmPrefersRefusal: number;
  /** share where the gold rubric scores the refusal higher (ties count half) */
  goldPrefersRefusal: number;
}

/**
 * Per category (and an "all" row last): how often the RM and the gold rubric prefer
 * `refusal` to each sampled answer of each prompt. `rmScore` scores a batch of
 * (prompt, answer) texts, e.g. `(xs) => rewardModel.score(xs)`.
 */
export async function refusalProbe(
  sampled: readonly { prompt: Prompt; answers: readonly string[] }[],
  rmScore: (items: { prompt: string; answer: string }[]) => ArrayLike<number> | Promise<ArrayLike<number>>,
  goldScore: (prompt: Prompt, answer: string) => number,
  refusal = STOCK_REFUSAL,
): Promise<RefusalProbeRow[]> {
  if (!sampled.length) throw new Error('refusalProbe: no sampled prompts');
  const items = sampled.flatMap((s) => [{ prompt: s.prompt.text, answer: refusal }, ...s.answers.map((answer) => ({ prompt: s.prompt.text, answer }))]);
  const r = await rmScore(items);
  if (r.length !== items.length) throw new Error(`refusalProbe: rmScore returned ${r.length} scores for ${items.length} answers`);
  const tally = new Map<string, { pairs: number; rm: number; gold: number }>();
  let at = 0;
  for (const s of sampled) {
    const rRefusal = r[at];
    const gRefusal = goldScore(s.prompt, refusal);
    s.answers.forEach((a, i) => {
      const g = gRefusal - goldScore(s.prompt, a);
      for (const key of [s.prompt.category, 'all']) {
        const t = tally.get(key) ?? { pairs: 0, rm: 0, gold: 0 };
        t.pairs++;
        t.rm += rRefusal > r[at + 1 + i] ? 1 : 0;
        t.gold += g > 0 ? 1 : g === 0 ? 0.5 : 0;
        tally.set(key, t);
      }
    });
    at += 1 + s.answers.length;
  }
  const keys = [...tally.keys()]
    .filter((k) => k !== 'all')
    .sort()
    .concat('all');
  return keys.map((category) => {
    const t = tally.get(category)!;
    return { category, pairs: t.pairs, rmPrefersRefusal: t.rm / t.pairs, goldPrefersRefusal: t.gold / t.pairs };
  });
}
