/**
 * The forecaster as a data-parallel worker thread builds it (TrainOptions.workers
 * > 1; the contract in docs/workers.md). A training batch is the plain list of
 * its windows' indices (no tensors, so shardRows splits it); every thread holds
 * the training windows once (the workers get them in their replica args at
 * start) and gathers its shard's rows in the loss. The loss is a mean over the
 * batch's windows × outputs, so the default weight (windows) fits.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataParallel, Replica } from '../../src/train';
import { shardRows } from '../../src/train';
import { forecastLoss } from './loss';
import { buildForecaster, type ForecasterShape } from './model';

/** A training batch: indices of training windows (rows of the windows tensors). */
export interface WindowIndexBatch {
  index: number[];
}

/** What a worker needs (structured-cloneable; the training windows are copied once, at start). */
export interface TimeseriesReplicaArgs {
  shape: ForecasterShape;
  /** Training windows, [N, window, channels] flattened. */
  x: Float32Array;
  /** Their targets, [N, outputs] flattened. */
  y: Float32Array;
  rows: number;
}

/** The mean squared error of a batch of window indices, gathered from the training windows. */
export function windowIndexLoss(model: tf.LayersModel, xTrain: tf.Tensor3D, yTrain: tf.Tensor2D): (b: WindowIndexBatch, training: boolean) => tf.Scalar {
  const mse = forecastLoss(model);
  return (b, training) =>
    tf.tidy(() => {
      const idx = tf.tensor1d(b.index, 'int32');
      return mse({ x: tf.gather(xTrain, idx), y: tf.gather(yTrain, idx) }, training);
    });
}

/** The workers' builder (TrainSpec.replica points here); the windows tensors live as long as the worker. */
export function buildReplica(args: TimeseriesReplicaArgs): Replica<WindowIndexBatch> {
  const { shape, rows } = args;
  const model = buildForecaster(shape);
  const xTrain = tf.tensor3d(args.x, [rows, shape.window, shape.channels]);
  const yTrain = tf.tensor2d(args.y, [rows, shape.outputs]);
  return { model, loss: windowIndexLoss(model, xTrain, yTrain) };
}

/** The TrainSpec fields of a data-parallel timeseries run. */
export const timeseriesParallel = (args: TimeseriesReplicaArgs): DataParallel<WindowIndexBatch> => ({
  replica: { module: __filename, args },
  shard: (b, i, n) => shardRows(b, i, n, b.index.length),
  // steps of a few ms: a second worker made them slower (bench/workers.js --tasks timeseries: 0.60×), so auto stays on 1
  autoWorkersCap: 1,
});
