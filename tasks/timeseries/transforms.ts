/**
 * Target transforms, each with an exact inverse, and the standard scaler.
 *
 *   log            z[t] = ln y[t]                   (needs y > 0)      y[t] = exp z[t]
 *   diff           z[t] = x[t] − x[t−1]                                x[t] = z[t] + x[t−1]
 *   seasonal-diff  z[t] = x[t] − x[t−s]                                x[t] = z[t] + x[t−s]
 *
 * Steps compose in order (['log', 'seasonal-diff'] = seasonal differences of the
 * logs); the first `offset(spec)` transformed values are undefined (NaN). A forecast
 * of z after the end of a history is inverted with `inverseForecast`, which takes
 * earlier levels from the history and, past it, from the forecast itself.
 * The scaler's mean and standard deviation come from the training part only.
 *
 * Next: baselines.ts (and the period).
 */
import { UserError } from '../../src/errors';
import type { TransformStep } from './config';

export const TRANSFORM_STEPS: readonly TransformStep[] = ['log', 'diff', 'seasonal-diff'];

/** A transform pipeline: its steps and the seasonal period they use. */
export interface TransformSpec {
  steps: TransformStep[];
  period: number;
}

const lagOf = (step: TransformStep, period: number): number => (step === 'diff' ? 1 : step === 'seasonal-diff' ? period : 0);

/** The number of leading values without a transformed value. */
export function offset(spec: TransformSpec): number {
  return spec.steps.reduce((a, s) => a + lagOf(s, spec.period), 0);
}

/** 'log+seasonal-diff', or 'none'. */
export function describe(spec: TransformSpec): string {
  return spec.steps.length ? spec.steps.join('+') : 'none';
}

/** Parses and checks the --transform list (without 'auto'). */
export function parseSteps(list: string[], period: number): TransformStep[] {
  const steps = list.filter((s) => s !== 'none');
  for (const s of steps) {
    if (!(TRANSFORM_STEPS as readonly string[]).includes(s)) throw new UserError(`--transform: unknown step '${s}' (choose from auto, none, ${TRANSFORM_STEPS.join(', ')}; e.g. log,seasonal-diff)`, 2);
  }
  if (steps.includes('seasonal-diff') && period < 2) throw new UserError('--transform seasonal-diff needs a seasonal period ≥ 2 (give --period, or none was detected)', 2);
  if (steps.indexOf('log') > 0) throw new UserError('--transform: log must come first (differences can be negative)', 2);
  return steps as TransformStep[];
}

function applyStep(step: TransformStep, x: number[], period: number, what: string): number[] {
  if (step === 'log') {
    return x.map((v, i) => {
      if (Number.isNaN(v)) return v;
      if (!(v > 0)) throw new UserError(`${what}: the log transform needs positive values, but row ${i + 1} is ${v} (use --transform none or diff)`);
      return Math.log(v);
    });
  }
  const lag = lagOf(step, period);
  return x.map((v, i) => (i < lag ? NaN : v - x[i - lag]));
}

/** The transformed series (same length; NaN where undefined). */
export function forward(spec: TransformSpec, y: number[], what = 'series'): number[] {
  let x = y;
  for (const s of spec.steps) x = applyStep(s, x, spec.period, what);
  return x;
}

/** The series before each step: levels[0] = y, levels[k] = after k steps. */
function levels(spec: TransformSpec, y: number[]): number[][] {
  const out = [y];
  for (const s of spec.steps) out.push(applyStep(s, out[out.length - 1], spec.period, 'series'));
  return out;
}

/**
 * Inverts forecasts of the transformed series: `z` holds the forecasts for the
 * steps right after `history` (the untransformed series up to the origin). Returns
 * the forecasts in the original units.
 */
export function inverseForecast(spec: TransformSpec, history: number[], z: number[]): number[] {
  if (history.length < offset(spec)) throw new Error(`inverseForecast: ${history.length} history values, the transform needs ${offset(spec)}`);
  const lv = levels(spec, history);
  let pred = z;
  for (let k = spec.steps.length - 1; k >= 0; k--) {
    const step = spec.steps[k];
    if (step === 'log') {
      pred = pred.map(Math.exp);
      continue;
    }
    const lag = lagOf(step, spec.period);
    const base = lv[k];
    const n = base.length;
    const out: number[] = [];
    for (let h = 0; h < pred.length; h++) {
      const j = n + h - lag;
      out.push(pred[h] + (j < n ? base[j] : out[j - n]));
    }
    pred = out;
  }
  return pred;
}

/** Rebuilds the whole series from its transform and its first offset(spec) values. */
export function inverse(spec: TransformSpec, z: number[], head: number[]): number[] {
  const k = offset(spec);
  return [...head.slice(0, k), ...inverseForecast(spec, head.slice(0, k), z.slice(k))];
}

/** Standardization: (x − mean) / std, fitted on given values only. */
export class StandardScaler {
  constructor(
    readonly mean: number,
    readonly std: number,
  ) {}

  /** Fits on the finite values of x[from, to). */
  static fit(x: number[], from = 0, to = x.length): StandardScaler {
    const v = x.slice(from, to).filter(Number.isFinite);
    if (!v.length) throw new Error('StandardScaler.fit: no finite values');
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    const std = Math.sqrt(variance);
    return new StandardScaler(mean, std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1);
  }

  transform(x: number[]): number[] {
    return x.map((v) => (v - this.mean) / this.std);
  }

  inverse(x: number[]): number[] {
    return x.map((v) => v * this.std + this.mean);
  }

  toJSON(): { mean: number; std: number } {
    return { mean: this.mean, std: this.std };
  }

  static fromJSON(j: { mean: number; std: number }): StandardScaler {
    return new StandardScaler(j.mean, j.std);
  }
}
