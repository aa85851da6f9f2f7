/**
 * The Adam update of one parameter on webgpu as three compute shaders instead of ~14
 * elementwise kernels (each with its own scalar upload): a training step there is bound by
 * the host dispatching kernels, not by the GPU. The same update as wasm-adam.ts, with
 * g' = g * scale (the clipping factor, a scalar tensor):
 *
 *   m' = beta1 m + (1 - beta1) g'           (shader 1)
 *   v' = beta2 v + (1 - beta2) g'^2         (shader 2)
 *   p' = p - stepSize m' / (sqrt(v' vCorrection) + eps) - decay p     (shader 3)
 *
 * Registered under the same kernel name as the wasm one, so optimizer.ts takes it when the
 * fast path is on. The step's constants are uniforms: one compiled shader serves every step.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, adamKernelArgs } from './wasm-adam';

interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
}

interface WebGpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

/** One elementwise shader over a parameter's flat index (tfjs-backend-webgpu's program shape). */
class ElementwiseProgram {
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;

  constructor(
    util: WebGpuUtil,
    shape: number[],
    readonly variableNames: string[],
    readonly uniforms: string,
    private readonly body: string,
    key: string,
  ) {
    this.outputShape = shape;
    this.shaderKey = `rlhfAdam_${key}`;
    this.dispatchLayout = util.flatDispatchLayout(shape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.body}
        }
      }
    `;
  }
}

/** g' = g * scale, then a moment's running average; `square` for the second moment. */
function momentProgram(util: WebGpuUtil, shape: number[], square: boolean): ElementwiseProgram {
  const update = square ? 'g * g' : 'g';
  return new ElementwiseProgram(
    util,
    shape,
    ['X', 'G', 'S'],
    'beta : f32,',
    `let g = getGByOutputIndex(index) * getS();
          setOutputAtIndex(index, uniforms.beta * getXByOutputIndex(index) + (1.0 - uniforms.beta) * ${update});`,
    square ? 'v' : 'm',
  );
}

function paramProgram(util: WebGpuUtil, shape: number[]): ElementwiseProgram {
  return new ElementwiseProgram(
    util,
    shape,
    ['P', 'M', 'V'],
    'stepSize : f32, vCorrection : f32, eps : f32, decay : f32,',
    `let p = getPByOutputIndex(index);
          let denom = sqrt(getVByOutputIndex(index) * uniforms.vCorrection) + uniforms.eps;
          setOutputAtIndex(index, p - uniforms.stepSize * getMByOutputIndex(index) / denom - uniforms.decay * p);`,
    'p',
  );
}

function adamUpdateWebGpu(util: WebGpuUtil) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] => {
    const backend = args.backend as WebGpuBackendLike;
    const { p, g, m, v, scale, beta1, beta2, eps, stepSize, vCorrection, decay } = adamKernelArgs(args);
    if (scale.shape.length !== 0) throw new Error(`${ADAM_UPDATE}: scale must be a scalar, got [${scale.shape}]`);
    const f32 = (x: number) => ({ type: 'float32', data: [x] });
    const m1 = backend.runWebGPUProgram(momentProgram(util, p.shape, false), [m, g, scale], 'float32', [f32(beta1)]);
    const v1 = backend.runWebGPUProgram(momentProgram(util, p.shape, true), [v, g, scale], 'float32', [f32(beta2)]);
    const p1 = backend.runWebGPUProgram(paramProgram(util, p.shape), [p, m1, v1], 'float32', [f32(stepSize), f32(vCorrection), f32(eps), f32(decay)]);
    return [p1, m1, v1];
  };
}

let registered = false;

/** Register the fused Adam update for the webgpu backend (idempotent). */
export function registerWebGpuAdam(): void {
  if (registered || tf.getKernel(ADAM_UPDATE, 'webgpu') != null) return;
  const { webgpu_util } = require('@tensorflow/tfjs-backend-webgpu') as { webgpu_util: WebGpuUtil };
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'webgpu', kernelFunc: adamUpdateWebGpu(webgpu_util) as unknown as tf.KernelFunc });
  registered = true;
}
