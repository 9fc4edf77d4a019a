/**
 * PNG frames (pngjs): reading one frame as floats in [0, 1] (gray or RGB), and
 * drawing rows of frames as one picture: the "strips" of rnn-predict and the
 * report (input | ground truth | predicted). Frames are [H, W, C] floats, C = 1
 * (gray) or 3 (RGB); other channel counts are drawn as their first channel.
 */
import * as fs from 'fs';
import { PNG } from 'pngjs';
import { UserError } from '../../src/errors';

/** One decoded PNG: RGBA bytes and whether every pixel is gray (r = g = b). */
export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
  gray: boolean;
}

/** Decodes a PNG file; an unreadable or corrupt file is a UserError naming it. */
export function readPng(file: string): DecodedPng {
  let png: PNG;
  try {
    png = PNG.sync.read(fs.readFileSync(file));
  } catch (e) {
    throw new UserError(`${file}: unreadable PNG (${(e as Error).message.split('\n')[0]})`);
  }
  const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length);
  let gray = true;
  for (let i = 0; i < rgba.length && gray; i += 4) gray = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
  return { width: png.width, height: png.height, rgba, gray };
}

/** The frame's values: channels 1 (the red = gray channel) or 3 (RGB), as bytes [H·W·C] (alpha ignored). */
export function pngChannels(p: DecodedPng, channels: 1 | 3): Uint8Array {
  const n = p.width * p.height;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = p.rgba[i * 4 + c];
  return out;
}

/** A picture of rows of frames, each frame [H·W·C] floats in [0, 1]. */
export interface StripOptions {
  height: number;
  width: number;
  channels: number;
  /** Pixel zoom (each frame pixel becomes scale × scale). Default 1. */
  scale?: number;
  /** Gap between frames and rows in output pixels. Default 2. */
  gap?: number;
}

/** Draws rows of frames (white gaps; a row may be shorter) into a PNG buffer. */
export function frameStripPng(rows: Float32Array[][], o: StripOptions): Buffer {
  const s = o.scale ?? 1;
  const gap = o.gap ?? 2;
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const fw = o.width * s;
  const fh = o.height * s;
  const width = cols * fw + (cols - 1) * gap;
  const height = rows.length * fh + (rows.length - 1) * gap;
  const png = new PNG({ width, height });
  png.data.fill(255);
  const rgb = o.channels === 3;
  rows.forEach((row, r) =>
    row.forEach((frame, c) => {
      const x0 = c * (fw + gap);
      const y0 = r * (fh + gap);
      for (let y = 0; y < fh; y++) {
        for (let x = 0; x < fw; x++) {
          const src = (Math.floor(y / s) * o.width + Math.floor(x / s)) * o.channels;
          const dst = ((y0 + y) * width + x0 + x) * 4;
          for (let k = 0; k < 3; k++) {
            const v = frame[src + (rgb ? k : 0)];
            png.data[dst + k] = Math.round(255 * Math.min(1, Math.max(0, v)));
          }
          png.data[dst + 3] = 255;
        }
      }
    }),
  );
  return PNG.sync.write(png);
}

/** The zoom that makes a frame at least `min` pixels on its short side (1 for big frames). */
export function autoScale(height: number, width: number, min = 64): number {
  return Math.max(1, Math.ceil(min / Math.min(height, width)));
}
