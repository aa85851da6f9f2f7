/** The model: tokenizer, GPT, heads, log-probs, generation, checkpoints. Re-exports only. */
export { GPT, DEFAULTS as GPT_DEFAULTS, disposeCache, parameterShapes, positionsFromMask, validateConfig } from './gpt';
export type { GPTConfig, ForwardOptions, ForwardOutput, LayerCache } from './gpt';
export { ScalarHead, lastTokenIndex } from './heads';
export { padBatch, disposeBatch } from './batch';
export type { PadOptions, PaddedBatch } from './batch';
export type { HeadName } from './heads';
export { tokenLogProbs, maskedMean, maskedCrossEntropy, sequenceLogProbs, languageModelLoss } from './logprobs';
export { generate, generateIds, keptTokens, sampleToken, topKIndices, topPIndices, DEFAULTS as GENERATE_DEFAULTS } from './generate';
export type { GenerateConfig, GenerateResult, TextGeneration } from './generate';
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpointConfig,
  namedParameters,
  namedOptimizerState,
  optimizerMomentsByVariable,
} from './checkpoint';
export type { Checkpoint, CheckpointContents, LoadOptions } from './checkpoint';
export {
  Tokenizer,
  trainTokenizer,
  formatPrompt,
  formatEpisode,
  preTokenize,
  PAD,
  BOS,
  EOS,
  PROMPT,
  ANSWER,
  SPECIAL_TOKENS,
  DEFAULTS as TOKENIZER_DEFAULTS,
} from './tokenizer';
export type { TokenizerConfig } from './tokenizer';
