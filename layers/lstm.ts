/**
 * LSTM layer: `lstm({units: 64})` — optionally stacked (`numLayers`),
 * bidirectional and projected (`projSize`). Equations in lstm_cell.ts.
 *
 * Example:
 *   const model = tf.sequential({ layers: [
 *     lstm({ units: 32, inputShape: [null, 8], returnSequences: true }),
 *     tf.layers.dense({ units: 1 }) ] });
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer, RecurrentLayerArgs } from './recurrent_layer';

/** LSTM layer options (the cell kind is fixed). */
export type LSTMArgs = Omit<RecurrentLayerArgs, 'cell' | 'resetAfter' | 'activation'>;

export class LSTM extends RecurrentLayer {
  static override className = 'rnnkit.LSTM';
  constructor(args: LSTMArgs) {
    super({ ...args, cell: 'lstm' });
  }
}
tf.serialization.registerClass(LSTM);

export function lstm(args: LSTMArgs): LSTM {
  return new LSTM(args);
}
