/**
 * Elman RNN layer: `simpleRnn({units: 64, activation: 'tanh' | 'relu'})`.
 * Optionally stacked and bidirectional. Equations in simple_rnn_cell.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer, RecurrentLayerArgs } from './recurrent_layer';

/** SimpleRNN layer options (the cell kind is fixed). */
export type SimpleRNNArgs = Omit<RecurrentLayerArgs, 'cell' | 'projSize' | 'unitForgetBias' | 'resetAfter'>;

export class SimpleRNN extends RecurrentLayer {
  static override className = 'rnnkit.SimpleRNN';
  constructor(args: SimpleRNNArgs) {
    super({ ...args, cell: 'rnn' });
  }
}
tf.serialization.registerClass(SimpleRNN);

export function simpleRnn(args: SimpleRNNArgs): SimpleRNN {
  return new SimpleRNN(args);
}
