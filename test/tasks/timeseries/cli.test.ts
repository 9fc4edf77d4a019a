/**
 * The timeseries task through the real CLIs (the compiled dist/, as child
 * processes) on a short series: train with the JSON summary, forecast past the end
 * with rnn-predict (CSV and a plot), and a bad value as a one-line error.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ts-cli-'));

function run(bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

/** 72 months of a seasonal, trending series. */
function shortSeries(): string {
  const file = path.join(tmp(), 'sales.csv');
  const rows = Array.from({ length: 72 }, (_, t) => `${2000 + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')},${((100 + 2 * t) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 12))).toFixed(1)}`);
  fs.writeFileSync(file, ['month,sales', ...rows].join('\n') + '\n');
  return file;
}

test('rnn-train --task timeseries on a short series, then rnn-predict past its end (CSV and --plot)', () => {
  const out = tmp();
  const data = shortSeries();
  const r = run(TRAIN, ['--task', 'timeseries', '--data', data, '--epochs', '2', '--hidden', '4', '--out', out, '--backend', 'wasm', '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.lines[r.lines.length - 1]);
  expect(summary).toMatchObject({ event: 'summary', task: 'timeseries', model: path.join(out, 'best'), period: 12, horizon: 1 });
  expect(Object.keys(summary.metrics.test)).toEqual(['rmse', 'mae', 'mape', 'smape']);
  expect(Object.keys(summary.baselines)).toEqual(['persistence', 'seasonalNaive', 'seasonalGrowth', 'linear']);

  const svg = path.join(out, 'forecast.svg');
  const p = run(PREDICT, ['--model', path.join(out, 'best'), '--horizon', '3', '--plot', svg]);
  expect(p.code).toBe(0);
  expect(p.lines[0]).toBe('month,sales');
  expect(p.lines.slice(1).map((l) => l.split(',')[0])).toEqual(['2006-01', '2006-02', '2006-03']);
  expect(p.err).toMatch(/rnn-predict: plot: .*forecast\.svg/);
  expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<svg/);
});

test('a non-numeric value is a one-line error naming the file and line (exit 1)', () => {
  const data = shortSeries();
  const lines = fs.readFileSync(data, 'utf8').split('\n');
  lines[5] = '2000-05,n/a?';
  fs.writeFileSync(data, lines.join('\n'));
  const r = run(TRAIN, ['--task', 'timeseries', '--data', data, '--epochs', '1', '--out', tmp(), '--backend', 'wasm']);
  expect(r.code).toBe(1);
  expect(r.err.trim()).toBe(`rnn-train: error: ${data}:6: column 'sales': 'n/a?' is not a number`);
});

test('the task is importable as rnnkit/tasks/timeseries (CommonJS and ESM)', () => {
  const cjs = spawnSync(process.execPath, ['-e', "const m = require('rnnkit/tasks/timeseries'); console.log(m.task.name, typeof m.TimeseriesForecaster)"], { cwd: root, encoding: 'utf8' });
  expect(cjs.stdout.trim()).toBe('timeseries function');
  const esm = spawnSync(process.execPath, ['--input-type=module', '-e', "import { task, TIMESERIES_DEFAULTS } from 'rnnkit/tasks/timeseries'; console.log(task.name, TIMESERIES_DEFAULTS.horizon)"], { cwd: root, encoding: 'utf8' });
  expect(esm.stdout.trim()).toBe('timeseries 1');
});
