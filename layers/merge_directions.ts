/**
 * How a bidirectional layer joins its two directions' tensors (Keras' merge_mode):
 * used by the recurrent layers (recurrent_layer.ts), ConvLSTM2D (conv_lstm2d.ts) and
 * the gradient-flow diagnostic.
 */
import * as tf from '@tensorflow/tfjs';

/** 'concat' joins on the last axis; 'sum', 'ave', 'mul' combine elementwise; 'none' keeps both. */
export type MergeMode = 'concat' | 'sum' | 'ave' | 'mul' | 'none';

/** The merged output: one tensor, or [forward, backward] for 'none'. */
export function mergeDirections(mode: MergeMode, f: tf.Tensor, b: tf.Tensor): tf.Tensor[] {
  switch (mode) {
    case 'concat':
      return [tf.concat([f, b], -1)];
    case 'sum':
      return [tf.add(f, b)];
    case 'ave':
      return [tf.mul(tf.add(f, b), 0.5)];
    case 'mul':
      return [tf.mul(f, b)];
    default:
      return [f, b];
  }
}
