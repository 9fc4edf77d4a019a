/**
 * Fused LSTM over a whole sequence with hand-derived BPTT (equations in
 * ../lstm_cell.ts; Keras gate order i, f, c, o):
 *
 *   z = x·W + h·U + b;  i, f, o = σ(z_i, z_f, z_o);  g = tanh(z_c)
 *   c' = f⊙c + i⊙g;  m = o⊙tanh(c');  h' = m·Wr (projection) or m
 *
 * Forward: Z_x = X·W + b for all T·B rows in one matmul (time-major X); per step
 * one matmul h·U, one sigmoid over all four gate blocks, a copy splitting the
 * blocks, and the cell update (10 elementwise kernels, called directly on the
 * backend: see kernel_ops.ts). tanh is never evaluated (3× slower than σ on
 * wasm): the c-block columns of W, U, b are pre-scaled by 2 so σ gives σ(2z_c)
 * and g = 2σ(2z_c) − 1, and the cell state is carried as c̃ = 2c so
 * tanh(c) = 2σ(c̃) − 1. When gradients are recorded, the step also forms its
 * BPTT factor Pf (4 more kernels and a copy) from values at hand.
 *
 * Backward: a step is the gradient matmul dz·Uᵀ (plus dh·Wrᵀ with a projection),
 * 5 elementwise kernels and a copy. The weight gradients are one matmul
 * [X | H_prev | 1]ᵀ·dZ → [dW; dU; db]; dX = dZ·Wᵀ is only formed when the engine
 * asks for it (x is a variable or comes from an upstream layer).
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { GradOut, inputPreActivations, runSequence, stepMask, visitOrder } from './runner';
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
  const projected = inp.projected === true; // x = x·kernel + bias already: kernel and bias are not inputs here
  const hasBias = w.bias !== null && !projected;
  const hasProj = w.projKernel !== null;
  if (projected && inp.x.shape[2] !== 4 * H) throw new Error(`a projected LSTM input must be [B, T, ${4 * H}] (x·kernel + bias), got [${inp.x.shape.join(', ')}]`);
  const weights = [...(projected ? [] : [w.kernel]), w.recurrentKernel, ...(hasBias ? [w.bias!] : []), ...(hasProj ? [w.projKernel!] : [])];
  return runSequence(inp, weights, (ops, x, ws, [h0, c0], mask, needGrad) => {
    const [B, T, D] = x.shape;
    const N = T * B;
    const off = projected ? -1 : 0; // weight positions shift without the kernel
    const K = projected ? null : ws[0];
    const R = ws[1 + off];
    const b = hasBias ? ws[2 + off] : null;
    const Wr = hasProj ? ws[(hasBias ? 3 : 2) + off] : null;
    const order = visitOrder(T, inp.reverse);

    // ---- forward ----
    const scale = ops.constant(blockVector(H, 2), [4 * H]);
    const two = ops.keepConst(2);
    const Rs = ops.mul(R, scale);
    const X = ops.toTimeMajor(x); // [N, D] (projected: [N, 4H])
    const ZX = inputPreActivations(ops, X, K, b, scale); // [N, 4H], c block doubled
    ops.free(scale);
    if (projected) ops.free(X);
    const zx = ops.splitRows(ZX, T);
    ops.free(ZX);

    // Kept for backward, indexed by time t (only when gradients are recorded).
    // dz = [dc, dc, dc, dm] ⊙ Pf, with dm the gradient w.r.t. m = o ⊙ tanh(c') and dc w.r.t. c',
    // Pf = [g, c_prev, i, tanh(c')] ⊙ σ'(z) and σ' = s(1 − s) (i, f, o), 1 − g² = 4·s(1 − s) (c block,
    // s = σ(2z_c)). Pf is formed here, per step, from values at hand (no column shuffles over all T·B rows later).
    const PF: TI[] = new Array(T);
    const F: TI[] = new Array(T); // f
    const O: TI[] = new Array(T); // o
    const TC: TI[] = new Array(T); // tanh(c')
    const Hp: TI[] = new Array(T); // carried h before the step
    const M: TI[] = new Array(T); // m (projection only)
    const Y: TI[] = new Array(T);
    const one = ops.keepConst(1);
    // [2g, 2c_prev, i, tanh(c')] ⊙ s ⊙ [½, ½, 4, 1] ⊙ (1 − s) = Pf
    const dvec = needGrad ? ops.constant(Float32Array.from({ length: 4 * H }, (_, j) => [0.5, 0.5, 4, 1][Math.floor(j / H)]), [4 * H]) : null;
    let h: TI = h0;
    let c: TI = ops.mul(c0, two); // c̃ = 2c
    for (const t of order) {
      const hz = ops.matMul(h, Rs);
      const z = ops.add(zx[t], hz);
      ops.free(hz, zx[t]);
      const s = ops.sigmoid(z); // [B, 4H]: i, f, σ(2z_c), o
      ops.free(z);
      const [i, f, sg, o] = ops.splitCols(s, 4);
      const g2 = ops.affine(sg, 4, -2); // 2g = 2·tanh(z_c) = 4σ(2z_c) − 2
      ops.free(sg);
      const fc = ops.mul(f, c);
      const ig = ops.mul(i, g2);
      const cN = ops.add(fc, ig); // c̃' = 2c'
      ops.free(fc, ig);
      const sc = ops.sigmoid(cN);
      const tc = ops.affine(sc, 2, -1); // tanh(c') = 2σ(2c') − 1
      ops.free(sc);
      const m = ops.mul(o, tc); // o ⊙ tanh(c')
      if (needGrad) {
        const oms = ops.sub(one, s);
        const sd = ops.mul(s, dvec!);
        const d = ops.mul(sd, oms);
        const pin = ops.concatCols([g2, c, i, tc]);
        PF[t] = ops.mul(pin, d);
        ops.free(oms, sd, d, pin);
        F[t] = f;
        O[t] = o;
        TC[t] = tc;
        Hp[t] = h;
        ops.free(s, i, g2);
      } else {
        ops.free(s, i, f, g2, o, tc);
      }
      let hN = m;
      if (Wr) {
        hN = ops.matMul(m, Wr);
        if (needGrad) M[t] = m;
        else ops.free(m);
      }
      if (mask) {
        Y[t] = ops.zeroRows(hN, mask.keep[t], mask.m[t]);
        const hC = ops.carry(hN, h, mask.keep[t], mask.m[t], mask.notM[t]);
        const cC = ops.carry(cN, c, mask.keep[t], mask.m[t], mask.notM[t]);
        if (!needGrad) ops.free(h);
        ops.free(c);
        h = hC;
        c = cC;
      } else {
        Y[t] = hN;
        ops.free(c); // the previous h is an output (Y) or h0
        h = hN;
        c = cN;
      }
    }
    ops.free(Rs, dvec);
    const y = ops.stackTime(Y); // [B, T, P]
    const cFinal = ops.mul(c, ops.keepConst(0.5));
    const saved: TI[] = [];
    if (needGrad) {
      saved.push(...(projected ? [] : [X]), ops.concatRows(PF), ops.concatRows(F), ops.concatRows(O), ops.concatRows(TC), ops.concatRows(Hp), ...(Wr ? [ops.concatRows(M)] : []));
      ops.freeAll([...PF, ...F, ...O, ...TC, ...M]);
      ops.freeAll(Hp.filter((t) => t !== h));
    }
    ops.freeAll(Y.filter((t) => t !== h));
    ops.free(c);

    return {
      y,
      states: [h, cFinal],
      saved: [...saved, ...(K ? [K] : []), R, ...(Wr ? [Wr] : [])],
      // ---- backward ----
      backward: (bops, dy, [dhT, dcT], sv) => {
        let k = 0;
        const sX = projected ? null : sv[k++];
        let Pf: TI = sv[k++]; // [N, 4H]
        const fA = sv[k++]; // [N, H]
        const oA = sv[k++]; // [N, H]
        const TC = sv[k++]; // [N, H]: tanh(c')
        const Hpall = sv[k++]; // [N, P]
        const Mall = Wr ? sv[k++] : null; // [N, H]
        const sK = projected ? null : sv[k++];
        const sR = sv[k++];
        const sWr = Wr ? sv[k++] : null;
        const bm = mask ? stepMask(bops, sv[k++], B, T) : null;
        const one = bops.keepConst(1);

        const tc2 = bops.square(TC);
        const omt = bops.sub(one, tc2);
        const Q = bops.mul(oA, omt); // ∂c'-gradient per unit of dm
        bops.free(tc2, omt);
        let F: TI = fA;
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

        const grads: GradOut[] = [];
        const dZt = bops.toTensor(dZall);
        if (projected) {
          // x was x·kernel + bias: its gradient is dZ itself; dU = H_prevᵀ · dZ.
          grads.push((o: Ops) => o.fromTimeMajor(dZt, B, T));
          grads.push(bops.matMulTN(Hpall, dZall));
        } else {
          // [dW; dU; db] = [X | H_prev | 1]ᵀ · dZ in one matmul.
          const parts: TI[] = [sX!, Hpall];
          const ones = hasBias ? bops.fill([N, 1], 1) : null;
          if (ones) parts.push(ones);
          const XH = bops.concatCols(parts);
          const dW = bops.matMulTN(XH, dZall);
          bops.free(ones, XH);
          const [dK, dR, db1] = bops.splitRowsSized(dW, hasBias ? [D, P, 1] : [D, P]);
          bops.free(dW);
          // dX = dZ·Wᵀ, only if the engine asks for it.
          grads.push((o: Ops) => {
            const Kt = o.transpose(sK!, [1, 0]);
            const dXtm = o.matMul(dZt, Kt);
            return o.fromTimeMajor(dXtm, B, T);
          });
          grads.push(dK, dR);
          if (hasBias) grads.push(bops.reshape(db1, [4 * H]));
        }
        if (Wr) {
          // h' = m·Wr: dWr = Σ_t m_tᵀ (mask ⊙ dh_t)
          let dHall = bops.concatRows(dHtot);
          bops.freeAll(dHtot);
          if (bm) {
            const masked = bops.mul(dHall, bm.column);
            bops.free(dHall);
            dHall = masked;
          }
          grads.push(bops.matMulTN(Mall!, dHall));
        }
        grads.push(dh, dc);
        return grads;
      },
    };
  });
}
