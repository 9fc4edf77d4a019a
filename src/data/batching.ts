/**
 * Length-bucketed batches of token-id sequences: examples are shuffled (seeded),
 * grouped into pools of `poolBatches` batches, sorted by length within a pool, cut
 * into batches, and the batch order shuffled again. Each batch is padded (id 0)
 * only to its own longest sequence, so short sentences cost less.
 */
import { SeededRandom } from '../../layers/random';

/** Seeded Fisher-Yates shuffle (a copy). */
export function shuffled<T>(items: T[], seed: number): T[] {
  const a = items.slice();
  const rng = new SeededRandom(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export interface SequenceBatch {
  /** [B, T] token ids, 0-padded at the end (id 0 is padding: an embedding with maskZero masks it). */
  ids: number[][];
  /** Real (unpadded, after truncation) length of each row, for layers called with `{lengths}`. */
  lengths: number[];
  /** Class index per example. */
  labels: number[];
  /** Indices of the examples in the input array. */
  index: number[];
}

/** [B, T] 0/1 mask of the real tokens of padded rows (1 where the id is not padding). */
export function paddingMask(ids: number[][]): number[][] {
  return ids.map((row) => row.map((id) => (id === 0 ? 0 : 1)));
}

/** Pads to the longest sequence (at most maxLen tokens; longer ones keep their first maxLen). */
export function padBatch(seqs: number[][], maxLen: number): number[][] {
  const T = Math.max(1, Math.min(maxLen, Math.max(...seqs.map((s) => s.length))));
  return seqs.map((s) => {
    const row = s.slice(0, T);
    while (row.length < T) row.push(0);
    return row;
  });
}

export function bucketedBatches(
  seqs: number[][],
  labels: number[],
  batchSize: number,
  options: { seed?: number; maxLen?: number; poolBatches?: number; shuffle?: boolean } = {},
): SequenceBatch[] {
  const maxLen = options.maxLen ?? Infinity;
  const pool = batchSize * (options.poolBatches ?? 50);
  let order = [...seqs.keys()];
  if (options.shuffle !== false) order = shuffled(order, options.seed ?? 0);
  const batches: SequenceBatch[] = [];
  for (let p = 0; p < order.length; p += pool) {
    const chunk = order.slice(p, p + pool).sort((a, b) => seqs[a].length - seqs[b].length);
    for (let i = 0; i < chunk.length; i += batchSize) {
      const index = chunk.slice(i, i + batchSize);
      const ids = padBatch(index.map((j) => seqs[j]), maxLen);
      batches.push({ ids, lengths: index.map((j) => Math.min(seqs[j].length, ids[0].length)), labels: index.map((j) => labels[j]), index });
    }
  }
  if (options.shuffle === false) return batches;
  const rng = new SeededRandom((options.seed ?? 0) + 7919);
  for (let i = batches.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}
