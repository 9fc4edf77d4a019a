/**
 * The sentiment model: token ids → embedding (id 0 = padding, masked) → dropout →
 * (bi)directional recurrent stack → last state or masked pooling → dropout →
 * dense logits over the classes; and the lexicon's valence written into the
 * initial embeddings. Next: loss.ts (the training loss), train.ts (the run).
 */
import * as tf from '@tensorflow/tfjs';
import { embedding } from '../../layers/embedding';
import { seededDropout } from '../../layers/dropout';
import { maskedPooling } from '../../layers/pooling';
import { stacked } from '../../layers/recurrent_layer';
import type { Vocabulary } from '../../src/data/vocabulary';
import type { SentimentConfig } from './config';

export function buildSentimentModel(config: SentimentConfig, vocabSize: number, numClasses: number): tf.LayersModel {
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'token_ids' });
  let x = embedding({ inputDim: vocabSize, outputDim: config.embeddingDim, maskZero: true, seed: config.seed, name: 'embedding' }).apply(ids) as tf.SymbolicTensor;
  x = seededDropout({ rate: config.dropout, name: 'embedding_dropout' }).apply(x) as tf.SymbolicTensor;
  x = stacked({
    cell: config.cell,
    units: config.hidden,
    numLayers: config.layers,
    bidirectional: config.bidirectional,
    dropout: config.layers > 1 ? config.dropout : 0,
    returnSequences: config.pooling !== 'last',
    seed: config.seed + 1,
    name: 'encoder',
  }).apply(x) as tf.SymbolicTensor;
  if (config.pooling !== 'last') x = maskedPooling({ mode: config.pooling, name: 'pooling' }).apply(x) as tf.SymbolicTensor;
  x = seededDropout({ rate: config.dropout, name: 'features_dropout' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: numClasses, name: 'classifier', kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + 2 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: ids, outputs: logits, name: 'sentiment' });
}

/** Polarity block: the first POLARITY_DIMS embedding dimensions of lexicon words start at valence/4 · POLARITY_SCALE. */
const POLARITY_DIMS = 8;
const POLARITY_SCALE = 0.4;

/** Writes the lexicon's valence into the polarity block of the initial embeddings. */
export function seedPolarity(model: tf.LayersModel, vocab: Vocabulary, lexicon: Map<string, number>): void {
  const emb = model.getLayer('embedding').getWeights()[0];
  const [V, E] = emb.shape as [number, number];
  const dims = Math.min(POLARITY_DIMS, E);
  const values = emb.dataSync().slice();
  vocab.tokens.forEach((w, id) => {
    const v = lexicon.get(w);
    if (v === undefined) return;
    for (let d = 0; d < dims; d++) values[id * E + d] = (v / 4) * POLARITY_SCALE;
  });
  model.getLayer('embedding').setWeights([tf.tensor2d(values, [V, E])]);
}
