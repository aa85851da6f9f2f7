/**
 * Inter-labeler agreement, measured as the paper does: on the same answer pairs, how often
 * two labelers prefer the same answer. Pairs where either labeler sees a tie are left out
 * (as the reward-model loss leaves ties out); the tie rate is reported beside it.
 */
import { Prompt } from '../data/types';
import { Labeler, labelerScore } from './panel';
import { criterionScores } from './rubric';

export interface AgreementItem {
  prompt: Prompt;
  answers: string[];
}

export interface AgreementReport {
  labelerIds: string[];
  /** matrix[i][j]: agreement of labelers i and j (1 on the diagonal). */
  matrix: number[][];
  /** Mean and std over pairs of training labelers. */
  train: { mean: number; std: number; pairs: number };
  /** Mean and std over pairs of held-out labelers (the sealed judges; in a `judgingPanel`,
   *  that panel's judges). */
  heldOut: { mean: number; std: number; pairs: number };
  /** Pairs of dev judges not marked held out (a whole panel's dev judges). */
  dev: { mean: number; std: number; pairs: number };
  /** Training vs held-out labelers. */
  across: { mean: number; std: number; pairs: number };
  /** Fraction of (labeler, answer pair) verdicts that are ties. */
  tieRate: number;
  comparisons: number;
}

function meanStd(xs: number[]): { mean: number; std: number; pairs: number } {
  if (!xs.length) return { mean: NaN, std: NaN, pairs: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / Math.max(1, xs.length - 1);
  return { mean, std: Math.sqrt(v), pairs: xs.length };
}

export function measureAgreement(panel: readonly Labeler[], items: readonly AgreementItem[]): AgreementReport {
  // verdicts[l] = sign of every answer pair, in a fixed order
  const verdicts: Int8Array[] = [];
  let ties = 0;
  let total = 0;
  const criteria = items.map((it) => it.answers.map((a) => criterionScores(it.prompt, a)));
  for (const l of panel) {
    const v: number[] = [];
    for (let m = 0; m < items.length; m++) {
      const it = items[m];
      const s = it.answers.map((a, k) => labelerScore(l, it.prompt, a, criteria[m][k]));
      for (let i = 0; i < s.length; i++) for (let j = i + 1; j < s.length; j++) v.push(Math.sign(Number((s[i] - s[j]).toFixed(6))));
    }
    for (const x of v) if (x === 0) ties++;
    total += v.length;
    verdicts.push(Int8Array.from(v));
  }
  const n = panel.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(1));
  const train: number[] = [];
  const held: number[] = [];
  const across: number[] = [];
  const dev: number[] = [];
  // each labeler's group: held out first (a judgingPanel marks its judges so), then dev, then training
  const group = panel.map((l) => (l.heldOut ? 'held' : l.dev ? 'dev' : 'train'));
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let agree = 0;
      let both = 0;
      const va = verdicts[a];
      const vb = verdicts[b];
      for (let k = 0; k < va.length; k++) {
        if (va[k] === 0 || vb[k] === 0) continue;
        both++;
        if (va[k] === vb[k]) agree++;
      }
      const r = both ? agree / both : NaN;
      matrix[a][b] = matrix[b][a] = r;
      const ga = group[a];
      const gb = group[b];
      if (ga === gb) (ga === 'held' ? held : ga === 'dev' ? dev : train).push(r);
      else if (ga !== 'dev' && gb !== 'dev') across.push(r);
    }
  }
  return {
    labelerIds: panel.map((l) => l.labeler_id),
    matrix,
    train: meanStd(train),
    heldOut: meanStd(held),
    dev: meanStd(dev),
    across: meanStd(across),
    tieRate: total ? ties / total : 0,
    comparisons: verdicts.length ? verdicts[0].length : 0,
  };
}
