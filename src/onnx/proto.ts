/**
 * ONNX protobuf helpers over `onnx-proto` (the onnx.proto schema compiled by
 * protobufjs): decode and encode a ModelProto, read a TensorProto's values
 * (raw_data or the typed fields), read node attributes by name, and make the
 * tensors, attributes and value infos an exporter writes.
 */
import { onnx } from 'onnx-proto';

export { onnx };

const utf8 = new TextDecoder('utf-8');

/** ONNX TensorProto.DataType codes this package reads or writes. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

/** An int64 as protobufjs gives it (a number, or a Long when the `long` package is present). */
type Int64 = number | { toNumber(): number } | { low: number; high: number };

/** An int64 field as a JS number. */
export function toNum(v: Int64 | null | undefined): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if ('toNumber' in v) return v.toNumber();
  return v.high * 4294967296 + (v.low >>> 0);
}

/** A tensor's values: float32 for floating types, int32 for integer and bool types. */
export interface TensorValue {
  /** Dimensions ([] for a scalar). */
  dims: number[];
  /** 'float32' or 'int32' (int64 is narrowed to int32, as tfjs has no int64). */
  dtype: 'float32' | 'int32';
  /** Row-major values. */
  values: Float32Array | Int32Array;
}

/** Reads a TensorProto (raw_data or float_data / int32_data / int64_data / double_data). */
export function readTensor(t: onnx.ITensorProto, where: string): TensorValue {
  const dims = (t.dims ?? []).map((d) => toNum(d as Int64));
  const n = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(`${where}: tensor '${t.name}' keeps its data in an external file, which is not supported (save the model with its weights inside)`);
  }
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  switch (type) {
    case DT.FLOAT: {
      const out = new Float32Array(n);
      if (view) for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      else out.set((t.floatData ?? []).slice(0, n));
      return { dims, dtype: 'float32', values: out };
    }
    case DT.DOUBLE: {
      const out = new Float32Array(n);
      if (view) for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      else out.set((t.doubleData ?? []).slice(0, n));
      return { dims, dtype: 'float32', values: out };
    }
    case DT.INT64: {
      const out = new Int32Array(n);
      if (view) for (let i = 0; i < n; i++) out[i] = clampInt(Number(view.getBigInt64(8 * i, true)));
      else (t.int64Data ?? []).slice(0, n).forEach((v, i) => (out[i] = clampInt(toNum(v as Int64))));
      return { dims, dtype: 'int32', values: out };
    }
    case DT.INT32:
    case DT.INT8:
    case DT.UINT8:
    case DT.BOOL: {
      const out = new Int32Array(n);
      if (view) {
        for (let i = 0; i < n; i++) {
          out[i] = type === DT.INT32 ? view.getInt32(4 * i, true) : type === DT.INT8 ? view.getInt8(i) : view.getUint8(i);
        }
      } else out.set((t.int32Data ?? []).slice(0, n));
      return { dims, dtype: 'int32', values: out };
    }
    default:
      throw new Error(`${where}: tensor '${t.name}' has ONNX data type ${type}, which is not supported (float, double, int64, int32, int8, uint8, bool are)`);
  }
}

/** int64 values (shapes, axes, the INT64_MAX of Slice ends) clamped into int32. */
function clampInt(v: number): number {
  return Math.max(-2147483648, Math.min(2147483647, v));
}

/** A node's attributes by name, with typed getters and defaults. */
export class Attributes {
  private readonly byName = new Map<string, onnx.IAttributeProto>();
  constructor(
    node: onnx.INodeProto,
    private readonly where: string,
  ) {
    for (const a of node.attribute ?? []) this.byName.set(a.name ?? '', a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  int(name: string, def: number): number {
    const a = this.byName.get(name);
    return a ? toNum(a.i as Int64) : def;
  }
  float(name: string, def: number): number {
    const a = this.byName.get(name);
    return a ? (a.f ?? def) : def;
  }
  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map((v) => toNum(v as Int64)) : undefined;
  }
  string(name: string, def: string): string {
    const a = this.byName.get(name);
    return a && a.s ? utf8.decode(a.s) : def;
  }
  strings(name: string): string[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.strings ?? []).map((s) => utf8.decode(s)) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.floats ?? []) : undefined;
  }
  tensor(name: string): TensorValue | undefined {
    const a = this.byName.get(name);
    return a && a.t ? readTensor(a.t, this.where) : undefined;
  }
}

/** Decodes an ONNX file's bytes. */
export function decodeModel(bytes: Uint8Array, where = 'ONNX model'): onnx.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${where}: not a valid ONNX file (${(e as Error).message})`);
  }
}

/** Encodes a ModelProto to bytes. */
export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** A float32 or int32 initializer / Constant value. */
export function makeTensor(name: string, dims: number[], values: ArrayLike<number>, dtype: 'float32' | 'int32' | 'int64' = 'float32'): onnx.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`tensor '${name}': ${values.length} values for dims [${dims.join(', ')}]`);
  let rawData: Uint8Array;
  if (dtype === 'float32') rawData = new Uint8Array(Float32Array.from(values).buffer);
  else if (dtype === 'int32') rawData = new Uint8Array(Int32Array.from(values).buffer);
  else rawData = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
  const dataType = dtype === 'float32' ? DT.FLOAT : dtype === 'int32' ? DT.INT32 : DT.INT64;
  return { name, dims, dataType, rawData };
}

/** Attribute values an exporter writes. */
export type AttrValue = number | string | number[] | string[] | { float: number } | { tensor: onnx.ITensorProto } | { graph: onnx.IGraphProto };

const A = onnx.AttributeProto.AttributeType;

/** An AttributeProto from a JS value (integers as INT, `{float}` as FLOAT, arrays of integers as INTS). */
export function makeAttribute(name: string, v: AttrValue): onnx.IAttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: A.INTS, ints: v as number[] };
  }
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('graph' in v) return { name, type: A.GRAPH, g: v.graph };
  return { name, type: A.TENSOR, t: v.tensor };
}

/** A graph input/output description with an element type and no shape (a subgraph's inputs and outputs). */
export function makeTypedValueInfo(name: string, dtype: ElemType): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEM[dtype] } } };
}

/** Element types the exporter declares. */
export type ElemType = 'float32' | 'int32' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = { float32: DT.FLOAT, int32: DT.INT32, int64: DT.INT64, bool: DT.BOOL };

/** A graph input/output description: element type and dims (a string is a symbolic dim). */
export function makeValueInfo(name: string, dtype: ElemType, dims: (number | string)[]): onnx.IValueInfoProto {
  const elemType = ELEM[dtype];
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
