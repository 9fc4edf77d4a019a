/**
 * The language model as a data-parallel worker thread builds it (TrainOptions.workers
 * > 1; the contract in docs/workers.md), with truncated BPTT's carried states
 * through the worker protocol: a shard is a range of the batch's tracks, its
 * worker starts them from their rows of the carried states (the engine sends
 * them) and returns their final states with the gradients, so the main thread
 * always holds every track's states (checkpoints keep them, resume stays exact).
 */
import * as tf from '@tensorflow/tfjs';
import type { DataParallel, Replica } from '../../src/train';
import { CarriedStates, shardRange } from '../../src/train';
import type { CharLmConfig } from './config';
import { chunkIds, LmBatch } from './data';
import { chunkLoss } from './loss';
import { buildLmModel, LmNet } from './model';

/** What a worker needs (structured-cloneable; the training stream is copied once, at start). */
export interface CharLmReplicaArgs {
  config: CharLmConfig;
  vocabSize: number;
  stream: Int32Array;
}

/**
 * The loss of a batch over its tracks from the carried states (the main thread's
 * and the workers'): streams restart at `reset` batches (or always without
 * carryStates); the states start as zeros of the batch's own track count.
 */
export function lmLoss(net: LmNet, stream: Int32Array, carryStates: boolean): { loss: (b: LmBatch, training: boolean) => tf.Scalar; carried: CarriedStates } {
  let rows = 0;
  const carried = new CarriedStates(() => net.zeroStates(rows));
  const loss = (b: LmBatch, training: boolean): tf.Scalar =>
    tf.tidy(() => {
      rows = b.B;
      if (b.reset || !carryStates) carried.reset();
      const { x, y } = chunkIds(stream, b);
      const r = chunkLoss(net, x, y, b.B, b.T, carried.current(), training);
      carried.carry(r.states);
      return r.loss;
    });
  return { loss, carried };
}

/** The workers' builder (TrainSpec.replica points here). */
export function buildReplica(args: CharLmReplicaArgs): Replica<LmBatch> {
  const net = buildLmModel(args.config, args.vocabSize);
  return { model: net.model, ...lmLoss(net, args.stream, args.config.carryStates) };
}

/** Tracks [a, b) of a batch: the same chunk of each, as a batch of its own (the loss's mean is over B·T symbols, so the default weight fits). */
export function lmShard(b: LmBatch, i: number, n: number): LmBatch {
  const [lo, hi] = shardRange(b.B, i, n);
  return { ...b, B: hi - lo, offset: b.offset + lo * b.trackLength };
}

/** The TrainSpec fields of a data-parallel charlm run. */
export const charlmParallel = (args: CharLmReplicaArgs): DataParallel<LmBatch> => ({
  replica: { module: __filename, args: { ...args, config: JSON.parse(JSON.stringify(args.config)) as CharLmConfig } },
  shard: lmShard,
});
