/**
 * The sentiment model and loss as a data-parallel worker thread builds them
 * (TrainOptions.workers > 1): the same architecture as the main thread's, whose
 * weights the engine copies in before every step (src/train/parallel.ts).
 */
import type { SequenceBatch } from '../../src/data/batching';
import type { Replica, ReplicaSource } from '../../src/train';
import type { SentimentConfig } from './config';
import { sentimentLoss } from './loss';
import { buildSentimentModel } from './model';

/** What a worker needs to build the model (structured-cloneable). */
export interface SentimentReplicaArgs {
  config: SentimentConfig;
  vocabSize: number;
  numLabels: number;
}

/** The workers' builder (TrainSpec.replica points here). */
export function buildReplica(args: SentimentReplicaArgs): Replica<SequenceBatch> {
  const model = buildSentimentModel(args.config, args.vocabSize, args.numLabels);
  return { model, loss: sentimentLoss(model, args.numLabels) };
}

/** TrainSpec.replica for a sentiment run. */
export const sentimentReplica = (args: SentimentReplicaArgs): ReplicaSource => ({ module: __filename, args });
