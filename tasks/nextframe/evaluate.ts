/**
 * Evaluation of a next-frame model on a set of sequences, beside two baselines:
 *   copy-last   every output frame = the last input frame (persistence)
 *   mean-frame  every output frame = the per-pixel mean of the training frames
 * (metrics.ts defines MSE, per-sequence BCE and SSIM).
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceSet } from './data';
import { FrameLayout, predictFrames } from './loss';
import { FrameMetrics, MetricsAccumulator } from './metrics';

/** The per-pixel mean frame [H·W·C] of (up to `limit`) training sequences, all their frames. */
export function meanFrame(set: SequenceSet, l: FrameLayout, limit = 256): Float32Array {
  const P = l.shape.height * l.shape.width * l.shape.channels;
  const T = l.inputFrames + l.outputFrames;
  const n = Math.min(limit, set.size);
  const sum = new Float64Array(P);
  for (let i = 0; i < n; i++) {
    const seq = set.get(i, 0);
    for (let t = 0; t < T; t++) for (let j = 0; j < P; j++) sum[j] += seq[t * P + j];
  }
  return Float32Array.from(sum, (v) => v / Math.max(1, n * T));
}

export interface Evaluation {
  model: FrameMetrics;
  copyLast: FrameMetrics;
  meanFrame: FrameMetrics;
  /** The first `keep` sequences: input, true and predicted frames (pixels, [T, H, W, C] each). */
  examples: { inputs: Float32Array; truth: Float32Array; pred: Float32Array }[];
}

/** Metrics of the model and the baselines on `set` (batches of `batchSize`); keeps `keep` examples for pictures. */
export function evaluateFrames(model: tf.LayersModel, set: SequenceSet, l: FrameLayout, mean: Float32Array, opts: { batchSize: number; keep?: number; ssimEvery?: number }): Evaluation {
  const { height: H, width: W, channels: C } = l.shape;
  const P = H * W * C;
  const acc = () => new MetricsAccumulator(l.outputFrames, H, W, C, opts.ssimEvery ?? 1);
  const m = acc();
  const copy = acc();
  const avg = acc();
  const examples: Evaluation['examples'] = [];
  for (let start = 0; start < set.size; start += opts.batchSize) {
    const ids = Array.from({ length: Math.min(opts.batchSize, set.size - start) }, (_, i) => start + i);
    const { pred, truth, inputs } = predictFrames(model, set, ids, l);
    m.add(truth, pred, ids.length);
    const last = new Float32Array(truth.length);
    const means = new Float32Array(truth.length);
    ids.forEach((_, r) => {
      const lastInput = inputs.subarray((r * l.inputFrames + l.inputFrames - 1) * P, (r * l.inputFrames + l.inputFrames) * P);
      for (let t = 0; t < l.outputFrames; t++) {
        last.set(lastInput, (r * l.outputFrames + t) * P);
        means.set(mean, (r * l.outputFrames + t) * P);
      }
      if (examples.length < (opts.keep ?? 0)) {
        examples.push({
          inputs: inputs.slice(r * l.inputFrames * P, (r + 1) * l.inputFrames * P),
          truth: truth.slice(r * l.outputFrames * P, (r + 1) * l.outputFrames * P),
          pred: pred.slice(r * l.outputFrames * P, (r + 1) * l.outputFrames * P),
        });
      }
    });
    copy.add(truth, last, ids.length);
    avg.add(truth, means, ids.length);
  }
  return { model: m.result(), copyLast: copy.result(), meanFrame: avg.result(), examples };
}

/** The metrics a task reports for a split (names as in metrics.ts). */
export function metricsOf(e: FrameMetrics): Record<string, number> {
  return { mse: e.mse, frameMse: e.frameMse, bce: e.bce, ssim: e.ssim };
}
