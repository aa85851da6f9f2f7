/**
 * WebGPU in Node through Dawn (the optional `webgpu` package). Only a hardware adapter is
 * accepted; the backend must pass a short numeric self-check against wasm; shader and
 * validation errors (which Dawn reports without throwing) are captured and raised.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdapterSummary {
  /** Vendor / architecture / device, for the engine report. */
  description: string;
}

/** Errors Dawn reported asynchronously since the last `assertNoGpuErrors()`. */
const gpuErrors: string[] = [];

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i;

/** Load Dawn, expose `navigator.gpu`, and refuse missing or software adapters. */
export async function installWebGpu(opts: { allowSoftware: boolean }): Promise<AdapterSummary> {
  let dawn: { create: (flags: string[]) => any; globals: Record<string, unknown> };
  try {
    dawn = require('webgpu');
  } catch (e) {
    throw new Error(`optional package "webgpu" (Dawn) does not load: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
  }
  const g = globalThis as any;
  for (const [k, v] of Object.entries(dawn.globals)) if (g[k] === undefined) g[k] = v;
  const gpu = g.navigator?.gpu ?? dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) throw new Error('Dawn found no GPU adapter');
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description].filter((s: string) => s).join(' / ') || 'unknown adapter';
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE.test(description);
  if (software && !opts.allowSoftware) throw new Error(`software adapter refused (${description})`);
  if (g.navigator == null) g.navigator = { gpu };
  else if (g.navigator.gpu == null) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  require('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') == null) throw new Error('@tensorflow/tfjs-backend-webgpu did not register (navigator.gpu missing)');
  return { description: software ? `${description} (software, forced)` : description };
}

/** Start recording the device's uncaptured errors (called once the backend is active). */
function watchDevice(): any {
  const device = (tf.backend() as any).device;
  if (device && !device.__rlhfWatched) {
    device.__rlhfWatched = true;
    device.onuncapturederror = (ev: any) => gpuErrors.push(String(ev?.error?.message ?? ev));
  }
  return device;
}

/** Throw if Dawn reported any shader / validation / out-of-memory error since the last call. */
export function assertNoGpuErrors(): void {
  if (gpuErrors.length === 0) return;
  const all = gpuErrors.splice(0, gpuErrors.length);
  throw new Error(`WebGPU reported ${all.length} error(s): ${all.join(' | ')}`);
}

function checkInputs(): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(24 * 40);
  const b = new Float32Array(40 * 16);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37);
  for (let i = 0; i < b.length; i++) b[i] = Math.cos(i * 0.11);
  return { a, b };
}

/** matmul -> softmax -> gradient of a weighted sum: the ops a training step needs. */
function checkProgram(): Float32Array[] {
  const { a, b } = checkInputs();
  return tf.tidy(() => {
    const x = tf.tensor2d(a, [24, 40]);
    const w = tf.tensor2d(b, [40, 16]);
    const f = (wv: tf.Tensor) => tf.sum(tf.mul(tf.softmax(tf.matMul(x, wv as tf.Tensor2D)), tf.range(0, 16)));
    const y = tf.softmax(tf.matMul(x, w)); // [24, 16]
    const g = tf.grad(f)(w); // [40, 16]
    return [y.dataSync() as Float32Array, g.dataSync() as Float32Array];
  });
}

/** Run the check on webgpu (active) and on wasm; return an error text or null if they agree. */
export async function webGpuSelfCheck(_adapter: AdapterSummary): Promise<string | null> {
  const device = watchDevice();
  device?.pushErrorScope?.('validation');
  let gpu: Float32Array[];
  try {
    gpu = checkProgram();
  } catch (e) {
    return `self-check failed on webgpu: ${e instanceof Error ? e.message : e}`;
  }
  const scoped = device?.popErrorScope ? await device.popErrorScope() : null;
  if (scoped) return `self-check shader validation error: ${scoped.message}`;
  try {
    assertNoGpuErrors();
  } catch (e) {
    return (e as Error).message;
  }
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const ref = checkProgram();
  await tf.setBackend('webgpu');
  for (let k = 0; k < ref.length; k++) {
    for (let i = 0; i < ref[k].length; i++) {
      const d = Math.abs(ref[k][i] - gpu[k][i]);
      if (!(d <= 1e-4 * (1 + Math.abs(ref[k][i])))) {
        return `self-check mismatch against wasm: output ${k} element ${i}: webgpu ${gpu[k][i]} vs wasm ${ref[k][i]}`;
      }
    }
  }
  return null;
}
