/**
 * Batches and the training loss of next-frame prediction (exported: benchmarks
 * and tests call the same code the task trains with).
 *
 * A batch is a list of sequence indices; its tensors are made when the loss
 * runs (generated training data never sits in memory all at once):
 *   inputs  [B, Tin, h, w, c]   the first Tin frames, folded into patches
 *   targets [B, Tout, h, w, c]  the next Tout frames, folded the same way
 * Loss: per-pixel binary cross-entropy of sigmoid(logits) against the target
 * intensities (Shi et al. 2015), averaged over pixels (the per-sequence sum the
 * metrics report is this × Tout·H·W·C).
 */
import * as tf from '@tensorflow/tfjs';
import { FrameShape, foldPatches, SequenceSet } from './data';

/** The frames of one batch's sequences, folded into patches. */
export interface FrameBatch {
  /** Which sequences (indices into the set). */
  ids: number[];
  /** Epoch the sequences belong to (renews generated training data). */
  epoch: number;
}

/** How sequences become model tensors. */
export interface FrameLayout {
  shape: FrameShape;
  patch: number;
  inputFrames: number;
  outputFrames: number;
}

/** The patched grid the model sees. */
export function gridOf(l: FrameLayout): { height: number; width: number; channels: number } {
  return { height: l.shape.height / l.patch, width: l.shape.width / l.patch, channels: l.shape.channels * l.patch * l.patch };
}

/** Input and target arrays of some sequences, folded: [n, Tin, h, w, c] and [n, Tout, h, w, c] (flat). */
export function batchArrays(set: SequenceSet, ids: number[], epoch: number, l: FrameLayout): { x: Float32Array; y: Float32Array } {
  const P = l.shape.height * l.shape.width * l.shape.channels;
  const x = new Float32Array(ids.length * l.inputFrames * P);
  const y = new Float32Array(ids.length * l.outputFrames * P);
  ids.forEach((id, r) => {
    const seq = set.get(id, epoch);
    x.set(foldPatches(seq.subarray(0, l.inputFrames * P), l.inputFrames, l.shape, l.patch), r * l.inputFrames * P);
    y.set(foldPatches(seq.subarray(l.inputFrames * P, (l.inputFrames + l.outputFrames) * P), l.outputFrames, l.shape, l.patch), r * l.outputFrames * P);
  });
  return { x, y };
}

/** The tensor of a folded array [n, T, h, w, c]. */
export function framesTensor(a: Float32Array, n: number, T: number, l: FrameLayout): tf.Tensor5D {
  const g = gridOf(l);
  return tf.tensor5d(a, [n, T, g.height, g.width, g.channels]);
}

/** Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1] (the stable form max(x,0) − x·z + log(1 + e^−|x|)). */
export function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar);
}

/** The training loss of one batch. */
export function frameLoss(model: tf.LayersModel, set: SequenceSet, batch: FrameBatch, l: FrameLayout, training: boolean): tf.Scalar {
  return tf.tidy(() => {
    const { x, y } = batchArrays(set, batch.ids, batch.epoch, l);
    const logits = model.apply(framesTensor(x, batch.ids.length, l.inputFrames, l), { training }) as tf.Tensor; // [B, Tout, h, w, c]
    return bceWithLogits(logits, framesTensor(y, batch.ids.length, l.outputFrames, l));
  });
}

/** Predicted intensities of some sequences, unfolded to pixels: [n, Tout, H, W, C] (flat), and the true frames. */
export function predictFrames(model: tf.LayersModel, set: SequenceSet, ids: number[], l: FrameLayout): { pred: Float32Array; truth: Float32Array; inputs: Float32Array } {
  const { x, y } = batchArrays(set, ids, 0, l);
  const p = tf.tidy(() => tf.sigmoid(model.predict(framesTensor(x, ids.length, l.inputFrames, l)) as tf.Tensor));
  const folded = p.dataSync() as Float32Array;
  p.dispose();
  const unfold = (a: Float32Array, T: number): Float32Array => foldPatches(a, T * ids.length, l.shape, l.patch, true);
  return { pred: unfold(folded, l.outputFrames), truth: unfold(y, l.outputFrames), inputs: unfold(x, l.inputFrames) };
}
