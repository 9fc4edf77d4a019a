/**
 * Language-model data: text → symbols → vocabulary → one id stream per split →
 * truncated-BPTT batches (B parallel contiguous tracks, consecutive chunks of
 * `bptt` steps).
 *
 *   readCorpus(path, valFraction)   train / validation (/ test) texts
 *   toSymbols(text, level)          characters (code points) or words (+ <eos> per line)
 *   trackBatches(n, B, bptt, ...)   the batches of one epoch: where each chunk starts
 *   chunkIds(stream, batch)         the chunk's input / target ids [B, T]
 *
 * Next: model.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../src/errors';
import { readLines } from '../../src/data/text_file';
import { Vocabulary } from '../../src/data/vocabulary';
import { mixSeed } from '../../src/train';
import type { LmLevel } from './config';

/** End-of-line token of word-level models. */
export const EOS = '<eos>';

export interface Corpus {
  train: string;
  dev: string;
  test: string | null;
  /** What was read and how it was split (shown to the user). */
  notes: string[];
}

/** A whole UTF-8 text file (strict: bad bytes and empty files are errors naming the file). */
export function readText(file: string): string {
  return readLines(file).join('\n') + '\n';
}

function findSplit(dir: string, names: string[]): string | null {
  for (const n of names) {
    for (const ext of ['.txt', '.tokens', '']) {
      const f = path.join(dir, n + ext);
      if (fs.existsSync(f) && fs.statSync(f).isFile()) return f;
    }
  }
  return null;
}

/**
 * Reads a text file (its first 1 − valFraction for training, the rest for
 * validation, cut at a line end when one is near) or a directory holding
 * train.txt, valid.txt (or dev/val) and optionally test.txt.
 */
export function readCorpus(p: string, valFraction: number): Corpus {
  if (!fs.existsSync(p)) throw new UserError(`${p}: no such file or directory`);
  if (fs.statSync(p).isDirectory()) {
    const tr = findSplit(p, ['train']);
    const dv = findSplit(p, ['valid', 'dev', 'val', 'validation']);
    if (!tr || !dv) throw new UserError(`${p}: expected train.txt and valid.txt (or dev.txt) in the directory, or give a single text file`);
    const te = findSplit(p, ['test']);
    return {
      train: readText(tr),
      dev: readText(dv),
      test: te ? readText(te) : null,
      notes: [`data: ${tr}, ${dv}${te ? `, ${te}` : ''}`],
    };
  }
  const text = readText(p);
  if (!(valFraction > 0 && valFraction < 1)) throw new UserError(`valFraction must be in (0, 1), got ${valFraction}`, 2);
  let cut = Math.round(text.length * (1 - valFraction));
  // Split on a code-point boundary (never inside a surrogate pair).
  if (cut > 0 && cut < text.length && /[\udc00-\udfff]/.test(text[cut])) cut++;
  const train = text.slice(0, cut);
  const dev = text.slice(cut);
  if (train.length < 2 || dev.length < 2) throw new UserError(`${p}: too short to split into training and validation text (${text.length} characters)`);
  return {
    train,
    dev,
    test: null,
    notes: [`data: ${p}, ${text.length} characters: first ${Math.round((1 - valFraction) * 100)}% for training, last ${Math.round(valFraction * 100)}% for validation`],
  };
}

/** The symbols of a text: code points, or whitespace-separated words with <eos> at each line end. */
export function toSymbols(text: string, level: LmLevel): string[] {
  if (level === 'char') return Array.from(text);
  const out: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const w of line.split(/\s+/)) if (w) out.push(w);
    if (i < lines.length - 1) out.push(EOS);
  });
  return out;
}

/** Joins generated symbols back into text. */
export function fromSymbols(symbols: string[], level: LmLevel): string {
  if (level === 'char') return symbols.join('');
  let s = '';
  for (const w of symbols) {
    if (w === EOS) s += '\n';
    else s += s === '' || s.endsWith('\n') ? w : ` ${w}`;
  }
  return s;
}

/** A vocabulary over the training symbols (id 0 <pad>, never predicted; id 1 <unk>). */
export function buildVocabulary(symbols: string[], minFreq: number, maxVocab: number): Vocabulary {
  return Vocabulary.build([symbols], { minFreq, maxSize: maxVocab });
}

/** One truncated-BPTT batch: time steps [t0, t0 + T) of the B tracks starting at `offset + b·trackLength`. */
export interface LmBatch {
  /** Stream position of track 0's step 0. */
  offset: number;
  /** Symbols per track. */
  trackLength: number;
  /** Tracks (rows). */
  B: number;
  /** First step of the chunk within each track. */
  t0: number;
  /** Steps in the chunk. */
  T: number;
  /** Start the tracks from zero states (the first chunk of a pass). */
  reset: boolean;
}

/** Symbols per track when a stream of n ids (n − 1 prediction targets) from `offset` is cut into B tracks. */
export function trackLength(n: number, B: number, offset = 0): number {
  return Math.floor((n - 1 - offset) / B);
}

/**
 * The batches of one pass over a stream of `n` ids: B contiguous tracks, each cut
 * into chunks of `bptt` steps (the last may be shorter).
 */
export function passBatches(n: number, B: number, bptt: number, offset: number): LmBatch[] {
  const L = trackLength(n, B, offset);
  const out: LmBatch[] = [];
  for (let t0 = 0; t0 < L; t0 += bptt) out.push({ offset, trackLength: L, B, t0, T: Math.min(bptt, L - t0), reset: t0 === 0 });
  return out;
}

/**
 * The training batches of one epoch, a pure function of (epoch, seed): passes over
 * the stream until there are at least `minSteps` batches. Pass 0 of epoch 0 starts
 * at offset 0; the others at a seeded offset in [0, bptt), so the chunk boundaries
 * move from pass to pass.
 */
export function epochBatches(n: number, B: number, bptt: number, minSteps: number, epoch: number, seed: number): LmBatch[] {
  const out: LmBatch[] = [];
  for (let pass = 0; out.length === 0 || out.length < minSteps; pass++) {
    const shift = epoch === 0 && pass === 0 ? 0 : mixSeed(seed, epoch, pass, 0x1b) % bptt;
    const offset = trackLength(n, B, shift) >= 1 ? shift : 0;
    out.push(...passBatches(n, B, bptt, offset));
  }
  return out;
}

/** Checks that a stream of n ids can be cut into B tracks; the message names the data. */
export function checkStreamLength(n: number, B: number, what: string): void {
  if (trackLength(n, B) < 1) {
    throw new UserError(`${what}: ${n} symbols are too few for ${B} parallel tracks (--batch-size); use a smaller --batch-size or more text`);
  }
}

/** The input and target ids of a batch, row-major [B, T] each. */
export function chunkIds(stream: Int32Array, b: LmBatch): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(b.B * b.T);
  const y = new Int32Array(b.B * b.T);
  for (let r = 0; r < b.B; r++) {
    const base = b.offset + r * b.trackLength + b.t0;
    x.set(stream.subarray(base, base + b.T), r * b.T);
    y.set(stream.subarray(base + 1, base + 1 + b.T), r * b.T);
  }
  return { x, y };
}
