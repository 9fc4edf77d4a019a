/**
 * PyTorch interop for the recurrent layers: load a `state_dict` of nn.RNN /
 * nn.LSTM / nn.GRU into a layer, export a layer's weights in PyTorch layout, and
 * convert initial/final states between PyTorch's stacked [L·dirs, B, H] tensors
 * and the layer's list order.
 *
 * Layouts: PyTorch `weight_ih_l{k}[_reverse]` is [G·H, in] with gate order LSTM
 * (i, f, g, o) and GRU (r, z, n); it keeps two biases `bias_ih`, `bias_hh`, and
 * LSTM projections `weight_hr` [P, H]. This package keeps Keras' layout: `kernel`
 * [in, G·H], `recurrent_kernel` [H, G·H], gate order LSTM (i, f, c, o) and GRU
 * (z, r, h), one LSTM/RNN bias (b_ih + b_hh), GRU `bias` [2, 3H] (input and
 * recurrent rows) when `resetAfter` (PyTorch's formula), and `proj_kernel` [H, P].
 */
import * as tf from '@tensorflow/tfjs';
import { GRUCell } from './gru_cell';
import { LSTMCell } from './lstm_cell';
import { RecurrentLayer } from './recurrent_layer';

/** A PyTorch parameter: a tensor or (nested) number arrays. */
export type TorchValue = tf.Tensor | number[] | number[][];

/** Keras column-block order → PyTorch row-block order (self-inverse). */
function reorderBlocks(t: tf.Tensor, isGru: boolean, axis: number): tf.Tensor {
  if (!isGru) return t;
  const [z, r, h] = tf.split(t, 3, axis);
  return tf.concat([r, z, h], axis);
}

function torchSuffix(k: number, d: number): string {
  return `_l${k}${d === 1 ? '_reverse' : ''}`;
}

function toTensor(v: TorchValue): tf.Tensor {
  return v instanceof tf.Tensor ? v : tf.tensor(v as number[]);
}

/**
 * Sets a layer's weights from PyTorch parameters (names as in `state_dict()`:
 * `weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`, ...). The layer must be
 * built (apply it once or call `build`). Throws naming the missing or misshapen
 * parameter.
 */
export function loadTorchWeights(layer: RecurrentLayer, params: Record<string, TorchValue>): void {
  if (!layer.built) throw new Error(`${layer.name}: build the layer (apply it once) before loading PyTorch weights`);
  tf.tidy(() => {
    layer.cells.forEach((row, k) => {
      row.forEach((cell, d) => {
        const sfx = torchSuffix(k, d);
        const isGru = cell instanceof GRUCell;
        if (isGru && !(cell as GRUCell).resetAfter) {
          throw new Error(`${layer.name}: PyTorch GRU weights need resetAfter: true (PyTorch applies the reset gate after the recurrent matmul)`);
        }
        const get = (name: string): tf.Tensor => {
          const v = params[name + sfx];
          if (v === undefined) throw new Error(`${layer.name}: PyTorch parameter '${name + sfx}' is missing`);
          return toTensor(v);
        };
        const write = (variable: tf.LayerVariable | undefined, value: tf.Tensor, torchName: string): void => {
          if (!variable) return;
          if (!tf.util.arraysEqual(variable.shape as number[], value.shape)) {
            throw new Error(`${layer.name}: PyTorch parameter '${torchName}' has shape [${value.shape.join(', ')}] after conversion, expected [${variable.shape.join(', ')}]`);
          }
          variable.write(value);
        };
        write(cell.kernel, tf.transpose(reorderBlocks(get('weight_ih'), isGru, 0)), `weight_ih${sfx}`);
        write(cell.recurrentKernel, tf.transpose(reorderBlocks(get('weight_hh'), isGru, 0)), `weight_hh${sfx}`);
        if (cell.useBias) {
          const bIh = reorderBlocks(get('bias_ih'), isGru, 0);
          const bHh = reorderBlocks(get('bias_hh'), isGru, 0);
          write(cell.bias, isGru ? tf.stack([bIh, bHh]) : tf.add(bIh, bHh), `bias_ih${sfx}`);
        }
        if (cell instanceof LSTMCell && cell.projKernel) write(cell.projKernel, tf.transpose(get('weight_hr')), `weight_hr${sfx}`);
      });
    });
  });
}

/**
 * Converts per-weight values of a layer (its weights, or gradients with respect to
 * them, keyed by the weight's name without the layer prefix, e.g. 'kernel_l0')
 * into PyTorch layout. For 'weights', an LSTM/RNN bias goes to `bias_ih` and
 * `bias_hh` is zero; for 'gradients', both receive the bias gradient (it is the
 * gradient with respect to either PyTorch bias).
 */
export function toTorchLayout(
  layer: RecurrentLayer,
  values: Record<string, tf.Tensor>,
  kind: 'weights' | 'gradients',
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  layer.cells.forEach((row, k) => {
    row.forEach((cell, d) => {
      const sfx = torchSuffix(k, d);
      const own = layer.weightSuffix(k, d);
      const isGru = cell instanceof GRUCell;
      const get = (name: string): tf.Tensor => {
        const v = values[name + own];
        if (!v) throw new Error(`${layer.name}: no value for weight '${name + own}'`);
        return v;
      };
      out[`weight_ih${sfx}`] = tf.transpose(reorderBlocks(get('kernel'), isGru, 1));
      out[`weight_hh${sfx}`] = tf.transpose(reorderBlocks(get('recurrent_kernel'), isGru, 1));
      if (cell.useBias) {
        const b = get('bias');
        if (isGru && (cell as GRUCell).resetAfter) {
          const [bIh, bHh] = tf.unstack(b);
          out[`bias_ih${sfx}`] = reorderBlocks(bIh, true, 0);
          out[`bias_hh${sfx}`] = reorderBlocks(bHh, true, 0);
        } else {
          out[`bias_ih${sfx}`] = reorderBlocks(b, isGru, 0);
          out[`bias_hh${sfx}`] = kind === 'weights' ? tf.zerosLike(b) : reorderBlocks(b, isGru, 0);
        }
      }
      if (cell instanceof LSTMCell && cell.projKernel) out[`weight_hr${sfx}`] = tf.transpose(get('proj_kernel'));
    });
  });
  return out;
}

/** The weight's own name inside its layer ('lstm_1/kernel_l0' → 'kernel_l0'). */
export function shortWeightName(layer: RecurrentLayer, fullName: string): string {
  const prefix = `${layer.name}/`;
  return fullName.startsWith(prefix) ? fullName.slice(prefix.length) : fullName.slice(fullName.lastIndexOf('/') + 1);
}

/** A layer's current weights in PyTorch layout (a `state_dict` you can load with torch). */
export function exportTorchWeights(layer: RecurrentLayer): Record<string, tf.Tensor> {
  const values: Record<string, tf.Tensor> = {};
  for (const w of layer.weights) values[shortWeightName(layer, w.originalName)] = w.read();
  return toTorchLayout(layer, values, 'weights');
}

/**
 * PyTorch's stacked initial states (h0 [L·dirs, B, H_out], optional c0 [L·dirs, B, H])
 * → the layer's state list (layer-major, forward before reverse, h then c).
 */
export function fromTorchStates(layer: RecurrentLayer, h0: tf.Tensor3D, c0?: tf.Tensor3D): tf.Tensor2D[] {
  // Slices, not tf.unstack: Unpack's gradient fails for a single-entry stack (tfjs 4.22).
  const rows = (t: tf.Tensor3D): tf.Tensor2D[] =>
    Array.from({ length: t.shape[0] }, (_, i) => tf.reshape(tf.slice(t, [i, 0, 0], [1, -1, -1]), [t.shape[1], t.shape[2]]) as tf.Tensor2D);
  const hs = rows(h0);
  const cs = c0 ? rows(c0) : [];
  const out: tf.Tensor2D[] = [];
  hs.forEach((h, i) => {
    out.push(h);
    if (layer.args.cell === 'lstm') {
      if (!cs[i]) throw new Error(`${layer.name}: an LSTM needs c0 with h0`);
      out.push(cs[i]);
    }
  });
  return out;
}

/** The layer's final-state list → PyTorch's { h_n [L·dirs, B, H_out], c_n? [L·dirs, B, H] }. */
export function toTorchStates(layer: RecurrentLayer, states: tf.Tensor[]): { h: tf.Tensor3D; c?: tf.Tensor3D } {
  const per = layer.args.cell === 'lstm' ? 2 : 1;
  const hs: tf.Tensor[] = [];
  const cs: tf.Tensor[] = [];
  for (let i = 0; i < states.length; i += per) {
    hs.push(states[i]);
    if (per === 2) cs.push(states[i + 1]);
  }
  return { h: tf.stack(hs) as tf.Tensor3D, c: per === 2 ? (tf.stack(cs) as tf.Tensor3D) : undefined };
}
