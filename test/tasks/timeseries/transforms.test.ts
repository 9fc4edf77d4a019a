/**
 * Time-series pieces: exact inverse transforms, scaler fitted on the training part
 * only, windows that stay inside their split, H-step alignment, the baselines
 * against hand-computed values, period detection, ridge least squares.
 */
import * as path from 'path';
import { SeededRandom } from '../../../layers/random';
import { readSeries } from '../../../tasks/timeseries/data';
import { autocorrelation, baselineForecasts, detectPeriod, snapPeriod } from '../../../tasks/timeseries/baselines';
import { ridgeFit, ridgePredict } from '../../../tasks/timeseries/model';
import { forward, inverse, inverseForecast, offset, parseSteps, StandardScaler, TransformSpec } from '../../../tasks/timeseries/transforms';
import { gatherWindows, splitSeries, windowOrigins } from '../../../tasks/timeseries/windows';

// A positive, trending, seasonal series (period 12) with some irregularity.
const Y = Array.from({ length: 60 }, (_, t) => (100 + 2 * t) * (1 + 0.2 * Math.sin((2 * Math.PI * t) / 12)) + ((t * 7919) % 13));
const SPECS: TransformSpec[] = [
  { steps: [], period: 12 },
  { steps: ['log'], period: 12 },
  { steps: ['diff'], period: 12 },
  { steps: ['seasonal-diff'], period: 12 },
  { steps: ['log', 'diff'], period: 12 },
  { steps: ['log', 'seasonal-diff'], period: 12 },
  { steps: ['seasonal-diff', 'diff'], period: 12 },
];

test.each(SPECS.map((s) => [s.steps.join('+') || 'none', s] as const))('%s: the inverse recovers the series, and its forecasts, exactly', (_name, spec) => {
  const z = forward(spec, Y);
  const k = offset(spec);
  expect(z.slice(0, k).every(Number.isNaN)).toBe(true);
  expect(z.slice(k).every(Number.isFinite)).toBe(true);
  const back = inverse(spec, z, Y);
  back.forEach((v, i) => expect(Math.abs(v - Y[i])).toBeLessThan(1e-9 * Math.abs(Y[i])));
  // Forecast inversion: the true future transformed values give back the true future, h = 1..25 (past one season).
  const o = 30;
  const future = inverseForecast(spec, Y.slice(0, o + 1), z.slice(o + 1, o + 26));
  future.forEach((v, h) => expect(Math.abs(v - Y[o + 1 + h])).toBeLessThan(1e-9 * Y[o + 1 + h]));
});

test('transform steps: parsing and checks', () => {
  expect(parseSteps(['log', 'seasonal-diff'], 12)).toEqual(['log', 'seasonal-diff']);
  expect(parseSteps(['none'], 1)).toEqual([]);
  expect(() => parseSteps(['sqrt'], 12)).toThrow(/unknown step 'sqrt'/);
  expect(() => parseSteps(['seasonal-diff'], 1)).toThrow(/needs a seasonal period/);
  expect(() => parseSteps(['diff', 'log'], 12)).toThrow(/log must come first/);
  expect(() => forward({ steps: ['log'], period: 1 }, [1, 0, 2])).toThrow(/positive values, but row 2 is 0/);
});

test('the scaler is fitted on the training part only: the test part can change without changing it', () => {
  const split = splitSeries(Y.length, 0.2, 0.15);
  expect(split).toEqual({ trainEnd: 41, validEnd: 48, n: 60 });
  const spec: TransformSpec = { steps: ['log', 'seasonal-diff'], period: 12 };
  const z = forward(spec, Y);
  const s = StandardScaler.fit(z, offset(spec), split.trainEnd);
  const part = z.slice(12, 41);
  const mean = part.reduce((a, b) => a + b, 0) / part.length;
  expect(s.mean).toBeCloseTo(mean, 12);
  expect(s.std).toBeCloseTo(Math.sqrt(part.reduce((a, b) => a + (b - mean) ** 2, 0) / part.length), 12);
  const changed = [...Y.slice(0, split.validEnd), ...Y.slice(split.validEnd).map((v) => v * 10)];
  expect(StandardScaler.fit(forward(spec, changed), offset(spec), split.trainEnd)).toEqual(s);
  expect(s.inverse(s.transform([1, 2, 3]))).toEqual([1, 2, 3].map((v) => expect.closeTo(v, 12)));
  expect(StandardScaler.fit([5, 5, 5]).std).toBe(1); // a constant series does not divide by zero
});

test('splits and windows: training windows lie inside the training part; no window has targets in two parts', () => {
  expect(splitSeries(144, 0.33, 0.15)).toEqual({ trainEnd: 82, validEnd: 96, n: 144 }); // airline: 96 / 48
  expect(splitSeries(3650, 365, 0.15)).toEqual({ trainEnd: 2792, validEnd: 3285, n: 3650 });
  const { trainEnd, validEnd, n } = splitSeries(60, 0.2, 0.15);
  const [W, H, first] = [5, 3, 12];
  const train = windowOrigins(first, first, trainEnd, W, H);
  const valid = windowOrigins(first, trainEnd, validEnd, W, H);
  const test = windowOrigins(first, validEnd, n, W, H);
  expect(train[0] - W + 1).toBe(first); // the first window starts where the transform is defined
  for (const o of train) expect(o + H).toBeLessThan(trainEnd); // inputs and targets all in the training part
  for (const o of valid) expect([o + 1 >= trainEnd, o + H < validEnd]).toEqual([true, true]);
  for (const o of test) expect([o + 1 >= validEnd, o + H < n]).toEqual([true, true]);
  expect(test[0]).toBe(validEnd - 1); // the first test forecast is of the first test step
  expect(test[test.length - 1]).toBe(n - 1 - H);
});

test('windows: inputs are steps o−W+1..o of every channel, targets o+1..o+H of the target', () => {
  const ch = [Array.from({ length: 10 }, (_, t) => t), Array.from({ length: 10 }, (_, t) => 100 + t)];
  const { x, y } = gatherWindows(ch, [3, 6], 3, 2);
  expect(x[0]).toEqual([[1, 101], [2, 102], [3, 103]]);
  expect(y).toEqual([[4, 5], [7, 8]]);
  expect(gatherWindows(ch, [9], 3, 2).y).toEqual([[]]); // past the end: no targets
});

test('baselines at H steps: persistence, seasonal naive and seasonal naive with growth, by hand', () => {
  // s = 4; y: 10 20 30 40 | 11 22 33 44 | 12 ...
  const y = [10, 20, 30, 40, 11, 22, 33, 44, 12, 24, 36, 48];
  const o = 7; // last observed 44
  expect(baselineForecasts('persistence', y, [o], 3, 4)).toEqual([[44, 44, 44]]);
  expect(baselineForecasts('seasonalNaive', y, [o], 6, 4)).toEqual([[11, 22, 33, 44, 11, 22]]);
  // growth y[o]/y[o−s] = 44/40 = 1.1 per season: h=1 → 11·1.1 (= y[t−s]·y[t−1]/y[t−s−1]); h=5 → 11·1.1²
  const g = baselineForecasts('seasonalGrowth', y, [o], 5, 4)[0];
  [11 * 1.1, 22 * 1.1, 33 * 1.1, 44 * 1.1, 11 * 1.21].forEach((v, h) => expect(g[h]).toBeCloseTo(v, 10));
  expect(baselineForecasts('seasonalGrowth', y, [8], 1, 4)[0][0]).toBeCloseTo((y[5] * y[8]) / y[4], 12);
  // additive when the series is not positive: y[o+h−s] + (y[o] − y[o−s])
  expect(baselineForecasts('seasonalGrowth', y, [o], 1, 4, false)).toEqual([[11 + 4]]);
  expect(() => baselineForecasts('seasonalNaive', y, [2], 1, 4)).toThrow(/less than one season/);
});

test('period detection: 12 on a monthly seasonal series, 7 on a weekly one, none on noise and trends', () => {
  expect(detectPeriod(Y)).toBe(12);
  const weekly = Array.from({ length: 200 }, (_, t) => [5, 6, 7, 6, 5, 1, 0][t % 7] + Math.sin(t * 12.9898) * 0.5);
  expect(detectPeriod(weekly)).toBe(7);
  const rng = new SeededRandom(5);
  const noise = Array.from({ length: 300 }, () => rng.uniform());
  expect(detectPeriod(noise)).toBe(1);
  let walk = 0;
  expect(detectPeriod(Array.from({ length: 300 }, () => (walk += rng.uniform() - 0.5)))).toBe(1);
  expect(detectPeriod(Array.from({ length: 100 }, (_, t) => 3 * t + 1))).toBe(1);
  expect(snapPeriod(367, { unit: 'ms', size: 86400000 })).toBe(365);
  expect(snapPeriod(11, { unit: 'month', size: 1 })).toBe(11); // not within 3% of 12
  expect(autocorrelation([1, 2, 1, 2], 2).map((v) => +v.toFixed(6))).toEqual([1, -0.75, 0.5]);
});

test('ridge least squares recovers an exact linear relation (λ → 0) and shrinks with λ', () => {
  const x = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(3 * i), i / 40]);
  const y = x.map((r) => [2 * r[0] - r[1] + 0.5 * r[2] + 3, r[0]]);
  const fit = ridgeFit(x, y, 1e-9);
  expect(fit.weights.map((r) => r[0])).toEqual([2, -1, 0.5].map((v) => expect.closeTo(v, 6)));
  expect(fit.bias[0]).toBeCloseTo(3, 6);
  ridgePredict(fit, x).forEach((p, i) => expect(p[1]).toBeCloseTo(y[i][1], 6));
  const shrunk = ridgeFit(x, y, 100);
  expect(Math.abs(shrunk.weights[0][0])).toBeLessThan(2);
});

test('period detection on the real series: 12 for airline passengers, 365 (snapped) for daily temperatures', () => {
  const dir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'timeseries');
  const air = readSeries(path.join(dir, 'airline-passengers.csv'));
  expect(snapPeriod(detectPeriod(air.values[0].slice(0, 82)), air.step)).toBe(12);
  const temp = readSeries(path.join(dir, 'daily-min-temperatures.csv'));
  const raw = detectPeriod(temp.values[0].slice(0, 2792));
  expect(Math.abs(raw - 365)).toBeLessThanOrEqual(10);
  expect(snapPeriod(raw, temp.step)).toBe(365);
});
