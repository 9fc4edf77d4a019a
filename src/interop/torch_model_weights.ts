/**
 * The inverse of modelStateDict (torch_state_dict.ts): sets a tf.LayersModel's
 * weights from a PyTorch-style state dict with the same names (a `.safetensors`
 * file written by `rnn-export --format safetensors`, or by the PyTorch twin of
 * `rnn-export --format torch` after training). Used by `rnn-train --init-from`
 * and `rnn-import --torch`.
 *
 * - recurrent layers: loadTorchWeights with prefix `<layer>.` (PyTorch's two
 *   LSTM/RNN biases are summed into the layer's one bias);
 * - Dense: `<layer>.weight` [out, in] (transposed back) and `<layer>.bias`;
 * - Embedding: `<layer>.weight` [V, D];
 * - any other weight: `<layer>.<weight>` in the tfjs layout.
 *
 * Every model weight must be present with its shape, and every tensor of the file
 * must be used: a missing, misshapen or unused tensor is an error naming the
 * PyTorch tensor and the tfjs weight.
 */
import * as tf from '@tensorflow/tfjs';
import { loadTorchWeights, RecurrentLayer, shortWeightName } from '../../layers';

/** A tensor of the state dict (what readSafetensors gives: float32 row-major). */
export interface StateDictTensor {
  shape: number[];
  data: ArrayLike<number>;
}

function walk(model: tf.LayersModel, prefix: string, visit: (layer: tf.layers.Layer, p: string) => void): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) walk(layer, `${prefix}${layer.name}.`, visit);
    else if (layer.weights.length) visit(layer, `${prefix}${layer.name}.`);
  }
}

const shape = (s: number[]): string => `[${s.join(', ')}]`;

/**
 * Loads `tensors` into `model` (see the file header). `where` names the source in
 * errors (a file path). Returns the number of tensors used.
 */
export function loadModelStateDict(model: tf.LayersModel, tensors: Record<string, StateDictTensor>, where = 'the state dict'): number {
  const used = new Set<string>();
  const fail = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  const take = (name: string, weight: string, want: number[]): StateDictTensor => {
    const t = tensors[name];
    if (!t) fail(`tensor '${name}' (for the model's weight '${weight}' ${shape(want)}) is missing`);
    if (!tf.util.arraysEqual(t.shape, want)) fail(`tensor '${name}' has shape ${shape(t.shape)}, expected ${shape(want)} for the model's weight '${weight}'`);
    used.add(name);
    return t;
  };
  walk(model, '', (layer, p) => {
    if (layer instanceof RecurrentLayer) {
      const own = Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(p)));
      try {
        loadTorchWeights(layer, own, { prefix: p });
      } catch (e) {
        fail((e as Error).message);
      }
      // loadTorchWeights reads weight_ih/weight_hh/bias_ih/bias_hh/weight_hr of every cell
      for (const k of Object.keys(own)) if (/\.(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l\d+(_reverse)?$/.test(k)) used.add(k);
      return;
    }
    const cls = layer.getClassName();
    for (const w of layer.weights) {
      const short = shortWeightName(layer as unknown as RecurrentLayer, w.originalName);
      const id = `${layer.name}/${short}`;
      const want = w.shape as number[];
      let value: tf.Tensor;
      if (cls === 'Dense' && short === 'kernel' && want.length === 2) {
        const t = take(`${p}weight`, id, [want[1], want[0]]);
        value = tf.tidy(() => tf.transpose(tf.tensor(Float32Array.from(t.data), t.shape, 'float32')));
      } else if (cls === 'Dense' && short === 'bias') {
        const t = take(`${p}bias`, id, want);
        value = tf.tensor(Float32Array.from(t.data), want, 'float32');
      } else if (/Embedding$/.test(cls) && short === 'embeddings') {
        const t = take(`${p}weight`, id, want);
        value = tf.tensor(Float32Array.from(t.data), want, 'float32');
      } else {
        const t = take(p + short, id, want);
        value = tf.tensor(Float32Array.from(t.data), want, 'float32');
      }
      w.write(value);
      value.dispose();
    }
  });
  const unused = Object.keys(tensors).filter((k) => !used.has(k));
  if (unused.length) fail(`tensor '${unused[0]}'${unused.length > 1 ? ` (and ${unused.length - 1} more)` : ''} matches no weight of the model (a state dict of another model?)`);
  return used.size;
}
