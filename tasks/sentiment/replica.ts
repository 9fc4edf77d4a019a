/**
 * The sentiment model and loss as a data-parallel worker thread builds them
 * (TrainOptions.workers > 1): the same architecture as the main thread's, whose
 * weights the engine copies in before every step.
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceBatch } from '../../src/data/batching';
import type { Replica, ReplicaSource } from '../../src/train/types';
import type { SentimentConfig } from './config';
import { buildSentimentModel } from './model';

/** What a worker needs to build the model (structured-cloneable). */
export interface SentimentReplicaArgs {
  config: SentimentConfig;
  vocabSize: number;
  numLabels: number;
}

/** Mean softmax cross-entropy of a batch (the training loss, on the main thread and in workers). */
export function sentimentLoss(model: tf.LayersModel, numLabels: number): (b: SequenceBatch, training: boolean) => tf.Scalar {
  return (b, training) =>
    tf.tidy(() => {
      const logits = model.apply(tf.tensor2d(b.ids, undefined, 'int32'), { training }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(b.labels, 'int32'), numLabels), logits) as tf.Scalar;
    });
}

/** The workers' builder (TrainSpec.replica points here). */
export function buildReplica(args: SentimentReplicaArgs): Replica<SequenceBatch> {
  const model = buildSentimentModel(args.config, args.vocabSize, args.numLabels);
  return { model, loss: sentimentLoss(model, args.numLabels) };
}

/** TrainSpec.replica for a sentiment run. */
export const sentimentReplica = (args: SentimentReplicaArgs): ReplicaSource => ({ module: __filename, args });
