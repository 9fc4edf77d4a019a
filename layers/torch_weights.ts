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

/**
 * A PyTorch parameter: a tensor, (nested) number arrays, or `{ shape, data }` (a
 * tensor of `readSafetensors`, src/interop/safetensors.ts, or any flat row-major values).
 */
export type TorchValue = tf.Tensor | number[] | number[][] | { shape: number[]; data: ArrayLike<number> };

/** A state dict (name → parameter), or a file with one under `tensors` (what `readSafetensors` returns). */
export type TorchStateDict = Record<string, TorchValue> | { tensors: Record<string, TorchValue> };

/** Options of `loadTorchWeights`. */
export interface LoadTorchWeightsOptions {
  /** Prefix of the module's names in the state dict (e.g. 'encoder.rnn.' for a submodule); default ''. */
  prefix?: string;
}

/** Keras column-block order → PyTorch row-block order (self-inverse). */
function reorderBlocks(t: tf.Tensor, isGru: boolean, axis: number): tf.Tensor {
  if (!isGru) return t;
  const [z, r, h] = tf.split(t, 3, axis);
  return tf.concat([r, z, h], axis);
}

function torchSuffix(k: number, d: number): string {
  return `_l${k}${d === 1 ? '_reverse' : ''}`;
}

function isShapedData(v: unknown): v is { shape: number[]; data: ArrayLike<number> } {
  return typeof v === 'object' && v !== null && !(v instanceof tf.Tensor) && !Array.isArray(v) && Array.isArray((v as { shape?: unknown }).shape) && (v as { data?: unknown }).data !== undefined;
}

function torchShape(v: TorchValue): number[] {
  if (v instanceof tf.Tensor) return v.shape;
  if (isShapedData(v)) return v.shape;
  const a = v as unknown[];
  return Array.isArray(a[0]) ? [a.length, (a[0] as unknown[]).length] : [a.length];
}

function toTensor(v: TorchValue): tf.Tensor {
  if (v instanceof tf.Tensor) return v;
  if (isShapedData(v)) return tf.tensor(Float32Array.from(v.data), v.shape, 'float32');
  return tf.tensor(v as number[]);
}

/** The name → parameter map of a state dict or of a `readSafetensors` result. */
function stateDictEntries(params: TorchStateDict): Record<string, TorchValue> {
  const t = (params as { tensors?: unknown }).tensors;
  if (typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof tf.Tensor) && !isShapedData(t)) return t as Record<string, TorchValue>;
  return params as Record<string, TorchValue>;
}

/**
 * Sets a layer's weights from PyTorch parameters (names as in `state_dict()`:
 * `weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`, ...), given as a name →
 * value map or as what `readSafetensors(bytes)` returns. The layer must be built
 * (apply it once or call `build`). A missing or misshapen parameter throws naming
 * both the PyTorch name and the layer weight it is for.
 */
export function loadTorchWeights(layer: RecurrentLayer, stateDict: TorchStateDict, options: LoadTorchWeightsOptions = {}): void {
  if (!layer.built) throw new Error(`${layer.name}: build the layer (apply it once) before loading PyTorch weights`);
  const params = stateDictEntries(stateDict);
  const prefix = options.prefix ?? '';
  tf.tidy(() => {
    layer.cells.forEach((row, k) => {
      row.forEach((cell, d) => {
        const sfx = torchSuffix(k, d);
        const isGru = cell instanceof GRUCell;
        if (isGru && !(cell as GRUCell).resetAfter) {
          throw new Error(`${layer.name}: PyTorch GRU weights need resetAfter: true (PyTorch applies the reset gate after the recurrent matmul)`);
        }
        // Reads one PyTorch parameter, checking its shape against what `variable` needs in PyTorch layout.
        const get = (name: string, variable: tf.LayerVariable, want: number[]): tf.Tensor => {
          const torchName = prefix + name + sfx;
          const v = params[torchName];
          if (v === undefined) {
            const have = Object.keys(params);
            const list = have.length ? `the state dict has ${have.slice(0, 8).map((n) => `'${n}'`).join(', ')}${have.length > 8 ? `, ... (${have.length})` : ''}` : 'the state dict is empty';
            throw new Error(`${layer.name}: PyTorch parameter '${torchName}' (for layer weight '${layer.name}/${variable.originalName}') is missing; ${list}`);
          }
          const shape = torchShape(v);
          if (!tf.util.arraysEqual(shape, want)) {
            throw new Error(`${layer.name}: PyTorch parameter '${torchName}' has shape [${shape.join(', ')}], expected [${want.join(', ')}] for layer weight '${layer.name}/${variable.originalName}' [${variable.shape.join(', ')}]`);
          }
          return toTensor(v);
        };
        const { kernel, recurrentKernel } = cell;
        if (!kernel || !recurrentKernel) throw new Error(`${layer.name}: cell ${k}/${d} has no weights (build the layer first)`);
        const [inDim, gh] = kernel.shape as number[];
        const hOut = recurrentKernel.shape[0] as number;
        kernel.write(tf.transpose(reorderBlocks(get('weight_ih', kernel, [gh, inDim]), isGru, 0)));
        recurrentKernel.write(tf.transpose(reorderBlocks(get('weight_hh', recurrentKernel, [gh, hOut]), isGru, 0)));
        if (cell.useBias && cell.bias) {
          const bIh = reorderBlocks(get('bias_ih', cell.bias, [gh]), isGru, 0);
          const bHh = reorderBlocks(get('bias_hh', cell.bias, [gh]), isGru, 0);
          cell.bias.write(isGru ? tf.stack([bIh, bHh]) : tf.add(bIh, bHh));
        }
        if (cell instanceof LSTMCell && cell.projKernel) {
          const [h, p] = cell.projKernel.shape as number[];
          cell.projKernel.write(tf.transpose(get('weight_hr', cell.projKernel, [p, h])));
        }
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
