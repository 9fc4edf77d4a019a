/**
 * safetensors (the Hugging Face format PyTorch users save state_dicts in): read and
 * write `.safetensors` bytes. Browser-safe (no Node imports: callers read the file).
 *
 * Layout: 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON
 *   { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
 *     "__metadata__": { "<key>": "<string>" } }
 * (padded with spaces so the data starts 8-byte aligned, as the reference writer
 * does), then the raw little-endian tensor bytes; offsets are relative to the data
 * start, and the tensors tile the data with no gap or overlap.
 *
 * F32, F16 and BF16 tensors are read, widened to float32 (exactly: every F16/BF16
 * value is a float32). Any other dtype is refused naming the tensor. The writer
 * writes F32 (default), F16 or BF16 (rounded to nearest even).
 *
 * Load into a layer: `loadTorchWeights(layer, readSafetensors(bytes))` (layers/torch_weights.ts).
 */
import { UserError } from '../errors';

/** The dtypes this module reads and writes. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

/** One tensor: its dtype in the file, its shape, and its values widened to float32 (row-major). */
export interface SafeTensor {
  /** The dtype stored in the file (reading) or to store (writing; default 'F32'). */
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first ([] for a scalar). */
  shape: number[];
  /** Row-major values; length = product of `shape`. */
  data: Float32Array;
}

/** What `readSafetensors` returns. */
export interface SafetensorsFile {
  /** Tensors by name, in the order their data appears in the file. */
  tensors: Record<string, SafeTensor>;
  /** The header's `__metadata__` (string → string), {} when absent. */
  metadata: Record<string, string>;
}

/** Input of `writeSafetensors`: dtype optional (F32). */
export type SafeTensorInput = { dtype?: SafetensorsDtype; shape: number[]; data: Float32Array | ArrayLike<number> };

export interface ReadSafetensorsOptions {
  /** File name to put in error messages. */
  file?: string;
}

/** Bytes per element of every dtype the format defines (reading refuses all but F32/F16/BF16). */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** Largest header the reference reader accepts (100 MB). */
const MAX_HEADER = 100_000_000;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------- half floats

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits → number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → IEEE binary16 bits, rounded to nearest even (overflow → ±Inf). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m += 1;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m += 1;
    if (m === 0x400) { m = 0; e += 1; if (e >= 0x1f) return sign | 0x7c00; }
  }
  return sign | (e << 10) | m;
}

/** number → bfloat16 bits (upper half of the float32), rounded to nearest even. */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

// ---------------------------------------------------------------- reading

/**
 * Parses `.safetensors` bytes. Throws a UserError (naming `options.file` when given)
 * for a header length beyond the file, a header that is not a JSON object, a tensor
 * entry without a valid dtype/shape/data_offsets, offsets outside the data, tensors
 * that overlap or leave bytes uncovered, and dtypes other than F32/F16/BF16.
 */
export function readSafetensors(buf: Uint8Array | ArrayBuffer, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const where = options.file ? `${options.file}: ` : '';
  const fail = (msg: string): never => {
    throw new UserError(`${where}not a valid safetensors file: ${msg}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER) fail(`header length ${n} is larger than the 100 MB limit`);
  if (8 + n > bytes.length) fail(`header length ${n} goes beyond the end of the file (${bytes.length} bytes)`);
  let header: unknown;
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    header = JSON.parse(text.decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the ${n}-byte header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ '${k}' is not a string`);
      }
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor '${name}': entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) fail(`tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)}`);
    const isDim = (d: unknown): boolean => Number.isSafeInteger(d) && (d as number) >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(isDim)) fail(`tensor '${name}': shape ${JSON.stringify(e.shape)} is not a list of sizes`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isDim)) fail(`tensor '${name}': data_offsets ${JSON.stringify(off)} is not [begin, end]`);
    const [begin, end] = off as number[];
    const shape = e.shape as number[];
    if (begin > end || end > dataLen) fail(`tensor '${name}': data_offsets [${begin}, ${end}] are outside the ${dataLen} data bytes`);
    const want = numel(shape) * DTYPE_BYTES[e.dtype as string];
    if (end - begin !== want) fail(`tensor '${name}': data_offsets [${begin}, ${end}] hold ${end - begin} bytes, its ${e.dtype} shape [${shape.join(', ')}] needs ${want}`);
    entries.push({ name, dtype: e.dtype as string, shape, begin, end });
  }
  // The tensors tile the data: sorted by offset, each starts where the previous ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) fail(`tensor '${e.name}' (bytes ${e.begin}..${e.end}) overlaps the previous tensor (ends at ${at})`);
    if (e.begin > at) fail(`data bytes ${at}..${e.begin} belong to no tensor (before '${e.name}')`);
    at = e.end;
  }
  if (at !== dataLen) fail(`data bytes ${at}..${dataLen} belong to no tensor`);
  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
      throw new UserError(`${where}tensor '${e.name}' has dtype ${e.dtype}; only F32, F16 and BF16 tensors can be read (convert it to float32 in PyTorch first)`);
    }
    tensors[e.name] = { dtype: e.dtype, shape: e.shape.slice(), data: decode(bytes, dataStart + e.begin, numel(e.shape), e.dtype) };
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, at: number, count: number, dtype: SafetensorsDtype): Float32Array {
  const out = new Float32Array(count);
  const abs = bytes.byteOffset + at;
  if (dtype === 'F32') {
    if (HOST_LITTLE_ENDIAN && abs % 4 === 0) {
      out.set(new Float32Array(bytes.buffer, abs, count));
    } else {
      const v = new DataView(bytes.buffer, abs, count * 4);
      for (let i = 0; i < count; i++) out[i] = v.getFloat32(i * 4, true);
    }
    return out;
  }
  const v = new DataView(bytes.buffer, abs, count * 2);
  const widen = dtype === 'F16' ? halfToFloat : bf16ToFloat;
  for (let i = 0; i < count; i++) out[i] = widen(v.getUint16(i * 2, true));
  return out;
}

// ---------------------------------------------------------------- writing

/**
 * Serializes tensors (and optional string metadata) as `.safetensors` bytes. The
 * data is laid out in the reference writer's order (by dtype size, largest first,
 * then by name); the header is padded with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(tensors: Record<string, SafeTensorInput>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === '__metadata__') throw new Error(`writeSafetensors: '__metadata__' is reserved for the metadata, not a tensor name`);
    const t = tensors[name];
    const dtype = t.dtype ?? 'F32';
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw new Error(`writeSafetensors: tensor '${name}' has dtype ${String(dtype)}; F32, F16 or BF16 can be written`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`writeSafetensors: tensor '${name}' has shape [${t.shape.join(', ')}], not a list of sizes`);
    if (t.data.length !== numel(t.shape)) throw new Error(`writeSafetensors: tensor '${name}' has ${t.data.length} values, its shape [${t.shape.join(', ')}] needs ${numel(t.shape)}`);
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata '${k}' is not a string`);
  }
  const size = (n: string): number => DTYPE_BYTES[tensors[n].dtype ?? 'F32'];
  const order = names.slice().sort((a, b) => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of order) {
    const t = tensors[name];
    const len = t.data.length * size(name);
    header[name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of order) {
    const t = tensors[name];
    const dtype = t.dtype ?? 'F32';
    for (let i = 0; i < t.data.length; i++) {
      if (dtype === 'F32') view.setFloat32(at + i * 4, t.data[i], true);
      else view.setUint16(at + i * 2, dtype === 'F16' ? floatToHalf(t.data[i]) : floatToBf16(t.data[i]), true);
    }
    at += t.data.length * size(name);
  }
  return out;
}
