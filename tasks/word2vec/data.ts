/**
 * The corpus, streamed: one pass over the text (a gzipped one is inflated in
 * memory first) tokenizes every
 * line, counts the words and writes each token as a provisional id (order of
 * first appearance; -1 ends a line) to a temporary int32 file. The vocabulary
 * (min count, max size, most frequent first) then maps provisional ids to
 * final ones, and the training passes read that small binary file in blocks
 * instead of the text: a corpus of any size costs 4 bytes per token on disk and
 * a block per thread in memory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { tokenize } from '../../src/data/tokenizer';
import { firstInvalidUtf8 } from '../../src/data/text_file';
import { UserError } from '../../src/errors';
import type { Tokenization } from './config';

/** What the counting pass found. */
export interface CorpusCount {
  file: string;
  /** Distinct tokens in order of first appearance (provisional id = index) and their counts. */
  types: string[];
  counts: number[];
  /** Tokens and lines read. */
  tokens: number;
  lines: number;
  /** The int32 id stream (provisional ids, -1 at line ends) and its length in ints. */
  idsFile: string;
  idsLength: number;
}

/** The tokens of one line. */
export function lineTokens(line: string, mode: Tokenization): string[] {
  if (mode === 'whitespace') return line.split(/\s+/).filter(Boolean);
  return tokenize(line);
}

function binaryAt(buf: Buffer, n: number): number {
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 0 || (c < 0x09) || (c > 0x0d && c < 0x20 && c !== 0x1b)) return i;
  }
  return -1;
}

/** Reads `file` once: counts, provisional ids written to a temporary file (the caller removes it with removeCorpus). */
export function countCorpus(file: string, mode: Tokenization): CorpusCount {
  let fd: number;
  try {
    if (fs.statSync(file).isDirectory()) throw new UserError(`${file}: a directory; the word2vec task reads one text file (one sentence or paragraph per line)`);
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const head = Buffer.alloc(2);
  fs.readSync(fd, head, 0, 2, 0);
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-w2v-'));
  const idsFile = path.join(dir, 'corpus.ids');
  const out = fs.openSync(idsFile, 'w');
  const index = new Map<string, number>();
  const types: string[] = [];
  const counts: number[] = [];
  let ids = new Int32Array(1 << 16);
  let nIds = 0;
  let idsLength = 0;
  let tokens = 0;
  let lines = 0;
  const flush = (): void => {
    if (nIds) fs.writeSync(out, ids.subarray(0, nIds));
    idsLength += nIds;
    nIds = 0;
  };
  const push = (v: number): void => {
    if (nIds === ids.length) flush();
    ids[nIds++] = v;
  };
  const doLine = (line: string): void => {
    lines++;
    for (const t of lineTokens(line, mode)) {
      let id = index.get(t);
      if (id === undefined) {
        id = types.length;
        index.set(t, id);
        types.push(t);
        counts.push(0);
      }
      counts[id]++;
      push(id);
      tokens++;
    }
    push(-1);
  };
  // One line's bytes as strict UTF-8 (the shared text reader's rule, src/data/text_file.ts): an invalid byte is FILE:LINE, a BOM is dropped.
  const utf8Line = (b: Buffer): string => {
    const bad = firstInvalidUtf8(b);
    if (bad >= 0) {
      throw new UserError(`${file}:${lines + 1}: not valid UTF-8 text (byte 0x${b[bad].toString(16).padStart(2, '0')} at column ${bad + 1}); convert it to UTF-8, e.g. iconv -f latin1 -t utf-8`);
    }
    const s = b.toString('utf8');
    return lines === 0 && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  };
  // Decoded bytes arrive in chunks; lines are cut at '\n' bytes (UTF-8 safe).
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0;
  const onBytes = (chunk: Buffer): void => {
    const bad = binaryAt(chunk, chunk.length);
    if (bad >= 0) {
      const before = Buffer.concat([carry, chunk.subarray(0, bad)]);
      let line = lines + 1;
      for (const c of before) if (c === 0x0a) line++;
      throw new UserError(`${file}:${line}: binary data (byte ${offset + bad + 1}${gz ? ' of the decompressed text' : ''}); the word2vec task reads plain text, one sentence or paragraph per line`);
    }
    offset += chunk.length;
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      doLine(utf8Line(buf.subarray(start, nl)));
      start = nl + 1;
    }
    carry = Buffer.from(buf.subarray(start));
  };
  try {
    const CHUNK = 1 << 22;
    const raw = Buffer.alloc(CHUNK);
    if (gz) {
      // A gzipped corpus is inflated in memory (plain text streams from disk).
      const all: Buffer[] = [];
      for (let pos = 0; ; ) {
        const n = fs.readSync(fd, raw, 0, CHUNK, pos);
        if (n === 0) break;
        all.push(Buffer.from(raw.subarray(0, n)));
        pos += n;
      }
      let text: Buffer;
      try {
        text = zlib.gunzipSync(Buffer.concat(all));
      } catch (e) {
        throw new UserError(`${file}: corrupt gzip data (${(e as Error).message})`);
      }
      for (let s = 0; s < text.length; s += CHUNK) onBytes(text.subarray(s, Math.min(text.length, s + CHUNK)));
    } else {
      for (let pos = 0; ; ) {
        const n = fs.readSync(fd, raw, 0, CHUNK, pos);
        if (n === 0) break;
        pos += n;
        onBytes(raw.subarray(0, n));
      }
    }
    if (carry.length) doLine(utf8Line(carry));
    flush();
  } catch (e) {
    fs.closeSync(out);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    fs.closeSync(fd);
  }
  fs.closeSync(out);
  if (tokens === 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new UserError(`${file}: empty corpus (no words${lines ? ` in ${lines} lines` : ''})`);
  }
  return { file, types, counts, tokens, lines, idsFile, idsLength };
}

/** Removes the temporary id stream. */
export function removeCorpus(c: CorpusCount): void {
  fs.rmSync(path.dirname(c.idsFile), { recursive: true, force: true });
}

/** The training vocabulary. */
export interface Vocab {
  /** Most frequent first (ties: first seen first). */
  words: string[];
  counts: number[];
  /** Provisional id → vocabulary id, or -1 for a dropped word. */
  remap: Int32Array;
  /** Corpus tokens that are in the vocabulary (what one epoch trains on, before subsampling). */
  trainWords: number;
}

/** Builds the vocabulary from the counts (or maps onto a given word list, when resuming). */
export function buildVocab(c: CorpusCount, minCount: number, maxVocab: number, fixed?: { words: string[]; counts: number[] }): Vocab {
  let words: string[];
  let counts: number[];
  if (fixed) {
    words = fixed.words;
    counts = fixed.counts;
  } else {
    const order = c.types.map((_, i) => i).filter((i) => c.counts[i] >= minCount);
    order.sort((a, b) => c.counts[b] - c.counts[a] || a - b);
    const kept = maxVocab > 0 ? order.slice(0, maxVocab) : order;
    if (kept.length < 2) {
      throw new UserError(
        `${c.file}: ${kept.length === 0 ? 'no word occurs' : 'only one word occurs'} at least --min-count ${minCount} times ` +
          `(the corpus has ${c.tokens} tokens, ${c.types.length} distinct); lower --min-count or give a larger corpus`,
      );
    }
    words = kept.map((i) => c.types[i]);
    counts = kept.map((i) => c.counts[i]);
  }
  const at = new Map(words.map((w, i) => [w, i]));
  const remap = new Int32Array(c.types.length).fill(-1);
  let trainWords = 0;
  c.types.forEach((t, i) => {
    const id = at.get(t);
    if (id !== undefined) {
      remap[i] = id;
      trainWords += c.counts[i];
    }
  });
  return { words, counts, remap, trainWords };
}
