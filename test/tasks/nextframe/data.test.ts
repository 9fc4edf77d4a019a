/**
 * Next-frame data: the generators are deterministic and shaped as documented,
 * the .npy reader reads what numpy writes (header, dtypes, the TN layout of
 * mnist_test_seq.npy) and names the file on every defect, PNG folders become
 * sequences (gray or RGB), and patch folding is tf.spaceToDepth's order.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { foldPatches, loadFrameSplits, patchSize, readNpyFrames, readPngFrames } from '../../../tasks/nextframe/data';
import { mnistDigits, movingMnist, movingSquares } from '../../../tasks/nextframe/generators';
import { readNpy, writeNpy } from '../../../tasks/nextframe/npy';
import { NEXTFRAME_DEFAULTS } from '../../../tasks/nextframe/config';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-nextframe-'));

describe('generators', () => {
  test('moving squares: deterministic per (seed, stream, index), binary, objects move', () => {
    const o = { size: 16, frames: 6 };
    const a = movingSquares(o, 7, 1, 3);
    expect(movingSquares(o, 7, 1, 3)).toEqual(a);
    expect(movingSquares(o, 7, 1, 4)).not.toEqual(a);
    expect(movingSquares(o, 8, 1, 3)).not.toEqual(a);
    expect(a.length).toBe(6 * 16 * 16);
    expect([...new Set(a)].sort()).toEqual([0, 1]);
    const P = 256;
    for (let t = 1; t < 6; t++) expect(a.subarray(t * P, (t + 1) * P)).not.toEqual(a.subarray((t - 1) * P, t * P));
  });

  test('Moving MNIST: 64×64, two digits in [0, 1] moving ~3.6 px per frame; train and test digit pools differ', () => {
    const pool = mnistDigits();
    expect(pool.count).toBe(10000);
    // Stratified order: the first 8,000 hold every class in proportion.
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 8000; i++) counts[pool.labels[i]]++;
    counts.forEach((c) => expect(c).toBeGreaterThan(650));
    const s = movingMnist(pool, 'train', 20, 1, 1, 0);
    expect(s.length).toBe(20 * 64 * 64);
    expect(movingMnist(pool, 'train', 20, 1, 1, 0)).toEqual(s);
    expect(Math.max(...s)).toBeLessThanOrEqual(1);
    expect(Math.min(...s)).toBe(0);
    // Centre of mass moves between frames but stays inside the canvas.
    const centre = (t: number): number[] => {
      let m = 0, x = 0, y = 0;
      for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) {
        const v = s[t * 4096 + r * 64 + c];
        m += v; x += v * c; y += v * r;
      }
      return [x / m, y / m];
    };
    const [x0, y0] = centre(0);
    const [x1, y1] = centre(1);
    expect(Math.hypot(x1 - x0, y1 - y0)).toBeGreaterThan(0.5);
    expect(movingMnist(pool, 'test', 20, 1, 1, 0)).not.toEqual(s);
  });

  test('generated splits: training sequences change with the epoch, dev and test do not', () => {
    const s = loadFrameSplits({ ...NEXTFRAME_DEFAULTS, frameSize: 12, trainSequences: 4, devSequences: 2, testSequences: 2 });
    expect(s.shape).toEqual({ height: 12, width: 12, channels: 1 });
    expect(s.train.get(0, 1)).not.toEqual(s.train.get(0, 0));
    expect(s.train.get(0, 1)).toEqual(s.train.get(0, 1));
    expect(s.dev.get(0)).not.toEqual(s.test.get(0));
  });
});

describe('.npy reader', () => {
  test('round trip float32 and uint8; the header is what numpy writes (64-byte aligned)', () => {
    const dir = tmp();
    const f = path.join(dir, 'a.npy');
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 24);
    writeNpy(f, [2, 3, 4], data);
    const buf = fs.readFileSync(f);
    expect(buf.toString('latin1', 0, 6)).toBe('\x93NUMPY');
    expect((10 + buf.readUInt16LE(8)) % 64).toBe(0);
    expect(buf.toString('latin1', 10, 10 + buf.readUInt16LE(8))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3, 4\), \} *\n$/);
    expect(readNpy(f)).toEqual({ shape: [2, 3, 4], dtype: 'float32', data });
    const u = path.join(dir, 'u.npy');
    writeNpy(u, [5], Uint8Array.from([0, 1, 2, 254, 255]));
    expect(readNpy(u)).toEqual({ shape: [5], dtype: 'uint8', data: Uint8Array.from([0, 1, 2, 254, 255]) });
  });

  test('frames: [N, T, H, W] and the TN layout of mnist_test_seq.npy give the same sequences', () => {
    const dir = tmp();
    const N = 5, T = 3, H = 2, W = 2;
    const nt = new Uint8Array(N * T * H * W).map((_, i) => i % 251);
    const tn = new Uint8Array(nt.length);
    for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let j = 0; j < H * W; j++) tn[(t * N + n) * H * W + j] = nt[(n * T + t) * H * W + j];
    writeNpy(path.join(dir, 'nt.npy'), [N, T, H, W], nt);
    writeNpy(path.join(dir, 'tn.npy'), [T, N, H, W], tn);
    const a = readNpyFrames(path.join(dir, 'nt.npy'), 'NT').array;
    const b = readNpyFrames(path.join(dir, 'tn.npy'), 'auto'); // axis 0 (3) < axis 1 (5): TN
    expect(b.note).toMatch(/layout TN \(detected/);
    expect([b.array.count, b.array.length]).toEqual([N, T]);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < H * W; j++) {
          expect(b.array.data[n * b.array.seqStride + t * b.array.frameStride + j]).toBe(a.data[n * a.seqStride + t * a.frameStride + j]);
        }
      }
    }
  });

  test('defects are one line naming the file', () => {
    const dir = tmp();
    const bad = path.join(dir, 'bad.npy');
    fs.writeFileSync(bad, 'not numpy at all');
    expect(() => readNpy(bad)).toThrow(`${bad}: not a .npy file`);
    const rank = path.join(dir, 'rank.npy');
    writeNpy(rank, [4, 4], new Float32Array(16));
    expect(() => readNpyFrames(rank, 'auto')).toThrow(`${rank}: expected a 4-D [N, T, H, W] or 5-D [N, T, H, W, C] array of frame sequences, got shape (4, 4)`);
    const cut = path.join(dir, 'cut.npy');
    writeNpy(cut, [2, 2, 2, 2], new Float32Array(16));
    fs.writeFileSync(cut, fs.readFileSync(cut).subarray(0, 160));
    expect(() => readNpy(cut)).toThrow(`${cut}: truncated`);
    const hdr = path.join(dir, 'hdr.npy');
    const b = Buffer.from(fs.readFileSync(rank));
    b.write("{'descr': '<f4', 'shape': (4, 4), }", 10, 'latin1');
    fs.writeFileSync(hdr, b);
    expect(() => readNpy(hdr)).toThrow(`${hdr}: bad .npy header`);
    const range = path.join(dir, 'range.npy');
    writeNpy(range, [2, 3, 2, 2], new Float32Array(24).fill(3));
    expect(() => readNpyFrames(range, 'NT')).toThrow(`${range}: float frames must be in [0, 1]`);
    const short = path.join(dir, 'short.npy');
    writeNpy(short, [30, 3, 2, 2], new Uint8Array(360));
    expect(() => loadFrameSplits({ ...NEXTFRAME_DEFAULTS, data: short, npyLayout: 'NT' })).toThrow(`${short}: sequences have 3 frames, too few for --input-frames + --output-frames = 20`);
  });
});

describe('PNG folders', () => {
  const writePng = (file: string, w: number, h: number, px: (x: number, y: number) => [number, number, number]): void => {
    const png = new PNG({ width: w, height: h });
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      png.data.set([r, g, b, 255], (y * w + x) * 4);
    }
    fs.writeFileSync(file, PNG.sync.write(png));
  };

  test('DIR/<sequence>/<frame>.png in natural order; gray frames give 1 channel, colour 3', () => {
    const dir = tmp();
    for (const s of ['seq1', 'seq2']) {
      fs.mkdirSync(path.join(dir, s));
      for (const t of [1, 2, 10]) writePng(path.join(dir, s, `f${t}.png`), 3, 2, (x) => [t * 10 + x, t * 10 + x, t * 10 + x]);
    }
    const { array } = readPngFrames(dir);
    expect([array.count, array.length, array.shape]).toEqual([2, 3, { height: 2, width: 3, channels: 1 }]);
    // Frame order f1, f2, f10 (numbers as numbers): first pixel 10, 20, 100.
    expect([0, 1, 2].map((t) => array.data[t * array.frameStride])).toEqual([10, 20, 100]);
    const rgb = tmp();
    for (const t of [0, 1]) writePng(path.join(rgb, `${t}.png`), 2, 2, () => [200, 100, 50]);
    const c = readPngFrames(rgb).array;
    expect([c.count, c.length, c.shape.channels]).toEqual([1, 2, 3]);
    expect(Array.from(c.data.subarray(0, 3))).toEqual([200, 100, 50]);
  });

  test('an unreadable PNG and a frame of another size are one line naming the file', () => {
    const dir = tmp();
    writePng(path.join(dir, 'a.png'), 2, 2, () => [0, 0, 0]);
    fs.writeFileSync(path.join(dir, 'b.png'), 'garbage');
    expect(() => readPngFrames(dir)).toThrow(new RegExp(`^${path.join(dir, 'b.png').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: unreadable PNG`));
    writePng(path.join(dir, 'b.png'), 3, 2, () => [0, 0, 0]);
    expect(() => readPngFrames(dir)).toThrow(`${path.join(dir, 'b.png')}: frame is 3×2, but ${path.join(dir, 'a.png')} is 2×2`);
  });
});

describe('patches', () => {
  test('folding is tf.spaceToDepth order (checked through tf.depthToSpace), and unfolds back', async () => {
    await tf.setBackend('cpu');
    const s = { height: 8, width: 4, channels: 2 };
    const x = Float32Array.from({ length: 3 * 8 * 4 * 2 }, (_, i) => i);
    const folded = foldPatches(x, 3, s, 2);
    const back = tf.depthToSpace(tf.tensor4d(folded, [3, 4, 2, 8]), 2).dataSync();
    expect(Array.from(back)).toEqual(Array.from(x));
    expect(foldPatches(folded, 3, s, 2, true)).toEqual(x);
    expect(patchSize(0, { height: 64, width: 64, channels: 1 })).toBe(4);
    expect(() => patchSize(3, s)).toThrow('--patch 3: frames of 8×4 do not fold into 3×3 patches');
  });
});
