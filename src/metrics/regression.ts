/**
 * Point-forecast and regression errors over paired actual / predicted values:
 *
 *   rmse  = sqrt(mean((a − p)²))
 *   mae   = mean(|a − p|)
 *   mape  = 100 · mean(|a − p| / |a|)            over the pairs with a ≠ 0 (NaN when there is none)
 *   smape = 100 · mean(2·|a − p| / (|a| + |p|))  a pair with a = p = 0 counts as 0
 *
 * MAPE and sMAPE are percentages (sMAPE as in the M3/M4 competitions, in [0, 200]).
 * Inputs are plain number arrays of equal length; a non-finite value is an error.
 */

/** The four errors, as the JSON summaries name them. */
export interface RegressionErrors {
  rmse: number;
  mae: number;
  mape: number;
  smape: number;
}

function check(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (actual.length !== predicted.length) throw new Error(`actual and predicted differ in length: ${actual.length} vs ${predicted.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i]) || !Number.isFinite(predicted[i])) {
      throw new Error(`non-finite value at index ${i}: actual ${actual[i]}, predicted ${predicted[i]}`);
    }
  }
  return actual.length;
}

export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = check(actual, predicted);
  let s = 0;
  for (let i = 0; i < n; i++) s += (actual[i] - predicted[i]) ** 2;
  return n ? Math.sqrt(s / n) : NaN;
}

export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = check(actual, predicted);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(actual[i] - predicted[i]);
  return n ? s / n : NaN;
}

export function mape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = check(actual, predicted);
  let s = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (actual[i] === 0) continue;
    s += Math.abs(actual[i] - predicted[i]) / Math.abs(actual[i]);
    k++;
  }
  return k ? (100 * s) / k : NaN;
}

export function smape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = check(actual, predicted);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i]) + Math.abs(predicted[i]);
    if (d > 0) s += (2 * Math.abs(actual[i] - predicted[i])) / d;
  }
  return n ? (100 * s) / n : NaN;
}

/** All four errors at once. */
export function regressionErrors(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionErrors {
  return { rmse: rmse(actual, predicted), mae: mae(actual, predicted), mape: mape(actual, predicted), smape: smape(actual, predicted) };
}
