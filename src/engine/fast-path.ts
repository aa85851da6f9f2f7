/**
 * One switch for the fused kernels (hand-written LayerNorm / GELU gradients, the fused Adam
 * update, wasm's buffer-sharing Identity and row-copy GatherV2, the output-order transpose
 * and its matmul cost model, the 4-row bias-gradient Sum, the token cross-entropy's forward
 * tail and gradient as one kernel each), so the benchmark can time
 * the step with and without them back to back in one process, and tests can compare each
 * against the composite it replaces. On by default; `RLHF_FAST_PATH=0` starts with it off.
 * The older wasm fixes (BatchMatMul, UnsortedSegmentSum, Sum, SplitV) are always on.
 */
let on = process.env.RLHF_FAST_PATH !== '0';

/** Whether the fused kernels are used. */
export function fastPath(): boolean {
  return on;
}

/** Turn the fused kernels on or off; returns the previous setting. */
export function setFastPath(enabled: boolean): boolean {
  const was = on;
  on = enabled;
  return was;
}
