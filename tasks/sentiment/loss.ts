/**
 * The sentiment training loss: mean softmax cross-entropy of a batch's logits.
 * The main thread (train.ts), the data-parallel workers (replica.ts) and
 * bench/task_sentiment.js all call this one. Next: train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceBatch } from '../../src/data/batching';

/** Mean softmax cross-entropy of a batch of `model` over `numLabels` classes. */
export function sentimentLoss(model: tf.LayersModel, numLabels: number): (b: SequenceBatch, training: boolean) => tf.Scalar {
  return (b, training) =>
    tf.tidy(() => {
      const logits = model.apply(tf.tensor2d(b.ids, undefined, 'int32'), { training }) as tf.Tensor2D; // [B, K]
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(b.labels, 'int32'), numLabels), logits) as tf.Scalar;
    });
}
