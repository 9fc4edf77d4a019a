/**
 * The simple forecasts every model is reported beside, and the seasonal period.
 *
 * From an origin o (the last observed step), the forecast h steps ahead:
 *   persistence            y[o]
 *   seasonal naive         y[o + h − k·s]                     k = ceil(h / s): the same step one season back
 *   seasonal naive·growth  y[o + h − k·s] · (y[o] / y[o − s])^k
 * For h = 1 the last one is the classic y[t−s] · y[t−1] / y[t−s−1]; when the
 * series is not strictly positive the growth is additive, y[o+h−ks] + k·(y[o] − y[o−s]).
 *
 * Next: select.ts.
 */

import type { DateStep } from './data';

export type BaselineName = 'persistence' | 'seasonalNaive' | 'seasonalGrowth';

/** Forecasts [origin][h] of one baseline; `period` ≥ 2 for the seasonal ones. */
export function baselineForecasts(name: BaselineName, y: number[], origins: number[], horizon: number, period: number, multiplicative = y.every((v) => v > 0)): number[][] {
  return origins.map((o) => {
    const out: number[] = [];
    for (let h = 1; h <= horizon; h++) {
      if (name === 'persistence') {
        out.push(y[o]);
        continue;
      }
      if (period < 2) throw new Error(`${name} needs a seasonal period ≥ 2`);
      const k = Math.ceil(h / period);
      const back = y[o + h - k * period];
      if (name === 'seasonalNaive') out.push(back);
      else out.push(multiplicative ? back * (y[o] / y[o - period]) ** k : back + k * (y[o] - y[o - period]));
    }
    if (out.some((v) => v === undefined || Number.isNaN(v))) throw new Error(`${name}: origin ${o} has less than one season of history`);
    return out;
  });
}

/** Autocorrelation of x at lags 0..maxLag. */
export function autocorrelation(x: number[], maxLag: number): number[] {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const d = x.map((v) => v - mean);
  const c0 = d.reduce((a, b) => a + b * b, 0) || 1;
  const out: number[] = [];
  for (let k = 0; k <= maxLag; k++) {
    let s = 0;
    for (let t = k; t < n; t++) s += d[t] * d[t - k];
    out.push(s / c0);
  }
  return out;
}

/**
 * The seasonal period of a series (the training part), or 1 when it has none:
 * the autocorrelation of the linearly detrended series at its highest local peak
 * (lag 2..n/2, at least 0.3 and 0.1 above the lowest value before it), or the
 * smallest lag that divides it with a peak at least 0.8 times as high (12 rather
 * than 24). At least two full seasons are needed.
 */
export function detectPeriod(y: number[], maxLag = 1000): number {
  const n = y.length;
  if (n < 8) return 1;
  // Linear detrend by least squares.
  const tm = (n - 1) / 2;
  const ym = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < n; t++) {
    sxy += (t - tm) * (y[t] - ym);
    sxx += (t - tm) ** 2;
  }
  const slope = sxy / sxx;
  const x = y.map((v, t) => v - ym - slope * (t - tm));
  const L = Math.min(Math.floor(n / 2), maxLag);
  const acf = autocorrelation(x, L + 1);
  const peaks: number[] = [];
  let lowest = acf[1];
  for (let k = 2; k <= L; k++) {
    lowest = Math.min(lowest, acf[k]);
    if (acf[k] > acf[k - 1] && acf[k] >= acf[k + 1] && acf[k] >= 0.3 && acf[k] - lowest >= 0.1) peaks.push(k);
  }
  if (!peaks.length) return 1;
  const best = peaks.reduce((a, k) => (acf[k] > acf[a] ? k : a), peaks[0]);
  const divisor = peaks.find((k) => k < best && best % k === 0 && acf[k] >= 0.8 * acf[best]);
  return divisor ?? best;
}

/** Calendar periods for a date step (a day: week and year; an hour: day and week; a month: year...). */
export function calendarPeriods(step: DateStep | null): number[] {
  if (!step) return [];
  if (step.unit === 'month') return step.size === 1 ? [12] : step.size === 3 ? [4] : [];
  const hour = 3600000;
  const day = 24 * hour;
  if (step.size === hour) return [24, 168];
  if (step.size === day) return [7, 365];
  if (step.size === 7 * day) return [52];
  return [];
}

/** A detected period within 3% of a calendar period of the date step snaps to it (367 → 365 for daily data). */
export function snapPeriod(period: number, step: DateStep | null): number {
  if (period < 2) return period;
  const near = calendarPeriods(step).find((c) => Math.abs(period - c) <= 0.03 * c);
  return near ?? period;
}
