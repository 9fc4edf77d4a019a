/**
 * Optimizers by name, with a settable learning rate (for schedules).
 */
import * as tf from '@tensorflow/tfjs';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
export const OPTIMIZERS: OptimizerName[] = ['adam', 'sgd', 'rmsprop', 'adagrad'];

export interface OptimizerOptions {
  /** Which optimizer. */
  name: OptimizerName;
  /** Initial learning rate. */
  lr: number;
  /** Momentum for sgd (0 = plain SGD) and rmsprop. Default 0. */
  momentum?: number;
}

export function makeOptimizer(o: OptimizerOptions): tf.Optimizer {
  const momentum = o.momentum ?? 0;
  switch (o.name) {
    case 'adam':
      return tf.train.adam(o.lr);
    case 'sgd':
      return momentum > 0 ? tf.train.momentum(o.lr, momentum) : tf.train.sgd(o.lr);
    case 'rmsprop':
      return tf.train.rmsprop(o.lr, 0.9, momentum);
    case 'adagrad':
      return tf.train.adagrad(o.lr);
    default:
      throw new Error(`unknown optimizer '${String(o.name)}': expected one of ${OPTIMIZERS.join(', ')}`);
  }
}

/** Sets the learning rate of any tfjs optimizer (they keep it in a `learningRate` field). */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}
