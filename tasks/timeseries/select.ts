/**
 * The choices made on the validation part: for each candidate transform, with and
 * without season channels, and each ridge penalty, a linear autoregression is
 * fitted on the training windows and scored on the validation windows in the
 * original units. Also the default window.
 *
 * Next: model.ts.
 */
import { rmse } from '../../src/metrics/regression';
import type { TransformStep } from './config';
import { actualsAt, channelsOf, fitScalers, toLevels } from './forecast';
import { gram, ridgePredict, ridgeSolve } from './model';
import { offset, type TransformSpec } from './transforms';
import { gatherWindows, windowOrigins, type Split } from './windows';

export interface Candidate {
  spec: TransformSpec;
  season: boolean;
  lambda: number;
  validRmse: number;
}

/** Ridge penalties tried when --ridge is 0 (on standardized inputs: from almost none to shrinking to the mean). */
export const RIDGE_GRID = [0.01, 0.1, 1, 10, 100, 1000, 10000];

/** The transforms tried by --transform auto (log only for a positive series, seasonal differences only with a period). */
export function candidateSpecs(y: number[], split: Split, period: number): TransformSpec[] {
  const positive = y.slice(0, split.validEnd).every((v) => v > 0);
  const options: TransformStep[][] = [[], ['diff']];
  if (positive) options.push(['log'], ['log', 'diff']);
  if (period >= 2) {
    options.push(['seasonal-diff']);
    if (positive) options.push(['log', 'seasonal-diff']);
  }
  return options.map((steps) => ({ steps, period }));
}

/**
 * The linear autoregression chosen on the validation part: for each transform and
 * ridge penalty, fitted on the training windows, forecasting the validation
 * windows, scored by RMSE in the original units. Best first.
 */
export function selectLinear(specs: TransformSpec[], seasons: (number[][] | null)[], y: number[], features: number[][], split: Split, window: number, horizon: number, lambdas: number[]): Candidate[] {
  const out: Candidate[] = [];
  for (const spec of specs) for (const season of seasons) {
    const first = offset(spec);
    const values = [y, ...features];
    const scalers = fitScalers(values, spec, split.trainEnd);
    const ch = [...channelsOf(values, spec, scalers, 'series'), ...(season ?? [])];
    const trainO = windowOrigins(first, first, split.trainEnd, window, horizon);
    const validO = windowOrigins(first, split.trainEnd, split.validEnd, window, horizon);
    if (trainO.length < 10 || !validO.length) continue;
    const tr = gatherWindows(ch, trainO, window, horizon);
    const g = gram(tr.x.map((w) => w.flat()), tr.y);
    const va = gatherWindows(ch, validO, window, horizon);
    const vx = va.x.map((w) => w.flat());
    const actual = actualsAt(y, validO, horizon).flat();
    for (const lambda of lambdas) {
      const pred = toLevels(y, validO, ridgePredict(ridgeSolve(g, lambda), vx), spec, scalers[0]);
      const r = rmse(actual, pred.flat());
      if (Number.isFinite(r)) out.push({ spec, season: season !== null, lambda, validRmse: r });
    }
  }
  return out.sort((a, b) => a.validRmse - b.validRmse);
}

/** The default window: period + 1 for periods up to 48, else 24; at most a third of the training part. */
export function autoWindow(period: number, trainLength: number): number {
  const w = period >= 2 && period <= 48 ? period + 1 : 24;
  return Math.max(2, Math.min(w, Math.floor(trainLength / 3)));
}
