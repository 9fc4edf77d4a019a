/**
 * Optimizers by name, with a settable learning rate (for schedules). All are
 * tfjs' own, so their slots (Adam's moments, iterations...) come from
 * `optimizer.getWeights()` and go into checkpoints.
 */
import * as tf from '@tensorflow/tfjs';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop', 'adagrad'];

export interface OptimizerOptions {
  /** Which optimizer. */
  name: OptimizerName;
  /** Initial learning rate. */
  lr: number;
  /** Momentum for sgd (0 = plain SGD) and rmsprop. Default 0. */
  momentum?: number;
  /** sgd with momentum: Nesterov's variant. Default false. */
  nesterov?: boolean;
  /** adam: decay of the first moment. Default 0.9. */
  beta1?: number;
  /** adam: decay of the second moment. Default 0.999. */
  beta2?: number;
  /** rmsprop: decay of the squared-gradient average. Default 0.9. */
  rho?: number;
  /** adam, rmsprop: denominator fuzz. Default 1e-7 (tfjs' backend epsilon). */
  epsilon?: number;
}

export function makeOptimizer(o: OptimizerOptions): tf.Optimizer {
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new Error(`learning rate must be a positive number, got ${String(o.lr)}`);
  const momentum = o.momentum ?? 0;
  if (!(momentum >= 0 && momentum < 1)) throw new Error(`momentum must be in [0, 1), got ${String(momentum)}`);
  switch (o.name) {
    case 'adam':
      return tf.train.adam(o.lr, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon);
    case 'sgd':
      return momentum > 0 ? tf.train.momentum(o.lr, momentum, o.nesterov ?? false) : tf.train.sgd(o.lr);
    case 'rmsprop':
      return tf.train.rmsprop(o.lr, o.rho ?? 0.9, momentum, o.epsilon);
    case 'adagrad':
      return tf.train.adagrad(o.lr);
    default:
      throw new Error(`unknown optimizer '${String(o.name)}': expected one of ${OPTIMIZERS.join(', ')}`);
  }
}

/**
 * Sets the learning rate of any tfjs optimizer. They all read a `learningRate`
 * field at every step, except SGD and momentum, which cache −lr in a scalar that
 * only their `setLearningRate` refreshes (setting the field alone would silently
 * keep the old rate). No-op when the rate is unchanged.
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** The learning rate an optimizer will use at its next step. */
export function getLearningRate(opt: tf.Optimizer): number {
  return (opt as unknown as { learningRate: number }).learningRate;
}
