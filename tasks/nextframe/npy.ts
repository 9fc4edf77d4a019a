/**
 * NumPy `.npy` files (format versions 1–3, C order): the reader behind
 * `--data frames.npy` (e.g. the public mnist_test_seq.npy, uint8 [20, 10000, 64, 64])
 * and the writer of `rnn-predict --npy`. Only the dtypes frames come in:
 * uint8 (`|u1`), float32 (`<f4`) and float64 (`<f8`, read as float32).
 * Every defect is a UserError naming the file (bad magic, header, dtype, size).
 *
 *   const a = readNpy('mnist_test_seq.npy'); // { shape: [20, 10000, 64, 64], dtype: 'uint8', data: Uint8Array }
 *   writeNpy('pred.npy', [2, 10, 64, 64], new Float32Array(2 * 10 * 64 * 64));
 */
import * as fs from 'fs';
import { UserError } from '../../src/errors';

/** An array read from a .npy file: data in C (row-major) order. */
export interface NpyArray {
  shape: number[];
  dtype: 'uint8' | 'float32';
  data: Uint8Array | Float32Array;
}

const MAGIC = '\x93NUMPY';

/** Parses the header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new UserError(`${file}: bad .npy header (expected 'descr', 'fortran_order' and 'shape'): ${text.trim().slice(0, 120)}`);
  const parts = shapeText.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UserError(`${file}: bad .npy header: shape (${shapeText}) is not a tuple of integers`);
  return { descr, fortran: fortran === 'True', shape: parts.map(Number) };
}

/** Reads a .npy file (uint8, float32 or float64 in C order). */
export function readNpy(file: string): NpyArray {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) throw new UserError(`${file}: not a .npy file (it does not start with the \\x93NUMPY magic)`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new UserError(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw new UserError(`${file}: bad .npy header (its length ${headerLen} runs past the end of the file)`);
  const { descr, fortran, shape } = parseHeader(buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen), file);
  if (fortran) throw new UserError(`${file}: Fortran-order arrays are not supported (save with numpy.ascontiguousarray)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const kinds: Record<string, { bytes: number; dtype: 'uint8' | 'float32' | 'float64' }> = {
    '|u1': { bytes: 1, dtype: 'uint8' },
    '<u1': { bytes: 1, dtype: 'uint8' },
    u1: { bytes: 1, dtype: 'uint8' },
    '<f4': { bytes: 4, dtype: 'float32' },
    '<f8': { bytes: 8, dtype: 'float64' },
  };
  const kind = kinds[descr];
  if (!kind) throw new UserError(`${file}: dtype '${descr}' is not supported (frames must be uint8, float32 or float64, little-endian)`);
  const offset = start + headerLen;
  const need = count * kind.bytes;
  if (buf.length - offset < need) throw new UserError(`${file}: truncated: shape (${shape.join(', ')}) needs ${need} bytes of data, the file has ${buf.length - offset}`);
  const body = buf.subarray(offset, offset + need);
  if (kind.dtype === 'uint8') return { shape, dtype: 'uint8', data: new Uint8Array(body.buffer, body.byteOffset, count) };
  // Copy into an aligned buffer (the data offset need not be a multiple of 4 or 8 in the Buffer's pool).
  const aligned = new Uint8Array(need);
  aligned.set(body);
  if (kind.dtype === 'float32') return { shape, dtype: 'float32', data: new Float32Array(aligned.buffer) };
  return { shape, dtype: 'float32', data: Float32Array.from(new Float64Array(aligned.buffer)) };
}

/** Writes a float32 or uint8 array as a version-1 .npy file. */
export function writeNpy(file: string, shape: number[], data: Float32Array | Uint8Array): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`writeNpy: ${data.length} values for shape [${shape.join(', ')}]`);
  const descr = data instanceof Uint8Array ? '|u1' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64.
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64 || 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write(MAGIC, 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
