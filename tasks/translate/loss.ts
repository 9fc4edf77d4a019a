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
 * (label-smoothed cross-entropy), as one op whose gradient is w_i·(softmax − q_i).
 * Per row it is lse_i − (1 − ε)·x_{i,id} − (ε/V)·Σ_v x_iv, with the log-sum-exp
 * read off the softmax (lse = max x − log max p): the only pass over the [N, V]
 * logits that is not a copy is the softmax kernel, several times faster on wasm
 * than Exp (tf.logSoftmax's and the old gradient's), which took ~60 ms per
 * [960, 5927] batch here.
 */
function smoothedCrossEntropy(logits: tf.Tensor2D, ids: tf.Tensor1D, weights: tf.Tensor1D, eps: number): tf.Scalar {
  const [N, V] = logits.shape;
  const f = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const p = tf.softmax(x);
    const lse = tf.sub(tf.max(x, 1), tf.log(tf.max(p, 1))); // [N]
    const flatIndex = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), tf.cast(ids, 'int32'));
    const xy = tf.gather(tf.reshape(x, [-1]), flatIndex); // [N]
    let row = tf.sub(lse, tf.mul(xy, 1 - eps));
    if (eps > 0) row = tf.sub(row, tf.mul(tf.reshape(tf.matMul(x, tf.ones([V, 1])), [N]), eps / V)); // Σ_v x as a matmul (faster than Sum on wasm)
    save([p, ids, weights]); // (the gradient runs after sequenceLoss's tidy has ended: keep what it reads)
    return {
      value: tf.sum(tf.mul(row, weights)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sp, sIds, sWeights] = saved;
        const w = tf.expandDims(tf.mul(sWeights, dy), 1); // [N, 1]
        const pq = eps > 0 ? tf.sub(sp, eps / V) : sp;
        return [tf.sub(tf.mul(pq, w), tf.mul(tf.oneHot(tf.cast(sIds, 'int32') as tf.Tensor1D, V), tf.mul(w, 1 - eps)))];
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
