/**
 * The tagger as a data-parallel worker thread builds it (TrainOptions.workers > 1,
 * the contract in docs/workers.md), and how a batch splits into shards: whole
 * sentences, each shard with its own compact table of distinct words' characters
 * (the character encoder then runs once per word per shard, not over the whole
 * batch's words in every shard), weighted by real tokens (the loss is a mean
 * over them).
 */
import type { Replica, ReplicaSource } from '../../src/train';
import { shardRange } from '../../src/train';
import type { TagBatch } from './encode';
import { tagLoss } from './loss';
import { buildTagger, TaggerShape } from './model';

/** What a worker needs to build the tagger (structured-cloneable). */
export interface PosReplicaArgs {
  shape: TaggerShape;
  sizes: { words: number; chars: number; tags: number };
  withChars: boolean;
}

/** The workers' builder (TrainSpec.replica points here). */
export function buildReplica(args: PosReplicaArgs): Replica<TagBatch> {
  const model = buildTagger(args.shape, args.sizes);
  return { model, loss: tagLoss(model, args.withChars, args.sizes.tags) };
}

/** TrainSpec.replica for a POS run. */
export const posReplica = (args: PosReplicaArgs): ReplicaSource => ({ module: __filename, args });

/** Shard i of n of a batch: sentences [a, b), their words' character rows renumbered into a table of their own (row 0 = padding). */
export function posShard(b: TagBatch, i: number, n: number): TagBatch {
  const [lo, hi] = shardRange(b.lengths.length, i, n);
  const rowOf = new Map<number, number>([[0, 0]]);
  const charIds: number[][] = [b.charIds[0]];
  const wordRows = b.wordRows.slice(lo, hi).map((row) =>
    row.map((r) => {
      let k = rowOf.get(r);
      if (k === undefined) {
        k = charIds.length;
        rowOf.set(r, k);
        charIds.push(b.charIds[r]);
      }
      return k;
    }),
  );
  return {
    wordIds: b.wordIds.slice(lo, hi),
    charIds: b.charIds.length ? charIds : [],
    wordRows,
    tags: b.tags.slice(lo, hi),
    lengths: b.lengths.slice(lo, hi),
    index: b.index.slice(lo, hi),
  };
}

/** The denominator of tagLoss's mean: the batch's tokens with a known tag. */
export const posLossWeight = (b: TagBatch): number => b.tags.reduce((s, row) => s + row.reduce((c, t) => c + (t >= 0 ? 1 : 0), 0), 0);
