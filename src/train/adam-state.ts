/**
 * Putting saved Adam moments back into a fresh optimizer. The checkpoint keeps them by
 * parameter name (`namedOptimizerState` in model/checkpoint.ts: `<parameter>/m`, `/v`,
 * `step`); `optimizerMomentsByVariable` maps them onto this process's variables. Restoring
 * moments and step is what makes a resumed run take the same steps as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../engine/optimizer';
import { optimizerMomentsByVariable } from '../model/checkpoint';

/** Copy the saved moments of `named` into `adam` and set its step count. */
export async function restoreAdam(adam: Adam, named: Map<string, tf.Variable>, saved: Map<string, tf.Tensor>, where: string): Promise<void> {
  const { step, moments } = await optimizerMomentsByVariable(named, saved, where);
  // a checkpoint saved before the first update (step 0) has no moments yet
  for (const [name, p] of named) {
    if (step > 0 && !moments.has(p.name)) throw new Error(`${where}: optimizer state lacks the moments of ${name}`);
  }
  const state = adam.state();
  for (const [varName, { m, v }] of moments) {
    const old = state.get(varName);
    if (old) tf.dispose([old.m, old.v]);
    state.set(varName, { m: tf.variable(m, false, `adam/m/${varName}`), v: tf.variable(v, false, `adam/v/${varName}`) });
  }
  adam.step = step;
}
