/**
 * From tagged sentences to model inputs: the word vocabulary (lowercased forms:
 * id 0 padding, 1 <unk>), the character vocabulary (case kept), the tag list, and
 * length-bucketed batches. Each batch lists its distinct word forms once, so the
 * character encoder runs over every distinct word of the batch in one call.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../layers/random';
import { bucketedBatches } from '../../src/data/batching';
import { Vocabulary } from '../../src/data/vocabulary';
import { mixSeed } from '../../src/train';

/** The key of a word in the word vocabulary (and for OOV counting). */
export const wordKey = (w: string): string => w.toLowerCase();

/** The characters the character encoder sees: long words keep their first and last maxLen/2. */
export function wordChars(word: string, maxLen: number): string[] {
  const cs = Array.from(word);
  if (cs.length <= maxLen) return cs;
  const head = Math.ceil(maxLen / 2);
  return [...cs.slice(0, head), ...cs.slice(cs.length - (maxLen - head))];
}

export interface Encoders {
  words: Vocabulary;
  chars: Vocabulary;
  tags: string[];
  maxWordLen: number;
}

export interface TagBatch {
  /** [B, T] word ids, 0 at padding. */
  wordIds: number[][];
  /** [N, L] character ids of the batch's distinct words; row 0 is the all-padding row. */
  charIds: number[][];
  /** [B, T] row of each word in charIds, 0 at padding. */
  wordRows: number[][];
  /** [B, T] tag ids, -1 at padding (and for tags unseen in training). */
  tags: number[][];
  /** Real length of each sentence. */
  lengths: number[];
  /** Index of each row's sentence in the input array. */
  index: number[];
}

/** Builds one batch; `dropWord(i, t)` says whether to replace that word by <unk> (training only). */
export function makeBatch(
  enc: Encoders,
  sentences: { words: string[]; tags?: string[] }[],
  index: number[],
  dropWord?: () => boolean,
): TagBatch {
  const T = Math.max(1, ...index.map((i) => sentences[i].words.length));
  const tagIndex = new Map(enc.tags.map((t, i) => [t, i]));
  const rows = new Map<string, number>();
  const charIds: number[][] = [[]];
  const wordIds: number[][] = [];
  const wordRows: number[][] = [];
  const tags: number[][] = [];
  for (const i of index) {
    const s = sentences[i];
    const ids = new Array<number>(T).fill(0);
    const rr = new Array<number>(T).fill(0);
    const tt = new Array<number>(T).fill(-1);
    s.words.forEach((w, t) => {
      const id = enc.words.encode([wordKey(w)])[0];
      ids[t] = id > 1 && dropWord?.() ? 1 : id;
      let r = rows.get(w);
      if (r === undefined) {
        r = charIds.length;
        rows.set(w, r);
        charIds.push(enc.chars.encode(wordChars(w, enc.maxWordLen)));
      }
      rr[t] = r;
      if (s.tags) tt[t] = tagIndex.get(s.tags[t]) ?? -1;
    });
    wordIds.push(ids);
    wordRows.push(rr);
    tags.push(tt);
  }
  const L = Math.max(1, ...charIds.map((c) => c.length));
  for (const c of charIds) while (c.length < L) c.push(0);
  return { wordIds, charIds, wordRows, tags, lengths: index.map((i) => sentences[i].words.length), index };
}

/** Batches of sentences of similar length (seeded order), for training or (shuffle false) evaluation. */
export function taggedBatches(
  enc: Encoders,
  sentences: { words: string[]; tags?: string[] }[],
  batchSize: number,
  options: { seed?: number; epoch?: number; shuffle?: boolean; wordDropout?: number } = {},
): TagBatch[] {
  const seed = mixSeed(options.seed ?? 0, options.epoch ?? 0);
  const groups = bucketedBatches(sentences.map((s) => s.words.map(() => 1)), sentences.map(() => 0), batchSize, { seed, shuffle: options.shuffle });
  const p = options.wordDropout ?? 0;
  const rng = new SeededRandom(mixSeed(seed, 0x0d70));
  const drop = p > 0 ? () => rng.uniform() < p : undefined;
  return groups.map((g) => makeBatch(enc, sentences, g.index, drop));
}

/** The model's input tensors for a batch (word ids only when the model has no character encoder). */
export function batchInputs(b: TagBatch, withChars: boolean): tf.Tensor[] {
  const words = tf.tensor2d(b.wordIds, undefined, 'int32');
  if (!withChars) return [words];
  return [words, tf.tensor2d(b.charIds, undefined, 'int32'), tf.tensor2d(b.wordRows, undefined, 'int32')];
}

/** Splits sentences longer than maxLen tokens into consecutive pieces (training only). */
export function splitLong<S extends { words: string[]; tags: string[] }>(sentences: S[], maxLen: number): S[] {
  const out: S[] = [];
  for (const s of sentences) {
    if (s.words.length <= maxLen) out.push(s);
    else for (let i = 0; i < s.words.length; i += maxLen) out.push({ ...s, words: s.words.slice(i, i + maxLen), tags: s.tags.slice(i, i + maxLen) });
  }
  return out;
}
