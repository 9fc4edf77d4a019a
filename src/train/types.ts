/**
 * Contract of the training engine (src/train/). Task pipelines (tasks/*) build a
 * TrainSpec and call `train(spec, options)`; the CLI only parses argv into these.
 */
import type * as tf from '@tensorflow/tfjs';

/** Metrics by name, e.g. { accuracy: 0.78, macroF1: 0.77, loss: 0.45 }. */
export type Metrics = Record<string, number>;

/** What a task hands to the engine: a model, a loss, and data. Generic in the batch type B. */
export interface TrainSpec<B> {
  /** The model whose trainable weights are optimized (also what checkpoints save). */
  model: tf.LayersModel;
  /**
   * Scalar loss for one batch, computed with the model's layers. Called inside
   * tf.variableGrads by the engine (so inside a tidy); `training` enables dropout.
   */
  loss: (batch: B, training: boolean) => tf.Scalar;
  /**
   * The training batches of one epoch, in order. Must be a pure function of
   * (epoch, seed) so that a resumed run sees exactly the batches an uninterrupted
   * run would; the engine skips the batches already done in the resumed epoch.
   */
  batches: (epoch: number, seed: number) => B[];
  /** Number of examples in a batch (for examples/s). */
  batchSize: (batch: B) => number;
  /** Dev-set evaluation, run after every epoch; returns metrics by name. */
  evaluate?: () => Metrics | Promise<Metrics>;
  /** Extra JSON-serializable state the task needs to predict (vocabulary, config, label names...), saved in every checkpoint. */
  artifacts?: Record<string, unknown>;
}
