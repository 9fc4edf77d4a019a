/**
 * `--pretrained` for the tasks that embed words (sentiment, POS): 'glove' (the
 * npm GloVe package, src/data/pretrained.ts), 'none', 'auto', or a vectors FILE
 * in any format formats.ts reads (word2vec .vec/.bin, GloVe text, gzipped or
 * not), e.g. the OUT/vectors.vec of `rnn-train --task word2vec`. Words missing
 * from the file keep their random initialisation; the coverage is reported.
 */
import * as tf from '@tensorflow/tfjs';
import { gloveAvailable, loadGlove, WordVectors as GloveVectors } from '../data/pretrained';
import { UserError } from '../errors';
import { readVectors } from './formats';
import { fillEmbeddingRows, WordVectors } from './word_vectors';

/** Whether a --pretrained value names a file (anything but the keywords). */
export const isVectorFile = (spec: string): boolean => !['auto', 'glove', 'none'].includes(spec);

/**
 * The vectors a --pretrained value asks for, or null for none: a file is read,
 * 'glove' loads the package (an error when missing), 'auto' loads it when installed.
 */
export function loadPretrained(spec: string): { vectors: GloveVectors; source: string } | null {
  if (spec === 'none') return null;
  if (spec === 'glove' || (spec === 'auto' && gloveAvailable())) return { vectors: loadGlove(), source: 'GloVe' };
  if (spec === 'auto') return null;
  const wv = readVectors(spec);
  return { vectors: asPretrained(wv), source: spec };
}

/** A WordVectors seen through src/data/pretrained.ts's interface (dims, words, get → number[]). */
export function asPretrained(wv: WordVectors): GloveVectors {
  return { dims: wv.dim, words: wv.words, get: (w) => (wv.index.has(w) ? Array.from(wv.get(w) as Float32Array) : undefined) };
}

/**
 * Copies a file's vectors into an embedding layer's table (row = token id; ids 0
 * and 1, padding and unknown, keep theirs); returns the coverage. The file's
 * dimension must equal the layer's.
 */
export function seedFromVectors(layer: tf.layers.Layer, tokens: readonly string[], wv: WordVectors, file = 'vectors'): { found: number; total: number } {
  const emb = layer.getWeights()[0];
  const [V, E] = emb.shape as [number, number];
  if (wv.dim !== E) throw new UserError(`${file}: ${wv.dim}-dimensional vectors for a ${E}-dimensional embedding (set the embedding size to ${wv.dim})`);
  const values = emb.dataSync().slice() as Float32Array;
  const found = fillEmbeddingRows(values, E, tokens, wv);
  const table = tf.tensor2d(values, [V, E]);
  layer.setWeights([table]);
  table.dispose();
  return { found, total: Math.max(0, tokens.length - 2) };
}
