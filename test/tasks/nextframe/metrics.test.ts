/**
 * Next-frame metrics by hand: MSE and per-sequence BCE on a two-pixel frame,
 * SSIM = 1 for identical frames, the closed form of two constant frames, and the
 * separable implementation against a brute-force 2-D window; the training loss
 * against the textbook cross-entropy of sigmoid outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { MetricsAccumulator, ssim, ssimWindow } from '../../../tasks/nextframe/metrics';
import { bceWithLogits } from '../../../tasks/nextframe/loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('MSE per pixel, per frame, per-sequence BCE (hand-computed)', () => {
  // One sequence, two output steps of a 1×2 gray frame.
  const acc = new MetricsAccumulator(2, 1, 2, 1);
  acc.add([1, 0, 1, 1], [0.8, 0.1, 0.5, 1], 1);
  const r = acc.result();
  expect(r.mseByStep[0]).toBeCloseTo((0.04 + 0.01) / 2, 12);
  expect(r.mseByStep[1]).toBeCloseTo((0.25 + 0) / 2, 12);
  expect(r.mse).toBeCloseTo((0.025 + 0.125) / 2, 12);
  expect(r.frameMse).toBeCloseTo(r.mse * 2, 12);
  // −[ln 0.8 + ln 0.9 + ln 0.5 + ln(1 − 1e-7)] (p = 1 is clipped to 1 − 1e-7).
  expect(r.bce).toBeCloseTo(-(Math.log(0.8) + Math.log(0.9) + Math.log(0.5) + Math.log(1 - 1e-7)), 6);
  // Two sequences average per sequence.
  const two = new MetricsAccumulator(2, 1, 2, 1);
  two.add([1, 0, 1, 1, 1, 0, 1, 1], [0.8, 0.1, 0.5, 1, 0.8, 0.1, 0.5, 1], 2);
  expect(two.result().bce).toBeCloseTo(r.bce, 9);
});

test('SSIM: identical frames 1, constant frames (2ab + C1) / (a² + b² + C1), brute-force window agrees', () => {
  const H = 14, W = 12;
  const x = Float32Array.from({ length: H * W }, (_, i) => (Math.sin(i * 0.7) + 1) / 2);
  const y = Float32Array.from(x, (v, i) => Math.min(1, Math.max(0, v + 0.2 * Math.cos(i))));
  expect(ssim(x, x, H, W, 1)).toBeCloseTo(1, 12);
  const a = 0.3, b = 0.6, c1 = 0.01 ** 2;
  expect(ssim(new Float32Array(121).fill(a), new Float32Array(121).fill(b), 11, 11, 1)).toBeCloseTo((2 * a * b + c1) / (a * a + b * b + c1), 6);
  // Brute force: the 11×11 Gaussian (σ 1.5) at every valid position.
  const k = ssimWindow(H, W);
  expect(k).toBe(11);
  const g1 = Array.from({ length: k }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const s1 = g1.reduce((p, q) => p + q, 0);
  let total = 0, n = 0;
  for (let oy = 0; oy + k <= H; oy++) {
    for (let ox = 0; ox + k <= W; ox++) {
      let mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        const w = (g1[i] * g1[j]) / (s1 * s1);
        const u = x[(oy + i) * W + ox + j], v = y[(oy + i) * W + ox + j];
        mx += w * u; my += w * v; xx += w * u * u; yy += w * v * v; xy += w * u * v;
      }
      const c2 = 0.03 ** 2;
      total += ((2 * mx * my + c1) * (2 * (xy - mx * my) + c2)) / ((mx * mx + my * my + c1) * (xx - mx * mx + yy - my * my + c2));
      n++;
    }
  }
  const got = ssim(x, y, H, W, 1);
  expect(got).toBeCloseTo(total / n, 9);
  expect(got).toBeLessThan(0.99);
  // Channels: the mean over channels (interleaved [H, W, C]).
  const xy2 = new Float32Array(2 * H * W);
  const yy2 = new Float32Array(2 * H * W);
  for (let i = 0; i < H * W; i++) {
    xy2[2 * i] = x[i]; xy2[2 * i + 1] = x[i];
    yy2[2 * i] = y[i]; yy2[2 * i + 1] = x[i];
  }
  expect(ssim(xy2, yy2, H, W, 2)).toBeCloseTo((got + 1) / 2, 9);
});

test('bceWithLogits = mean of −[z ln σ(x) + (1 − z) ln(1 − σ(x))], also for large logits', () => {
  const x = [-2, 0, 3, 40];
  const z = [0, 0.5, 1, 0];
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const want = x.map((v, i) => (v > 30 ? v : -(z[i] * Math.log(sig(v)) + (1 - z[i]) * Math.log(1 - sig(v))))).reduce((a, b) => a + b, 0) / 4;
  const got = bceWithLogits(tf.tensor1d(x), tf.tensor1d(z));
  expect(got.dataSync()[0]).toBeCloseTo(want, 5);
  got.dispose();
});
