/**
 * Where each stage keeps its artefacts inside a run folder, so that later notebooks find
 * what earlier ones made without hard-coding paths. One function per artefact; a stage
 * that reads an artefact calls `requireArtifact` to fail with the notebook to run first.
 *
 *   runDir/
 *     data/                      01-data: prompt splits, demonstrations, labeler panel
 *     tokenizer/tokenizer.json   02-pretrain: byte-level BPE trained on the corpus
 *     pretrain/<size>/           02-pretrain: base GPT checkpoint (+ metrics.jsonl)
 *     sft/<size>/epoch-<n>/      03-sft: one checkpoint per epoch (+ sft/<size>/metrics.jsonl)
 *     reward/model/              04-reward-model: the reward model checkpoint
 *     reward/sft-choice.json     04-reward-model: the SFT epoch per size picked by RM score
 *     ppo/<size>/<kind>/         05-ppo: policy (+ value/ network, metrics) for kind `ppo` | `ppo-ptx`
 *     ppo/<size>/rejection-sft/  05-ppo: the rejection-sampling fine-tuned start of both (when on)
 *     ppo/summary.json           05-ppo: SFT vs PPO vs PPO-ptx on held-out prompts, all metrics
 *     eval/                      06-evaluation: tables (CSV/JSON) and the summary
 */
import * as fs from 'fs';
import * as path from 'path';

export type PolicyKind = 'ppo' | 'ppo-ptx';

export function artifacts(runDir: string) {
  const at = (...parts: string[]) => path.join(runDir, ...parts);
  return {
    data: at('data'),
    tokenizer: at('tokenizer', 'tokenizer.json'),
    pretrain: (size: string) => at('pretrain', size),
    sftRoot: (size: string) => at('sft', size),
    sftEpoch: (size: string, epoch: number) => at('sft', size, `epoch-${epoch}`),
    sftChoice: at('reward', 'sft-choice.json'),
    rewardModel: at('reward', 'model'),
    reward: at('reward'),
    ppo: (size: string, kind: PolicyKind) => at('ppo', size, kind),
    ppoRoot: at('ppo'),
    /** 05's rejection-sampling fine-tuned policy of a size, and the answers it was trained on */
    rejectionSft: (size: string) => at('ppo', size, 'rejection-sft'),
    rejectionPicked: (size: string) => at('ppo', size, 'rejection-sft.jsonl'),
    eval: at('eval'),
  };
}

/** Throws `<what> not found at <path>: run <notebook> first` when `p` does not exist. */
export function requireArtifact(p: string, what: string, notebook: string): string {
  if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}: run notebook ${notebook} first (same runDir)`);
  return p;
}
