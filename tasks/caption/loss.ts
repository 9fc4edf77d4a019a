/**
 * The captioning loss: label-smoothed cross-entropy over the real caption tokens
 * (<eos> included) of a teacher-forced batch (what the engine differentiates),
 * and dev/test perplexity. Next: train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { CaptionBatch } from './data';
import type { Captioner } from './model';

/** Mean over real tokens of −Σ_v q_v log p_v with q = (1 − ε)·onehot + ε/V. */
export function smoothedLoss(logits: tf.Tensor3D, targets: number[][], eps: number): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const flat = targets.flat();
    const tokens = Math.max(1, flat.filter((i) => i !== 0).length);
    const lp = tf.logSoftmax(tf.reshape(logits, [B * T, V]));
    const q = tf.add(tf.mul(tf.oneHot(tf.tensor1d(flat, 'int32'), V), 1 - eps), eps / V);
    const w = tf.tensor1d(flat.map((i) => (i !== 0 ? 1 / tokens : 0)));
    return tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(q, lp), 1), w))) as tf.Scalar;
  });
}

/** Teacher-forced loss of one batch. */
export function batchLoss(model: Captioner, b: CaptionBatch, training: boolean, labelSmoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const S = model.config.imageSize;
    const images = tf.tensor4d(b.images, [b.count, S, S, model.config.channels]);
    const enc = model.gatherRows(model.encode(images), b.rows);
    const { logits } = model.forward(enc, tf.tensor2d(b.tgtIn, undefined, 'int32'), b.lengths, training);
    return smoothedLoss(logits, b.tgtOut, training ? labelSmoothing : 0);
  });
}

/** exp(mean NLL per token) over batches. */
export function perplexity(model: Captioner, batches: CaptionBatch[]): number {
  let nll = 0;
  let tokens = 0;
  for (const b of batches) {
    const n = b.tgtOut.flat().filter((i) => i !== 0).length;
    const v = batchLoss(model, b, false, 0);
    nll += v.dataSync()[0] * n;
    tokens += n;
    v.dispose();
  }
  return Math.exp(nll / Math.max(1, tokens));
}
