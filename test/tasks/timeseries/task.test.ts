/**
 * The timeseries task through the contract (task.train / load / predict) on small
 * synthetic series: the summary and report, no leakage from the test part, H-step
 * alignment (direct and recursive), forecasting past the end as CSV, plots, and
 * no tensor leaks in forecasting.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../helpers/backends';
import { task, TimeseriesForecaster } from '../../../tasks/timeseries';
import type { PredictIO } from '../../../src/task';
import { straightAndResumed } from '../../helpers/task_resume';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ts-task-'));
const SMALL = { hidden: 4, epochs: 2, patience: 0, batchSize: 16 };

/** A monthly CSV from 2000-01 of the values. */
function monthlyCsv(values: number[], extra?: number[]): string {
  const file = path.join(tmp(), 'series.csv');
  const rows = values.map((v, t) => `${2000 + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')},${v}${extra ? `,${extra[t]}` : ''}`);
  fs.writeFileSync(file, [`month,sales${extra ? ',price' : ''}`, ...rows].join('\n') + '\n');
  return file;
}

// Seasonal, trending, positive, with deterministic irregularity: 120 months.
const SERIES = Array.from({ length: 120 }, (_, t) => (200 + 3 * t) * (1 + 0.25 * Math.sin((2 * Math.PI * t) / 12)) + 10 * Math.sin(t * 1.7));

function memoryIO(stdin = ''): PredictIO & { out: string[]; notes: string[] } {
  const out: string[] = [];
  const notes: string[] = [];
  return { args: [], readStdin: async () => stdin, write: (s) => out.push(s), note: (m) => notes.push(m), json: false, out, notes };
}

beforeAll(async () => {
  await useBackend('wasm');
});

test('train: metrics by split, baselines beside them, one table, a figure, a checkpoint for the task', async () => {
  const out = tmp();
  const r = await task.train({ ...SMALL, data: monthlyCsv(SERIES), out });
  for (const split of ['dev', 'test'] as const) expect(Object.keys(r.metrics[split] ?? {})).toEqual(['rmse', 'mae', 'mape', 'smape']);
  const b = r.summary?.baselines as Record<string, { rmse: number } | null>;
  expect(Object.keys(b)).toEqual(['persistence', 'seasonalNaive', 'seasonalGrowth', 'linear']);
  expect(r.summary).toMatchObject({ period: 12, horizon: 1, strategy: 'direct', counts: { rows: 120, train: 82, validation: 14, test: 24, testOrigins: 24 } });
  expect(r.notes.join('\n')).toMatch(/period: 12 steps/);
  expect(r.notes.join('\n')).toMatch(/transform: \S+, season channels (on|off), ridge λ [\d.]+ \(validation RMSE of the linear autoregression, best per transform: none(\+season)? \d/);
  expect(r.report[0]).toMatch(/^test: 24 forecast origins, one step ahead, 24 rows \(2008-01 … 2009-12\)$/);
  expect(r.report.join('\n')).toMatch(/model: lstm 4 \+ linear[^\n]+\n[^\n]*linear autoregression[^\n]+\npersistence +\d+\.\d{3} +\d+\.\d{3}/);
  // The figure: history, actuals, model and baselines, with inline data.
  const spec = r.figures?.[0].spec as { data: { values: { series: string }[] } };
  expect(new Set(spec.data.values.map((v) => v.series))).toEqual(new Set(['history', 'actual', 'model', 'persistence', 'seasonal naive', 'seasonal naive × growth']));
  expect(spec.data.values.filter((v) => v.series === 'model')).toHaveLength(24);
  const artifacts = JSON.parse(fs.readFileSync(path.join(r.modelDir, 'artifacts.json'), 'utf8'));
  expect(artifacts).toMatchObject({ task: 'timeseries', target: 'sales', dateColumn: 'month', window: 13, horizon: 1, period: 12 });
});

test('no leakage: changing the test part changes neither the scalers, the choices, nor the trained weights', async () => {
  const changed = [...SERIES.slice(0, 96), ...SERIES.slice(96).map((v, i) => v * 3 + 50 * Math.cos(i))];
  const runs = [];
  for (const values of [SERIES, changed]) {
    const out = tmp();
    const r = await task.train({ ...SMALL, data: monthlyCsv(values), out });
    const a = JSON.parse(fs.readFileSync(path.join(r.modelDir, 'artifacts.json'), 'utf8'));
    const weights = fs.readFileSync(path.join(r.modelDir, 'weights.bin'));
    runs.push({ r, a, weights });
  }
  const [x, y] = runs;
  expect(y.a.scalers).toEqual(x.a.scalers);
  expect([y.a.transform, y.a.window, y.a.period]).toEqual([x.a.transform, x.a.window, x.a.period]);
  expect(y.r.metrics.dev).toEqual(x.r.metrics.dev);
  expect(Buffer.compare(y.weights, x.weights)).toBe(0);
  expect(y.r.metrics.test?.rmse).not.toEqual(x.r.metrics.test?.rmse); // the test part did change
});

// A noise-free series a linear autoregression forecasts exactly: the forecasts for
// steps 1..H ahead must land on the actual values of those steps.
const EXACT = Array.from({ length: 120 }, (_, t) => 50 + 10 * Math.sin((2 * Math.PI * t) / 7) + 4 * Math.cos((2 * Math.PI * t) / 5));

test.each(['direct', 'recursive'] as const)('H-step alignment (%s): forecasts for 1..4 steps ahead match the actual steps', async (strategy) => {
  const out = tmp();
  const r = await task.train({ data: monthlyCsv(EXACT), out, strategy, horizon: 4, window: 12, transform: ['none'], period: 1, ridge: 1e-6, hidden: 4, epochs: 1, lr: 1e-8 });
  const persistence = (r.summary?.baselines as Record<string, { rmse: number }>).persistence.rmse;
  expect(persistence).toBeGreaterThan(3); // misaligned forecasts would be this far off
  expect(r.metrics.test?.rmse).toBeLessThan(0.1);
  // The loaded model continues a cut history onto the actual next values.
  const f = await TimeseriesForecaster.load(r.modelDir);
  const cut = 100;
  const fc = f.forecast(4, { dates: null, times: null, values: [EXACT.slice(0, cut)], firstRow: 1 });
  fc.values.forEach((v, h) => expect(Math.abs(v - EXACT[cut + h])).toBeLessThan(0.1));
  expect(fc.steps).toEqual([101, 102, 103, 104]);
  f.dispose();
});

test('predict: continues past the end as CSV (dates continue), JSON lines, --data history, longer horizons, plots; no tensor leaks', async () => {
  const dir = tmp();
  const data = monthlyCsv(SERIES);
  const r = await task.train({ ...SMALL, data, out: dir });
  const p = await task.load(r.modelDir);
  const before = tf.memory().numTensors;
  const io = memoryIO();
  await task.predict(p, io, { horizon: 3 });
  const lines = io.out.join('').trim().split('\n');
  expect(lines[0]).toBe('month,sales');
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['2010-01', '2010-02', '2010-03']);
  lines.slice(1).forEach((l) => expect(Number(l.split(',')[1])).toBeGreaterThan(100));
  // A longer horizon than the model's (direct, one output): fed its own forecasts.
  const io24 = memoryIO();
  await task.predict(p, { ...io24, json: true }, { horizon: 24 });
  const js = io24.out.join('').trim().split('\n').map((l) => JSON.parse(l));
  expect(js).toHaveLength(24);
  expect(js[23]).toEqual({ month: '2011-12', sales: expect.any(Number) });
  // History from a file (here: the first 100 months), and from stdin.
  const head = path.join(dir, 'head.csv');
  fs.writeFileSync(head, fs.readFileSync(data, 'utf8').split('\n').slice(0, 101).join('\n'));
  const ioData = memoryIO();
  await task.predict(p, ioData, { horizon: 1, data: head });
  expect(ioData.out.join('')).toMatch(/^month,sales\n2008-05,\d+(\.\d+)?\n$/);
  const ioArg = memoryIO();
  await task.predict(p, { ...ioArg, args: [head] }, { horizon: 1 });
  expect(ioArg.out.join('')).toBe(ioData.out.join(''));
  const ioStdin = memoryIO(fs.readFileSync(head, 'utf8'));
  await task.predict(p, ioStdin, { horizon: 1 });
  expect(ioStdin.out.join('')).toBe(ioData.out.join(''));
  expect(tf.memory().numTensors).toBe(before);
  // Plots: the Vega-Lite spec, and an SVG rendered from it.
  const json = path.join(dir, 'f.json');
  await task.predict(p, memoryIO(), { horizon: 6, plot: json });
  const spec = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(spec.data.values.filter((v: { series: string }) => v.series === 'forecast')).toHaveLength(7); // joined to the last observed value
  const svg = path.join(dir, 'f.svg');
  await task.predict(p, memoryIO(), { horizon: 6, plot: svg });
  expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  await expect(task.predict(p, memoryIO(), { plot: path.join(dir, 'f.png') })).rejects.toThrow(/\.svg/);
  p.dispose();
});

test('option errors: recursive with features, too short a series, a log of non-positive values', async () => {
  const withPrice = monthlyCsv(SERIES, SERIES.map((_, t) => 10 + (t % 3)));
  await expect(task.train({ ...SMALL, data: withPrice, features: ['price'], strategy: 'recursive', horizon: 3, out: tmp() })).rejects.toThrow(/recursive needs future values of the features/);
  await expect(task.train({ ...SMALL, data: monthlyCsv(SERIES.slice(0, 12)), out: tmp() })).rejects.toThrow(/too few/);
  await expect(task.train({ ...SMALL, data: monthlyCsv(SERIES.map((v, t) => (t === 5 ? -1 : v))), transform: ['log'], out: tmp() })).rejects.toThrow(/series\.csv:7: the log transform needs positive values/);
});

test('features: several input series predicting one (direct, H = 2)', async () => {
  const price = SERIES.map((_, t) => 10 + Math.sin(t / 3));
  const r = await task.train({ ...SMALL, data: monthlyCsv(SERIES, price), features: ['price'], horizon: 2, out: tmp() });
  expect(r.notes.join('\n')).toMatch(/rows of 'sales' \+ price/);
  expect(r.summary).toMatchObject({ horizon: 2, counts: { testOrigins: 23 } });
  expect(r.summary?.testRmseByStep).toEqual([expect.any(Number), expect.any(Number)]);
  expect(r.report.join('\n')).toMatch(/test RMSE by steps ahead: 1: \d+\.\d{3}, 2: \d+\.\d{3}/);
  const p = await task.load(r.modelDir);
  const io = memoryIO();
  await task.predict(p, io, {});
  expect(io.out.join('').trim().split('\n')).toHaveLength(3);
  await expect(task.predict(p, memoryIO(), { horizon: 3 })).rejects.toThrow(/needs future values of the features/);
  p.dispose();
});

test('resume: interrupted after 3 steps and resumed from OUT/last = uninterrupted (defaults, tiny sizes)', async () => {
  const { weights } = await straightAndResumed(task as never, { data: monthlyCsv(SERIES), hidden: 4, epochs: 3, patience: 0, batchSize: 16 }, 3);
  expect(weights[1]).toEqual(weights[0]);
});

test('season channels: recursive forecasts feed the known future position in the season; they need dates', async () => {
  const r = await task.train({ ...SMALL, data: monthlyCsv(SERIES), season: 'on', strategy: 'recursive', horizon: 3, out: tmp() });
  expect(r.summary).toMatchObject({ season: true, horizon: 3, strategy: 'recursive' });
  const p = await task.load(r.modelDir);
  const io = memoryIO();
  await task.predict(p, io, { horizon: 15 });
  const lines = io.out.join('').trim().split('\n');
  expect(lines).toHaveLength(16);
  expect(lines[15]).toMatch(/^2011-03,\d/);
  // The same history without its dates cannot place the season.
  expect(() => (p as TimeseriesForecaster).forecast(3, { dates: null, times: null, values: [SERIES], firstRow: 1 })).toThrow(/needs its date column 'month'/);
  p.dispose();
  const undated = path.join(tmp(), 'undated.csv');
  fs.writeFileSync(undated, ['sales', ...SERIES.map(String)].join('\n'));
  await expect(task.train({ ...SMALL, data: undated, season: 'on', out: tmp() })).rejects.toThrow(/--season on needs a date column/);
});
