/**
 * Export a workbook checkpoint as a Hugging Face GPT-2 folder that `from_pretrained` loads
 * unchanged (TRL, OpenRLHF, vLLM):
 *
 *   config.json               GPT2LMHeadModel, or GPT2ForSequenceClassification (num_labels 1)
 *                             for a checkpoint with a reward_head / value_head
 *   model.safetensors         F32, `transformer.`-prefixed GPT-2 names, Conv1D [in, out] layout;
 *                             no `lm_head.weight` (tied to wte, as HF's own GPT-2 files do);
 *                             `score.weight` [1, n_embd] for the head
 *   tokenizer.json            byte-level BPE (Hugging Face tokenizers format)
 *   tokenizer_config.json     + special_tokens_map.json: bos / eos / pad for AutoTokenizer
 *   generation_config.json    bos / eos / pad ids and the context length
 *
 * HF's `score` Linear has no bias. The head's bias goes to config.json
 * (`rlhf_workbook.score_bias`) and the safetensors metadata (`score_bias`), exact as float32;
 * under HF the reward is ours minus that constant, which changes no preference probability
 * (the Bradley-Terry loss sees differences) and no whitened PPO reward. Import adds it back.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readFloats, readScalar } from '../engine/readback';
import { FORMAT, loadCheckpoint } from '../model/checkpoint';
import { encodeSafetensors, RawTensor } from '../model/safetensors';
import { BOS, EOS, PAD } from '../model/tokenizer';
import { replaceDirAtomic } from '../util/atomic';
import { toHfConfig, WorkbookMeta } from './hf-config';
import { SCORE_WEIGHT, toHfName } from './hf-names';

export interface ExportResult {
  out: string;
  architecture: string;
  tensors: number;
  bytes: number;
}

/** A Hugging Face export written before folder markers: a GPT-2 config.json beside generation_config.json and model.safetensors, and nothing foreign. */
function isHfExport(dir: string): boolean {
  const ours = new Set(['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'config.json']);
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))?.model_type === 'gpt2' && fs.readdirSync(dir).every((f) => ours.has(f));
  } catch {
    return false;
  }
}

/**
 * `out` is replaced as a whole (built beside, then renamed). To lose nothing, an existing
 * `out` must be empty or an earlier export (its config.json has `rlhf_workbook`).
 */
export function guardHfOut(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new Error(`${out}: exists and is not a folder; choose another --out`);
  if (fs.readdirSync(out).length === 0) return;
  const cfg = path.join(out, 'config.json');
  let ours = false;
  try {
    ours = !!JSON.parse(fs.readFileSync(cfg, 'utf8')).rlhf_workbook;
  } catch {
    ours = false;
  }
  if (!ours) throw new Error(`${out}: folder exists and is not an earlier export (no rlhf_workbook in ${cfg}); refusing to replace it, choose another --out`);
}

export async function exportHuggingFace(checkpointDir: string, out: string): Promise<ExportResult> {
  guardHfOut(out);
  const ckpt = loadCheckpoint(checkpointDir, { withOptimizer: false });
  try {
    if (ckpt.heads.size > 1)
      throw new Error(`${checkpointDir}: has heads ${[...ckpt.heads.keys()].join(', ')}; HF's sequence classification holds one score head`);
    const tensors = new Map<string, RawTensor>();
    for (const [name, v] of ckpt.model.weights)
      tensors.set(toHfName(name), { dtype: 'float32', shape: v.shape.slice(), data: await readFloats(v, { keep: true }) });
    const head = [...ckpt.heads.values()][0];
    let scoreBias: number | null = null;
    if (head) {
      tensors.set(SCORE_WEIGHT, { dtype: 'float32', shape: [1, ckpt.config.nEmbd], data: await readFloats(head.weight, { keep: true }) }); // [C, 1] -> [1, C], same order
      scoreBias = await readScalar(head.bias, { keep: true });
    }
    const meta: WorkbookMeta = { format: FORMAT, seed: ckpt.config.seed, dropout: ckpt.config.dropout, head: head ? head.name : null, score_bias: scoreBias };
    const metadata: Record<string, string> = { format: 'pt' };
    if (head) {
      metadata.rlhf_workbook_head = head.name;
      metadata.score_bias = String(scoreBias);
    }
    const weights = encodeSafetensors(tensors, metadata);
    const tok = ckpt.tokenizer;
    const ids = { bos: tok.bosId, eos: tok.eosId, pad: tok.padId };
    const config = toHfConfig(ckpt.config, ids, meta);
    const special = { bos_token: BOS, eos_token: EOS, pad_token: PAD };
    const tokenizerConfig = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      ...special,
      unk_token: null,
      model_max_length: ckpt.config.blockSize,
      padding_side: 'right',
      clean_up_tokenization_spaces: false,
    };
    const generation = {
      bos_token_id: ids.bos,
      eos_token_id: ids.eos,
      pad_token_id: ids.pad,
      max_length: ckpt.config.blockSize,
      do_sample: true,
      temperature: 1.0,
      top_k: 0,
    };
    const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
    replaceDirAtomic(
      out,
      'hf-export',
      (tmp) => {
        fs.writeFileSync(path.join(tmp, 'model.safetensors'), weights);
        fs.writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tok.toJSON()) + '\n');
        fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), json(tokenizerConfig));
        fs.writeFileSync(path.join(tmp, 'special_tokens_map.json'), json(special));
        fs.writeFileSync(path.join(tmp, 'generation_config.json'), json(generation));
        fs.writeFileSync(path.join(tmp, 'config.json'), json(config));
      },
      { legacy: isHfExport, advice: 'choose another --out' },
    );
    return { out, architecture: (config.architectures as string[])[0], tensors: tensors.size, bytes: weights.length };
  } finally {
    ckpt.model.dispose();
    for (const h of ckpt.heads.values()) h.dispose();
  }
}
