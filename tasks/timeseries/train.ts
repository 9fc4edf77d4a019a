/**
 * A forecasting run, end to end: read the CSV (data.ts) → split chronologically
 * (train / validation / test, never shuffled across; windows.ts) → detect the
 * period (baselines.ts) → choose the transform, window and season channels on
 * the validation part (select.ts) → standardize on the training part
 * (transforms.ts, forecast.ts) → sliding windows → the forecaster (model.ts,
 * recurrent + linear path) → the engine (src/train) on loss.ts → the best
 * checkpoint on validation and test beside the baselines → report (figures.ts).
 * No argv here. Next: predict.ts (forecasting past the end of a series).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import { rmse, type RegressionErrors } from '../../src/metrics/regression';
import { bundledData } from '../../src/paths';
import type { TaskFigure, TaskHooks, TaskResult } from '../../src/task';
import { bestOrLastDir, hasBest, noteSink, readTaskArtifacts } from '../../src/task_artifacts';
import { engineOptions, seededPermutation, train } from '../../src/train';
import { baselineForecasts, detectPeriod, snapPeriod, type BaselineName } from './baselines';
import { BUNDLED, TIMESERIES_DEFAULTS, type TimeseriesConfig } from './config';
import { readSeries, type DateStep, type SeriesTable } from './data';
import { errorTable, fmt, isoTime, lineChart } from './figures';
import { actualsAt, channelsOf, errorsOf, fitScalers, rollForecast, seasonChannels, seasonRow, stepIndex, toLevels, type FutureRows } from './forecast';
import { buildForecaster, ridgeFit, ridgePredict, setLinearWeights, type ForecasterShape } from './model';
import type { History, TimeseriesArtifacts } from './predict';
import { timeseriesParallel, windowIndexLoss, type WindowIndexBatch } from './replica';
import { autoWindow, candidateSpecs, RIDGE_GRID, selectLinear, type Candidate } from './select';
import { describe, offset, parseSteps, StandardScaler, type TransformSpec } from './transforms';
import { gatherWindows, splitSeries, windowOrigins } from './windows';

/** The log transform needs a positive series: else an error naming the line. */
function checkPositive(y: number[], table: SeriesTable): void {
  const bad = y.findIndex((v) => !(v > 0));
  if (bad >= 0) throw new UserError(`${table.file}:${table.lines[bad]}: the log transform needs positive values, but '${table.target}' is ${y[bad]} (use --transform none or diff)`);
}

function historyTail(table: SeriesTable, keep: number): History {
  const n = table.values[0].length;
  const from = Math.max(0, n - keep);
  return {
    dates: table.dates ? table.dates.slice(from) : null,
    times: table.times ? table.times.slice(from) : null,
    values: table.values.map((v) => v.slice(from)),
    firstRow: from + 1,
  };
}

export async function trainTimeseries(overrides: Partial<TimeseriesConfig>, hooks: TaskHooks = {}): Promise<TaskResult> {
  const config: TimeseriesConfig = { ...TIMESERIES_DEFAULTS, ...overrides };
  const { notes, note } = noteSink(hooks);
  const bundled = config.data === undefined;
  const file = config.data ?? bundledData('timeseries', BUNDLED.file);
  const resumed = config.resume ? readTaskArtifacts<TimeseriesArtifacts>(config.resume, 'timeseries') : null;
  const table = readSeries(file, {
    target: resumed?.target ?? config.target ?? (bundled ? BUNDLED.target : undefined),
    features: resumed?.features ?? config.features,
    dateColumn: config.dateColumn,
    fill: config.fill,
  });
  table.notes.forEach(note);
  const y = table.values[0];
  const features = table.values.slice(1);
  const H = config.horizon;
  if (!(Number.isInteger(H) && H >= 1)) throw new UserError(`--horizon must be an integer ≥ 1, got ${H}`, 2);
  if (config.strategy === 'recursive' && features.length && H > 1) {
    throw new UserError('--strategy recursive needs future values of the features; use --strategy direct with --features', 2);
  }
  const outputs = config.strategy === 'recursive' ? 1 : H;
  const split = splitSeries(y.length, config.testSize, config.validSize);
  if (split.validEnd - split.trainEnd < H || split.n - split.validEnd < H || split.trainEnd < 10) {
    throw new UserError(`${file}: ${y.length} rows are too few for a ${split.trainEnd}/${split.validEnd - split.trainEnd}/${split.n - split.validEnd} train/validation/test split with horizon ${H} (lower --test-size / --valid-size or --horizon)`);
  }

  // Period, window and transform: rules fitted on the training part, chosen on validation.
  const trainY = y.slice(0, split.trainEnd);
  const detected = snapPeriod(detectPeriod(trainY), table.step);
  const period = resumed?.period ?? (config.period > 0 ? config.period : detected);
  if (!resumed && config.period === 0) note(`period: ${period > 1 ? `${period} steps` : 'none'} (detected on the training part; --period to set it)`);
  if (period >= split.trainEnd / 2 && period > 1) {
    // A given period needs two seasons in the training part (seasonal differences, the seasonal baselines).
    if (!resumed && config.period > 0) throw new UserError(`--period ${period}: the training part of ${file} has ${split.trainEnd} rows, fewer than two seasons (give a period below ${Math.ceil(split.trainEnd / 2)}, or 0 to detect it)`, 2);
    note(`period ${period}: less than two seasons of training data`);
  }
  const window = resumed?.window ?? (config.window > 0 ? config.window : autoWindow(period, split.trainEnd));
  // Season channels: the position in the season, for dated series with a period.
  const dated = table.times !== null && table.step !== null;
  if (config.season === 'on' && !(dated && period >= 2)) throw new UserError(`--season on needs a date column and a seasonal period ≥ 2 (${dated ? 'no period was detected; give --period' : 'the data has no dates'})`, 2);
  const seasonData = dated && period >= 2 ? seasonChannels(table.times as number[], table.step as DateStep, period) : null;
  const seasonOptions = config.season === 'off' || !seasonData ? [null] : config.season === 'on' ? [seasonData] : [null, seasonData];
  let spec: TransformSpec;
  let lambda = resumed?.ridge ?? config.ridge;
  let season = resumed ? resumed.season : seasonOptions.length === 1 && seasonOptions[0] !== null;
  if (resumed) spec = resumed.transform;
  else {
    const auto = config.transform.length === 1 && config.transform[0] === 'auto';
    const specs = auto ? candidateSpecs(y, split, period) : [{ steps: parseSteps(config.transform, period), period }];
    if (specs[0].steps.includes('log')) checkPositive(y, table);
    if (auto || lambda === 0 || seasonOptions.length > 1) {
      const ranked = selectLinear(specs, seasonOptions, y, features, split, window, H, lambda > 0 ? [lambda] : RIDGE_GRID);
      if (!ranked.length) throw new UserError(`${file}: too few training windows of ${window} steps (lower --window or --valid-size)`);
      ({ spec, lambda, season } = ranked[0]);
      const bestPer = specs.map((s) => ranked.find((c) => c.spec === s)).filter((c): c is Candidate => c !== undefined);
      note(
        `${auto ? `transform: ${describe(spec)}, ` : ''}season channels ${season ? 'on' : 'off'}, ridge λ ${lambda} ` +
          `(validation RMSE of the linear autoregression, best per transform: ${bestPer.map((c) => `${describe(c.spec)}${c.season ? '+season' : ''} ${c.validRmse.toPrecision(4)}`).join(', ')})`,
      );
    } else spec = specs[0];
  }
  if (spec.steps.includes('log')) checkPositive(y, table);
  const first = offset(spec);
  const scalers = resumed ? resumed.scalers.map(StandardScaler.fromJSON) : fitScalers(table.values, spec, split.trainEnd);
  const ch = [...channelsOf(table.values, spec, scalers, file), ...(season && seasonData ? seasonData : [])];

  // Windows: training ones entirely in the training part; validation/test ones by their targets.
  const trainO = windowOrigins(first, first, split.trainEnd, window, outputs);
  const validO = windowOrigins(first, split.trainEnd, split.validEnd, window, H);
  const testO = windowOrigins(first, split.validEnd, split.n, window, H);
  if (trainO.length < 2) throw new UserError(`${file}: only ${trainO.length} training windows of ${window} steps after the ${describe(spec)} transform (lower --window)`);
  note(`data: ${y.length} rows of '${table.target}'${table.features.length ? ` + ${table.features.join(', ')}` : ''}; train ${split.trainEnd} / validation ${split.validEnd - split.trainEnd} / test ${split.n - split.validEnd} rows (chronological); window ${window}, horizon ${H} (${config.strategy}); ${trainO.length} training windows`);
  const tr = gatherWindows(ch, trainO, window, outputs);
  const va = gatherWindows(ch, validO, window, H);
  const te = gatherWindows(ch, testO, window, H);
  const C = ch.length;
  const xFlat = Float32Array.from(tr.x.flat(2));
  const yFlat = Float32Array.from(tr.y.flat());
  const xTrain = tf.tensor3d(xFlat, [trainO.length, window, C]);
  const yTrain = tf.tensor2d(yFlat, [trainO.length, outputs]);

  const shape: ForecasterShape = { cell: config.cell, hidden: config.hidden, layers: config.layers, dropout: config.dropout, window, channels: C, outputs, linear: config.linear, seed: config.seed };
  const model = buildForecaster(shape);
  const linearFit = ridgeFit(tr.x.map((w) => w.flat()), tr.y, lambda || 1);
  if (config.linear && !resumed) setLinearWeights(model, linearFit);
  const fitted = config.linear ? ridgePredict(linearFit, tr.x.map((w) => w.flat())) : tr.y.map((r) => r.map(() => 0));
  const initialLoss = tr.y.reduce((a, r, i) => a + r.reduce((b, v, k) => b + (v - fitted[i][k]) ** 2, 0), 0) / (tr.y.length * outputs);

  // Future season channels at origin o, h steps ahead (no other features: their future is unknown).
  const futureAt = (origins: number[]): FutureRows =>
    features.length ? undefined : season ? (i, h) => seasonRow(stepIndex((table.times as number[])[origins[i]], table.step as DateStep) + h, period) : () => [];
  const forecast = (m: tf.LayersModel, origins: number[], x: number[][][]): number[][] => toLevels(y, origins, rollForecast(m, x, H, outputs, futureAt(origins)), spec, scalers[0]);
  const linearForecast = (origins: number[], x: number[][][]): number[][] => {
    let cur = x.map((w) => w.flat());
    const preds: number[][] = x.map(() => []);
    const future = futureAt(origins);
    while (preds[0].length < H) {
      const p = ridgePredict(linearFit, cur);
      const take = Math.min(outputs, H - preds[0].length);
      const done = preds[0].length;
      p.forEach((r, i) => preds[i].push(...r.slice(0, take)));
      cur = cur.map((w, i) => [...w, ...p[i].slice(0, take).flatMap((v, j) => [v, ...(future ? future(i, done + j + 1) : [])])].slice(-window * C));
    }
    return toLevels(y, origins, preds, spec, scalers[0]);
  };
  const validActual = actualsAt(y, validO, H);
  const testActual = actualsAt(y, testO, H);

  const artifacts: TimeseriesArtifacts = {
    task: 'timeseries',
    target: table.target,
    features: table.features,
    dateColumn: table.dateColumn,
    step: table.step,
    dateFormat: table.dateFormat,
    fill: config.fill,
    transform: spec,
    scalers: scalers.map((s) => s.toJSON()),
    window,
    horizon: H,
    outputs,
    strategy: config.strategy,
    period,
    ridge: lambda,
    season,
    history: historyTail(table, Math.max(window + first + period + 1, 200)),
  };
  const ownConfig = { ...config, target: table.target, features: table.features, window, period, transform: spec.steps.length ? spec.steps : ['none'], season: season ? 'on' : 'off' };
  const B = config.batchSize;
  let training;
  try {
    training = await train<WindowIndexBatch>(
      {
        model,
        // batches are window indices; each thread gathers its shard's windows in the loss
        loss: windowIndexLoss(model, xTrain, yTrain),
        batches: (epoch, seed) => {
          const order = seededPermutation(trainO.length, seed, epoch);
          const out: WindowIndexBatch[] = [];
          for (let i = 0; i < order.length; i += B) out.push({ index: order.slice(i, i + B) });
          return out;
        },
        batchSize: (b) => b.index.length,
        // data-parallel workers (--workers n|auto): each builds this forecaster and holds the training windows
        ...timeseriesParallel({ shape, x: xFlat, y: yFlat, rows: trainO.length }),
        evaluate: () => ({ ...errorsOf(validActual, forecast(model, validO, va.x)) }),
        artifacts: artifacts as unknown as Record<string, unknown>,
        config: ownConfig as unknown as Record<string, unknown>,
      },
      // The linear path starts at the least-squares fit, so the first loss can be tiny: divergence is
      // judged against the target's variance (1 after scaling) rather than against the first loss alone.
      engineOptions(config, hooks, { metric: 'rmse', mode: 'min', maxDivergenceRatio: Math.max(100, 100 / Math.max(initialLoss, 1e-12)) }),
    );
  } finally {
    tf.dispose([xTrain, yTrain]);
  }

  const modelDir = bestOrLastDir(training, config.out);
  const best = hasBest(training) ? await loadModel(modelDir) : model;
  const dev = errorsOf(validActual, forecast(best, validO, va.x));
  const testPred = forecast(best, testO, te.x);
  const test = errorsOf(testActual, testPred);
  if (best !== model) best.dispose();
  model.dispose();

  // Baselines on the test part, at the same origins and steps ahead.
  const multiplicative = y.every((v) => v > 0);
  const baselineNames: [BaselineName, string][] = [
    ['persistence', 'persistence'],
    ['seasonalNaive', `seasonal naive (s=${period})`],
    ['seasonalGrowth', `seasonal naive ${multiplicative ? '×' : '+'} growth`],
  ];
  const seasonalOk = period >= 2 && testO[0] - period >= 0;
  const baselinePreds: Partial<Record<BaselineName, number[][]>> = {};
  const baselines: Record<string, RegressionErrors | null> = {};
  for (const [name] of baselineNames) {
    if (name !== 'persistence' && !seasonalOk) {
      baselines[name] = null;
      continue;
    }
    baselinePreds[name] = baselineForecasts(name, y, testO, H, period, multiplicative);
    baselines[name] = errorsOf(testActual, baselinePreds[name] as number[][]);
  }
  const linearPred = linearForecast(testO, te.x);
  baselines.linear = errorsOf(testActual, linearPred);

  const modelName = `${config.cell} ${config.hidden}${config.layers > 1 ? `×${config.layers}` : ''}${config.linear ? ' + linear' : ''} (${describe(spec)}${season ? ', season' : ''})`;
  const span = table.dates ? ` (${table.dates[split.validEnd]} … ${table.dates[split.n - 1]})` : '';
  const report = [
    `test: ${testO.length} forecast origin${testO.length > 1 ? 's' : ''}, ${H === 1 ? 'one step ahead' : `1..${H} steps ahead (${config.strategy})`}, ${split.n - split.validEnd} rows${span}`,
    ...errorTable([
      { name: `model: ${modelName}`, e: test },
      { name: 'linear autoregression (ridge)', e: baselines.linear },
      ...baselineNames.map(([k, label]) => ({ name: label, e: baselines[k] })),
    ]),
  ];
  const byStep = Array.from({ length: H }, (_, h) => rmse(testActual.map((a) => a[h]), testPred.map((p) => p[h])));
  if (H > 1) report.push(`test RMSE by steps ahead: ${byStep.map((v, h) => `${h + 1}: ${v.toFixed(3)}`).join(', ')}`);
  const beaten = (['persistence', 'seasonalGrowth'] as const).filter((k) => baselines[k] && test.rmse >= (baselines[k] as RegressionErrors).rmse);
  if (beaten.length) report.push(`note: the model does not beat ${beaten.join(' and ')} on test RMSE`);

  // Figure: the end of the history, the test actuals, and the one-step-ahead forecasts.
  const temporal = table.times !== null && table.step !== null;
  const xOf = (i: number): string | number => (temporal ? isoTime((table.times as number[])[i], table.step as DateStep) : i + 1);
  const histFrom = Math.max(0, split.validEnd - Math.max(3 * (split.n - split.validEnd), 2 * period));
  const values: { x: string | number; value: number; series: string }[] = [];
  for (let i = histFrom; i < split.validEnd; i++) values.push({ x: xOf(i), value: y[i], series: 'history' });
  for (let i = split.validEnd - 1; i < split.n; i++) values.push({ x: xOf(i), value: y[i], series: 'actual' });
  const oneStep = (pred: number[][], series: string): void => pred.forEach((p, i) => values.push({ x: xOf(testO[i] + 1), value: p[0], series }));
  oneStep(testPred, 'model');
  if (baselinePreds.persistence) oneStep(baselinePreds.persistence, 'persistence');
  if (baselinePreds.seasonalNaive) oneStep(baselinePreds.seasonalNaive, 'seasonal naive');
  if (baselinePreds.seasonalGrowth) oneStep(baselinePreds.seasonalGrowth, 'seasonal naive × growth');
  const figures: TaskFigure[] = [
    {
      title: `Forecasts of ${table.target} on the test part`,
      spec: lineChart(values, temporal, table.target, ['history', 'actual', 'model', 'persistence', 'seasonal naive', 'seasonal naive × growth']),
      caption: `One step ahead forecasts at every test step (model test RMSE ${fmt(test.rmse, 3)}; persistence ${fmt(baselines.persistence?.rmse, 3)}).`,
    },
  ];

  return {
    metrics: { dev: { ...dev }, test: { ...test } },
    modelDir,
    training,
    notes,
    report,
    summary: {
      baselines,
      period,
      transform: describe(spec),
      ridge: lambda,
      season,
      window,
      horizon: H,
      strategy: config.strategy,
      testRmseByStep: byStep,
      counts: { rows: y.length, train: split.trainEnd, validation: split.validEnd - split.trainEnd, test: split.n - split.validEnd, trainWindows: trainO.length, testOrigins: testO.length },
    },
    figures,
    hint: `npx rnn-predict --model ${modelDir} --horizon ${Math.max(H, period > 1 && period <= 48 ? period : 7)}`,
  };
}
