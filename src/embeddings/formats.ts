/**
 * Word-vector files: word2vec text (`.vec`: a "V D" header line, then one
 * "word v1 … vD" line per word, as fastText and gensim write it), word2vec
 * binary (`.bin`: the same header, then per word its UTF-8 bytes, a space and
 * D little-endian float32, each record ending in '\n', as word2vec.c writes it
 * and gensim's load_word2vec_format(binary=True) reads it), and GloVe text (no
 * header). Any of them may be gzipped (detected by content, `.gz` when writing).
 *
 * Text values are written with the fewest digits that read back as the same
 * float32, so .vec → .bin → .vec is exact. A malformed file is one UserError
 * naming the file and the line (or word, in binary files).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { UserError } from '../errors';
import { WordVectors } from './word_vectors';

export type VectorFormat = 'auto' | 'vec' | 'bin' | 'glove';
export const VECTOR_FORMATS: readonly VectorFormat[] = ['auto', 'vec', 'bin', 'glove'];

/** The shortest decimal that parses back to the float32 `x`. */
export function float32ToString(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

function maybeGzip(file: string, bytes: Buffer): Buffer {
  return /\.gz$/i.test(file) ? zlib.gzipSync(bytes) : bytes;
}

/** word2vec text format (header "V D"). */
export function encodeVec(wv: WordVectors): Buffer {
  const lines: string[] = [`${wv.size} ${wv.dim}`];
  const D = wv.dim;
  for (let i = 0; i < wv.size; i++) {
    const parts = new Array<string>(D + 1);
    parts[0] = wv.words[i];
    for (let d = 0; d < D; d++) parts[d + 1] = float32ToString(wv.data[i * D + d]);
    lines.push(parts.join(' '));
  }
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

/** word2vec binary format. */
export function encodeBin(wv: WordVectors): Buffer {
  const D = wv.dim;
  const chunks: Buffer[] = [Buffer.from(`${wv.size} ${D}\n`, 'utf8')];
  for (let i = 0; i < wv.size; i++) {
    const w = Buffer.from(`${wv.words[i]} `, 'utf8');
    const rec = Buffer.alloc(w.length + 4 * D + 1);
    w.copy(rec, 0);
    for (let d = 0; d < D; d++) rec.writeFloatLE(wv.data[i * D + d], w.length + 4 * d);
    rec[rec.length - 1] = 0x0a;
    chunks.push(rec);
  }
  return Buffer.concat(chunks);
}

/** GloVe text (no header). */
export function encodeGlove(wv: WordVectors): Buffer {
  return encodeVec(wv).subarray(Buffer.byteLength(`${wv.size} ${wv.dim}\n`));
}

/** Writes vectors; the format follows the extension (.bin binary, .txt GloVe, else .vec text), gzipped when it ends in .gz. */
export function writeVectors(file: string, wv: WordVectors, format: VectorFormat = 'auto'): void {
  const base = file.replace(/\.gz$/i, '');
  const f = format !== 'auto' ? format : /\.bin$/i.test(base) ? 'bin' : /\.txt$/i.test(base) ? 'glove' : 'vec';
  const bytes = f === 'bin' ? encodeBin(wv) : f === 'glove' ? encodeGlove(wv) : encodeVec(wv);
  fs.writeFileSync(file, maybeGzip(file, bytes));
}

/** Options of the readers. */
export interface ReadVectorsOptions {
  /** File format; 'auto' tells them apart by content. */
  format?: VectorFormat;
  /** Keep only the first n words (the most frequent in files written by word2vec tools). */
  limit?: number;
  /** Shown in error messages instead of the path. */
  name?: string;
}

const HEADER = /^\s*(\d+)\s+(\d+)\s*$/;

/** Whether bytes look like binary data (NUL or control bytes other than whitespace). */
function looksBinary(b: Buffer): boolean {
  for (const c of b) if (c === 0 || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c)) return true;
  return false;
}

/** Parses vectors from a file's bytes (gzip detected). */
export function decodeVectors(raw: Buffer, name: string, options: ReadVectorsOptions = {}): WordVectors {
  let bytes = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(raw);
    } catch (e) {
      throw new UserError(`${name}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (bytes.length === 0) throw new UserError(`${name}: empty file (expected word vectors: word2vec .vec/.bin or GloVe text)`);
  const nl = bytes.indexOf(0x0a);
  const first = bytes.subarray(0, nl < 0 ? bytes.length : nl);
  if (looksBinary(first) || first.toString('utf8').includes('\uFFFD')) throw new UserError(`${name}:1: binary data where a header "V D" (word2vec) or a "word v1 … vD" line (GloVe) was expected`);
  const firstLine = first.toString('utf8');
  const header = HEADER.exec(firstLine);
  const format = options.format ?? 'auto';
  if (!header) {
    if (format === 'vec' || format === 'bin') throw new UserError(`${name}:1: expected the header "V D" (vocabulary size and dimension), got "${firstLine.slice(0, 60)}"`);
    return parseText(bytes, name, 0, null, options.limit);
  }
  const V = Number(header[1]);
  const D = Number(header[2]);
  if (D < 1) throw new UserError(`${name}:1: header "${firstLine.trim()}" gives dimension 0`);
  const rest = bytes.subarray(nl + 1);
  const binary = format === 'bin' || (format === 'auto' && looksBinary(rest.subarray(0, Math.min(rest.length, 4 * D + 200))));
  return binary ? parseBinary(rest, name, V, D, options.limit) : parseText(bytes, name, nl + 1, { V, D }, options.limit);
}

function parseText(bytes: Buffer, name: string, start: number, header: { V: number; D: number } | null, limit = Infinity): WordVectors {
  const text = bytes.subarray(start).toString('utf8');
  const lines = text.split('\n');
  const lineBase = header ? 2 : 1;
  let D = header?.D ?? -1;
  const words: string[] = [];
  const want = Math.min(limit, header?.V ?? Infinity);
  let data = new Float32Array(header ? Math.min(header.V, limit) * header.D : 1 << 16);
  let n = 0;
  for (let li = 0; li < lines.length && words.length < want; li++) {
    const line = lines[li].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parts = line.trimEnd().split(' ');
    const lineNo = li + lineBase;
    if (D < 0) {
      D = parts.length - 1;
      if (D < 1) throw new UserError(`${name}:${lineNo}: expected "word v1 … vD" (GloVe) or a header "V D" (word2vec), got "${line.slice(0, 60)}"`);
    }
    if (parts.length !== D + 1) {
      throw new UserError(`${name}:${lineNo}: ${parts.length - 1} values for "${parts[0].slice(0, 40)}", expected ${D}${header ? ` (header: ${header.V} ${header.D})` : ' (as on the first line)'}`);
    }
    if ((words.length + 1) * D > data.length) {
      const grown = new Float32Array(data.length * 2);
      grown.set(data);
      data = grown;
    }
    for (let d = 0; d < D; d++) {
      const v = Number(parts[d + 1]);
      if (!Number.isFinite(v) || parts[d + 1] === '') throw new UserError(`${name}:${lineNo}: value ${d + 1} of "${parts[0].slice(0, 40)}" is not a number ("${parts[d + 1].slice(0, 20)}")`);
      data[n++] = v;
    }
    words.push(parts[0]);
  }
  if (header && words.length < want) throw new UserError(`${name}:${lines.length + lineBase - 1}: the header announces ${header.V} words, the file has ${words.length}`);
  if (words.length === 0) throw new UserError(`${name}: no vectors in the file`);
  return new WordVectors(words, D, data.slice(0, words.length * D));
}

function parseBinary(b: Buffer, name: string, V: number, D: number, limit = Infinity): WordVectors {
  const want = Math.min(V, limit);
  const words: string[] = [];
  const data = new Float32Array(want * D);
  let p = 0;
  for (let i = 0; i < want; i++) {
    while (p < b.length && b[p] === 0x0a) p++;
    const sp = b.indexOf(0x20, p);
    if (sp < 0 || sp - p > 1000) {
      throw new UserError(`${name}: word ${i + 1} of ${V} (byte ${p + 1} after the header): ${sp < 0 ? 'the file ends' : 'no space after a word'}; the header "${V} ${D}" does not match the data`);
    }
    if (sp + 1 + 4 * D > b.length) throw new UserError(`${name}: word ${i + 1} of ${V} ("${b.subarray(p, sp).toString('utf8').slice(0, 40)}"): the file ends inside its ${D} floats (truncated, or a wrong header)`);
    words.push(b.subarray(p, sp).toString('utf8'));
    for (let d = 0; d < D; d++) data[i * D + d] = b.readFloatLE(sp + 1 + 4 * d);
    p = sp + 1 + 4 * D;
  }
  return new WordVectors(words, D, data);
}

/** Reads a vectors file: word2vec .vec or .bin, or GloVe text, gzipped or not. */
export function readVectors(file: string, options: ReadVectorsOptions = {}): WordVectors {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a vectors file' : (e as Error).message}`);
  }
  return decodeVectors(raw, options.name ?? file, options);
}
