/**
 * Resuming a stage from its last checkpoint: the checkpoint counts only when it was written
 * by the same stage with the same resolved config and model config; its metrics file must
 * hold every row up to the checkpoint's step. Anything else means "start from scratch",
 * with the reason, so a changed config never continues a different run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readCheckpointConfig } from '../model/checkpoint';
import { readJsonl } from '../util/jsonl';
import { canonical } from '../util/config';

export interface ResumePoint<Row> {
  /** optimiser steps done at the checkpoint */
  step: number;
  /** metric rows with step <= that step */
  metrics: Row[];
}

/**
 * Whether `dir` holds a checkpoint of `stage` with `config` and `modelConfig` at some step,
 * with metrics (from `metricsFile`) covering it. Returns the point, or a reason why not.
 */
export function findResumePoint<Row extends { step: number }>(
  dir: string,
  metricsFile: string,
  stage: string,
  config: unknown,
  modelConfig: unknown,
): ResumePoint<Row> | { reason: string } {
  if (!fs.existsSync(path.join(dir, 'config.json'))) return { reason: 'no checkpoint yet' };
  let meta;
  try {
    meta = readCheckpointConfig(dir);
  } catch (e) {
    return { reason: `unreadable checkpoint (${(e as Error).message})` };
  }
  const extra = meta.extra as { stage?: string; step?: number; config?: unknown };
  if (extra.stage !== stage) return { reason: `checkpoint is from stage "${extra.stage}", not "${stage}"` };
  if (canonical(extra.config) !== canonical(config)) return { reason: 'checkpoint was trained with another config' };
  if (canonical(meta.model) !== canonical(modelConfig)) return { reason: 'checkpoint has another model config' };
  if (!meta.optimizer) return { reason: 'checkpoint has no optimizer state' };
  const step = Number(extra.step);
  if (!Number.isInteger(step) || step < 0) return { reason: `checkpoint step is ${extra.step}` };
  if (!fs.existsSync(metricsFile)) return { reason: `no metrics file ${metricsFile}` };
  const rows = readJsonl<Row>(metricsFile).filter((r) => r.step <= step);
  const steps = new Set(rows.map((r) => r.step));
  for (let s = 1; s <= step; s++) if (!steps.has(s)) return { reason: `${metricsFile} lacks step ${s}` };
  return { step, metrics: rows };
}
