/**
 * Fused Elman RNN over a whole sequence with hand-derived BPTT
 * (h' = act(x·W + h·U + b), act ∈ {tanh, relu}).
 *
 * tanh is computed as 2σ(2z) − 1 with the weights pre-scaled by 2: on wasm
 * sigmoid is several times faster than tanh. A backward step is 3 ops
 * (add, multiply, matmul); the weight and bias gradients are one matmul
 * [X | H_prev | 1]ᵀ·dZ, and dX is only formed when the engine asks for it.
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { GradOut, runSequence, stepMask, visitOrder } from './runner';
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
  return runSequence(inp, weights, (ops, x, ws, [h0], mask, needGrad) => {
    const [B, T, D] = x.shape;
    const N = T * B;
    const [K, R] = ws;
    const b = hasBias ? ws[2] : null;
    const order = visitOrder(T, inp.reverse);

    // ---- forward ----
    const X = ops.toTimeMajor(x); // [N, D]
    const sc = ops.keepConst(isTanh ? 2 : 1); // tanh(z) = 2σ(2z) − 1
    const Ks = isTanh ? ops.mul(K, sc) : K;
    const Rs = isTanh ? ops.mul(R, sc) : R;
    const bs = b ? (isTanh ? ops.mul(b, sc) : b) : null;
    const ZX = bs ? ops.matMulBias(X, Ks, bs) : ops.matMul(X, Ks);
    ops.free(Ks, bs);
    const zx = ops.splitRows(ZX, T);
    ops.free(ZX);
    const Hn: TI[] = new Array(T); // the step's new h (before masking)
    const Hp: TI[] = new Array(T); // carried h before the step
    const Y: TI[] = new Array(T);
    let h: TI = h0;
    for (const t of order) {
      const hz = ops.matMul(h, Rs);
      const z = ops.add(zx[t], hz);
      ops.free(hz, zx[t]);
      let hN: TI;
      if (isTanh) {
        const s = ops.sigmoid(z);
        hN = ops.affine(s, 2, -1);
        ops.free(s);
      } else {
        hN = ops.relu(z);
      }
      ops.free(z);
      if (needGrad) {
        Hn[t] = hN;
        Hp[t] = h;
      }
      if (mask) {
        Y[t] = ops.zeroRows(hN, mask.keep[t], mask.m[t]);
        // carry() may update hN in place; backward only reads hN at real steps (act' is masked), which it keeps.
        const hC = ops.carry(hN, h, mask.keep[t], mask.m[t], mask.notM[t]);
        if (!needGrad) ops.free(h);
        h = hC;
      } else {
        Y[t] = hN;
        h = hN;
      }
    }
    if (Rs !== R) ops.free(Rs);
    const y = ops.stackTime(Y);
    const saved: TI[] = [];
    if (needGrad) {
      saved.push(X, ops.concatRows(Hn), ops.concatRows(Hp));
      ops.freeAll([...Hn, ...Hp].filter((t) => t !== h));
    }
    ops.freeAll(Y.filter((t) => t !== h));

    return {
      y,
      states: [h],
      saved: [...saved, K, R],
      // ---- backward ----
      backward: (bops, dy, [dhT], sv) => {
        const [sX, Hall, HPall, sK, sR] = sv;
        const bm = mask ? stepMask(bops, sv[5], B, T) : null;
        // act'(z) from the output: tanh → 1 − h², relu → [h > 0]; masked rows → 0.
        let deriv: TI;
        if (isTanh) {
          const sq = bops.square(Hall);
          deriv = bops.sub(bops.keepConst(1), sq);
          bops.free(sq);
        } else {
          deriv = bops.positive(Hall);
        }
        if (bm) {
          const d = bops.mul(deriv, bm.column);
          bops.free(deriv);
          deriv = d;
        }
        const Ds = bops.splitRows(deriv, T);
        bops.free(deriv);
        const dYs = bops.unstackTime(dy);
        const Rt = bops.transpose(sR, [1, 0]);
        const dZ: TI[] = new Array(T);
        let dh: TI = dhT;
        for (let n = T - 1; n >= 0; n--) {
          const t = order[n];
          const dht = bops.add(dh, dYs[t]);
          const dz = bops.mul(dht, Ds[t]);
          bops.free(dht, Ds[t], dYs[t]);
          let dhPrev = bops.matMul(dz, Rt);
          if (bm) dhPrev = bops.carry(dhPrev, dh, bm.keep[t], bm.m[t], bm.notM[t]);
          bops.free(dh);
          dh = dhPrev;
          dZ[t] = dz;
        }
        bops.free(Rt);
        const dZall = bops.concatRows(dZ);
        bops.freeAll(dZ);
        const ones = hasBias ? bops.fill([N, 1], 1) : null;
        const XH = bops.concatCols(ones ? [sX, HPall, ones] : [sX, HPall]);
        const dW = bops.matMulTN(XH, dZall);
        bops.free(ones, XH);
        const [dK, dR, db1] = bops.splitRowsSized(dW, hasBias ? [D, H, 1] : [D, H]);
        bops.free(dW);
        const dZt = bops.toTensor(dZall);
        const grads: GradOut[] = [
          (o: Ops) => {
            const Kt = o.transpose(sK, [1, 0]);
            return o.fromTimeMajor(o.matMul(dZt, Kt), B, T);
          },
          dK,
          dR,
        ];
        if (hasBias) grads.push(bops.reshape(db1, [H]));
        grads.push(dh);
        return grads;
      },
    };
  });
}
