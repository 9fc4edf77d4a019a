/**
 * The translation loss: label-smoothed cross-entropy over the real target tokens
 * (one fused op with its own gradient), the teacher-forced loss of a batch that
 * the engine differentiates, and perplexity. Next: train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { TranslateConfig } from './config';
import { EncodedPair, epochBatches, TranslationBatch } from './data';
import type { Encoded, Seq2Seq } from './model';

/**
 * Σ_i w_i · Σ_v −q_iv · log softmax(logits_i)_v with q_i = (1 − ε)·onehot(id_i) + ε/V
 * (label-smoothed cross-entropy), as one op whose gradient is w_i·(softmax − q_i):
 * a single pass over the [N, V] logits instead of tfjs' chain of log-softmax,
 * one-hot product and reductions.
 */
function smoothedCrossEntropy(logits: tf.Tensor2D, ids: tf.Tensor1D, weights: tf.Tensor1D, eps: number): tf.Scalar {
  const V = logits.shape[1];
  const f = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const lp = tf.logSoftmax(x);
    const q = tf.add(tf.mul(tf.oneHot(ids, V), 1 - eps), eps / V);
    const w = tf.expandDims(weights, 1);
    save([lp, q, w]);
    return {
      value: tf.neg(tf.sum(tf.mul(tf.mul(q, lp), w))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [slp, sq, sw] = saved;
        return [tf.mul(tf.mul(tf.sub(tf.exp(slp), sq), sw), dy)];
      },
    };
  }) as never) as (x: tf.Tensor2D) => tf.Scalar;
  return f(logits);
}

/**
 * Mean label-smoothed cross-entropy over the real target tokens of logits
 * [B, T, V] against ids [B, T] (0 = padding), and the summed plain NLL and token
 * count (for perplexity; the NLL is only computed when `withNll`).
 */
export function sequenceLoss(logits: tf.Tensor3D, targets: number[][], smoothing: number, withNll = false): { loss: tf.Scalar; nll: tf.Scalar | null; tokens: number } {
  const flat = targets.flatMap((row) => row);
  const tokens = flat.filter((i) => i !== 0).length;
  const [loss, nll] = tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const ids = tf.tensor1d(flat, 'int32');
    const weights = tf.tensor1d(flat.map((i) => (i !== 0 ? 1 / Math.max(tokens, 1) : 0)));
    const x = tf.reshape(logits, [B * T, V]) as tf.Tensor2D;
    const loss = smoothedCrossEntropy(x, ids, weights, smoothing);
    const nll = withNll ? (tf.mul(smoothing > 0 ? smoothedCrossEntropy(x, ids, weights, 0) : loss, tokens) as tf.Scalar) : null;
    return nll ? [loss, nll] : [loss];
  });
  return { loss, nll: nll ?? null, tokens };
}

/** Teacher-forced loss of one batch (what the engine differentiates, and what benchmarks time). */
export function batchLoss(s2s: Seq2Seq, b: TranslationBatch, training: boolean, cfg: TranslateConfig): tf.Scalar {
  return tf.tidy(() => {
    const src = tf.tensor2d(b.src, undefined, 'int32');
    const tgtIn = tf.tensor2d(b.tgtIn, undefined, 'int32');
    const enc = s2s.encode(src, b.srcLengths, training);
    const { logits } = s2s.forward(enc, tgtIn, b.tgtLengths, training, training ? cfg.teacherForcing : 1);
    return sequenceLoss(logits, b.tgtOut, training ? cfg.labelSmoothing : 0).loss;
  });
}

/** Dev/test perplexity: exp(mean NLL per target token, <eos> included) with teacher forcing. */
export function perplexity(s2s: Seq2Seq, pairs: EncodedPair[], batchSize: number): number {
  let nll = 0;
  let tokens = 0;
  for (const b of epochBatches(pairs, batchSize, 0, false)) {
    const v = tf.tidy(() => {
      const enc: Encoded = s2s.encode(tf.tensor2d(b.src, undefined, 'int32'), b.srcLengths, false);
      const { logits } = s2s.forward(enc, tf.tensor2d(b.tgtIn, undefined, 'int32'), b.tgtLengths, false, 1);
      const r = sequenceLoss(logits, b.tgtOut, 0, true);
      tokens += r.tokens;
      return r.nll!;
    });
    nll += v.dataSync()[0];
    v.dispose();
  }
  return Math.exp(nll / Math.max(tokens, 1));
}
