/**
 * Time-series forecasting through the task contract (src/task.ts): the options
 * and defaults of `rnn-train --task timeseries`, and `rnn-predict` on its
 * checkpoints (continue a series past its end, CSV and a plot). The pieces, in
 * the order data flows: config.ts → data.ts (CSV) → windows.ts, transforms.ts,
 * baselines.ts, select.ts → model.ts → loss.ts → train.ts → forecast.ts →
 * predict.ts; figures.ts draws the tables and charts.
 */
import { defineTask, type TaskOption } from '../../src/task';
import { TIMESERIES_DEFAULTS, type TimeseriesOwnConfig } from './config';
import { predictTimeseries, TimeseriesForecaster } from './predict';
import { trainTimeseries } from './train';

export { TIMESERIES_DEFAULTS } from './config';
export type { TimeseriesConfig, TimeseriesOwnConfig } from './config';
export { forecastLoss } from './loss';
export { TimeseriesForecaster } from './predict';
export type { History, TimeseriesArtifacts } from './predict';
export { trainTimeseries } from './train';

const OPTIONS: TaskOption[] = [
  { key: 'target', type: 'column', help: 'column to forecast (name or 1-based number); default: the only numeric column' },
  { key: 'features', type: 'list', valueName: 'cols', help: 'extra input columns (comma-separated names or numbers)' },
  { key: 'dateColumn', type: 'column', help: "date column (name or number; 'none' for none); default: a column of dates" },
  { key: 'window', type: 'int', min: 0, help: 'input window in steps (0 = period + 1 up to 48, else 24)' },
  { key: 'horizon', type: 'int', help: 'steps forecast from every origin' },
  { key: 'strategy', type: 'choice', choices: ['direct', 'recursive'], help: 'H-step forecasts: one output per step (direct) or a one-step model fed its forecasts (recursive)' },
  { key: 'transform', type: 'list', valueName: 'steps', help: 'auto, none, or steps in order from log, diff, seasonal-diff (e.g. log,seasonal-diff)' },
  { key: 'period', type: 'int', min: 0, help: 'seasonal period in steps (0 = detect, 1 = none)' },
  { key: 'fill', type: 'choice', choices: ['none', 'previous', 'linear'], help: 'missing values and dates: error (none), carry the previous value, or interpolate' },
  { key: 'testSize', type: 'number', min: 0, valueName: 'x', help: 'test part: the last rows, a fraction (< 1) or a count' },
  { key: 'validSize', type: 'number', min: 0, valueName: 'x', help: 'validation part before it: a fraction of the rows before the test part (< 1) or a count' },
  { key: 'cell', type: 'choice', choices: ['lstm', 'gru', 'rnn'], help: 'recurrent cell' },
  { key: 'hidden', type: 'int', help: 'hidden units' },
  { key: 'layers', type: 'int', help: 'stacked recurrent layers' },
  { key: 'dropout', type: 'number', min: 0, max: 0.9, valueName: 'p', help: 'dropout between stacked layers' },
  { key: 'season', type: 'choice', choices: ['auto', 'on', 'off'], help: 'position in the season (sin, cos) as two input channels for dated series with a period; auto = chosen on the validation part' },
  { key: 'linear', type: 'boolean', help: 'linear autoregressive path beside the network (ridge-initialized)' },
  { key: 'ridge', type: 'number', min: 0, valueName: 'λ', help: 'ridge penalty of the linear initialization (0 = chosen on the validation part)' },
];

export const task = defineTask<TimeseriesOwnConfig, TimeseriesForecaster>({
  name: 'timeseries',
  description: 'time-series forecasting: sliding windows, one- and H-step forecasts, beside persistence and seasonal-naive baselines',
  dataHelp: 'a CSV file with a header: a target column, optional feature columns and an optional date column, one row per step in time order (default: bundled Seattle daily weather, target temp_max)',
  options: OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['target', 'features', 'window', 'horizon', 'strategy', 'transform', 'period', 'season', 'cell', 'hidden', 'layers', 'linear'],
  defaults: TIMESERIES_DEFAULTS,
  metric: 'rmse',
  examples: [
    'rnn-train --task timeseries',
    'rnn-train --task timeseries --data airline-passengers.csv --test-size 0.33',
    'rnn-train --task timeseries --data daily-min-temperatures.csv --test-size 365',
    'rnn-train --task timeseries --data weather.csv --target temp_max --features temp_min,wind --horizon 7',
  ],
  train: trainTimeseries,
  load: (dir) => TimeseriesForecaster.load(dir),
  predictOptions: [
    { key: 'horizon', type: 'int', short: 'n', help: "steps to forecast past the end of the series (default: the model's horizon)" },
    { key: 'data', type: 'string', valueName: 'file', help: 'CSV with the recent history (same columns as training); default: the end of the training series, or CSV on stdin' },
    { key: 'plot', type: 'string', valueName: 'file', help: 'also draw history and forecast: FILE.svg (or the Vega-Lite spec as FILE.json)' },
  ],
  predictHelp: 'Continues the series past the end of its history (the training series, a CSV file given as --data FILE or as the argument, or CSV on stdin) and writes CSV: date (or step), forecast.',
  predict: predictTimeseries,
});
