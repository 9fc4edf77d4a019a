/**
 * Fused GRU over a whole sequence with hand-derived BPTT, both reset-gate
 * conventions (equations in ../gru_cell.ts; Keras gate order z, r, h):
 *
 *   resetAfter:  n = tanh(x·W_h + b_h + r ⊙ (h·U_h + b'_h))   (PyTorch, cuDNN, Keras default)
 *   resetBefore: n = tanh(x·W_h + (r ⊙ h)·U_h + b_h)          (Cho et al., tfjs-layers)
 *   z, r = σ(x·W_zr + h·U_zr + b_zr (+ b'_zr));  h' = z ⊙ h + (1 − z) ⊙ n
 *
 * The candidate's tanh is 2σ(2a) − 1 with its weight columns pre-scaled by 2
 * (sigmoid is several times faster than tanh on wasm). In the backward pass the
 * factors that do not depend on the incoming gradient are computed once for all
 * T·B rows; weight and bias gradients are single matmuls ([X | 1]ᵀ·dZx and
 * [H_prev | 1]ᵀ·dZh), and dX is only formed when the engine asks for it.
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { GradOut, inputPreActivations, runSequence, stepMask, visitOrder } from './runner';
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

export function gruSequence(inp: SequenceInputs, w: GRUWeights): SequenceResult {
  const H = w.kernel.shape[1] / 3;
  const resetAfter = w.resetAfter;
  // projected: x = x·kernel + input bias already; the kernel is not an input, nor a resetBefore bias (all on the input side).
  const projected = inp.projected === true;
  if (projected && inp.x.shape[2] !== 3 * H) throw new Error(`a projected GRU input must be [B, T, ${3 * H}] (x·kernel + input bias), got [${inp.x.shape.join(', ')}]`);
  const hasBias = w.bias !== null && !(projected && !resetAfter);
  if (w.bias && resetAfter && (w.bias.rank !== 2 || w.bias.shape[0] !== 2)) throw new Error('GRU with resetAfter needs a [2, 3H] bias');
  if (w.bias && !resetAfter && w.bias.rank !== 1) throw new Error('GRU without resetAfter needs a [3H] bias');
  const weights = [...(projected ? [] : [w.kernel]), w.recurrentKernel, ...(hasBias ? [w.bias!] : [])];
  return runSequence(inp, weights, (ops, x, ws, [h0], mask, needGrad) => {
    const [B, T, D] = x.shape;
    const N = T * B;
    const off = projected ? -1 : 0;
    const K = projected ? null : ws[0];
    const R = ws[1 + off];
    const bias = hasBias ? ws[2 + off] : null;
    const order = visitOrder(T, inp.reverse);
    const one = ops.keepConst(1);

    // ---- forward ----
    // Candidate columns doubled (tanh(a) = 2σ(2a) − 1).
    const scale = ops.constant(Float32Array.from({ length: 3 * H }, (_, j) => (j < 2 * H ? 1 : 2)), [3 * H]);
    let bIn: TI | null = null;
    let bRec: TI | null = null;
    if (bias) {
      if (resetAfter) {
        const [b0, b1] = ops.splitRowsSized(bias, [1, 1]);
        bIn = ops.reshape(b0, [3 * H]);
        bRec = ops.reshape(b1, [3 * H]);
        ops.free(b0, b1);
      } else {
        bIn = bias;
      }
    }
    const X = ops.toTimeMajor(x); // [N, D] (projected: [N, 3H])
    const XZ = inputPreActivations(ops, X, K, bIn, scale); // [N, 3H], candidate columns doubled
    if (projected) ops.free(X);
    const [XZzr, XZh] = ops.splitColsSized(XZ, [2 * H, H]);
    ops.free(XZ);
    const xzr = ops.splitRows(XZzr, T);
    const xzh = ops.splitRows(XZh, T);
    ops.free(XZzr, XZh);
    const Rs = ops.mul(R, scale);
    const bRecS = bRec ? ops.mul(bRec, scale) : null;
    const [Rzr, Rh] = resetAfter ? [null, null] : ops.splitColsSized(Rs, [2 * H, H]);
    ops.free(scale);

    const Z: TI[] = new Array(T);
    const Rg: TI[] = new Array(T);
    const Nn: TI[] = new Array(T);
    const Hzh: TI[] = new Array(T); // resetAfter: 2·(h·U_h + b'_h)
    const Hp: TI[] = new Array(T);
    const Y: TI[] = new Array(T);
    let h: TI = h0;
    for (const t of order) {
      let zrPre: TI;
      let npre: TI;
      let z: TI;
      let r: TI;
      if (resetAfter) {
        const hz = bRecS ? ops.matMulBias(h, Rs, bRecS) : ops.matMul(h, Rs);
        const [hzr, hzh] = ops.splitColsSized(hz, [2 * H, H]);
        ops.free(hz);
        zrPre = ops.add(xzr[t], hzr);
        const zr = ops.sigmoid(zrPre);
        ops.free(zrPre, hzr);
        [z, r] = ops.splitCols(zr, 2);
        ops.free(zr);
        const rh = ops.mul(r, hzh);
        npre = ops.add(xzh[t], rh);
        ops.free(rh);
        if (needGrad) Hzh[t] = hzh;
        else ops.free(hzh);
      } else {
        const hzr = ops.matMul(h, Rzr!);
        zrPre = ops.add(xzr[t], hzr);
        const zr = ops.sigmoid(zrPre);
        ops.free(zrPre, hzr);
        [z, r] = ops.splitCols(zr, 2);
        ops.free(zr);
        const rh = ops.mul(r, h);
        const rhU = ops.matMul(rh, Rh!);
        npre = ops.add(xzh[t], rhU);
        ops.free(rh, rhU);
      }
      ops.free(xzr[t], xzh[t]);
      const sn = ops.sigmoid(npre);
      ops.free(npre);
      const n = ops.affine(sn, 2, -1); // tanh of the unscaled pre-activation
      ops.free(sn);
      const hmn = ops.sub(h, n);
      const zh = ops.mul(z, hmn);
      const hN = ops.add(n, zh); // z ⊙ h + (1 − z) ⊙ n
      ops.free(hmn, zh);
      if (needGrad) {
        Z[t] = z;
        Rg[t] = r;
        Nn[t] = n;
        Hp[t] = h;
      } else {
        ops.free(z, r, n);
      }
      if (mask) {
        Y[t] = ops.zeroRows(hN, mask.keep[t], mask.m[t]);
        const hC = ops.carry(hN, h, mask.keep[t], mask.m[t], mask.notM[t]);
        if (!needGrad) ops.free(h);
        h = hC;
      } else {
        Y[t] = hN;
        h = hN;
      }
    }
    ops.free(Rs, bRecS, Rzr, Rh, bIn === bias ? null : bIn, bRec);
    const y = ops.stackTime(Y);
    const saved: TI[] = [];
    if (needGrad) {
      saved.push(...(projected ? [] : [X]), ops.concatRows(Z), ops.concatRows(Rg), ops.concatRows(Nn), ops.concatRows(Hp));
      if (resetAfter) saved.push(ops.concatRows(Hzh));
      ops.freeAll([...Z, ...Rg, ...Nn, ...Hzh, ...Hp.filter((t) => t !== h)]);
    }
    ops.freeAll(Y.filter((t) => t !== h));
    void one;

    return {
      y,
      states: [h],
      saved: [...saved, ...(K ? [K] : []), R],
      // ---- backward ----
      backward: (bops, dy, [dhT], sv) => {
        let k = 0;
        const sX = projected ? null : sv[k++];
        const Zall = sv[k++];
        const Rall = sv[k++];
        const Nall = sv[k++];
        const HPall = sv[k++];
        const HZH2 = resetAfter ? sv[k++] : null; // 2·(h·U_h + b'_h)
        const sK = projected ? null : sv[k++];
        const sR = sv[k++];
        const bm = mask ? stepMask(bops, sv[k++], B, T) : null;
        const c1 = bops.keepConst(1);
        const masked = (t: TI): TI => {
          if (!bm) return t;
          const r = bops.mul(t, bm.column);
          bops.free(t);
          return r;
        };
        // ∂h'/∂(pre-activations) per unit of dh': n: (1 − z)(1 − n²); z: (h − n)·z(1 − z).
        const omz = bops.sub(c1, Zall);
        const n2 = bops.square(Nall);
        const omn2 = bops.sub(c1, n2);
        const Pn = masked(bops.mul(omz, omn2));
        const hmn = bops.sub(HPall, Nall);
        const zz = bops.mul(Zall, omz);
        const Pz = masked(bops.mul(hmn, zz));
        bops.free(n2, omn2, hmn, zz, omz);
        const rr1 = bops.sub(c1, Rall);
        const rr = bops.mul(Rall, rr1); // r(1 − r)
        bops.free(rr1);
        const Zm = bops.splitRows(masked(Zall), T);
        const dYs = bops.unstackTime(dy);
        const dXZ: TI[] = new Array(T);
        const dHZ: TI[] = new Array(T); // resetAfter: grads of h·U + b'; else: grads of the candidate's (r⊙h)·U_h
        let dh: TI = dhT;
        const grads: GradOut[] = [];
        let dXZall: TI;
        let dHZall: TI;
        if (resetAfter) {
          const HZH = bops.affine(HZH2!, 0.5, 0); // undo the ×2 of the candidate columns
          const t1 = bops.mul(Pn, HZH);
          const Pr = bops.mul(t1, rr);
          const PnR = bops.mul(Pn, Rall);
          bops.free(HZH, t1);
          const PxzAll = bops.concatCols([Pz, Pr, Pn]);
          const PhzAll = bops.concatCols([Pz, Pr, PnR]);
          bops.free(Pr, PnR);
          const Pxz = bops.splitRows(PxzAll, T);
          const Phz = bops.splitRows(PhzAll, T);
          bops.free(PxzAll, PhzAll);
          const Rt = bops.transpose(sR, [1, 0]);
          for (let i = T - 1; i >= 0; i--) {
            const t = order[i];
            const dht = bops.add(dh, dYs[t]);
            const d3 = bops.concatCols([dht, dht, dht]);
            dXZ[t] = bops.mul(d3, Pxz[t]);
            dHZ[t] = bops.mul(d3, Phz[t]);
            const a = bops.matMul(dHZ[t], Rt);
            const b = bops.mul(dht, Zm[t]);
            let dhPrev = bops.add(a, b);
            bops.free(a, b, d3, dht, Pxz[t], Phz[t], Zm[t], dYs[t]);
            if (bm) dhPrev = bops.carry(dhPrev, dh, bm.keep[t], bm.m[t], bm.notM[t]);
            bops.free(dh);
            dh = dhPrev;
          }
          bops.free(Rt);
          dXZall = bops.concatRows(dXZ);
          dHZall = bops.concatRows(dHZ);
          bops.freeAll([...dXZ, ...dHZ]);
          // [dW; db_in] = [X | 1]ᵀ·dXZ, [dU; db_rec] = [H_prev | 1]ᵀ·dHZ
          const ones = hasBias ? bops.fill([N, 1], 1) : null;
          const wg = (A: TI, dZ: TI, rows: number): TI[] => {
            const A1 = ones ? bops.concatCols([A, ones]) : A;
            const g = bops.matMulTN(A1, dZ);
            bops.free(A1 === A ? null : A1);
            const parts = ones ? bops.splitRowsSized(g, [rows, 1]) : [g];
            if (ones) bops.free(g);
            return parts;
          };
          // Projected: the kernel and the input bias got their gradient through x (its gradient is dXZ itself).
          const [dK, dbIn] = sX ? wg(sX, dXZall, D) : [null, hasBias ? bops.fill([1, 3 * H], 0) : null];
          const [dR, dbRec] = wg(HPall, dHZall, H);
          bops.free(ones);
          grads.push(...(dK ? [dK] : []), dR);
          if (hasBias) grads.push(bops.concatRows([dbIn!, dbRec]));
          bops.free(dbIn, dbRec);
        } else {
          const Qr = bops.splitRows(bops.mul(HPall, rr), T);
          const Pns = bops.splitRows(Pn, T);
          const Pzs = bops.splitRows(Pz, T);
          const Rs = bops.splitRows(Rall, T);
          const [Uzr, Uh] = bops.splitColsSized(sR, [2 * H, H]);
          const UzrT = bops.transpose(Uzr, [1, 0]);
          const UhT = bops.transpose(Uh, [1, 0]);
          bops.free(Uzr, Uh);
          for (let i = T - 1; i >= 0; i--) {
            const t = order[i];
            const dht = bops.add(dh, dYs[t]);
            const dn = bops.mul(dht, Pns[t]);
            const drh = bops.matMul(dn, UhT); // gradient w.r.t. r ⊙ h
            const dzp = bops.mul(dht, Pzs[t]);
            const drp = bops.mul(drh, Qr[t]);
            const dzr = bops.concatCols([dzp, drp]);
            const a = bops.matMul(dzr, UzrT);
            const b = bops.mul(drh, Rs[t]);
            const c = bops.mul(dht, Zm[t]);
            const ab = bops.add(a, b);
            let dhPrev = bops.add(ab, c);
            bops.free(a, b, c, ab, dzp, drp, drh, dht, Pns[t], Pzs[t], Qr[t], Rs[t], Zm[t], dYs[t]);
            if (bm) dhPrev = bops.carry(dhPrev, dh, bm.keep[t], bm.m[t], bm.notM[t]);
            bops.free(dh);
            dh = dhPrev;
            dXZ[t] = bops.concatCols([dzr, dn]);
            bops.free(dzr);
            dHZ[t] = dn;
          }
          bops.free(UzrT, UhT);
          dXZall = bops.concatRows(dXZ);
          dHZall = bops.concatRows(dHZ);
          bops.freeAll([...dXZ, ...dHZ]);
          // dW (and db) = [X | 1]ᵀ·dXZ; dU_zr = H_prevᵀ·dZR; dU_h = (r ⊙ H_prev)ᵀ·dN
          let dK: TI | null = null;
          let db1: TI | null = null;
          if (sX) {
            const ones = hasBias ? bops.fill([N, 1], 1) : null;
            const X1 = ones ? bops.concatCols([sX, ones]) : sX;
            const gK = bops.matMulTN(X1, dXZall);
            bops.free(ones, X1 === sX ? null : X1);
            [dK, db1] = hasBias ? bops.splitRowsSized(gK, [D, 1]) : [gK, null];
            if (hasBias) bops.free(gK);
          }
          const [dZR, dNx] = bops.splitColsSized(dXZall, [2 * H, H]);
          bops.free(dNx);
          const dUzr = bops.matMulTN(HPall, dZR);
          const rH = bops.mul(Rall, HPall);
          const dUh = bops.matMulTN(rH, dHZall);
          bops.free(dZR, rH);
          const dR = bops.concatCols([dUzr, dUh]);
          bops.free(dUzr, dUh);
          grads.push(...(dK ? [dK] : []), dR);
          if (hasBias) grads.push(bops.reshape(db1!, [3 * H]));
        }
        bops.free(Pn, Pz, rr, dHZall);
        const dXt = bops.toTensor(dXZall);
        grads.unshift((o: Ops) => {
          if (!sK) return o.fromTimeMajor(dXt, B, T); // projected: dx = dXZ
          const Kt = o.transpose(sK, [1, 0]);
          return o.fromTimeMajor(o.matMul(dXt, Kt), B, T);
        });
        grads.push(dh);
        return grads;
      },
    };
  });
}
