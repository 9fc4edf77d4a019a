/**
 * Fused LSTM over a whole sequence with hand-derived BPTT (equations in
 * ../lstm_cell.ts; Keras gate order i, f, c, o):
 *
 *   z = x·W + h·U + b;  i, f, o = σ(z_i, z_f, z_o);  g = tanh(z_c)
 *   c' = f⊙c + i⊙g;  m = o⊙tanh(c');  h' = m·Wr (projection) or m
 *
 * Forward: Z_x = X·W + b for all T·B rows in one matmul (time-major X); per step
 * one matmul h·U, one sigmoid over all four gate blocks, and the cell update.
 * tanh is never evaluated (3× slower than σ on wasm): the c-block columns of W,
 * U, b are pre-scaled by 2 so σ gives σ(2z_c) and g = 2σ(2z_c) − 1, and the cell
 * state is carried as c̃ = 2c so tanh(c) = 2σ(c̃) − 1. The split of the gate
 * block applies those affine maps while copying. A step is 1 matmul + 9 cheap ops.
 *
 * Backward: every factor that does not depend on the incoming gradient is
 * computed once for all T·B rows; a step is then 2 matmuls' worth of work
 * (dz·Uᵀ, plus dh·Wrᵀ with a projection) and 5 elementwise ops. The weight
 * gradients are one matmul [X | H_prev | 1]ᵀ·dZ → [dW; dU; db]; dX = dZ·Wᵀ is
 * only formed when the engine asks for it (x is a variable or an upstream layer).
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { GradOut, runSequence, stepMask, visitOrder } from './runner';
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

/** Per-column factors [1, 1, c, 1] over the four gate blocks. */
function blockVector(H: number, c: number): Float32Array {
  const v = new Float32Array(4 * H).fill(1);
  v.fill(c, 2 * H, 3 * H);
  return v;
}

export function lstmSequence(inp: SequenceInputs, w: LSTMWeights): SequenceResult {
  const H = w.kernel.shape[1] / 4;
  const P = w.recurrentKernel.shape[0];
  const hasBias = w.bias !== null;
  const hasProj = w.projKernel !== null;
  const weights = [w.kernel, w.recurrentKernel, ...(hasBias ? [w.bias!] : []), ...(hasProj ? [w.projKernel!] : [])];
  return runSequence(inp, weights, (ops, x, ws, [h0, c0], mask, needGrad) => {
    const [B, T, D] = x.shape;
    const N = T * B;
    const [K, R] = ws as tf.Tensor2D[];
    const b = hasBias ? ws[2] : null;
    const Wr = hasProj ? ws[hasBias ? 3 : 2] : null;
    const order = visitOrder(T, inp.reverse);

    // ---- forward ----
    const scale = ops.constant(blockVector(H, 2), [4 * H]);
    const two = ops.keepConst(2);
    const Ks = ops.mul(K, scale);
    const Rs = ops.mul(R, scale);
    const bs = b ? ops.mul(b, scale) : null;
    const X = ops.toTimeMajor(x); // [N, D]
    const ZX = bs ? ops.matMulBias(X, Ks, bs) : ops.matMul(X, Ks); // [N, 4H], c block doubled
    ops.free(Ks, bs, scale);
    const zx = ops.splitRows(ZX, T);
    ops.free(ZX);

    // Kept for backward, indexed by time t: the gate values [i, f, 2g, o], tanh(c'), carried c̃ and h before the step, m (projection only).
    const U: TI[] = new Array(T);
    const TC: TI[] = new Array(T);
    const Cp: TI[] = new Array(T);
    const Hp: TI[] = new Array(T);
    const M: TI[] = new Array(T);
    const Y: TI[] = new Array(T);
    let h: TI = h0;
    let c: TI = ops.mul(c0, two); // c̃ = 2c
    for (const t of order) {
      const hz = ops.matMul(h, Rs);
      const z = ops.add(zx[t], hz);
      ops.free(hz, zx[t]);
      const s = ops.sigmoid(z); // [B, 4H]: i, f, σ(2z_c), o
      ops.free(z);
      const u = ops.blockAffine(s, 4, [1, 1, 4, 1], [0, 0, -2, 0]); // i, f, 2g = 4σ(2z_c) − 2, o
      ops.free(s);
      const [i, f, g2, o] = ops.splitCols(u, 4);
      const fc = ops.mul(f, c);
      const ig = ops.mul(i, g2);
      const cN = ops.add(fc, ig); // c̃' = 2c'
      ops.free(fc, ig, i, f, g2);
      const sc = ops.sigmoid(cN);
      const tc = ops.affine(sc, 2, -1); // tanh(c') = 2σ(2c') − 1
      ops.free(sc);
      const m = ops.mul(o, tc); // o ⊙ tanh(c')
      ops.free(o);
      let hN = m;
      if (Wr) {
        hN = ops.matMul(m, Wr);
        if (needGrad) M[t] = m;
        else ops.free(m);
      }
      if (needGrad) {
        U[t] = u;
        TC[t] = tc;
        Cp[t] = c;
        Hp[t] = h;
      } else {
        ops.free(u, tc);
      }
      if (mask) {
        Y[t] = ops.zeroRows(hN, mask.keep[t], mask.m[t]);
        const hC = ops.carry(hN, h, mask.keep[t], mask.m[t], mask.notM[t]);
        const cC = ops.carry(cN, c, mask.keep[t], mask.m[t], mask.notM[t]);
        if (!needGrad) ops.free(h, c);
        h = hC;
        c = cC;
      } else {
        Y[t] = hN;
        if (!needGrad) ops.free(c); // the previous h is an output (Y) or h0
        h = hN;
        c = cN;
      }
    }
    ops.free(Rs);
    const y = ops.stackTime(Y); // [B, T, P]
    const cFinal = ops.mul(c, ops.keepConst(0.5));
    const saved: TI[] = [];
    if (needGrad) {
      saved.push(X, ops.concatRows(U), ops.concatRows(TC), ops.concatRows(Cp), ops.concatRows(Hp), ...(Wr ? [ops.concatRows(M)] : []));
      ops.freeAll([...U, ...TC, ...Cp, ...M]);
      ops.freeAll(Hp.filter((t) => t !== h));
    }
    ops.freeAll(Y.filter((t) => t !== h));
    if (c !== c0) ops.free(c);

    return {
      y,
      states: [h, cFinal],
      saved: [...saved, K, R, ...(Wr ? [Wr] : [])],
      // ---- backward ----
      backward: (bops, dy, [dhT, dcT], sv) => {
        let k = 0;
        const sX = sv[k++];
        const Uall = sv[k++]; // [N, 4H]: i, f, 2g, o
        const TC = sv[k++]; // [N, H]: tanh(c')
        const Cpall = sv[k++]; // [N, H] (2c)
        const Hpall = sv[k++]; // [N, P]
        const Mall = Wr ? sv[k++] : null; // [N, H]
        const sK = sv[k++];
        const sR = sv[k++];
        const sWr = Wr ? sv[k++] : null;
        const bm = mask ? stepMask(bops, sv[k++], B, T) : null;
        const one = bops.keepConst(1);

        // Step-independent factors for all N rows.
        // σ'(z) = v(1 − v) for the i, f, o gates; for the c block, with v = 2g:
        // (1 − g²) = (1 − v/2)(1 + v/2), i.e. per block: (a·v + c)(a'·v + c').
        // The i and f blocks also take the ½ that undoes the doubling of g and c_prev in Pf below.
        const d1 = bops.blockAffine(Uall, 4, [0.5, 0.5, 0.5, 1], [0, 0, 1, 0]); // i/2, f/2, 1 + g, o
        const d2 = bops.blockAffine(Uall, 4, [-1, -1, -0.5, -1], [1, 1, 1, 1]); // 1 − i, 1 − f, 1 − g, 1 − o
        const deriv = bops.mul(d1, d2);
        bops.free(d1, d2);
        const [iA, fA, g2A, oA] = bops.splitCols(Uall, 4);
        // dz = [dc, dc, dc, dm] ⊙ Pf (dm: gradient w.r.t. m = o ⊙ tanh(c'), dc: w.r.t. c'), with
        // Pf = [g, c_prev, i, tanh(c')] ⊙ σ' = [2g, 2c_prev, i, tanh(c')] ⊙ deriv.
        const pin = bops.concatCols([g2A, Cpall, iA, TC]);
        let Pf = bops.mul(pin, deriv);
        bops.free(pin, deriv, g2A, iA);
        const tc2 = bops.square(TC);
        const omt = bops.sub(one, tc2);
        const Q = bops.mul(oA, omt); // ∂c'-gradient per unit of dm
        bops.free(tc2, omt, oA);
        let F = fA;
        if (bm) {
          const pm = bops.mul(Pf, bm.column);
          const fm = bops.mul(F, bm.column);
          bops.free(Pf, F);
          Pf = pm;
          F = fm;
        }
        const Ps = bops.splitRows(Pf, T);
        const Qs = bops.splitRows(Q, T);
        const Fs = bops.splitRows(F, T);
        bops.free(Pf, Q, F);
        const dYs = bops.unstackTime(dy);
        const Rt = bops.transpose(sR, [1, 0]); // [4H, P]
        const WrT = sWr ? bops.transpose(sWr, [1, 0]) : null; // [P, H]

        const dZ: TI[] = new Array(T);
        const dHtot: TI[] = new Array(T);
        let dh: TI = dhT;
        let dc: TI = dcT;
        for (let n = T - 1; n >= 0; n--) {
          const t = order[n];
          const dht = bops.add(dh, dYs[t]); // gradient reaching this step's output h'
          const dm = WrT ? bops.matMul(dht, WrT) : dht;
          const dmq = bops.mul(dm, Qs[t]);
          const dcp = bops.add(dc, dmq); // gradient w.r.t. c'
          const cat = bops.concatCols([dcp, dcp, dcp, dm]);
          const dz = bops.mul(cat, Ps[t]);
          bops.free(dmq, cat, Ps[t], Qs[t], dYs[t]);
          let dhPrev = bops.matMul(dz, Rt);
          let dcPrev = bops.mul(dcp, Fs[t]);
          bops.free(dcp, Fs[t]);
          if (bm) {
            // Masked rows pass the incoming state gradient through (their dz is zero).
            dhPrev = bops.carry(dhPrev, dh, bm.keep[t], bm.m[t], bm.notM[t]);
            dcPrev = bops.carry(dcPrev, dc, bm.keep[t], bm.m[t], bm.notM[t]);
          }
          if (WrT) {
            dHtot[t] = dht;
            bops.free(dm);
          } else {
            bops.free(dht);
          }
          bops.free(dh, dc);
          dh = dhPrev;
          dc = dcPrev;
          dZ[t] = dz;
        }
        bops.free(Rt, WrT);
        const dZall = bops.concatRows(dZ); // [N, 4H], time-major
        bops.freeAll(dZ);

        // [dW; dU; db] = [X | H_prev | 1]ᵀ · dZ in one matmul.
        const parts: TI[] = [sX, Hpall];
        const ones = hasBias ? bops.fill([N, 1], 1) : null;
        if (ones) parts.push(ones);
        const XH = bops.concatCols(parts);
        const XHt = bops.transpose(XH, [1, 0]);
        const dW = bops.matMul(XHt, dZall);
        bops.free(ones, XH, XHt);
        const [dK, dR, db1] = bops.splitRowsSized(dW, hasBias ? [D, P, 1] : [D, P]);
        bops.free(dW);
        const grads: GradOut[] = [];
        // dX = dZ·Wᵀ, only if the engine asks for it.
        const dZt = bops.toTensor(dZall);
        grads.push((o: Ops) => {
          const Kt = o.transpose(sK, [1, 0]);
          const dXtm = o.matMul(dZt, Kt);
          return o.fromTimeMajor(dXtm, B, T);
        });
        grads.push(dK, dR);
        if (hasBias) grads.push(bops.reshape(db1, [4 * H]));
        if (Wr) {
          // h' = m·Wr: dWr = Σ_t m_tᵀ (mask ⊙ dh_t)
          let dHall = bops.concatRows(dHtot);
          bops.freeAll(dHtot);
          if (bm) {
            const masked = bops.mul(dHall, bm.column);
            bops.free(dHall);
            dHall = masked;
          }
          const Mt = bops.transpose(Mall!, [1, 0]);
          grads.push(bops.matMul(Mt, dHall));
        }
        grads.push(dh, dc);
        return grads;
      },
    };
  });
}
