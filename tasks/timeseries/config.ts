/**
 * Time-series forecasting: configuration and defaults.
 *
 * The defaults are rules fitted on the training part, not constants tuned to one
 * file: the period comes from the training part's autocorrelation, the transform
 * (none / log / differencing / seasonal differencing) is the one whose linear
 * autoregression forecasts the chronological validation part best, the window
 * follows the period. The model is a small recurrent network beside a linear
 * autoregressive path (LSTNet's "highway", Lai et al. 2018) that starts from the
 * least-squares fit, so training begins at a strong linear forecaster and the
 * recurrent part learns what is left.
 *
 * Next: data.ts (reading the CSV).
 */
import type { CellKind } from '../../layers/recurrent_layer';
import { COMMON_DEFAULTS } from '../../src/train';
import type { TaskConfig } from '../../src/task';

/** A transform step applied to the target before scaling (each has an exact inverse). */
export type TransformStep = 'log' | 'diff' | 'seasonal-diff';
/** How H-step forecasts are made. */
export type Strategy = 'direct' | 'recursive';
/** What to do with missing values (and with missing dates when filling). */
export type FillPolicy = 'none' | 'previous' | 'linear';

export interface TimeseriesOwnConfig {
  /** The column to forecast (header name or 1-based number). Default: the only numeric column (the bundled data: temp_max). */
  target?: string | number;
  /** Extra input columns (names or 1-based numbers) read beside the target; they are inputs only, never forecast. */
  features: (string | number)[];
  /** The date/time column (name or number); 'none' for none. Default: a column whose values are dates, if any. */
  dateColumn?: string | number;
  /** Input window in steps; 0 = automatic (period + 1 for periods up to 48, else 24; at most a third of the training part). */
  window: number;
  /** Steps forecast from every origin (1 = one step ahead). */
  horizon: number;
  /** 'direct': one output per step ahead; 'recursive': a one-step model fed its own forecasts. */
  strategy: Strategy;
  /** Transform steps in order, e.g. ['log', 'seasonal-diff']; ['auto'] picks on the validation part; ['none'] for none. */
  transform: string[];
  /** Seasonal period in steps; 0 = detect from the training part's autocorrelation; 1 = no seasonality. */
  period: number;
  /** Missing values (and the rows of missing dates): 'none' = an error naming the row; 'previous' carries the last value; 'linear' interpolates. */
  fill: FillPolicy;
  /** Test part: the last rows of the series, a fraction of them (< 1) or a count (≥ 1). */
  testSize: number;
  /** Validation part: the rows just before the test part, a fraction of the rows before it (< 1) or a count (≥ 1). */
  validSize: number;
  /** Recurrent cell. */
  cell: CellKind;
  /** Hidden units of the recurrent layers. */
  hidden: number;
  /** Stacked recurrent layers. */
  layers: number;
  /** Dropout between stacked recurrent layers (needs layers ≥ 2). */
  dropout: number;
  /**
   * The position in the season (sin and cos of 2π·k/period, k = steps since a fixed epoch)
   * as two more input channels, for dated series with a period: it lets a model
   * with a short window know the time of year. Known for future steps, so recursive
   * forecasts can use it. 'auto' tries both on the validation part.
   */
  season: 'auto' | 'on' | 'off';
  /** The linear autoregressive path beside the recurrent network (initialized by ridge least squares). */
  linear: boolean;
  /** Ridge penalty of that least-squares initialization (on standardized inputs); 0 = chosen with the transform on the validation part. */
  ridge: number;
}

export type TimeseriesConfig = TaskConfig<TimeseriesOwnConfig>;

export const TIMESERIES_DEFAULTS: TimeseriesConfig = {
  ...COMMON_DEFAULTS,
  features: [],
  window: 0,
  horizon: 1,
  strategy: 'direct',
  transform: ['auto'],
  period: 0,
  fill: 'none',
  testSize: 0.2,
  validSize: 0.15,
  cell: 'lstm',
  hidden: 32,
  layers: 1,
  dropout: 0,
  season: 'auto',
  linear: true,
  ridge: 0,
  epochs: 100,
  patience: 15,
  batchSize: 32,
  lr: 1e-3,
  clipNorm: 1,
  out: 'runs/timeseries',
};

/** The bundled series and the column forecast by default there. */
export const BUNDLED = { file: 'seattle-weather.csv', target: 'temp_max' };
