/**
 * Straightforward reference implementations of the three cells over a whole
 * sequence: a plain per-step loop of tf ops, differentiated by tfjs autodiff.
 * Written from the equations, independently of layers/ and layers/fused/, so
 * the fused kernels (hand-derived BPTT, tanh(x) = 2σ(2x) − 1 tricks, packing)
 * can be checked against them.
 *
 * Shared semantics (layers/fused/types.ts): x [B, T, D]; mask [B, T] 0/1 or
 * null; a masked step carries every state and emits 0; reverse runs
 * t = T−1 .. 0 with outputs aligned to the input time axis.
 */
import * as tf from '@tensorflow/tfjs';

export interface RefInputs {
  x: tf.Tensor3D;
  initialStates: tf.Tensor2D[];
  mask: tf.Tensor2D | null;
  reverse: boolean;
}

export interface RefResult {
  y: tf.Tensor3D;
  states: tf.Tensor2D[];
}

type Step = (xt: tf.Tensor2D, states: tf.Tensor2D[]) => { out: tf.Tensor2D; states: tf.Tensor2D[] };

/** The time loop shared by every cell: mask handling, direction, output stacking. */
function unroll(inp: RefInputs, step: Step): RefResult {
  const [B, T, D] = inp.x.shape;
  const ys: tf.Tensor2D[] = new Array(T);
  let states = inp.initialStates;
  for (let k = 0; k < T; k++) {
    const t = inp.reverse ? T - 1 - k : k;
    const xt = tf.reshape(tf.slice(inp.x, [0, t, 0], [B, 1, D]), [B, D]) as tf.Tensor2D;
    const r = step(xt, states);
    if (inp.mask) {
      const m = tf.slice(inp.mask, [0, t], [B, 1]); // [B, 1]
      const keep = tf.sub(1, m);
      ys[t] = tf.mul(r.out, m) as tf.Tensor2D;
      states = r.states.map((s, j) => tf.add(tf.mul(s, m), tf.mul(states[j], keep)) as tf.Tensor2D);
    } else {
      ys[t] = r.out;
      states = r.states;
    }
  }
  return { y: tf.stack(ys, 1) as tf.Tensor3D, states };
}

/** Column block j (of width w) of a [B, n·w] tensor. */
function block(z: tf.Tensor2D, j: number, w: number): tf.Tensor2D {
  return tf.slice(z, [0, j * w], [z.shape[0], w]);
}

export interface RefLSTMWeights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  projKernel: tf.Tensor2D | null;
}

/** LSTM, Keras gate order i, f, c, o; states [h, c]. */
export function referenceLSTM(inp: RefInputs, w: RefLSTMWeights): RefResult {
  const H = w.kernel.shape[1] / 4;
  return unroll(inp, (xt, [h, c]) => {
    let z = tf.add(tf.matMul(xt, w.kernel), tf.matMul(h, w.recurrentKernel)) as tf.Tensor2D;
    if (w.bias) z = tf.add(z, w.bias);
    const i = tf.sigmoid(block(z, 0, H));
    const f = tf.sigmoid(block(z, 1, H));
    const g = tf.tanh(block(z, 2, H));
    const o = tf.sigmoid(block(z, 3, H));
    const cNew = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
    const m = tf.mul(o, tf.tanh(cNew)) as tf.Tensor2D;
    const hNew = w.projKernel ? (tf.matMul(m, w.projKernel) as tf.Tensor2D) : m;
    return { out: hNew, states: [hNew, cNew] };
  });
}

export interface RefGRUWeights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor | null;
  resetAfter: boolean;
}

/** GRU, Keras gate order z, r, h; both reset conventions; state [h]. */
export function referenceGRU(inp: RefInputs, w: RefGRUWeights): RefResult {
  const H = w.kernel.shape[1] / 3;
  const K = w.kernel;
  const R = w.recurrentKernel;
  return unroll(inp, (xt, [h]) => {
    let hNew: tf.Tensor2D;
    if (w.resetAfter) {
      let xz = tf.matMul(xt, K) as tf.Tensor2D;
      let hz = tf.matMul(h, R) as tf.Tensor2D;
      if (w.bias) {
        xz = tf.add(xz, tf.reshape(tf.slice(w.bias, [0, 0], [1, 3 * H]), [3 * H]));
        hz = tf.add(hz, tf.reshape(tf.slice(w.bias, [1, 0], [1, 3 * H]), [3 * H]));
      }
      const z = tf.sigmoid(tf.add(block(xz, 0, H), block(hz, 0, H)));
      const r = tf.sigmoid(tf.add(block(xz, 1, H), block(hz, 1, H)));
      const n = tf.tanh(tf.add(block(xz, 2, H), tf.mul(r, block(hz, 2, H))));
      hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n)) as tf.Tensor2D;
    } else {
      const col = (m: tf.Tensor2D, j: number) => tf.slice(m, [0, j * H], [m.shape[0], H]);
      const bj = (j: number) => (w.bias ? tf.slice(w.bias, [j * H], [H]) : tf.scalar(0));
      const z = tf.sigmoid(tf.add(tf.add(tf.matMul(xt, col(K, 0)), tf.matMul(h, col(R, 0))), bj(0)));
      const r = tf.sigmoid(tf.add(tf.add(tf.matMul(xt, col(K, 1)), tf.matMul(h, col(R, 1))), bj(1)));
      const n = tf.tanh(tf.add(tf.add(tf.matMul(xt, col(K, 2)), tf.matMul(tf.mul(r, h), col(R, 2))), bj(2)));
      hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n)) as tf.Tensor2D;
    }
    return { out: hNew, states: [hNew] };
  });
}

export interface RefRNNWeights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  activation: 'tanh' | 'relu';
}

/** Elman RNN h' = act(x·K + h·R + b); state [h]. */
export function referenceRNN(inp: RefInputs, w: RefRNNWeights): RefResult {
  return unroll(inp, (xt, [h]) => {
    let z = tf.add(tf.matMul(xt, w.kernel), tf.matMul(h, w.recurrentKernel)) as tf.Tensor2D;
    if (w.bias) z = tf.add(z, w.bias);
    const hNew = (w.activation === 'tanh' ? tf.tanh(z) : tf.relu(z)) as tf.Tensor2D;
    return { out: hNew, states: [hNew] };
  });
}
