/**
 * The forecasting loss: mean squared error of the model's scaled outputs
 * (the horizon when direct, one step when recursive) against the windows'
 * targets. train.ts and bench/task_timeseries.js call this one. Next: train.ts.
 */
import * as tf from '@tensorflow/tfjs';

/** A batch of windows: inputs [N, window, channels] and targets [N, outputs]. */
export interface WindowBatch {
  x: tf.Tensor3D;
  y: tf.Tensor2D;
}

/** Mean squared error of `model` on a batch of windows. */
export function forecastLoss(model: tf.LayersModel): (b: WindowBatch, training: boolean) => tf.Scalar {
  return (b, training) => tf.tidy(() => tf.losses.meanSquaredError(b.y, model.apply(b.x, { training }) as tf.Tensor2D) as tf.Scalar);
}
