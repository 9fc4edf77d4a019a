/**
 * Fused Elman RNN over a whole sequence with hand-derived BPTT
 * (h' = act(x·W + h·U + b), act ∈ {tanh, relu}).
 *
 * tanh is computed as 2σ(2z) − 1 with the weights pre-scaled by 2: on wasm
 * sigmoid is several times faster than tanh. A backward step is three ops.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulNT, matMulTN, pack, prepareMask, runPacked, stepOrder, toTimeMajor, unpackGrad } from './common';
import { concatRows, splitRows } from './fast_split';
import { SequenceInputs, SequenceResult } from './types';

/** The RNN's weights (Keras layout). */
export interface RNNWeights {
  /** [D, H] */
  kernel: tf.Tensor2D;
  /** [H, H] */
  recurrentKernel: tf.Tensor2D;
  /** [H] or null */
  bias: tf.Tensor1D | null;
  /** Nonlinearity. */
  activation: 'tanh' | 'relu';
}

export function rnnSequence(inp: SequenceInputs, w: RNNWeights): SequenceResult {
  const H = w.kernel.shape[1];
  const hasBias = w.bias !== null;
  const isTanh = w.activation === 'tanh';
  const weights = [w.kernel, w.recurrentKernel, ...(hasBias ? [w.bias!] : [])];
  return runPacked(inp, weights, H, (x, ws, [h0], mask, save) => {
    const [B, T] = x.shape;
    const [K, R] = ws as tf.Tensor2D[];
    const b = hasBias ? (ws[2] as tf.Tensor1D) : null;
    const order = stepOrder(T, inp.reverse);

    // ---- forward ----
    const X = toTimeMajor(x);
    const two = tf.scalar(2);
    const one = tf.scalar(1);
    const s = isTanh ? two : one; // tanh(z) = 2σ(2z) − 1
    const Rs = tf.mul(R, s) as tf.Tensor2D;
    let ZX = tf.matMul(X, tf.mul(K, s) as tf.Tensor2D);
    if (b) ZX = tf.add(ZX, tf.mul(b, s));
    const zx = splitRows(ZX as tf.Tensor2D, T);
    const sm = mask ? prepareMask(mask, T) : null;
    const Hnew: tf.Tensor[] = new Array(T);
    const Hprev: tf.Tensor[] = new Array(T);
    const Y: tf.Tensor[] = new Array(T);
    let h = h0;
    for (const t of order) {
      Hprev[t] = h;
      const z = tf.add(zx[t], tf.matMul(h, Rs));
      const hNew = isTanh ? tf.sub(tf.mul(tf.sigmoid(z), two), one) : tf.relu(z);
      Hnew[t] = hNew;
      if (sm) {
        Y[t] = tf.mul(hNew, sm.m[t]);
        h = tf.where(sm.keep[t], hNew, h) as tf.Tensor2D;
      } else {
        Y[t] = hNew;
        h = hNew as tf.Tensor2D;
      }
    }
    save([X, K, R, ...(sm ? [sm.column] : []), ...Hnew, ...Hprev]);

    return {
      value: pack(concatRows(Y as tf.Tensor2D[]), [h]),
      // ---- backward ----
      gradFunc: (dPacked, saved) => {
        let k = 0;
        const sX = saved[k++] as tf.Tensor2D;
        const sK = saved[k++] as tf.Tensor2D;
        const sR = saved[k++] as tf.Tensor2D;
        const mcol = sm ? (saved[k++] as tf.Tensor2D) : null;
        const sHnew = saved.slice(k, k + T) as tf.Tensor2D[];
        const sHprev = saved.slice(k + T, k + 2 * T) as tf.Tensor2D[];
        const {
          dY,
          dStates: [dhT],
        } = unpackGrad(dPacked, T, B, H, [H]);
        const Hall = concatRows(sHnew);
        // act'(z) from the output: tanh → 1 − h², relu → [h > 0]; masked rows → 0.
        let deriv: tf.Tensor = isTanh ? tf.sub(1, tf.square(Hall)) : tf.cast(tf.greater(Hall, 0), 'float32');
        if (mcol) deriv = tf.mul(deriv, mcol);
        const Ds = splitRows(deriv as tf.Tensor2D, T);
        const dYs = splitRows(dY, T);
        const nm = mcol ? splitRows(tf.sub(1, mcol) as tf.Tensor2D, T) : null;
        const Rt = tf.transpose(sR);
        const dZ: tf.Tensor[] = new Array(T);
        let dh: tf.Tensor = dhT;
        for (let n = T - 1; n >= 0; n--) {
          const t = order[n];
          const dz = tf.mul(tf.add(dh, dYs[t]), Ds[t]);
          const dhPrev = tf.matMul(dz, Rt);
          dh = nm ? tf.add(dhPrev, tf.mul(dh, nm[t])) : dhPrev;
          dZ[t] = dz;
        }
        const dZall = concatRows(dZ as tf.Tensor2D[]);
        const grads: tf.Tensor[] = [
          tf.transpose(tf.reshape(matMulNT(dZall, sK), [T, B, -1]), [1, 0, 2]),
          matMulTN(sX, dZall),
          matMulTN(concatRows(sHprev), dZall),
        ];
        if (b) grads.push(tf.sum(dZall, 0));
        return [...grads, dh];
      },
    };
  });
}
