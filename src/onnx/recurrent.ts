/**
 * ONNX `LSTM` / `GRU` / `RNN` nodes ↔ this package's recurrent layers.
 *
 * ONNX layouts (one node = one layer, one or two directions):
 *   W [dirs, G·H, D], R [dirs, G·H, H], B [dirs, 2·G·H] (input bias then recurrent bias),
 *   gate blocks LSTM (i, o, f, c), GRU (z, r, h), RNN (one block);
 *   X [T, B, D] (layout 0) or [B, T, D] (layout 1); Y [T, dirs, B, H]; Y_h, Y_c [dirs, B, H].
 * This package (Keras layout): kernel [D, G·H], recurrent_kernel [H, G·H], blocks LSTM
 * (i, f, c, o), GRU (z, r, h); one bias (input + recurrent) except a GRU with
 * resetAfter (ONNX linear_before_reset = 1), whose bias is [2, 3H].
 */
import * as tf from '@tensorflow/tfjs';
import { GRUCell } from '../../layers/gru_cell';
import { GRU } from '../../layers/gru';
import { LSTM } from '../../layers/lstm';
import { RecurrentLayer } from '../../layers/recurrent_layer';
import { SimpleRNN } from '../../layers/simple_rnn';
import { SimpleRNNCell } from '../../layers/simple_rnn_cell';

/** ONNX op type of a cell kind. */
export const ONNX_OP = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' } as const;

/** Keras block j = ONNX block KERAS_FROM_ONNX[j] (LSTM: i←i, f←f(2), c←c(3), o←o(1)). */
const KERAS_FROM_ONNX = { lstm: [0, 2, 3, 1], gru: [0, 1, 2], rnn: [0] };
/** ONNX block j = Keras block ONNX_FROM_KERAS[j]. */
const ONNX_FROM_KERAS = { lstm: [0, 3, 1, 2], gru: [0, 1, 2], rnn: [0] };

function reorder(t: tf.Tensor, order: number[], axis: number): tf.Tensor {
  if (order.length === 1) return t;
  const blocks = tf.split(t, order.length, axis);
  return tf.concat(order.map((i) => blocks[i]), axis);
}

/** What an ONNX recurrent node says about the layer it describes. */
export interface OnnxRecurrentSpec {
  /** Cell kind. */
  cell: 'lstm' | 'gru' | 'rnn';
  /** hidden_size. */
  units: number;
  /** Input size D (from W). */
  inputSize: number;
  /** 'forward', 'reverse' or 'bidirectional'. */
  direction: string;
  /** GRU linear_before_reset (1 = resetAfter). */
  linearBeforeReset: boolean;
  /** RNN nonlinearity. */
  activation: 'tanh' | 'relu';
  /** W [dirs, G·H, D]. */
  W: tf.Tensor3D;
  /** R [dirs, G·H, H]. */
  R: tf.Tensor3D;
  /** B [dirs, 2·G·H], or null (zeros). */
  B: tf.Tensor2D | null;
  /** Layer name. */
  name: string;
}

/** A built layer of this package (one layer, mergeMode 'none', sequences and states returned) holding the node's weights. */
export function layerFromOnnx(spec: OnnxRecurrentSpec): RecurrentLayer {
  const common = {
    units: spec.units,
    bidirectional: spec.direction === 'bidirectional',
    reverse: spec.direction === 'reverse',
    mergeMode: 'none' as const,
    returnSequences: true,
    returnState: true,
    useBias: spec.B !== null,
    name: spec.name,
  };
  const layer =
    spec.cell === 'lstm'
      ? new LSTM(common)
      : spec.cell === 'gru'
        ? new GRU({ ...common, resetAfter: spec.linearBeforeReset })
        : new SimpleRNN({ ...common, activation: spec.activation });
  // Built by one eager call, not build(): apply builds under the layer's name scope, so the
  // weights are named 'layer/kernel_l0' (unique in a model that holds several such layers).
  tf.tidy(() => {
    layer.apply(tf.zeros([1, 1, spec.inputSize]));
  });
  const order = KERAS_FROM_ONNX[spec.cell];
  const G = order.length;
  const H = spec.units;
  tf.tidy(() => {
    layer.cells[0].forEach((cell, d) => {
      const pick = (t: tf.Tensor): tf.Tensor2D => tf.squeeze(tf.slice(t, [d, 0, 0], [1, -1, -1]), [0]);
      cell.kernel!.write(tf.transpose(reorder(pick(spec.W), order, 0)));
      cell.recurrentKernel!.write(tf.transpose(reorder(pick(spec.R), order, 0)));
      if (spec.B && cell.bias) {
        const b = tf.squeeze(tf.slice(spec.B, [d, 0], [1, -1]), [0]);
        const wb = reorder(tf.slice(b, [0], [G * H]), order, 0);
        const rb = reorder(tf.slice(b, [G * H], [G * H]), order, 0);
        cell.bias.write(cell instanceof GRUCell && cell.resetAfter ? tf.stack([wb, rb]) : tf.add(wb, rb));
      }
    });
  });
  return layer;
}

/** The ONNX W, R, B (and activations) of stacked layer k of a layer of this package. */
export interface OnnxRecurrentWeights {
  W: tf.Tensor3D;
  R: tf.Tensor3D;
  B: tf.Tensor2D | null;
  attributes: Record<string, number | string | string[]>;
}

/**
 * Layer k of `layer` as ONNX node inputs and attributes. Throws naming the layer for a
 * configuration the standard node cannot express (an LSTM projection).
 */
export function onnxWeightsOf(layer: RecurrentLayer, k: number): OnnxRecurrentWeights {
  const a = layer.args;
  if (a.projSize > 0) {
    throw new Error(
      `${layer.name}: an LSTM with projSize ${a.projSize} cannot be exported to ONNX (the ONNX LSTM node has no projection)`,
    );
  }
  const order = ONNX_FROM_KERAS[a.cell];
  const [W, R, B = null] = tf.tidy(() => {
    const Ws: tf.Tensor[] = [];
    const Rs: tf.Tensor[] = [];
    const Bs: tf.Tensor[] = [];
    for (const cell of layer.cells[k]) {
      Ws.push(reorder(tf.transpose(cell.kernel!.read()), order, 0));
      Rs.push(reorder(tf.transpose(cell.recurrentKernel!.read()), order, 0));
      if (cell.bias) {
        const b = cell.bias.read();
        if (cell instanceof GRUCell && cell.resetAfter) {
          const [wb, rb] = tf.unstack(b);
          Bs.push(tf.concat([reorder(wb, order, 0), reorder(rb, order, 0)]));
        } else Bs.push(tf.concat([reorder(b, order, 0), tf.zerosLike(b)]));
      }
    }
    return [tf.stack(Ws), tf.stack(Rs), ...(Bs.length ? [tf.stack(Bs)] : [])];
  }) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D?];
  const cell0 = layer.cells[k][0];
  const attributes: Record<string, number | string | string[]> = { hidden_size: a.units };
  if (a.bidirectional) attributes.direction = 'bidirectional';
  else if (a.reverse) attributes.direction = 'reverse';
  if (cell0 instanceof GRUCell) attributes.linear_before_reset = cell0.resetAfter ? 1 : 0;
  if (cell0 instanceof SimpleRNNCell) {
    const act = cell0.activation === 'relu' ? 'Relu' : 'Tanh';
    attributes.activations = a.bidirectional ? [act, act] : [act];
  }
  return { W, R, B, attributes };
}
