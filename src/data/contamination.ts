/**
 * How much one split's prompts overlap another's: the check that the evaluation never sees a
 * training prompt. For each pair of splits (the later one in SPLITS order is the one counted,
 * so every evaluation row counts evaluation prompts), and for dev and eval against all
 * training prompts together, three nested counts of the counted split's prompts:
 *
 *   verbatim          its normalised text (`normalisePromptText`) is in the other split
 *   sameTaskSubject   a prompt of the other split has the same task and normalised subject
 *   sameSubject       a prompt of the other split has the same normalised subject, any task
 *
 * and each as a share of the counted split. Clean splits (splits.ts) give 0 for the first two;
 * the third may stay above 0 for harmful requests about one person (see splits.ts).
 */
import { normalisePromptText, normaliseSubject } from './splits';
import { Prompt, Split, SPLITS } from './types';

export interface ContaminationRow {
  /** the split whose prompts are counted */
  split: Split;
  /** the split they are looked up in; "training" = sft, rm and ppo together */
  other: Split | 'training';
  /** prompts in `split` */
  prompts: number;
  verbatim: number;
  sameTaskSubject: number;
  sameSubject: number;
  verbatimShare: number;
  sameTaskSubjectShare: number;
  sameSubjectShare: number;
}

const TRAINING: readonly Split[] = ['sft', 'rm', 'ppo'];

function overlap(split: Split, other: Split | 'training', counted: readonly Prompt[], against: readonly Prompt[]): ContaminationRow {
  const texts = new Set(against.map((p) => normalisePromptText(p.text)));
  const taskSubjects = new Set(against.map((p) => `${p.facts.task}|${normaliseSubject(p.facts.subject)}`));
  const subjects = new Set(against.map((p) => normaliseSubject(p.facts.subject)));
  let verbatim = 0;
  let sameTaskSubject = 0;
  let sameSubject = 0;
  for (const p of counted) {
    const subject = normaliseSubject(p.facts.subject);
    if (texts.has(normalisePromptText(p.text))) verbatim++;
    if (taskSubjects.has(`${p.facts.task}|${subject}`)) sameTaskSubject++;
    if (subjects.has(subject)) sameSubject++;
  }
  const share = (k: number) => (counted.length ? k / counted.length : 0);
  return {
    split,
    other,
    prompts: counted.length,
    verbatim,
    sameTaskSubject,
    sameSubject,
    verbatimShare: share(verbatim),
    sameTaskSubjectShare: share(sameTaskSubject),
    sameSubjectShare: share(sameSubject),
  };
}

/** One row per pair of splits, then dev and eval against all training prompts (see above). */
export function contamination(splits: Record<Split, readonly Prompt[]>): ContaminationRow[] {
  const rows: ContaminationRow[] = [];
  SPLITS.forEach((split, j) => {
    for (const other of SPLITS.slice(0, j)) rows.push(overlap(split, other, splits[split], splits[other]));
  });
  const training = TRAINING.flatMap((s) => splits[s]);
  for (const split of ['dev', 'eval'] as const) rows.push(overlap(split, 'training', splits[split], training));
  return rows;
}
