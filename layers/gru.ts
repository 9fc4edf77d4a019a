/**
 * GRU layer: `gru({units: 64, resetAfter: true})` — `resetAfter` true is the
 * PyTorch/Keras/cuDNN formula, false the tfjs-layers / Cho et al. one.
 * Optionally stacked and bidirectional. Equations in gru_cell.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer, RecurrentLayerArgs } from './recurrent_layer';

/** GRU layer options (the cell kind is fixed). */
export type GRUArgs = Omit<RecurrentLayerArgs, 'cell' | 'projSize' | 'unitForgetBias' | 'activation'>;

export class GRU extends RecurrentLayer {
  static override className = 'rnnkit.GRU';
  constructor(args: GRUArgs) {
    super({ ...args, cell: 'gru' });
  }
}
tf.serialization.registerClass(GRU);

export function gru(args: GRUArgs): GRU {
  return new GRU(args);
}
