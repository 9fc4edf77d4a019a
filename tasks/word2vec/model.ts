/**
 * The word2vec model as tfjs sees it: one tf.layers.embedding ('word_vectors',
 * [V, D], row i = vocabulary word i, most frequent first), which is what the
 * checkpoint's model.json holds. Any tfjs project can load it with
 * tf.loadLayersModel and take `getLayer('word_vectors').getWeights()[0]`, or
 * build its own embedding with these weights (WordVectors.embeddingLayer()).
 * The output vectors of negative sampling are training state only (checkpoint
 * carried tensors).
 */
import * as tf from '@tensorflow/tfjs';

export const EMBEDDING_LAYER = 'word_vectors';

/** An embedding model over a [V, D] table (copied into the layer). */
export function buildEmbeddingModel(table: Float32Array, vocabSize: number, dim: number): tf.LayersModel {
  const model = tf.sequential({ name: 'word2vec' });
  const weights = tf.tensor2d(table, [vocabSize, dim]);
  model.add(tf.layers.embedding({ name: EMBEDDING_LAYER, inputDim: vocabSize, outputDim: dim, batchInputShape: [null, null], weights: [weights] }));
  weights.dispose();
  return model;
}

/** The table of an embedding model (a copy). */
export function embeddingTable(model: tf.LayersModel): { data: Float32Array; vocabSize: number; dim: number } {
  const w = model.getLayer(EMBEDDING_LAYER).getWeights()[0];
  const [vocabSize, dim] = w.shape as [number, number];
  return { data: w.dataSync() as Float32Array, vocabSize, dim };
}
