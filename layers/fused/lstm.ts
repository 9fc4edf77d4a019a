/**
 * Fused LSTM over a whole sequence with hand-derived BPTT (equations in
 * ../lstm_cell.ts).
 *
 * Forward: Z_x = X·W + b for all steps in one matmul; per step one matmul h·U,
 * one sigmoid over all four gate blocks (the c-block columns are pre-scaled by 2,
 * so tanh(z) = 2σ(2z) − 1 needs no slice and no tanh), the cell update, tanh(c).
 * Backward: every elementwise factor that does not depend on the incoming
 * gradient is computed once for all steps (batched over T·B rows); a step is then
 * seven ops (eleven with a mask, two more with a projection), and the weight
 * gradients are single large matmuls over all steps.
 */
import * as tf from '@tensorflow/tfjs';
import { fromTimeMajor, matMulNT, matMulTN, pack, prepareMask, runPacked, stepOrder, toTimeMajor, unpackGrad } from './common';
import { concatCols, concatRows, splitCols, splitRows } from './fast_split';
import { SequenceInputs, SequenceResult } from './types';

/** The LSTM's weights (Keras layout, gate order i, f, c, o). */
export interface LSTMWeights {
  /** [D, 4H] */
  kernel: tf.Tensor2D;
  /** [P, 4H] (P = projection size, or H) */
  recurrentKernel: tf.Tensor2D;
  /** [4H] or null */
  bias: tf.Tensor1D | null;
  /** [H, P] or null */
  projKernel: tf.Tensor2D | null;
}

/** Column scale [1, 1, 2, 1] per gate block (c block doubled: tanh(z) = 2σ(2z) − 1). */
function blockScale(H: number, c: number, other = 1): tf.Tensor1D {
  const v = new Float32Array(4 * H).fill(other);
  v.fill(c, 2 * H, 3 * H);
  return tf.tensor1d(v);
}

export function lstmSequence(inp: SequenceInputs, w: LSTMWeights): SequenceResult {
  const H = w.kernel.shape[1] / 4;
  const P = w.recurrentKernel.shape[0];
  const hasBias = w.bias !== null;
  const hasProj = w.projKernel !== null;
  const weights = [w.kernel, w.recurrentKernel, ...(hasBias ? [w.bias!] : []), ...(hasProj ? [w.projKernel!] : [])];
  return runPacked(inp, weights, P, (x, ws, [h0, c0], mask, save) => {
    const [B, T, D] = x.shape;
    const [K, R] = ws as tf.Tensor2D[];
    const b = hasBias ? (ws[2] as tf.Tensor1D) : null;
    const Wr = hasProj ? (ws[hasBias ? 3 : 2] as tf.Tensor2D) : null;
    const order = stepOrder(T, inp.reverse);

    // ---- forward ----
    const scale = blockScale(H, 2);
    const X = toTimeMajor(x); // [T·B, D]
    const Ks = tf.mul(K, scale);
    const Rs = tf.mul(R, scale) as tf.Tensor2D;
    const bs = b ? tf.mul(b, scale) : null;
    const ZX = (bs ? tf.add(tf.matMul(X, Ks), bs) : tf.matMul(X, Ks)) as tf.Tensor2D; // [T·B, 4H]
    const zx = splitRows(ZX, T);
    const two = tf.scalar(2);
    const one = tf.scalar(1);
    const sm = mask ? prepareMask(mask, T) : null;

    const S: tf.Tensor[] = new Array(T); // σ of all gate blocks, per step [B, 4H]
    const TC: tf.Tensor[] = new Array(T); // tanh(c_new) [B, H]
    const Cprev: tf.Tensor[] = new Array(T); // carried 2c before the step [B, H]
    const Hprev: tf.Tensor[] = new Array(T); // carried h before the step [B, P]
    const Y: tf.Tensor[] = new Array(T); // outputs [B, P]
    const four = tf.scalar(4);
    let h = h0;
    let c = tf.mul(c0, two) as tf.Tensor2D; // 2c (see below)
    for (const t of order) {
      Hprev[t] = h;
      Cprev[t] = c;
      const s = tf.sigmoid(tf.add(zx[t], tf.matMul(h, Rs))) as tf.Tensor2D;
      const [i, f, sc, o] = splitCols(s, 4);
      // The carried cell state is 2c, so tanh(c) = 2σ(2c) − 1 needs no tanh (3× slower than σ on wasm).
      const g2 = tf.sub(tf.mul(sc, four), two); // 2·tanh(z_c)
      const cNew = tf.add(tf.mul(f, c), tf.mul(i, g2)); // 2·c_new
      const tc = tf.sub(tf.mul(tf.sigmoid(cNew), two), one);
      let hNew = tf.mul(o, tc);
      if (Wr) hNew = tf.matMul(hNew, Wr);
      S[t] = s;
      TC[t] = tc;
      if (sm) {
        Y[t] = tf.mul(hNew, sm.m[t]);
        h = tf.where(sm.keep[t], hNew, h) as tf.Tensor2D;
        c = tf.where(sm.keep[t], cNew, c) as tf.Tensor2D;
      } else {
        Y[t] = hNew;
        h = hNew as tf.Tensor2D;
        c = cNew as tf.Tensor2D;
      }
    }
    save([X, K, R, ...(Wr ? [Wr] : []), ...(sm ? [sm.column] : []), ...S, ...TC, ...Cprev, ...Hprev]);

    return {
      value: pack(concatRows(Y as tf.Tensor2D[]), [h, tf.div(c, two) as tf.Tensor2D]),
      // ---- backward ----
      gradFunc: (dPacked, saved) => {
        let k = 0;
        const sX = saved[k++] as tf.Tensor2D;
        const sK = saved[k++] as tf.Tensor2D;
        const sR = saved[k++] as tf.Tensor2D;
        const sWr = Wr ? (saved[k++] as tf.Tensor2D) : null;
        const mcol = sm ? (saved[k++] as tf.Tensor2D) : null;
        const take = (): tf.Tensor[] => {
          const list = saved.slice(k, k + T);
          k += T;
          return list;
        };
        const [sS, sTC, sCprev, sHprev] = [take(), take(), take(), take()];
        const {
          dY, // [T·B, P] time-major
          dStates: [dhT, dcT],
        } = unpackGrad(dPacked, T, B, P, [P, H]);

        // Step-independent factors for all T·B rows at once.
        const Sall = concatRows(sS as tf.Tensor2D[]); // [N, 4H]
        const TCall = concatRows(sTC as tf.Tensor2D[]);
        const [iA, fA, scA, oA] = splitCols(Sall, 4);
        const gA = tf.sub(tf.mul(scA, 2), 1);
        // d(gate)/d(pre-activation): σ' = s(1 − s); the c block: 1 − g² = 4·sc(1 − sc).
        const deriv = tf.mul(tf.mul(Sall, tf.sub(1, Sall)), blockScale(H, 4));
        // dz = [dc, dc, dc, dm] ⊙ Pf, with dm the gradient w.r.t. m = o ⊙ tanh(c).
        const Cprev = tf.mul(concatRows(sCprev as tf.Tensor2D[]), 0.5); // saved as 2c
        let Pf: tf.Tensor = tf.mul(concatCols([gA as tf.Tensor2D, Cprev as tf.Tensor2D, iA, TCall]), deriv);
        const Q = tf.mul(oA, tf.sub(1, tf.square(TCall))); // ∂c-gradient per unit of dm
        let F: tf.Tensor = fA;
        if (mcol) {
          Pf = tf.mul(Pf, mcol);
          F = tf.mul(F, mcol);
        }
        const nm = mcol ? splitRows(tf.sub(1, mcol) as tf.Tensor2D, T) : null;
        const Ps = splitRows(Pf as tf.Tensor2D, T);
        const Qs = splitRows(Q as tf.Tensor2D, T);
        const Fs = splitRows(F as tf.Tensor2D, T);
        const dYs = splitRows(dY, T);
        const Rt = tf.transpose(sR); // [4H, P]
        const WrT = sWr ? tf.transpose(sWr) : null; // [P, H]

        const dZ: tf.Tensor[] = new Array(T);
        const dHtot: tf.Tensor[] = new Array(T);
        let dh: tf.Tensor = dhT;
        let dc: tf.Tensor = dcT;
        for (let n = T - 1; n >= 0; n--) {
          const t = order[n];
          const dht = tf.add(dh, dYs[t]); // gradient reaching this step's output
          const dm = WrT ? tf.matMul(dht, WrT) : dht;
          const dcp = tf.add(dc, tf.mul(dm, Qs[t]));
          const dz = tf.mul(concatCols([dcp, dcp, dcp, dm] as tf.Tensor2D[]), Ps[t]);
          const dhPrev = tf.matMul(dz, Rt);
          const dcPrev = tf.mul(dcp, Fs[t]);
          if (nm) {
            dh = tf.add(dhPrev, tf.mul(dh, nm[t]));
            dc = tf.add(dcPrev, tf.mul(dc, nm[t]));
          } else {
            dh = dhPrev;
            dc = dcPrev;
          }
          dZ[t] = dz;
          if (WrT) dHtot[t] = dht;
        }
        const dZall = concatRows(dZ as tf.Tensor2D[]); // [N, 4H], time-major
        const dX = fromTimeMajor(matMulNT(dZall, sK), B, T);
        const dK = matMulTN(sX, dZall);
        const dR = matMulTN(concatRows(sHprev as tf.Tensor2D[]), dZall);
        const grads: tf.Tensor[] = [dX, dK, dR];
        if (b) grads.push(tf.sum(dZall, 0));
        if (sWr) {
          // h = m·Wr: dWr = Σ_t m_tᵀ (mask ⊙ dh_t)
          let dHall: tf.Tensor = concatRows(dHtot as tf.Tensor2D[]);
          if (mcol) dHall = tf.mul(dHall, mcol);
          grads.push(matMulTN(tf.mul(oA, TCall) as tf.Tensor2D, dHall as tf.Tensor2D));
        }
        void D;
        return [...grads, dh, dc];
      },
    };
  });
}
