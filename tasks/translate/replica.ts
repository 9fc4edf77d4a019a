/**
 * The seq2seq model as a data-parallel worker thread builds it (TrainOptions.workers
 * > 1; the contract in docs/workers.md): the same architecture as the main
 * thread's, whose weights the engine copies in before every step. Shards are whole
 * sentence pairs (padding widths kept; masks hide them), weighted by real target
 * tokens, the denominator of the loss's mean (loss.ts sequenceLoss).
 */
import type { DataParallel, Replica } from '../../src/train';
import { shardRows } from '../../src/train';
import type { TranslateConfig } from './config';
import type { TranslationBatch } from './data';
import { batchLoss } from './loss';
import { buildSeq2Seq } from './model';

/** What a worker needs to build the model (structured-cloneable). */
export interface TranslateReplicaArgs {
  config: TranslateConfig;
  srcVocab: number;
  tgtVocab: number;
}

/** The workers' builder (TrainSpec.replica points here). */
export function buildReplica(args: TranslateReplicaArgs): Replica<TranslationBatch> {
  const s2s = buildSeq2Seq({ ...args.config }, args.srcVocab, args.tgtVocab);
  return { model: s2s.model, loss: (b, training) => batchLoss(s2s, b, training, args.config) };
}

/** Real target tokens of a batch (ids ≠ 0 of tgtOut, <eos> included). */
export const targetTokens = (b: TranslationBatch): number => b.tgtOut.reduce((s, row) => s + row.reduce((c, id) => c + (id !== 0 ? 1 : 0), 0), 0);

/** The TrainSpec fields of a data-parallel translate run. */
export const translateParallel = (args: TranslateReplicaArgs): DataParallel<TranslationBatch> => ({
  replica: { module: __filename, args: { ...args, config: JSON.parse(JSON.stringify(args.config)) as TranslateConfig } },
  shard: (b, i, n) => shardRows(b, i, n, b.index.length),
  lossWeight: targetTokens,
});
