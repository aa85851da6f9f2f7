/**
 * WebGPU in Node through Dawn (the optional `webgpu` package). A hardware adapter is
 * accepted; a software one (SwiftShader, lavapipe) only when asked with
 * RLHF_WEBGPU_SOFTWARE=1 (for tests on machines without a GPU: slow, but the same code path).
 * The backend must pass a short numeric self-check against wasm; shader and validation
 * errors (which Dawn reports without throwing) are captured and raised.
 *
 * Every read of a webgpu tensor must be asynchronous (engine/readback.ts): tfjs's
 * synchronous read draws through an OffscreenCanvas, which Node does not have.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { readMany } from './readback';

export interface AdapterSummary {
  /** Vendor / architecture / device, for the engine report. */
  description: string;
}

/** Errors Dawn reported asynchronously since the last `assertNoGpuErrors()`. */
const gpuErrors: string[] = [];

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i;

/** Where Debian's chromium package keeps the SwiftShader Vulkan driver (a software GPU). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Whether a software WebGPU adapter was asked for (RLHF_WEBGPU_SOFTWARE=1). */
export function softwareRequested(): boolean {
  return process.env.RLHF_WEBGPU_SOFTWARE === '1';
}

/**
 * A GPU this process could reach, judged without loading Dawn (which prints Vulkan warnings
 * on a machine without one): an NVIDIA or DRM render device node, a Vulkan driver named in
 * the environment, or a platform where Dawn uses Metal / D3D.
 */
export function gpuDeviceVisible(): string | null {
  if (process.platform === 'darwin' || process.platform === 'win32') return process.platform;
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return 'a Vulkan driver named in VK_ICD_FILENAMES / VK_DRIVER_FILES';
  if (fs.existsSync('/dev/nvidia0')) return '/dev/nvidia0';
  try {
    const render = fs.readdirSync('/dev/dri').find((f) => f.startsWith('renderD'));
    if (render) return `/dev/dri/${render}`;
  } catch {
    // no /dev/dri
  }
  return null;
}

/**
 * With RLHF_WEBGPU_SOFTWARE=1 and no Vulkan driver named, point the Vulkan loader at
 * SwiftShader when it is installed (before Dawn starts: the loader reads it then).
 */
function useSwiftShaderIfAsked(): void {
  if (!softwareRequested() || process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return;
  if (fs.existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/** Load Dawn, expose `navigator.gpu`, and refuse missing or (unless asked for) software adapters. */
export async function installWebGpu(opts: { allowSoftware: boolean }): Promise<AdapterSummary> {
  if (opts.allowSoftware) useSwiftShaderIfAsked();
  let dawn: { create: (flags: string[]) => any; globals: Record<string, unknown> };
  try {
    // by resolved path: inside a tslab kernel a bare require('webgpu') from this file named
    // webgpu.ts returns this very module
    dawn = require(require.resolve('webgpu'));
  } catch (e) {
    throw new Error(`optional package "webgpu" (Dawn) does not load: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
  }
  if (!dawn?.globals || typeof dawn.create !== 'function') throw new Error('optional package "webgpu" (Dawn) loads but exports no create() / globals');
  const g = globalThis as any;
  for (const [k, v] of Object.entries(dawn.globals)) if (g[k] === undefined) g[k] = v;
  const gpu = g.navigator?.gpu ?? dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) {
    const hint =
      softwareRequested() && !fs.existsSync(SWIFTSHADER_ICD) && !process.env.VK_ICD_FILENAMES
        ? ` (no software driver: install Debian's chromium for ${SWIFTSHADER_ICD}, or name one in VK_ICD_FILENAMES)`
        : ' (is libvulkan1 installed, and a Vulkan driver for the GPU?)';
    throw new Error(`Dawn found no GPU adapter${hint}`);
  }
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description].filter((s: string) => s).join(' / ') || 'unknown adapter';
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE.test(description);
  if (software && !opts.allowSoftware)
    throw new Error(`software adapter refused (${description}); RLHF_WEBGPU_SOFTWARE=1 with RLHF_BACKEND=webgpu allows it (slow: for tests)`);
  if (g.navigator == null) g.navigator = { gpu };
  else if (g.navigator.gpu == null) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  require('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') == null) throw new Error('@tensorflow/tfjs-backend-webgpu did not register (navigator.gpu missing)');
  return { description: software ? `${description} (software adapter, allowed by RLHF_WEBGPU_SOFTWARE=1: slow, for tests)` : description };
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
async function checkProgram(): Promise<Float32Array[]> {
  const { a, b } = checkInputs();
  const [y, g] = tf.tidy(() => {
    const x = tf.tensor2d(a, [24, 40]);
    const w = tf.tensor2d(b, [40, 16]);
    const f = (wv: tf.Tensor) => tf.sum(tf.mul(tf.softmax(tf.matMul(x, wv as tf.Tensor2D)), tf.range(0, 16)));
    const y = tf.softmax(tf.matMul(x, w)); // [24, 16]
    const g = tf.grad(f)(w); // [40, 16]
    return [y, g];
  });
  return readMany([y, g]);
}

/** Run the check on webgpu (active) and on wasm; return an error text or null if they agree. */
export async function webGpuSelfCheck(_adapter: AdapterSummary): Promise<string | null> {
  const device = watchDevice();
  device?.pushErrorScope?.('validation');
  let gpu: Float32Array[];
  try {
    gpu = await checkProgram();
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
  const ref = await checkProgram();
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
