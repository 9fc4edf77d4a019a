/**
 * The tagging loss: softmax cross-entropy of every real token's tag logits,
 * averaged over the real tokens (padding, tag -1, has weight 0). train.ts and
 * bench/task_pos.js call this one. Next: train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { batchInputs, TagBatch } from './encode';

/** Mean cross-entropy over the real tokens of a batch, for a tagger over `numTags` tags (`withChars`: the model takes the character inputs). */
export function tagLoss(model: tf.LayersModel, withChars: boolean, numTags: number): (b: TagBatch, training: boolean) => tf.Scalar {
  const K = numTags;
  return (b, training) =>
    tf.tidy(() => {
      const logits = model.apply(batchInputs(b, withChars), { training }) as tf.Tensor3D; // [B, T, K]
      const flat = b.tags.flat(); // [B·T], -1 at padding
      const weights = tf.tensor1d(flat.map((t) => (t >= 0 ? 1 : 0)), 'float32');
      const onehot = tf.oneHot(tf.tensor1d(flat.map((t) => Math.max(t, 0)), 'int32'), K);
      return tf.losses.softmaxCrossEntropy(onehot, tf.reshape(logits, [-1, K]), weights) as tf.Scalar; // mean over real tokens
    });
}
