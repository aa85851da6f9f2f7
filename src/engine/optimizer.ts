/**
 * Adam with decoupled weight decay and global-norm gradient clipping, written out so every
 * stage (pretrain, SFT, reward model, PPO) takes exactly the same, deterministic step:
 *
 *   g  <- g * min(1, clipNorm / ||g||)            (||g|| over all parameters together)
 *   p  <- p - lr * weightDecay * p                (matrices and embeddings only)
 *   m  <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
 *   p  <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *
 * The paper trains every stage with Adam (beta1, beta2) = (0.9, 0.95).
 */
import * as tf from '@tensorflow/tfjs';
import { fastPath } from './fast-path';
import { ADAM_UPDATE } from './wasm-adam';
import type { AdamUpdateAttrs } from './wasm-adam';
import { assertNoGpuErrors } from './webgpu';
import { readValues } from './readback';

export interface AdamConfig {
  /** Learning rate (a schedule may pass its own value to each step). */
  lr: number;
  /** Decay of the first-moment average (paper: 0.9). */
  beta1: number;
  /** Decay of the second-moment average (paper: 0.95). */
  beta2: number;
  /** Added to sqrt(v) in the denominator. */
  eps: number;
  /** Decoupled weight decay (AdamW); applied to parameters of rank >= 2 only. 0 = off. */
  weightDecay: number;
  /** Clip the global gradient norm to this value; 0 = no clipping (the norm is still reported). */
  clipNorm: number;
}

export const DEFAULTS: AdamConfig = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0,
  clipNorm: 1,
};

/**
 * Sum a list of tensors, in chunks of <= 8 (wasm's AddN is slow on long lists). On webgpu
 * an AddN of n inputs binds n + 1 storage buffers and a device gives a shader 8 by default,
 * so chunks there hold 7 (the chunking decides the order of the float sums, so wasm keeps
 * its 8 and its numbers).
 */
function sumAll(xs: tf.Tensor[]): tf.Tensor {
  const size = tf.getBackend() === 'webgpu' ? 7 : 8;
  let parts = xs;
  while (parts.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < parts.length; i += size) {
      const chunk = parts.slice(i, i + size);
      next.push(chunk.length === 1 ? chunk[0] : tf.addN(chunk));
    }
    parts = next;
  }
  return parts[0];
}

/** sqrt(sum of squares of every gradient): a scalar tensor. */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sumAll(grads.map((g) => tf.sum(tf.mul(g, g))))) as tf.Scalar);
}

export class Adam {
  readonly config: AdamConfig;
  /** Number of updates applied so far (t in the bias corrections). */
  step = 0;
  /** Global gradient norm before clipping, of the last update (read back by trainStep). */
  lastGradNorm = NaN;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(config: Partial<AdamConfig> = {}) {
    this.config = { ...DEFAULTS, ...config };
    const c = this.config;
    for (const [k, ok] of [
      ['lr', c.lr >= 0],
      ['beta1', c.beta1 >= 0 && c.beta1 < 1],
      ['beta2', c.beta2 >= 0 && c.beta2 < 1],
      ['eps', c.eps > 0],
      ['weightDecay', c.weightDecay >= 0],
      ['clipNorm', c.clipNorm >= 0],
    ] as const) {
      if (!ok) throw new Error(`AdamConfig: ${k} out of range: ${c[k]}`);
    }
  }

  /** Create the moment variables of `vars` (outside any tidy, so they persist). */
  private ensureState(vars: tf.Variable[]): void {
    for (const p of vars) {
      if (!this.moments.has(p.name)) {
        this.moments.set(p.name, {
          m: tf.variable(tf.zerosLike(p), false, `adam/m/${p.name}`),
          v: tf.variable(tf.zerosLike(p), false, `adam/v/${p.name}`),
        });
      }
    }
  }

  /**
   * Clip, then update `vars[i]` with `grads[i]` (null / undefined: no gradient, skipped).
   * Returns the pre-clip global norm as a scalar tensor (caller disposes).
   */
  applyGradients(vars: tf.Variable[], grads: (tf.Tensor | null | undefined)[], lr = this.config.lr): tf.Scalar {
    if (vars.length !== grads.length) throw new Error(`Adam: ${vars.length} variables but ${grads.length} gradients`);
    this.ensureState(vars);
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.config;
    const t = this.step;
    return tf.tidy(() => {
      const live = vars.map((p, i) => ({ p, g: grads[i] })).filter((x): x is { p: tf.Variable; g: tf.Tensor } => x.g != null);
      const norm = live.length ? globalNorm(live.map((x) => x.g)) : tf.scalar(0);
      // scale = min(1, clipNorm / (norm + 1e-6)), computed on the device: no read-back here
      const scale = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6))) : null;
      const stepSize = lr / (1 - Math.pow(beta1, t)); // bias correction of m folded in
      const vCorrection = 1 / (1 - Math.pow(beta2, t));
      const fused = fastPath() && tf.getKernel(ADAM_UPDATE, tf.getBackend()) != null;
      const one = fused && !scale ? tf.scalar(1) : null;
      for (const { p, g: raw } of live) {
        const { m, v } = this.moments.get(p.name)!;
        if (fused) {
          // the same update as below in one kernel (wasm-adam.ts)
          const attrs: AdamUpdateAttrs = { beta1, beta2, eps, stepSize, vCorrection, decay: weightDecay > 0 && p.rank >= 2 ? lr * weightDecay : 0 };
          const [p1, m1, v1] = tf
            .engine()
            .runKernel(ADAM_UPDATE, { p, g: raw, m, v, scale: scale ?? one! }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          m.assign(m1);
          v.assign(v1);
          p.assign(p1);
          continue;
        }
        const g = scale ? tf.mul(raw, scale) : raw;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.sqrt(tf.mul(v1, vCorrection)), eps);
        let next = tf.sub(p, tf.mul(tf.div(m1, denom), stepSize));
        if (weightDecay > 0 && p.rank >= 2) next = tf.sub(next, tf.mul(p, lr * weightDecay));
        p.assign(next);
      }
      return tf.keep(norm) as tf.Scalar;
    });
  }

  /** Moment variables, for checkpoints and tests. */
  state(): Map<string, { m: tf.Variable; v: tf.Variable }> {
    return this.moments;
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}

export interface TrainStepOptions {
  /** Learning rate of this step (e.g. from the schedule); default the optimizer's. */
  lr?: number;
}

/**
 * One training step: gradients of `lossFn` w.r.t. `vars`, global-norm clipping, Adam.
 * Everything is tidied; the gradients are disposed. Returns the loss as a number (the
 * pre-clip gradient norm is in `optimizer.lastGradNorm`); one read-back per step, awaited
 * (a GPU backend cannot read synchronously).
 */
export async function trainStep(lossFn: () => tf.Scalar, vars: tf.Variable[], optimizer: Adam, opts: TrainStepOptions = {}): Promise<number> {
  return (await trainStepWithAux(() => ({ loss: lossFn() }), vars, optimizer, opts)).loss;
}

/**
 * One training step on a batch too large to differentiate at once: the batch loss is the sum
 * of `parts` (each a chunk's share of it, already weighted, e.g. the chunk's sum divided by the
 * batch size), their gradients are computed one chunk at a time and summed, and one clipped Adam
 * step applies the sum. The step trainStep would take on the whole sum, up to the order of float
 * additions, with the activations of one chunk in memory instead of the whole batch's. Returns
 * the batch loss; the pre-clip norm of the summed gradient is in `optimizer.lastGradNorm`.
 */
export async function trainStepAccumulated(
  parts: readonly (() => tf.Scalar)[],
  vars: tf.Variable[],
  optimizer: Adam,
  opts: TrainStepOptions = {},
): Promise<number> {
  if (!parts.length) throw new Error('trainStepAccumulated: no parts');
  if (parts.length === 1) return trainStep(parts[0], vars, optimizer, opts);
  const sum: (tf.Tensor | null)[] = vars.map(() => null);
  let loss: tf.Scalar = tf.scalar(0);
  for (const part of parts) {
    const { value, grads } = tf.variableGrads(part, vars); // the part's graph is freed, its value and gradients kept
    vars.forEach((p, i) => {
      const g = grads[p.name];
      if (g == null) return;
      const acc = sum[i];
      sum[i] = acc ? tf.add(acc, g) : g;
      if (acc) tf.dispose([acc, g]);
    });
    const total = tf.add(loss, value) as tf.Scalar;
    tf.dispose([loss, value]);
    loss = total;
  }
  const norm = optimizer.applyGradients(vars, sum, opts.lr); // kept by applyGradients: disposed here
  const packed = tf.stack([loss, norm]);
  tf.dispose([norm, loss, ...sum.filter((g): g is tf.Tensor => g != null)]);
  return (await readStep(packed, optimizer))[0];
}

/**
 * trainStep for a loss that also computes values the caller wants to see (e.g. the reward
 * model's scores for its accuracy): `aux` is read back in the same round trip as the loss.
 */
export async function trainStepWithAux(
  lossFn: () => { loss: tf.Scalar; aux?: tf.Tensor },
  vars: tf.Variable[],
  optimizer: Adam,
  opts: TrainStepOptions = {},
): Promise<{ loss: number; aux: Float32Array }> {
  let aux: tf.Tensor | undefined;
  let norm: tf.Scalar | undefined; // applyGradients keeps it: disposed here
  const packed = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const r = lossFn();
      if (r.aux) aux = tf.keep(r.aux);
      return r.loss;
    }, vars);
    norm = optimizer.applyGradients(
      vars,
      vars.map((p) => grads[p.name]),
      opts.lr,
    );
    return tf.concat([tf.stack([value, norm]), aux ? aux.toFloat().reshape([-1]) : tf.zeros([0])]); // [2 + aux]
  });
  tf.dispose([aux!, norm!].filter((t) => t != null));
  const values = await readStep(packed, optimizer);
  return { loss: values[0], aux: values.subarray(2) };
}

/** A step's one read-back of [loss, pre-clip norm, ...]: stores the norm on the optimizer. */
async function readStep(packed: tf.Tensor, optimizer: Adam): Promise<Float32Array> {
  const values = (await readValues(packed)) as Float32Array;
  optimizer.lastGradNorm = values[1];
  // Dawn reports shader / validation errors asynchronously instead of throwing: raise them
  // at the step that caused them rather than training on garbage.
  if (tf.getBackend() === 'webgpu') assertNoGpuErrors();
  return values;
}
