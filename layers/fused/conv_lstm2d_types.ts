/**
 * Contract between the ConvLSTM2D layer and its whole-sequence kernels (the
 * fused one in conv_lstm2d.ts and the autodiff reference in ../conv_lstm2d_cell.ts).
 *
 *   x        [B, T, H, W, C]   channels last, batch-major
 *   states   [h, c], each [B, OH, OW, F]
 *   y        [B, T, OH, OW, F]; with reverse, y[:, t] is the state after reading x[:, t]
 */
import type * as tf from '@tensorflow/tfjs';

/** Gate nonlinearity of i, f, o: sigmoid, or tfjs-layers' hard sigmoid clip(0.2·z + 0.5, 0, 1). */
export type ConvRecurrentActivation = 'sigmoid' | 'hardSigmoid';

/** Padding of the input convolution (TensorFlow's rules). */
export type ConvPadding = 'same' | 'valid';

/** What a whole-sequence run takes. */
export interface ConvSequenceInputs {
  /** [B, T, H, W, C]. */
  x: tf.Tensor5D;
  /** [h0, c0], each [B, OH, OW, F]. */
  initialStates: tf.Tensor4D[];
  /** Read t = T−1 .. 0 (outputs stay aligned with input time). */
  reverse: boolean;
  /** Recurrent-dropout mask [B, OH, OW, F] (scaled 0 / 1/(1−rate)) applied to h before the recurrent convolution, or null. */
  recurrentMask: tf.Tensor4D | null;
}

/** Result of a whole-sequence run. */
export interface ConvSequenceResult {
  /** [B, T, OH, OW, F]. */
  y: tf.Tensor5D;
  /** [h_T, c_T], each [B, OH, OW, F]. */
  states: tf.Tensor4D[];
}
