/**
 * The language-model loss: cross-entropy of every next symbol of a chunk, from
 * the states the previous chunk left (truncated BPTT: train.ts carries them with
 * CarriedStates; bench/task_charlm.js calls the same function), and the
 * evaluation of a whole stream in nats and bits per symbol. Next: train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { Metrics } from '../../src/train';
import type { LmLevel } from './config';
import { chunkIds, LmBatch, trackLength } from './data';
import type { LmNet } from './model';

const LN2 = Math.log(2);

/**
 * Mean cross-entropy of the next symbols `y` after `x` (both [B·T], row-major
 * [B, T]) from `states`, and the states after the chunk (not inside a tidy: the
 * caller keeps what it carries).
 */
export function chunkLoss(net: LmNet, x: ArrayLike<number>, y: ArrayLike<number>, B: number, T: number, states: tf.Tensor[], training: boolean): { loss: tf.Scalar; states: tf.Tensor[] } {
  const out = net.forward(tf.tensor2d(Array.from(x), [B, T], 'int32'), states, training); // logits [B·T, V]
  return { loss: tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Array.from(y), 'int32'), net.vocabSize), out.logits) as tf.Scalar, states: out.states };
}

/** Evaluation metrics from a mean loss in nats per symbol. */
export function lmMetrics(nats: number, level: LmLevel): Metrics {
  return level === 'char'
    ? { lossNats: nats, bitsPerChar: nats / LN2, perplexity: Math.exp(nats) }
    : { lossNats: nats, perplexity: Math.exp(nats), bitsPerWord: nats / LN2 };
}

/**
 * Mean cross-entropy (nats per symbol) of a stream under the model: B tracks,
 * each run chunk by chunk from zero states with the states carried (no dropout;
 * `carry` false: from zero states at every chunk).
 */
export function streamLoss(net: LmNet, stream: Int32Array, B: number, chunk: number, carry = true): { nats: number; symbols: number } {
  const tracks = Math.max(1, Math.min(B, trackLength(stream.length, 1)));
  const L = trackLength(stream.length, tracks);
  if (L < 1) return { nats: NaN, symbols: 0 };
  let states: tf.Tensor[] = net.zeroStates(tracks);
  let sum = 0;
  try {
    for (let t0 = 0; t0 < L; t0 += chunk) {
      const b: LmBatch = { offset: 0, trackLength: L, B: tracks, t0, T: Math.min(chunk, L - t0), reset: t0 === 0 };
      const { x, y } = chunkIds(stream, b);
      if (!carry && t0 > 0) {
        tf.dispose(states);
        states = net.zeroStates(tracks);
      }
      const r = tf.tidy(() => {
        const out = net.forward(tf.tensor2d(x, [b.B, b.T], 'int32'), states, false);
        const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(y, 'int32'), net.vocabSize), tf.logSoftmax(out.logits))));
        return { ce, states: out.states };
      });
      sum += r.ce.dataSync()[0];
      r.ce.dispose();
      tf.dispose(states);
      states = r.states;
    }
  } finally {
    tf.dispose(states);
  }
  return { nats: sum / (tracks * L), symbols: tracks * L };
}
