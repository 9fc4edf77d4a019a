/**
 * Images for captioning: PNG (pngjs) and JPEG (jpeg-js) files decoded, converted
 * to gray or RGB, resized to the model's square size (area averaging when
 * shrinking, bilinear when enlarging) and normalised to [0, 1] floats in
 * [H, W, C] order. An unreadable file is a UserError naming it. Also writes
 * gray images as PNG (tests, the generator's samples).
 */
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { UserError } from '../../src/errors';
import { makeDirs } from '../../src/io/output_paths';

/** Decoded RGBA bytes. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG or JPEG file (by its first bytes); `where` names the place that referenced it in messages. */
export function decodeImage(file: string, where = file): Rgba {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`${where}: cannot read image ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
      return { width: j.width, height: j.height, data: j.data };
    }
  } catch (e) {
    throw new UserError(`${where}: unreadable image ${file} (${(e as Error).message.split('\n')[0]})`);
  }
  throw new UserError(`${where}: unreadable image ${file} (not a PNG or JPEG file)`);
}

/** RGBA → [size, size, channels] floats in [0, 1] (gray = mean of r, g, b). */
export function toTensorData(img: Rgba, size: number, channels: 1 | 3): Float32Array {
  const { width: W, height: H, data } = img;
  const src = new Float32Array(W * H * channels);
  for (let i = 0; i < W * H; i++) {
    const r = data[4 * i], g = data[4 * i + 1], b = data[4 * i + 2];
    if (channels === 1) src[i] = (r + g + b) / (3 * 255);
    else {
      src[3 * i] = r / 255;
      src[3 * i + 1] = g / 255;
      src[3 * i + 2] = b / 255;
    }
  }
  return resize(src, W, H, channels, size, size);
}

/** Resizes [H, W, C] floats: area averaging when shrinking (each output pixel = mean of the input box it covers), bilinear otherwise. */
export function resize(src: Float32Array, W: number, H: number, C: number, OW: number, OH: number): Float32Array {
  if (W === OW && H === OH) return src;
  const out = new Float32Array(OW * OH * C);
  const sx = W / OW, sy = H / OH;
  for (let y = 0; y < OH; y++) {
    for (let x = 0; x < OW; x++) {
      for (let c = 0; c < C; c++) {
        let v: number;
        if (sx >= 1 && sy >= 1) {
          const x0 = Math.floor(x * sx), x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
          const y0 = Math.floor(y * sy), y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
          let s = 0;
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += src[(yy * W + xx) * C + c];
          v = s / ((x1 - x0) * (y1 - y0));
        } else {
          const fx = Math.min(W - 1, Math.max(0, (x + 0.5) * sx - 0.5)), fy = Math.min(H - 1, Math.max(0, (y + 0.5) * sy - 0.5));
          const x0 = Math.floor(fx), y0 = Math.floor(fy), x1 = Math.min(W - 1, x0 + 1), y1 = Math.min(H - 1, y0 + 1);
          const ax = fx - x0, ay = fy - y0;
          const p = (xx: number, yy: number): number => src[(yy * W + xx) * C + c];
          v = (1 - ay) * ((1 - ax) * p(x0, y0) + ax * p(x1, y0)) + ay * ((1 - ax) * p(x0, y1) + ax * p(x1, y1));
        }
        out[(y * OW + x) * C + c] = v;
      }
    }
  }
  return out;
}

/** Reads an image file as model input ([size, size, channels] floats in [0, 1]). */
export function readImage(file: string, size: number, channels: 1 | 3, where = file): Float32Array {
  return toTensorData(decodeImage(file, where), size, channels);
}

/** Writes gray floats [H, W] in [0, 1] as a PNG file. */
export function writeGrayPng(file: string, pixels: Float32Array | number[], width: number, height = width): void {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i] * 255)));
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  makeDirs(path.dirname(path.resolve(file)));
  fs.writeFileSync(file, PNG.sync.write(png));
}

/** Writes gray floats [H, W] in [0, 1] as a JPEG file (quality 90). */
export function writeGrayJpeg(file: string, pixels: Float32Array | number[], width: number, height = width): void {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i] * 255)));
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  makeDirs(path.dirname(path.resolve(file)));
  fs.writeFileSync(file, jpeg.encode({ data, width, height }, 90).data);
}
