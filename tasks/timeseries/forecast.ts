/**
 * From a series to scaled input channels and back: the transformed target and the
 * features standardized with training-part statistics, the season channels, the
 * model's forecasts rolled out to H steps, and their inversion to the original units.
 *
 * Used by train.ts and predict.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../src/errors';
import { regressionErrors, type RegressionErrors } from '../../src/metrics/regression';
import type { DateStep } from './data';
import { forward, inverseForecast, offset, StandardScaler, type TransformSpec } from './transforms';

/** The scaled input channels of a series (channel 0 = the transformed target) under fitted scalers. */
export function channelsOf(values: number[][], spec: TransformSpec, scalers: StandardScaler[], what: string): number[][] {
  return [scalers[0].transform(forward(spec, values[0], what)), ...values.slice(1).map((v, i) => scalers[i + 1].transform(v))];
}

/** Scalers fitted on the training part [first, trainEnd) only. */
export function fitScalers(values: number[][], spec: TransformSpec, trainEnd: number): StandardScaler[] {
  const z = forward(spec, values[0]);
  return [StandardScaler.fit(z, offset(spec), trainEnd), ...values.slice(1).map((v) => StandardScaler.fit(v, 0, trainEnd))];
}

/** The position in the season of the step k steps after a fixed epoch (1970-01-01; year 0 for months): sin and cos of 2π·k/p. */
export function seasonRow(k: number, period: number): number[] {
  const a = (2 * Math.PI * (((k % period) + period) % period)) / period;
  return [Math.sin(a), Math.cos(a)];
}

/** Steps since the epoch of a time key (see SeriesTable.times). */
export const stepIndex = (t: number, step: DateStep): number => Math.round(t / step.size);

/** The two season channels of a dated series (known for future steps too, unlike other features). */
export function seasonChannels(times: number[], step: DateStep, period: number): number[][] {
  const rows = times.map((t) => seasonRow(stepIndex(t, step), period));
  return [rows.map((r) => r[0]), rows.map((r) => r[1])];
}

/** The non-target channels of future steps: row for the step h ahead of origin i, or undefined when unknown (features). */
export type FutureRows = ((i: number, h: number) => number[]) | undefined;

/**
 * Scaled forecasts [origin][H] of the transformed target: one model call for
 * direct forecasts up to the model's outputs, then the model fed its own
 * forecasts, block by block (when the other channels' future is known: none, or
 * only the season channels).
 */
export function rollForecast(model: tf.LayersModel, x: number[][][], horizon: number, outputs: number, future?: FutureRows): number[][] {
  if (!x.length) return [];
  const W = x[0].length;
  const C = x[0][0].length;
  let cur = x;
  const preds: number[][] = x.map(() => []);
  while (preds[0].length < horizon) {
    const out = tf.tidy(() => model.predict(tf.tensor3d(cur, [cur.length, W, C])) as tf.Tensor2D);
    const rows = out.arraySync();
    out.dispose();
    const take = Math.min(outputs, horizon - preds[0].length);
    rows.forEach((r, i) => preds[i].push(...r.slice(0, take)));
    if (preds[0].length < horizon) {
      if (C > 1 && !future) throw new UserError(`forecasting ${horizon} steps with a ${outputs}-step model needs future values of the features; use a horizon ≤ ${outputs}, or train with --horizon ${horizon} --strategy direct`);
      const done = preds[0].length - take;
      cur = cur.map((w, i) => [...w, ...rows[i].slice(0, take).map((v, j) => [v, ...(future ? future(i, done + j + 1) : [])])].slice(-W));
    }
  }
  return preds;
}

/** Forecasts in the original units [origin][H] from scaled transformed forecasts. */
export function toLevels(y: number[], origins: number[], scaled: number[][], spec: TransformSpec, scaler: StandardScaler): number[][] {
  const back = Math.max(offset(spec) * 2, 1);
  return origins.map((o, i) => inverseForecast(spec, y.slice(Math.max(0, o + 1 - back), o + 1), scaler.inverse(scaled[i])));
}

/** Actual values [origin][H]. */
export const actualsAt = (y: number[], origins: number[], H: number): number[][] => origins.map((o) => y.slice(o + 1, o + 1 + H));

/** Errors over all (origin, step ahead) pairs. */
export const errorsOf = (actual: number[][], predicted: number[][]): RegressionErrors => regressionErrors(actual.flat(), predicted.flat());
