/**
 * Forecasting with a trained model: what a checkpoint carries (the scalers,
 * transform, window and the end of the training series), TimeseriesForecaster
 * (continues a series past its end) and rnn-predict's CSV output (and plot).
 * The roll-out and inversion are forecast.ts. Next: index.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import type { PredictIO, TaskPredictor } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { expectArtifactSize, expectArtifactValue, inputSize, outputUnits } from '../../src/train';
import type { TimeseriesConfig } from './config';
import { addSteps, formatTime, parseSeries, readSeries, type DateFormat, type DateStep } from './data';
import { isoTime, lineChart, writePlot } from './figures';
import { channelsOf, rollForecast, seasonChannels, seasonRow, stepIndex, toLevels, type FutureRows } from './forecast';
import { describe, offset, StandardScaler, type TransformSpec } from './transforms';
import { gatherWindows } from './windows';

/** The recent history a forecast starts from (and the tail kept in checkpoints). */
export interface History {
  /** Dates as written, or null. */
  dates: string[] | null;
  /** Time keys (see SeriesTable.times), or null. */
  times: number[] | null;
  /** values[channel][row]: the target, then the features. */
  values: number[][];
  /** 1-based position of the first row in the original series (for step numbers without dates). */
  firstRow: number;
}

/** What a checkpoint carries besides the weights, to forecast. */
export interface TimeseriesArtifacts {
  task: 'timeseries';
  target: string;
  features: string[];
  dateColumn: string | null;
  step: DateStep | null;
  dateFormat: DateFormat | null;
  fill: TimeseriesConfig['fill'];
  transform: TransformSpec;
  /** Scalers of the channels (the transformed target, then the features), fitted on the training part. */
  scalers: { mean: number; std: number }[];
  window: number;
  horizon: number;
  /** Model outputs (the horizon when direct, 1 when recursive). */
  outputs: number;
  strategy: TimeseriesConfig['strategy'];
  period: number;
  /** The ridge penalty of the linear path's initialization. */
  ridge: number;
  /** Whether the inputs carry the position in the season (sin, cos) as two more channels. */
  season: boolean;
  /** The end of the training series. */
  history: History;
}

/** A trained forecaster loaded from a checkpoint directory. */
export class TimeseriesForecaster implements TaskPredictor {
  private constructor(
    readonly model: tf.LayersModel,
    readonly artifacts: TimeseriesArtifacts,
  ) {}

  static async load(dir: string): Promise<TimeseriesForecaster> {
    const a = readTaskArtifacts<TimeseriesArtifacts>(dir, 'timeseries');
    const model = await loadModel(dir);
    // the artifacts against the model: one line naming artifacts.json, not a shape error in the forecast
    const features = Array.isArray(a.features) ? a.features : [];
    expectArtifactValue(dir, 'window', a.window, 'input length', inputSize(model, 1));
    expectArtifactValue(dir, `channel count (the target, ${features.length} features${a.season ? ', 2 season channels' : ''})`, 1 + features.length + (a.season ? 2 : 0), 'input channels', inputSize(model, -1));
    expectArtifactSize(dir, 'scaler list (the target, then the features)', Array.isArray(a.scalers) ? a.scalers.length : 0, 'scaled channels', 1 + features.length);
    expectArtifactValue(dir, 'outputs field', a.outputs, 'output layer', outputUnits(model));
    return new TimeseriesForecaster(model, a);
  }

  /** The history a file holds, read with the model's columns. */
  readHistory(file: string, text?: string): History {
    const a = this.artifacts;
    const opts = { target: a.target, features: a.features, dateColumn: a.dateColumn ?? 'none', fill: a.fill };
    const t = text === undefined ? readSeries(file, opts) : parseSeries(text, file, opts);
    return { dates: t.dates, times: t.times, values: t.values, firstRow: 1 };
  }

  /** Forecasts `horizon` steps after the end of `history` (default: the end of the training series). */
  forecast(horizon?: number, history: History = this.artifacts.history): { dates: string[] | null; steps: number[]; values: number[] } {
    const a = this.artifacts;
    const H = horizon ?? a.horizon;
    const n = history.values[0].length;
    const need = a.window + offset(a.transform);
    if (n < need) throw new UserError(`the history has ${n} rows; this model needs at least ${need} (window ${a.window} + ${offset(a.transform)} for the ${describe(a.transform)} transform)`);
    const scalers = a.scalers.map(StandardScaler.fromJSON);
    const o = n - 1;
    let future: FutureRows = a.features.length ? undefined : () => [];
    let seasonCh: number[][] = [];
    if (a.season) {
      if (!history.times || !a.step) throw new UserError(`this model reads the position in the season from the dates: the history needs its date column '${String(a.dateColumn)}'`);
      const step = a.step;
      const k0 = stepIndex(history.times[o], step);
      seasonCh = seasonChannels(history.times, step, a.period);
      if (future) future = (_i, h) => seasonRow(k0 + h, a.period);
    }
    const ch = [...channelsOf(history.values, a.transform, scalers, 'history'), ...seasonCh];
    const { x } = gatherWindows(ch, [o], a.window, 0);
    const scaled = rollForecast(this.model, x, H, a.outputs, future);
    const values = toLevels(history.values[0], [o], scaled, a.transform, scalers[0])[0];
    const steps = values.map((_, h) => history.firstRow + n + h);
    const last = history.times ? history.times[n - 1] : null;
    const dates = last !== null && a.step && a.dateFormat ? values.map((_, h) => formatTime(addSteps(last, a.step as DateStep, h + 1), a.step as DateStep, a.dateFormat as DateFormat)) : null;
    return { dates, steps, values };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** rnn-predict for timeseries: the forecast past the end of the history as CSV (or JSON lines), and optionally a plot. */
export async function predictTimeseries(p: TimeseriesForecaster, io: PredictIO, options: Record<string, unknown>): Promise<void> {
  const a = p.artifacts;
  let history = a.history;
  const file = typeof options.data === 'string' ? options.data : io.args[0];
  if (io.args.length > (typeof options.data === 'string' ? 0 : 1)) throw new UserError(`rnn-predict: a timeseries model reads one history file (--data FILE or one argument), got ${io.args.join(' ')}`, 2);
  if (file !== undefined) history = p.readHistory(file);
  else {
    const stdin = await io.readStdin();
    if (stdin.trim()) history = p.readHistory('<stdin>', stdin);
  }
  const horizon = options.horizon === undefined ? a.horizon : Number(options.horizon);
  if (!(Number.isInteger(horizon) && horizon >= 1)) throw new UserError(`--horizon must be an integer ≥ 1, got ${String(options.horizon)}`, 2);
  const fc = p.forecast(horizon, history);
  const key = a.dateColumn ?? 'step';
  const labels = fc.dates ?? fc.steps.map(String);
  if (io.json) fc.values.forEach((v, i) => io.write(`${JSON.stringify({ [key]: fc.dates ? labels[i] : fc.steps[i], [a.target]: v })}\n`));
  else io.write([`${key},${a.target}`, ...fc.values.map((v, i) => `${labels[i]},${+v.toPrecision(6)}`)].join('\n') + '\n');
  if (typeof options.plot === 'string') {
    const file = options.plot;
    const n = history.values[0].length;
    const temporal = history.times !== null && a.step !== null;
    const xs = (t: number | null, i: number): string | number => (temporal && t !== null ? isoTime(t, a.step as DateStep) : history.firstRow + i);
    const from = Math.max(0, n - Math.max(4 * horizon, 2 * a.period, 48));
    const values: { x: string | number; value: number; series: string }[] = [];
    for (let i = from; i < n; i++) values.push({ x: xs(history.times?.[i] ?? null, i), value: history.values[0][i], series: 'history' });
    const lastT = history.times?.[n - 1] ?? null;
    values.push({ x: xs(lastT, n - 1), value: history.values[0][n - 1], series: 'forecast' });
    fc.values.forEach((v, h) => values.push({ x: temporal && lastT !== null ? isoTime(addSteps(lastT, a.step as DateStep, h + 1), a.step as DateStep) : history.firstRow + n + h, value: v, series: 'forecast' }));
    const spec = { ...lineChart(values, temporal, a.target, ['history', 'forecast']), title: `${a.target}: ${horizon}-step forecast` };
    await writePlot(file, spec);
    io.note(`plot: ${file}`);
  }
}
