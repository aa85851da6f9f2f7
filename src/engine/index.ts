/** The compute engine: backend choice, wasm kernel fixes, the optimizer. Re-exports only. */
export { initEngine, requestedBackend, requestedThreads, defaultThreads, measureIdleCores, BACKENDS } from './backend';
export type { BackendName, Candidate, EngineInfo, EngineOptions } from './backend';
export { registerWasmFixes } from './wasm-fixes';
export { assertNoGpuErrors } from './webgpu';
export { Adam, DEFAULTS as ADAM_DEFAULTS, globalNorm, trainStep } from './optimizer';
export type { AdamConfig, TrainStepOptions } from './optimizer';
