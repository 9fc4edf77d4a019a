/**
 * Captioning pieces: the scene generator (deterministic, captions naming the
 * digits, MNIST test digits disjoint from training ones), the Flickr8k and COCO
 * readers on tiny PNG/JPEG files written here (with the one-line errors of bad
 * input), the scores, and attention that sums to 1 per word with no leaked tensors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { generateScenes } from '../../../tasks/caption/mnist_scenes';
import { loadCaptionData } from '../../../tasks/caption/data';
import { readImage, writeGrayJpeg, writeGrayPng } from '../../../tasks/caption/images';
import { buildCaptioner, conv3x3Slices } from '../../../tasks/caption/model';
import { beamSearch, greedyDecode } from '../../../tasks/caption/decode';
import { captionScores } from '../../../tasks/caption/predict';
import { CAPTION_DEFAULTS, resolveCaptionConfig, scaleToData } from '../../../tasks/caption/config';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-caption-'));
const OPTS = { seed: 1, imageSize: 16, channels: 1 as const, scenes: 10 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('defaults scale with the data: scenes by source, model size by images, epochs by steps; given options win', () => {
  const glyphs = resolveCaptionConfig({});
  expect(glyphs).toMatchObject({ scenes: 1500, imageSize: 64, encoderDepth: 3 });
  expect(resolveCaptionConfig({ data: 'mnist' })).toMatchObject({ scenes: 8000, imageSize: 64, encoderDepth: 3 });
  expect(resolveCaptionConfig({ imageSize: 48 }).imageSize).toBe(48);
  // 1,500 images x 5 captions / 32 = 235 steps per epoch -> 5 epochs ≈ 1,170 steps; the full model
  expect(scaleToData(glyphs, {}, 1500, 7500)).toMatchObject({ encoderWidth: 16, hidden: 128, epochs: 5 });
  // 400 images: the small model
  expect(scaleToData(glyphs, {}, 400, 2000)).toMatchObject({ encoderWidth: 8, hidden: 64, epochs: 16 });
  // 8,000 images (40,000 captions): 1,250 steps per epoch -> the minimum of 3 epochs; the full model
  expect(scaleToData(resolveCaptionConfig({ data: 'mnist' }), {}, 8000, 40000)).toMatchObject({ encoderWidth: CAPTION_DEFAULTS.encoderWidth, hidden: CAPTION_DEFAULTS.hidden, epochs: 3 });
  // a handful of images: at most 30 epochs
  expect(scaleToData(glyphs, {}, 8, 16).epochs).toBe(30);
  const given = { epochs: 2, hidden: 16, encoderWidth: 4 };
  expect(scaleToData(resolveCaptionConfig(given), given, 8, 16)).toMatchObject(given);
});

test('scenes are deterministic from the seed and their captions name the digits', () => {
  const a = generateScenes({ count: 20, seed: 5 });
  const b = generateScenes({ count: 20, seed: 5 });
  const c = generateScenes({ count: 20, seed: 6 });
  expect(a.map((s) => s.captions)).toEqual(b.map((s) => s.captions));
  expect(Buffer.from(a[3].pixels.buffer).equals(Buffer.from(b[3].pixels.buffer))).toBe(true);
  expect(a.map((s) => s.captions[0])).not.toEqual(c.map((s) => s.captions[0]));
  for (const s of a) {
    expect(s.captions).toHaveLength(5);
    expect(s.digits.length).toBeGreaterThanOrEqual(1);
    expect(s.digits.length).toBeLessThanOrEqual(3);
    for (const d of s.digits) expect(s.captions[0].split(' ')).toContain(String(d));
    // Ink inside each digit's box.
    for (const box of s.boxes) {
      let ink = 0;
      for (let y = box.y; y < box.y + box.size; y++) for (let x = box.x; x < box.x + box.size; x++) ink += s.pixels[y * 64 + x];
      expect(ink).toBeGreaterThan(5);
    }
  }
  const rel = a.find((s) => s.digits.length === 2 && s.captions[0].includes('left of'))!;
  expect(rel.boxes[0].x).toBeLessThan(rel.boxes[1].x);
});

test('captioned MNIST: real digits, deterministic, train and test splits', () => {
  const a = generateScenes({ count: 5, seed: 2, source: 'mnist' });
  const b = generateScenes({ count: 5, seed: 2, source: 'mnist' });
  const t = generateScenes({ count: 5, seed: 2, source: 'mnist', split: 'test' });
  expect(a.map((s) => s.captions[0])).toEqual(b.map((s) => s.captions[0]));
  expect(t.map((s) => s.captions[0])).not.toEqual(a.map((s) => s.captions[0]));
  expect(Math.max(...a[0].pixels)).toBeGreaterThan(0.9);
});

function writeImages(dir: string): void {
  const scenes = generateScenes({ count: 4, seed: 3 });
  writeGrayPng(path.join(dir, 'a.png'), scenes[0].pixels, 64);
  writeGrayJpeg(path.join(dir, 'b.jpg'), scenes[1].pixels, 64);
  writeGrayPng(path.join(dir, 'c.png'), scenes[2].pixels, 64);
}

test('PNG and JPEG images decode, resize and normalise', () => {
  const dir = tmp();
  const s = generateScenes({ count: 1, seed: 3 })[0];
  writeGrayPng(path.join(dir, 'a.png'), s.pixels, 64);
  writeGrayJpeg(path.join(dir, 'a.jpg'), s.pixels, 64);
  const png = readImage(path.join(dir, 'a.png'), 64, 1);
  const jpg = readImage(path.join(dir, 'a.jpg'), 64, 1);
  expect(Math.max(...png.map((v, i) => Math.abs(v - s.pixels[i])))).toBeLessThan(1 / 255 + 1e-6);
  expect(png.reduce((m, v, i) => m + Math.abs(v - jpg[i]), 0) / png.length).toBeLessThan(0.03);
  const small = readImage(path.join(dir, 'a.png'), 16, 3);
  expect(small).toHaveLength(16 * 16 * 3);
  // Area averaging keeps the mean brightness.
  expect(Math.abs(small.reduce((m, v) => m + v, 0) / small.length - s.pixels.reduce((m, v) => m + v, 0) / s.pixels.length)).toBeLessThan(1e-4);
});

test('Flickr8k token file, captions.txt CSV and COCO JSON read every caption', () => {
  const dir = tmp();
  writeImages(dir);
  fs.writeFileSync(path.join(dir, 'Flickr8k.token.txt'), 'a.png#0\ta 7 above a 1\na.png#1\ta 1 below a 7\nb.jpg#0\ta 3\nc.png#0\ta 2 , a 4\n');
  const f = loadCaptionData(dir, OPTS);
  const all = [...f.train, ...f.dev, ...f.test];
  expect(all.map((e) => e.id).sort()).toEqual(['a.png', 'b.jpg', 'c.png']);
  expect(all.find((e) => e.id === 'a.png')!.captions).toEqual(['a 7 above a 1', 'a 1 below a 7']);
  expect(all[0].pixels).toHaveLength(16 * 16);

  const csvDir = tmp();
  fs.mkdirSync(path.join(csvDir, 'Images'));
  writeImages(path.join(csvDir, 'Images'));
  fs.writeFileSync(path.join(csvDir, 'captions.txt'), 'image,caption\na.png,"a 7, then a 1"\nb.jpg,a 3\nc.png,a 2\n');
  const c = loadCaptionData(csvDir, OPTS);
  expect([...c.train, ...c.dev, ...c.test].find((e) => e.id === 'a.png')!.captions).toEqual(['a 7, then a 1']);

  const coco = path.join(dir, 'captions.json');
  fs.writeFileSync(coco, JSON.stringify({ images: [{ id: 1, file_name: 'a.png' }, { id: 2, file_name: 'b.jpg' }], annotations: [{ image_id: 1, caption: 'x' }, { image_id: 2, caption: 'y' }, { image_id: 1, caption: 'z' }] }));
  const j = loadCaptionData(coco, OPTS);
  expect([...j.train, ...j.dev, ...j.test].find((e) => e.id === 'a.png')!.captions).toEqual(['x', 'z']);
});

test('bad input: unreadable image, missing image, empty caption: one line naming file and line', () => {
  const dir = tmp();
  writeImages(dir);
  fs.writeFileSync(path.join(dir, 'bad.png'), 'not a png at all');
  const token = path.join(dir, 'Flickr8k.token.txt');
  const err = (lines: string): string => {
    fs.writeFileSync(token, lines);
    try {
      loadCaptionData(dir, OPTS);
    } catch (e) {
      expect((e as Error).name).toBe('UserError');
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  expect(err('a.png#0\ta 1\nbad.png#0\ta 2\n')).toBe(`${token}:2: unreadable image ${path.join(dir, 'bad.png')} (not a PNG or JPEG file)`);
  expect(err('a.png#0\ta 1\n\nmissing.jpg#0\ta 2\n')).toBe(`${token}:3: names a missing image ${path.join(dir, 'missing.jpg')}`);
  expect(err('a.png#0\ta 1\na.png#1\t  \n')).toBe(`${token}:2: empty caption for a.png`);
  const coco = path.join(dir, 'c.json');
  fs.writeFileSync(coco, JSON.stringify({ images: [{ id: 1, file_name: 'a.png' }], annotations: [{ image_id: 1, caption: '' }] }));
  expect(() => loadCaptionData(coco, OPTS)).toThrow(`${coco}: annotations[0]: empty caption for a.png`);
});

test('conv as shifted slices equals tf.conv2d', () => {
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
  const b = tf.randomNormal([4], 0, 1, 'float32', 3) as tf.Tensor1D;
  const want = tf.add(tf.conv2d(x, k, 1, 'same'), b);
  expect(tf.max(tf.abs(tf.sub(conv3x3Slices(x, k, b), want))).dataSync()[0]).toBeLessThan(1e-4);
});

test('attention over the grid sums to 1 for every word; decoding leaks no tensors', () => {
  const model = buildCaptioner({ imageSize: 16, channels: 1, encoderDepth: 2, encoderWidth: 4, cell: 'lstm', hidden: 8, embeddingDim: 4, dropout: 0, seed: 1 }, 12);
  const images = new Float32Array(3 * 16 * 16).map((_, i) => (i % 7) / 7);
  const before = tf.memory().numTensors;
  const out = greedyDecode(model, images, 3, 5, true);
  const beam = beamSearch(model, images, 3, 5, 3, 1);
  expect(tf.memory().numTensors).toBe(before + 1); // the cached coordinate channels
  expect(beam).toHaveLength(3);
  for (const d of out) {
    expect(d.attention!.length).toBeGreaterThan(0);
    for (const w of d.attention!) {
      expect(w).toHaveLength(16);
      expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
  }
  model.dispose();
});

test('scores: BLEU-1..4 and exact match against several references', () => {
  const s = captionScores(['a 7 above a 1', 'a 3'], [['a 1 below a 7', 'a 7 above a 1'], ['the digit 3', 'a 3']]);
  expect(s.exact).toBe(1);
  expect(s.bleu4).toBeCloseTo(1, 6);
  const w = captionScores(['a 7 above a 2', 'a 5'], [['a 1 below a 7', 'a 7 above a 1'], ['the digit 3', 'a 3']]);
  expect(w.exact).toBe(0);
  expect(w.bleu1).toBeCloseTo(5 / 7, 6);
  expect(w.bleu4).toBeLessThan(w.bleu1);
});
