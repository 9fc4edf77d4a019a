/**
 * Fused GRU over a whole sequence with hand-derived BPTT, both reset-gate
 * conventions (equations in ../gru_cell.ts; Keras gate order z, r, h).
 *
 * The candidate's tanh is computed as 2σ(2a) − 1 with its weight columns
 * pre-scaled by 2 (sigmoid is several times faster than tanh on wasm). In the
 * backward pass the factors that do not depend on the incoming gradient are
 * computed once for all T·B rows; weight gradients are single matmuls.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulNT, matMulTN, pack, prepareMask, runPacked, stepOrder, toTimeMajor, unpackGrad } from './common';
import { concatCols, concatRows, splitCols, splitColsSized, splitRows } from './fast_split';
import { SequenceInputs, SequenceResult } from './types';

/** The GRU's weights (Keras layout). */
export interface GRUWeights {
  /** [D, 3H] */
  kernel: tf.Tensor2D;
  /** [H, 3H] */
  recurrentKernel: tf.Tensor2D;
  /** [2, 3H] (input and recurrent rows) when resetAfter, else [3H]; or null */
  bias: tf.Tensor | null;
  /** Reset gate applied after the recurrent matmul (PyTorch) or before (Cho et al.). */
  resetAfter: boolean;
}

/** [1, 1, 2] per gate block: the candidate's columns doubled. */
function candidateScale(H: number): tf.Tensor1D {
  const v = new Float32Array(3 * H).fill(1);
  v.fill(2, 2 * H);
  return tf.tensor1d(v);
}

export function gruSequence(inp: SequenceInputs, w: GRUWeights): SequenceResult {
  const H = w.kernel.shape[1] / 3;
  const hasBias = w.bias !== null;
  const weights = [w.kernel, w.recurrentKernel, ...(hasBias ? [w.bias!] : [])];
  const resetAfter = w.resetAfter;
  return runPacked(inp, weights, H, (x, ws, [h0], mask, save) => {
    const [B, T] = x.shape;
    const [K, R] = ws as tf.Tensor2D[];
    const bias = hasBias ? ws[2] : null;
    if (bias && resetAfter && bias.rank !== 2) throw new Error('GRU with resetAfter needs a [2, 3H] bias');
    const order = stepOrder(T, inp.reverse);
    const scale = candidateScale(H);
    const two = tf.scalar(2);
    const one = tf.scalar(1);
    const [bIn, bRec] = bias ? (resetAfter ? tf.unstack(bias) : [bias, null]) : [null, null];

    // ---- forward ----
    const X = toTimeMajor(x);
    let XZ = tf.matMul(X, tf.mul(K, scale) as tf.Tensor2D); // [N, 3H], candidate block doubled
    if (bIn) XZ = tf.add(XZ, tf.mul(bIn, scale));
    const [XZzr, XZh] = splitColsSized(XZ as tf.Tensor2D, [2 * H, H]);
    const xzr = splitRows(XZzr, T);
    const xzh = splitRows(XZh, T);
    const Rs = tf.mul(R, scale) as tf.Tensor2D;
    const Rzr = tf.slice(Rs, [0, 0], [H, 2 * H]) as tf.Tensor2D;
    const Rh = tf.slice(Rs, [0, 2 * H], [H, H]) as tf.Tensor2D;
    const bRecS = bRec ? (tf.mul(bRec, scale) as tf.Tensor1D) : null;
    const sm = mask ? prepareMask(mask, T) : null;

    const Z: tf.Tensor[] = new Array(T);
    const Rg: tf.Tensor[] = new Array(T);
    const Nn: tf.Tensor[] = new Array(T);
    const Hzh: tf.Tensor[] = new Array(T); // resetAfter: 2·(h·U_h + b_rec,h)
    const Hprev: tf.Tensor[] = new Array(T);
    const Y: tf.Tensor[] = new Array(T);
    let h = h0;
    for (const t of order) {
      Hprev[t] = h;
      let z: tf.Tensor2D;
      let r: tf.Tensor2D;
      let npre: tf.Tensor;
      if (resetAfter) {
        let hz: tf.Tensor = tf.matMul(h, Rs);
        if (bRecS) hz = tf.add(hz, bRecS);
        const [hzr, hzh] = splitColsSized(hz as tf.Tensor2D, [2 * H, H]);
        [z, r] = splitCols(tf.sigmoid(tf.add(xzr[t], hzr)) as tf.Tensor2D, 2);
        npre = tf.add(xzh[t], tf.mul(r, hzh));
        Hzh[t] = hzh;
      } else {
        [z, r] = splitCols(tf.sigmoid(tf.add(xzr[t], tf.matMul(h, Rzr))) as tf.Tensor2D, 2);
        npre = tf.add(xzh[t], tf.matMul(tf.mul(r, h), Rh));
      }
      const n = tf.sub(tf.mul(tf.sigmoid(npre), two), one); // tanh of the unscaled pre-activation
      const hNew = tf.add(n, tf.mul(z, tf.sub(h, n)));
      Z[t] = z;
      Rg[t] = r;
      Nn[t] = n;
      if (sm) {
        Y[t] = tf.mul(hNew, sm.m[t]);
        h = tf.where(sm.keep[t], hNew, h) as tf.Tensor2D;
      } else {
        Y[t] = hNew;
        h = hNew as tf.Tensor2D;
      }
    }
    save([X, K, R, ...(sm ? [sm.column] : []), ...Z, ...Rg, ...Nn, ...Hprev, ...(resetAfter ? Hzh : [])]);

    return {
      value: pack(concatRows(Y as tf.Tensor2D[]), [h]),
      // ---- backward ----
      gradFunc: (dPacked, saved) => {
        let k = 0;
        const sX = saved[k++] as tf.Tensor2D;
        const sK = saved[k++] as tf.Tensor2D;
        const sR = saved[k++] as tf.Tensor2D;
        const mcol = sm ? (saved[k++] as tf.Tensor2D) : null;
        const take = (): tf.Tensor2D[] => {
          const list = saved.slice(k, k + T) as tf.Tensor2D[];
          k += T;
          return list;
        };
        const [sZ, sR_, sN, sHprev] = [take(), take(), take(), take()];
        const sHzh = resetAfter ? take() : null;
        const {
          dY,
          dStates: [dhT],
        } = unpackGrad(dPacked, T, B, H, [H]);
        const Zall = concatRows(sZ);
        const Rall = concatRows(sR_);
        const Nall = concatRows(sN);
        const HPall = concatRows(sHprev);
        const m = (t: tf.Tensor): tf.Tensor => (mcol ? tf.mul(t, mcol) : t);
        // ∂h'/∂(pre-activations) per unit of dh': n: (1 − z)(1 − n²); z: (h − n)·z(1 − z).
        const Pn = m(tf.mul(tf.sub(1, Zall), tf.sub(1, tf.square(Nall))));
        const Pz = m(tf.mul(tf.sub(HPall, Nall), tf.mul(Zall, tf.sub(1, Zall))));
        const Zm = splitRows(m(Zall) as tf.Tensor2D, T);
        const dYs = splitRows(dY, T);
        const nm = mcol ? splitRows(tf.sub(1, mcol) as tf.Tensor2D, T) : null;
        const dXZ: tf.Tensor[] = new Array(T);
        const dHZ: tf.Tensor[] = new Array(T); // resetAfter: grads of h·U + b_rec; else: grads of the candidate's (r⊙h)·U_h
        let dh: tf.Tensor = dhT;
        if (resetAfter) {
          const rr = tf.mul(Rall, tf.sub(1, Rall));
          const HZH = tf.mul(concatRows(sHzh!), 0.5); // undo the ×2 of the candidate columns
          const Pr = tf.mul(tf.mul(Pn, HZH), rr);
          const Pxz = splitRows(concatCols([Pz, Pr, Pn] as tf.Tensor2D[]), T);
          const Phz = splitRows(concatCols([Pz, Pr, tf.mul(Pn, Rall)] as tf.Tensor2D[]), T);
          const Rt = tf.transpose(sR);
          for (let i = T - 1; i >= 0; i--) {
            const t = order[i];
            const dht = tf.add(dh, dYs[t]);
            const d3 = concatCols([dht, dht, dht] as tf.Tensor2D[]);
            dXZ[t] = tf.mul(d3, Pxz[t]);
            dHZ[t] = tf.mul(d3, Phz[t]);
            let dhPrev = tf.add(tf.matMul(dHZ[t], Rt), tf.mul(dht, Zm[t]));
            if (nm) dhPrev = tf.add(dhPrev, tf.mul(dh, nm[t]));
            dh = dhPrev;
          }
        } else {
          const Qr = splitRows(tf.mul(HPall, tf.mul(Rall, tf.sub(1, Rall))) as tf.Tensor2D, T);
          const Pns = splitRows(Pn as tf.Tensor2D, T);
          const Pzs = splitRows(Pz as tf.Tensor2D, T);
          const UzrT = tf.transpose(tf.slice(sR, [0, 0], [H, 2 * H]));
          const UhT = tf.transpose(tf.slice(sR, [0, 2 * H], [H, H]));
          const Rs = splitRows(Rall, T);
          for (let i = T - 1; i >= 0; i--) {
            const t = order[i];
            const dht = tf.add(dh, dYs[t]);
            const dn = tf.mul(dht, Pns[t]);
            const drh = tf.matMul(dn, UhT); // gradient w.r.t. r ⊙ h
            const dzr = concatCols([tf.mul(dht, Pzs[t]), tf.mul(drh, Qr[t])] as tf.Tensor2D[]);
            let dhPrev = tf.add(tf.add(tf.matMul(dzr, UzrT), tf.mul(drh, Rs[t])), tf.mul(dht, Zm[t]));
            if (nm) dhPrev = tf.add(dhPrev, tf.mul(dh, nm[t]));
            dh = dhPrev;
            dXZ[t] = concatCols([dzr, dn as tf.Tensor2D]);
            dHZ[t] = dn;
          }
        }
        const dXZall = concatRows(dXZ as tf.Tensor2D[]);
        const grads: tf.Tensor[] = [
          tf.transpose(tf.reshape(matMulNT(dXZall, sK), [T, B, -1]), [1, 0, 2]),
          matMulTN(sX, dXZall),
        ];
        if (resetAfter) {
          const dHZall = concatRows(dHZ as tf.Tensor2D[]);
          grads.push(matMulTN(HPall, dHZall));
          if (bias) grads.push(tf.stack([tf.sum(dXZall, 0), tf.sum(dHZall, 0)]));
        } else {
          const dZRall = tf.slice(dXZall, [0, 0], [-1, 2 * H]) as tf.Tensor2D;
          const dUzr = matMulTN(HPall, dZRall);
          const dUh = matMulTN(tf.mul(Rall, HPall) as tf.Tensor2D, concatRows(dHZ as tf.Tensor2D[]));
          grads.push(concatCols([dUzr, dUh]));
          if (bias) grads.push(tf.sum(dXZall, 0));
        }
        return [...grads, dh];
      },
    };
  });
}
