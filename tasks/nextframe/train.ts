/**
 * Next-frame prediction, end to end: sequences (data.ts) → patches → the
 * encoder-forecaster (model.ts) → per-pixel BCE (loss.ts) → train (src/train) →
 * the best checkpoint on validation and test beside the baselines (evaluate.ts).
 * No argv here.
 */
import * as path from 'path';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import type { TaskHooks } from '../../src/task';
import { engineOptions, readArtifacts, seededPermutation, train, TrainResult } from '../../src/train';
import { NEXTFRAME_DEFAULTS, NextframeTaskConfig, SQUARES_DEFAULTS } from './config';
import { DataSource, FrameShape, loadFrameSplits, patchSize } from './data';
import { Evaluation, evaluateFrames, meanFrame, metricsOf } from './evaluate';
import { FrameBatch, frameLoss, FrameLayout, gridOf } from './loss';
import { buildNextframeModel, modelShape } from './model';

/** What a checkpoint carries besides the weights, to predict. */
export interface NextframeArtifacts {
  task: 'nextframe';
  /** The frames' size in pixels (before folding). */
  frame: FrameShape;
  patch: number;
  inputFrames: number;
  outputFrames: number;
  /** The training data's source (rnn-predict regenerates test sequences for generated ones). */
  source: DataSource;
  seed: number;
  config: NextframeTaskConfig;
}

export interface NextframeRun {
  dev: Evaluation;
  test: Evaluation;
  layout: FrameLayout;
  source: DataSource;
  modelDir: string;
  training: TrainResult;
  notes: string[];
  /** Training sequences per second (steps only), seconds in steps, CPU seconds of the run. */
  speed: { sequencesPerSecond: number; trainSeconds: number; cpuSeconds: number; wallSeconds: number };
}

/** The full config: defaults, the bundled set's smaller defaults when no --data, then the caller's. */
export function resolveConfig(overrides: Partial<NextframeTaskConfig>): NextframeTaskConfig {
  const bundled = overrides.data === undefined || overrides.data === 'squares';
  const config: NextframeTaskConfig = { ...NEXTFRAME_DEFAULTS, ...(bundled ? SQUARES_DEFAULTS : {}), ...overrides };
  config.filters = (config.filters as unknown[]).map((f) => {
    const n = Number(f);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`--filters ${config.filters.join(',')}: expected positive integers, e.g. 64,64`, 2);
    return n;
  });
  if (config.filters.length < 1) throw new UserError('--filters: give at least one layer, e.g. 64,64', 2);
  if (config.kernelSize % 2 !== 1) throw new UserError(`--kernel-size ${config.kernelSize}: must be odd ('same' padding)`, 2);
  return config;
}

export async function trainNextframe(overrides: Partial<NextframeTaskConfig> = {}, hooks: TaskHooks = {}): Promise<NextframeRun> {
  const wall0 = Date.now();
  const config = resolveConfig(overrides);
  const notes: string[] = [];
  const note = (m: string): void => {
    notes.push(m);
    hooks.onNote?.(m);
  };
  const splits = loadFrameSplits(config);
  splits.notes.forEach(note);
  if (config.resume) {
    const a = readArtifacts(config.resume) as unknown as NextframeArtifacts;
    if (a.task !== 'nextframe') throw new UserError(`${config.resume}: this checkpoint is for task '${String(a.task)}', not nextframe`);
  }
  const patch = patchSize(config.patch, splits.shape);
  const layout: FrameLayout = { shape: splits.shape, patch, inputFrames: config.inputFrames, outputFrames: config.outputFrames };
  const grid = gridOf(layout);
  note(
    `model: encoder-forecaster of ConvLSTMs ${config.filters.join('-')} filters, ${config.kernelSize}×${config.kernelSize} kernels, on ${patch}×${patch} patches ` +
      `(${splits.shape.height}×${splits.shape.width}×${splits.shape.channels} → ${grid.height}×${grid.width}×${grid.channels})`,
  );
  const mean = meanFrame(splits.train, layout);
  const meanIntensity = mean.reduce((a, v) => a + v, 0) / Math.max(1, mean.length);
  const model = buildNextframeModel(modelShape(config, grid, meanIntensity));
  const artifacts: NextframeArtifacts = { task: 'nextframe', frame: splits.shape, patch, inputFrames: config.inputFrames, outputFrames: config.outputFrames, source: splits.source, seed: config.seed, config };
  const evalBatch = Math.max(config.batchSize, 16);

  let stepSeconds = 0;
  let stepSequences = 0;
  let last = Date.now();
  const cpu0 = process.cpuUsage();
  const training = await train<FrameBatch>(
    {
      model,
      loss: (b, isTraining) => frameLoss(model, splits.train, b, layout, isTraining),
      batches: (epoch, seed) => {
        const order = seededPermutation(splits.train.size, seed, epoch);
        const out: FrameBatch[] = [];
        for (let i = 0; i < order.length; i += config.batchSize) out.push({ ids: order.slice(i, i + config.batchSize), epoch });
        last = Date.now();
        return out;
      },
      batchSize: (b) => b.ids.length,
      evaluate: () => {
        const e = evaluateFrames(model, splits.dev, layout, mean, { batchSize: evalBatch, ssimEvery: 4 });
        last = Date.now();
        return { mse: e.model.mse, bce: e.model.bce, ssim: e.model.ssim };
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
      config: config as unknown as Record<string, unknown>,
    },
    engineOptions(
      config,
      {
        ...hooks,
        onStep: (s) => {
          const now = Date.now();
          stepSeconds += (now - last) / 1000;
          last = now;
          stepSequences += config.batchSize;
          hooks.onStep?.(s);
        },
        onEpochEnd: (e) => {
          last = Date.now();
          hooks.onEpochEnd?.(e);
        },
      },
      { metric: 'mse', mode: 'min' },
    ),
  );
  const cpu = process.cpuUsage(cpu0);

  const bestDir = path.join(config.out, 'best');
  const best = training.bestEpoch >= 0 ? await loadModel(bestDir) : model;
  const dev = evaluateFrames(best, splits.dev, layout, mean, { batchSize: evalBatch });
  const test = evaluateFrames(best, splits.test, layout, mean, { batchSize: evalBatch, keep: config.showSequences });
  if (best !== model) best.dispose();
  model.dispose();
  return {
    dev,
    test,
    layout,
    source: splits.source,
    modelDir: training.bestEpoch >= 0 ? bestDir : path.join(config.out, 'last'),
    training,
    notes,
    speed: {
      sequencesPerSecond: stepSeconds > 0 ? stepSequences / stepSeconds : 0,
      trainSeconds: stepSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds: (Date.now() - wall0) / 1000,
    },
  };
}

export { metricsOf };
