/**
 * A tf.LayersModel's weights as a PyTorch-style state dict (`<layer>.<param>` names,
 * PyTorch layouts), ready for writeSafetensors (rnn-export --format safetensors).
 *
 * - recurrent layers (this package's LSTM / GRU / SimpleRNN / stacked / bidirectional):
 *   nn.LSTM / nn.GRU / nn.RNN names and layouts (`lstm_1.weight_ih_l0`, ..., via
 *   exportTorchWeights; the one LSTM/RNN bias goes to bias_ih, bias_hh is zero);
 * - Dense: nn.Linear (`dense_1.weight` [out, in] = kernelᵀ, `dense_1.bias`);
 * - Embedding: nn.Embedding (`embedding_1.weight` [V, D]);
 * - any other weight: `<layer>.<weight>` in the tfjs layout.
 * Nested models' layers are named `<model>.<layer>.<param>`.
 */
import * as tf from '@tensorflow/tfjs';
import { exportTorchWeights, RecurrentLayer, shortWeightName } from '../../layers';

/** One tensor of the state dict (float32, row-major) and the tfjs weight it came from. */
export interface StateDictEntry {
  shape: number[];
  data: Float32Array;
  /** The tfjs weight (e.g. 'lstm_1/kernel_l0', or the layer name for a recurrent layer's converted tensors). */
  source: string;
}

function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync());
}

/** The model's weights in PyTorch names and layouts (see the file header). */
export function modelStateDict(model: tf.LayersModel, prefix = ''): Record<string, StateDictEntry> {
  const out: Record<string, StateDictEntry> = {};
  for (const layer of model.layers) {
    const p = `${prefix}${layer.name}.`;
    if (layer instanceof tf.LayersModel) {
      Object.assign(out, modelStateDict(layer, p));
      continue;
    }
    if (layer.weights.length === 0) continue;
    if (layer instanceof RecurrentLayer) {
      const sd = exportTorchWeights(layer);
      for (const [k, t] of Object.entries(sd)) out[p + k] = { shape: t.shape, data: values(t), source: layer.name };
      // Some entries are the variables themselves (an LSTM bias goes to bias_ih unchanged): keep those.
      const own = new Set<tf.Tensor>(layer.weights.map((w) => w.read()));
      tf.dispose(Object.values(sd).filter((t) => !own.has(t)));
      continue;
    }
    const cls = layer.getClassName();
    for (const w of layer.weights) {
      const short = shortWeightName(layer as unknown as RecurrentLayer, w.originalName);
      const t = w.read();
      const source = `${layer.name}/${short}`;
      if (cls === 'Dense' && short === 'kernel' && t.rank === 2) {
        const tt = tf.transpose(t);
        out[`${p}weight`] = { shape: tt.shape, data: values(tt), source };
        tt.dispose();
      } else if (cls === 'Dense' && short === 'bias') {
        out[`${p}bias`] = { shape: t.shape, data: values(t), source };
      } else if (/Embedding$/.test(cls) && short === 'embeddings') {
        out[`${p}weight`] = { shape: t.shape, data: values(t), source };
      } else {
        out[p + short] = { shape: t.shape, data: values(t), source };
      }
    }
  }
  return out;
}
