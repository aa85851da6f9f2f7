/**
 * The safetensors file format (as written by the Hugging Face `safetensors` library):
 * 8-byte little-endian header length N, N bytes of JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the raw
 * little-endian tensor bytes. Only F32 and I32 are read into tensors; a tensor the reader is
 * told to skip may have any safetensors dtype (older GPT-2 files keep U8/BOOL mask buffers).
 */
import * as fs from 'fs';

export interface RawTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

const DTYPE_CODE = { float32: 'F32', int32: 'I32' } as const;

/** Bytes per element of every safetensors dtype. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

export interface DecodeOptions {
  /** tensors not read (their bytes are still checked against their shape), whatever their dtype */
  skip?: (name: string) => boolean;
}

/** Serialise named tensors (in the given order) to safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: DTYPE_CODE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Parse safetensors bytes; `file` names the source in every error. */
export function decodeSafetensors(
  bytes: Buffer,
  file: string,
  opts: DecodeOptions = {},
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${file}: truncated: ${bytes.length} bytes, a safetensors file has at least an 8-byte header length`);
  const n = Number(bytes.readBigUInt64LE(0));
  if (8 + n > bytes.length) throw new Error(`${file}: truncated: header says ${n} header bytes but the file has only ${bytes.length - 8} after the length`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: corrupt safetensors header (${(e as Error).message})`);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, RawTensor>();
  let end = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const code = info?.dtype;
    const width = typeof code === 'string' ? DTYPE_BYTES[code] : undefined;
    if (!width) throw new Error(`${file}: tensor ${name} has dtype ${JSON.stringify(code)}, not a safetensors dtype`);
    const skip = opts.skip?.(name) ?? false;
    const dtype = code === 'F32' ? 'float32' : code === 'I32' ? 'int32' : null;
    if (!dtype && !skip) {
      const hint =
        code === 'F16' || code === 'BF16' || code === 'F64'
          ? `; convert to float32 before saving, e.g. in PyTorch: model.float().save_pretrained(dir, safe_serialization=True)`
          : '';
      throw new Error(`${file}: tensor ${name} has dtype ${code}, expected F32 or I32${hint}`);
    }
    const [b, e] = info.data_offsets ?? [];
    const shape: number[] = info.shape;
    if (!Array.isArray(shape) || !Number.isInteger(b) || !Number.isInteger(e)) throw new Error(`${file}: tensor ${name} lacks shape or data_offsets`);
    const size = shape.reduce((x, y) => x * y, 1);
    if (e - b !== size * width) throw new Error(`${file}: tensor ${name} spans ${e - b} bytes but shape [${shape}] of ${code} needs ${size * width}`);
    if (e > dataLength) throw new Error(`${file}: truncated: tensor ${name} ends at data byte ${e} but the file holds only ${dataLength} data bytes`);
    end = Math.max(end, e);
    if (skip || !dtype) continue;
    const copy = new Uint8Array(e - b);
    copy.set(bytes.subarray(dataStart + b, dataStart + e));
    tensors.set(name, { dtype, shape, data: dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer) });
  }
  if (end !== dataLength) throw new Error(`${file}: ${dataLength - end} unexpected bytes after the last tensor`);
  return { tensors, metadata: header.__metadata__ ?? {} };
}

export function readSafetensors(file: string, opts: DecodeOptions = {}): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  if (!fs.existsSync(file)) throw new Error(`${file}: weights file not found`);
  return decodeSafetensors(fs.readFileSync(file), file, opts);
}
