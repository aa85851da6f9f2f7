/**
 * Hugging Face GPT-2 `config.json` <-> the workbook's GPTConfig.
 *
 * The workbook's GPT is GPT-2's architecture exactly: pre-LayerNorm blocks with eps 1e-5
 * (gpt.ts `layerNorm`), learned positions, GELU in the tanh form (HF's `gelu_new`),
 * attention scaled by 1/sqrt(head_dim), MLP width 4 * n_embd, unembedding tied to `wte`.
 * `toHfConfig` writes those facts; `fromHfConfig` refuses any config that differs in one
 * of them, naming the file and the key.
 */
import { GPTConfig, validateConfig } from '../model/gpt';
import { HeadName } from '../model/heads';

export const LM_ARCHITECTURE = 'GPT2LMHeadModel';
export const CLASSIFIER_ARCHITECTURE = 'GPT2ForSequenceClassification';
/** GPT-2's LayerNorm epsilon; gpt.ts `layerNorm` adds the same 1e-5. */
export const LAYER_NORM_EPSILON = 1e-5;
/** HF's names for the tanh-approximation GELU that gpt.ts `gelu` computes. */
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh'];

/** What the workbook adds under `rlhf_workbook` in config.json (HF keeps unknown keys as attributes). */
export interface WorkbookMeta {
  /** The checkpoint format the weights came from. */
  format: string;
  /** GPTConfig.seed and .dropout, which HF's config has no exact place for. */
  seed: number;
  dropout: number;
  /** Which of the workbook's heads `score.weight` holds (sequence-classification export only). */
  head: HeadName | null;
  /**
   * The head's bias, as the shortest decimal that parses back to the same float32. HF's
   * `score` Linear has no bias, so r_HF(x, y) = r_workbook(x, y) - score_bias.
   */
  score_bias: number | null;
}

export interface SpecialIds {
  bos: number;
  eos: number;
  pad: number;
}

export function toHfConfig(config: GPTConfig, ids: SpecialIds, meta: WorkbookMeta): Record<string, unknown> {
  const classifier = meta.head !== null;
  return {
    architectures: [classifier ? CLASSIFIER_ARCHITECTURE : LM_ARCHITECTURE],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.blockSize,
    n_ctx: config.blockSize,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: LAYER_NORM_EPSILON,
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: config.dropout,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    pad_token_id: ids.pad,
    ...(classifier ? { num_labels: 1, id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 }, problem_type: 'regression' } : {}),
    torch_dtype: 'float32',
    rlhf_workbook: meta,
  };
}

export interface ParsedHfConfig {
  config: GPTConfig;
  architecture: string;
  ids: SpecialIds;
  meta: Partial<WorkbookMeta>;
}

/** Parse and check an HF config.json object; `file` names the source in every error. */
export function fromHfConfig(json: unknown, file: string): ParsedHfConfig {
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('expected a JSON object');
  const c = json as Record<string, any>;
  if (c.model_type !== 'gpt2') fail(`model_type is ${JSON.stringify(c.model_type)}; only GPT-2 architecture checkpoints ("gpt2") can be imported`);
  const archs = c.architectures ?? [LM_ARCHITECTURE];
  if (!Array.isArray(archs) || archs.length !== 1) fail(`architectures must list one architecture, got ${JSON.stringify(archs)}`);
  const architecture = archs[0];
  if (![LM_ARCHITECTURE, CLASSIFIER_ARCHITECTURE, 'GPT2Model'].includes(architecture)) {
    fail(`architectures is ${JSON.stringify(archs)}; expected ${LM_ARCHITECTURE}, ${CLASSIFIER_ARCHITECTURE} or GPT2Model`);
  }
  const int = (key: string): number => {
    const v = c[key];
    if (!Number.isInteger(v) || v <= 0) fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const nEmbd = int('n_embd');
  const same = (key: string, ok: (v: any) => boolean, want: string) => {
    if (c[key] !== undefined && !ok(c[key])) fail(`${key} is ${JSON.stringify(c[key])} but the workbook's GPT needs ${want}`);
  };
  same('activation_function', (v) => TANH_GELU.includes(v), '"gelu_new" (tanh GELU)');
  same('layer_norm_epsilon', (v) => v === LAYER_NORM_EPSILON, String(LAYER_NORM_EPSILON));
  same('n_inner', (v) => v === null || v === 4 * nEmbd, `null or ${4 * nEmbd} (4 * n_embd)`);
  same('scale_attn_weights', (v) => v === true, 'true');
  same('scale_attn_by_inverse_layer_idx', (v) => v === false, 'false');
  same('reorder_and_upcast_attn', (v) => v === false, 'false');
  same('tie_word_embeddings', (v) => v === true, 'true (lm_head tied to wte)');
  if (architecture === CLASSIFIER_ARCHITECTURE) same('num_labels', (v) => v === 1, '1 (a scalar reward / value)');
  const meta: Partial<WorkbookMeta> = c.rlhf_workbook && typeof c.rlhf_workbook === 'object' ? c.rlhf_workbook : {};
  const dropout = typeof meta.dropout === 'number' ? meta.dropout : typeof c.resid_pdrop === 'number' ? c.resid_pdrop : 0;
  const config: GPTConfig = {
    vocabSize: int('vocab_size'),
    blockSize: int('n_positions'),
    nLayer: int('n_layer'),
    nHead: int('n_head'),
    nEmbd,
    dropout,
    seed: typeof meta.seed === 'number' ? meta.seed : 0,
  };
  try {
    validateConfig(config);
  } catch (e) {
    fail((e as Error).message);
  }
  const id = (key: string): number => {
    const v = c[key];
    if (v === undefined || v === null) return -1;
    if (!Number.isInteger(v) || v < 0 || v >= config.vocabSize)
      fail(`${key} must be a token id below vocab_size ${config.vocabSize}, got ${JSON.stringify(v)}`);
    return v;
  };
  return { config, architecture, ids: { bos: id('bos_token_id'), eos: id('eos_token_id'), pad: id('pad_token_id') }, meta };
}
