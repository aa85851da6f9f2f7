/**
 * Tensor names and layouts of a Hugging Face GPT-2 `model.safetensors` against the
 * workbook's checkpoint names. The workbook already uses GPT-2's names and Conv1D [in, out]
 * layout, so the body is only a prefix: `wte.weight` <-> `transformer.wte.weight`,
 * `h.0.attn.c_attn.weight` <-> `transformer.h.0.attn.c_attn.weight`. The heads:
 * `reward_head.weight` / `value_head.weight` [C, 1] <-> `score.weight` [1, C] (same bytes).
 */

export const PREFIX = 'transformer.';
export const SCORE_WEIGHT = 'score.weight';
export const LM_HEAD = 'lm_head.weight';

/** Our name -> the name in an HF GPT2LMHeadModel / GPT2ForSequenceClassification file. */
export function toHfName(name: string): string {
  return PREFIX + name;
}

/**
 * An HF name -> ours, or null for names with no parameter of ours: the causal-mask buffers
 * older GPT-2 files carry (`h.N.attn.bias` [1, 1, T, T], `h.N.attn.masked_bias`), which hold
 * no learned values. Files saved from GPT2Model have no `transformer.` prefix; both load.
 */
export function fromHfName(name: string): string | null {
  const bare = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
  if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(bare)) return null;
  return bare;
}
