/** Fused ConvLSTM2D kernel (placeholder while it is written). */
import type * as tf from '@tensorflow/tfjs';
import type { ConvPadding, ConvRecurrentActivation, ConvSequenceInputs, ConvSequenceResult } from './conv_lstm2d_types';

export interface ConvLSTMWeights {
  kernel: tf.Tensor4D;
  recurrentKernel: tf.Tensor4D;
  bias: tf.Tensor1D | null;
  strides: [number, number];
  padding: ConvPadding;
  recurrentActivation: ConvRecurrentActivation;
}

export function convLstmSequence(_inp: ConvSequenceInputs, _w: ConvLSTMWeights): ConvSequenceResult {
  throw new Error('fused ConvLSTM2D kernel not ready yet');
}
