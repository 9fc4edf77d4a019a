/**
 * The tagger: a word+character BiLSTM (Plank et al. 2016; Lample et al. 2016).
 *
 *   word_ids [B, T] ──embedding (id 0 = padding, masked)──────────────► [B, T, E]
 *   char_ids [N, L] ──char embedding──BiLSTM (one call over the N distinct
 *                     words of the batch, masked by length)──► [N, 2C]
 *   word_rows [B, T] ──row lookup into those N vectors (row 0 = padding)─► [B, T, 2C]
 *   concat ─► dropout ─► stacked BiLSTM (returnSequences) ─► dropout ─► dense ─► logits [B, T, K]
 *
 * Padding is masked through the encoder (masked steps carry the state and emit
 * zeros; the reverse direction starts at each sentence's last word), and the loss
 * and metrics ignore it (loss.ts, train.ts). With charDim 0 the model is words only and
 * takes just word_ids.
 */
import * as tf from '@tensorflow/tfjs';
import { seededDropout } from '../../layers/dropout';
import { embedding } from '../../layers/embedding';
import { stacked } from '../../layers/recurrent_layer';
import type { PosConfig } from './config';
import { rowGather } from '../../layers/row_gather';

export type TaggerShape = Pick<PosConfig, 'cell' | 'layers' | 'hidden' | 'wordDim' | 'charDim' | 'charHidden' | 'dropout'> & { seed: number };

export function buildTagger(config: TaggerShape, sizes: { words: number; chars: number; tags: number }): tf.LayersModel {
  const wordIds = tf.input({ shape: [null], dtype: 'int32', name: 'word_ids' });
  const inputs = [wordIds];
  let x = embedding({ inputDim: sizes.words, outputDim: config.wordDim, maskZero: true, seed: config.seed, name: 'word_embedding' }).apply(wordIds) as tf.SymbolicTensor;
  if (config.charDim > 0) {
    const charIds = tf.input({ shape: [null], dtype: 'int32', name: 'char_ids' });
    const wordRows = tf.input({ shape: [null], dtype: 'int32', name: 'word_rows' });
    inputs.push(charIds, wordRows);
    let c = embedding({ inputDim: sizes.chars, outputDim: config.charDim, maskZero: true, seed: config.seed + 3, name: 'char_embedding' }).apply(charIds) as tf.SymbolicTensor;
    c = stacked({ cell: config.cell, units: config.charHidden, bidirectional: true, seed: config.seed + 4, name: 'char_encoder' }).apply(c) as tf.SymbolicTensor; // [N, 2C]
    const perWord = rowGather({ name: 'char_features' }).apply([c, wordRows]) as tf.SymbolicTensor; // [B, T, 2C]
    x = tf.layers.concatenate({ axis: -1, name: 'features' }).apply([x, perWord]) as tf.SymbolicTensor;
  }
  x = seededDropout({ rate: config.dropout, name: 'features_dropout' }).apply(x) as tf.SymbolicTensor;
  x = stacked({
    cell: config.cell,
    units: config.hidden,
    numLayers: config.layers,
    bidirectional: true,
    dropout: config.layers > 1 ? config.dropout : 0,
    returnSequences: true,
    seed: config.seed + 1,
    name: 'encoder',
  }).apply(x) as tf.SymbolicTensor;
  x = seededDropout({ rate: config.dropout, name: 'encoder_dropout' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: sizes.tags, name: 'tag_logits', kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + 2 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: logits, name: 'pos_tagger' });
}
