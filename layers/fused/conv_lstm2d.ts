/**
 * Fused ConvLSTM2D over a whole sequence with hand-derived BPTT (equations in
 * ../conv_lstm2d_cell.ts; gate order i, f, c, o):
 *
 *   z_t = conv(x_t, W) + conv(h_{t−1} ⊙ r, U) + b;  i, f, o = σ(z);  g = tanh(z_c)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)         (r: recurrent-dropout mask or 1)
 *
 * Forward: the input convolution of all T·B frames is one Conv2D call on the
 * time-major stack [T·B, H, W, C] (dilation is already written into W by the
 * cell, so this kernel only sees dilation 1). Per step: one Conv2D h·U (stride 1,
 * 'same') and the gate arithmetic on [B·OH·OW, 4F] rows, called directly on the
 * backend's kernels through kernel_ops.ts's Ops (no engine bookkeeping).
 *
 * Backward, per step (reverse of the visiting order):
 *   dh̃ = dh + dy_t;  dc̃ = dc + dh̃ ⊙ o ⊙ (1 − tanh²c_t)
 *   dz = [dc̃ ⊙ g ⊙ σ'(i), dc̃ ⊙ c_{t−1} ⊙ σ'(f), dc̃ ⊙ i ⊙ (1 − g²), dh̃ ⊙ tanh c_t ⊙ σ'(o)]
 *   dh_{t−1} = conv(dz, flip(U)ᵀ) ⊙ r       (the input gradient of the 'same' convolution,
 *   dc_{t−1} = dc̃ ⊙ f                        written as a plain Conv2D with the kernel rotated
 *                                            by 180° and its channel axes swapped)
 * then the weight gradients over all steps at once: dU = Conv2DBackpropFilter(
 * [h_{t−1} ⊙ r]_t, [dz]_t), dW = Conv2DBackpropFilter(x, [dz]_t), db = Σ dz; and
 * dx (only when the engine asks for it: x is a variable or an upstream layer's
 * output) = the input gradient of the input convolution, a rotated-kernel Conv2D
 * for stride 1 or Conv2DBackpropInput for larger strides.
 * σ' = s(1 − s) for sigmoid, 0.2·[0 < s < 1] for hard sigmoid.
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { GradOut, runSequence, visitOrder } from './runner';
import type { ConvPadding, ConvRecurrentActivation, ConvSequenceInputs, ConvSequenceResult } from './conv_lstm2d_types';

/** The fused kernel's weights and input-convolution geometry. */
export interface ConvLSTMWeights {
  /** [kh', kw', C, 4F], dilation already written out (see dilateKernel). */
  kernel: tf.Tensor4D;
  /** [kh, kw, F, 4F]. */
  recurrentKernel: tf.Tensor4D;
  /** [4F] or null. */
  bias: tf.Tensor1D | null;
  /** Strides of the input convolution. */
  strides: [number, number];
  /** Padding of the input convolution. */
  padding: ConvPadding;
  /** Gate nonlinearity of i, f, o. */
  recurrentActivation: ConvRecurrentActivation;
}

type Run = (name: string, inputs: Record<string, TI>, attrs?: Record<string, unknown>) => TI;
/** Ops' kernel dispatcher (direct call on wasm / cpu, engine elsewhere), for the conv and clip kernels it has no method for. */
const kernelRunner = (ops: Ops): Run => {
  const r = ops.run;
  return r.bind(ops);
};

type Pad = [[number, number], [number, number], [number, number], [number, number]];

/** Explicit padding of a convolution (TensorFlow's 'same' / 'valid'). */
function padOf(inShape: number[], filterShape: number[], strides: [number, number], padding: ConvPadding | Pad): { top: number; bottom: number; left: number; right: number } {
  const info = tf.backend_util.computeConv2DInfo(inShape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, padding as 'same', undefined, false, 'channelsLast');
  return info.padInfo;
}

/** K [kh, kw, Ci, Co] rotated by 180° with its channel axes swapped: [kh, kw, Co, Ci]. */
function rotate(run: Run, ops: Ops, K: TI): TI {
  const r = run('Reverse', { x: K }, { dims: [0, 1] });
  const t = ops.transpose(r, [0, 1, 3, 2]);
  ops.free(r);
  return t;
}

/**
 * The input gradient of y = conv(x, K; strides, pad) for dy, x of shape xShape.
 * Stride 1: a Conv2D of dy with the rotated kernel and the complementary padding.
 */
function convInputGrad(run: Run, ops: Ops, dy: TI, K: TI, xShape: number[], strides: [number, number], padding: ConvPadding | Pad): TI {
  const [kh, kw] = K.shape;
  if (strides[0] === 1 && strides[1] === 1) {
    const p = padOf(xShape, K.shape, strides, padding);
    const Kr = rotate(run, ops, K);
    const pad: Pad = [[0, 0], [kh - 1 - p.top, kh - 1 - p.bottom], [kw - 1 - p.left, kw - 1 - p.right], [0, 0]];
    const out = run('Conv2D', { x: dy, filter: Kr }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] });
    ops.free(Kr);
    return out;
  }
  return run('Conv2DBackpropInput', { dy, filter: K }, { strides, pad: padding, dataFormat: 'NHWC', inputShape: xShape });
}

export function convLstmSequence(inp: ConvSequenceInputs, w: ConvLSTMWeights): ConvSequenceResult {
  const F = w.recurrentKernel.shape[2];
  const hasBias = w.bias !== null;
  const rmask = inp.recurrentMask;
  const weights: tf.Tensor[] = [w.kernel, w.recurrentKernel, ...(hasBias ? [w.bias!] : []), ...(rmask ? [rmask] : [])];
  const hard = w.recurrentActivation === 'hardSigmoid';
  // The runner is written for [B, T, D] sequences and [B, H] states; it only reads B and T from them.
  const r = runSequence(
    { x: inp.x as unknown as tf.Tensor3D, initialStates: inp.initialStates as unknown as tf.Tensor2D[], mask: null, reverse: inp.reverse },
    weights,
    (ops, x5, ws, [h04, c04], _mask, needGrad) => {
      const run = kernelRunner(ops);
      const [B, T, H, W, C] = x5.shape as unknown as number[];
      const [, OH, OW] = h04.shape as unknown as number[];
      const P = B * OH * OW; // rows of one step
      const K = ws[0];
      const U = ws[1];
      const b = hasBias ? ws[2] : null;
      const rm = rmask ? ops.reshape(ws[hasBias ? 3 : 2], [P, F]) : null;
      const order = visitOrder(T, inp.reverse);
      const one = ops.keepConst(1);
      const gate = (z: TI): TI => {
        if (!hard) return ops.sigmoid(z);
        const a = ops.affine(z, 0.2, 0.5);
        const out = run('ClipByValue', { x: a }, { clipValueMin: 0, clipValueMax: 1 });
        ops.free(a);
        return out;
      };

      // ---- forward ----
      const xt = ops.transpose(x5, [1, 0, 2, 3, 4]); // [T, B, H, W, C]
      const X = ops.reshape(xt, [T * B, H, W, C]);
      ops.free(xt);
      const Z4 = run('Conv2D', { x: X, filter: K }, { strides: w.strides, pad: w.padding, dataFormat: 'NHWC', dilations: [1, 1] }); // [T·B, OH, OW, 4F]
      const Z2 = ops.reshape(Z4, [T * P, 4 * F]);
      ops.free(Z4);
      const ZX = b ? ops.add(Z2, b) : Z2;
      if (b) ops.free(Z2);
      const zx = ops.splitRows(ZX, T);
      ops.free(ZX);
      if (!needGrad) ops.free(X);

      const I: TI[] = new Array(T);
      const Fg: TI[] = new Array(T);
      const G: TI[] = new Array(T);
      const O: TI[] = new Array(T);
      const TC: TI[] = new Array(T);
      const Cp: TI[] = new Array(T); // c before the step
      const Hin: TI[] = new Array(T); // h ⊙ r fed to the recurrent convolution
      const Y: TI[] = new Array(T);
      let h: TI = ops.reshape(h04, [P, F]);
      let c: TI = ops.reshape(c04, [P, F]);
      for (const t of order) {
        const hin = rm ? ops.mul(h, rm) : h;
        const h4 = ops.reshape(hin, [B, OH, OW, F]);
        const hz4 = run('Conv2D', { x: h4, filter: U }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] });
        const hz = ops.reshape(hz4, [P, 4 * F]);
        ops.free(h4, hz4);
        const z = ops.add(zx[t], hz);
        ops.free(hz, zx[t]);
        const [zi, zf, zc, zo] = ops.splitCols(z, 4);
        ops.free(z);
        const i = gate(zi);
        const f = gate(zf);
        const o = gate(zo);
        const g = run('Tanh', { x: zc });
        ops.free(zi, zf, zc, zo);
        const fc = ops.mul(f, c);
        const ig = ops.mul(i, g);
        const cN = ops.add(fc, ig);
        ops.free(fc, ig);
        const tc = run('Tanh', { x: cN });
        const hN = ops.mul(o, tc);
        if (needGrad) {
          I[t] = i;
          Fg[t] = f;
          G[t] = g;
          O[t] = o;
          TC[t] = tc;
          Cp[t] = c;
          Hin[t] = hin;
          if (hin !== h && !Y.includes(h)) ops.free(h);
        } else {
          ops.free(i, f, g, o, tc, c);
          if (hin !== h) ops.free(hin);
        }
        Y[t] = hN;
        h = hN;
        c = cN;
      }
      // y [B, T, OH, OW, F] from the per-step [P, F] rows.
      const Yb = Y.map((y) => ops.reshape(y, [B, OH * OW * F]));
      const yStack = ops.stackTime(Yb); // [B, T, OH·OW·F]
      ops.freeAll(Yb);
      const y = ops.reshape(yStack, [B, T, OH, OW, F]);
      ops.free(yStack);
      const hT = ops.reshape(h, [B, OH, OW, F]);
      const cT = ops.reshape(c, [B, OH, OW, F]);
      const saved: TI[] = [];
      if (needGrad) {
        saved.push(X, ops.concatRows(I), ops.concatRows(Fg), ops.concatRows(G), ops.concatRows(O), ops.concatRows(TC), ops.concatRows(Cp), ops.concatRows(Hin));
        ops.freeAll([...I, ...Fg, ...G, ...O, ...TC, ...Cp, ...Hin]);
      }
      ops.freeAll(Y);
      ops.free(h, c, rm);

      return {
        y,
        states: [hT, cT],
        saved: [...saved, K, U, ...(rmask ? [ws[hasBias ? 3 : 2]] : [])],
        // ---- backward ----
        backward: (bops, dy, [dhT, dcT], sv) => {
          const brun = kernelRunner(bops);
          const [sX, sI, sF, sG, sO, sTC, sCp, sHin, sK, sU] = sv;
          const sR = rmask ? bops.reshape(sv[10], [P, F]) : null;
          const bone = bops.keepConst(1);
          // σ'(s) from the gate values s.
          const deriv = (s: TI): TI => {
            if (!hard) {
              const oms = bops.sub(bone, s);
              const d = bops.mul(s, oms);
              bops.free(oms);
              return d;
            }
            const oms = bops.sub(bone, s);
            const a = bops.positive(s);
            const bb = bops.positive(oms);
            const ab = bops.mul(a, bb);
            const d = bops.mul(ab, bops.keepConst(0.2));
            bops.free(oms, a, bb, ab);
            return d;
          };
          const Is = bops.splitRows(sI, T);
          const Fs = bops.splitRows(sF, T);
          const Gs = bops.splitRows(sG, T);
          const Os = bops.splitRows(sO, T);
          const TCs = bops.splitRows(sTC, T);
          const Cps = bops.splitRows(sCp, T);
          const dyb = bops.reshape(dy, [B, T, OH * OW * F]);
          const dYs = bops.unstackTime(dyb).map((d) => {
            const r2 = bops.reshape(d, [P, F]);
            bops.free(d);
            return r2;
          });
          bops.free(dyb);
          const Ur = rotate(brun, bops, sU); // [kh, kw, 4F, F]
          const [kh, kw] = sU.shape;
          const rp = padOf([B, OH, OW, F], sU.shape, [1, 1], 'same');
          const rpad: Pad = [[0, 0], [kh - 1 - rp.top, kh - 1 - rp.bottom], [kw - 1 - rp.left, kw - 1 - rp.right], [0, 0]];

          const dZ: TI[] = new Array(T);
          let dh: TI = bops.reshape(dhT, [P, F]);
          let dc: TI = bops.reshape(dcT, [P, F]);
          for (let n = T - 1; n >= 0; n--) {
            const t = order[n];
            const i = Is[t];
            const f = Fs[t];
            const g = Gs[t];
            const o = Os[t];
            const tc = TCs[t];
            const dht = bops.add(dh, dYs[t]);
            const tc2 = bops.square(tc);
            const omt = bops.sub(bone, tc2);
            const oq = bops.mul(o, omt);
            const dq = bops.mul(dht, oq);
            const dcp = bops.add(dc, dq); // gradient w.r.t. c_t
            bops.free(tc2, omt, oq, dq);
            // i block
            const di0 = bops.mul(dcp, g);
            const diD = deriv(i);
            const dzi = bops.mul(di0, diD);
            // f block
            const df0 = bops.mul(dcp, Cps[t]);
            const dfD = deriv(f);
            const dzf = bops.mul(df0, dfD);
            // c block: 1 − g²
            const g2 = bops.square(g);
            const omg = bops.sub(bone, g2);
            const dg0 = bops.mul(dcp, i);
            const dzc = bops.mul(dg0, omg);
            // o block
            const do0 = bops.mul(dht, tc);
            const doD = deriv(o);
            const dzo = bops.mul(do0, doD);
            bops.free(di0, diD, df0, dfD, g2, omg, dg0, do0, doD);
            const dz = bops.concatCols([dzi, dzf, dzc, dzo]); // [P, 4F]
            bops.free(dzi, dzf, dzc, dzo);
            const dz4 = bops.reshape(dz, [B, OH, OW, 4 * F]);
            const dhp4 = brun('Conv2D', { x: dz4, filter: Ur }, { strides: [1, 1], pad: rpad, dataFormat: 'NHWC', dilations: [1, 1] });
            bops.free(dz4);
            let dhPrev = bops.reshape(dhp4, [P, F]);
            bops.free(dhp4);
            if (sR) {
              const masked = bops.mul(dhPrev, sR);
              bops.free(dhPrev);
              dhPrev = masked;
            }
            const dcPrev = bops.mul(dcp, f);
            bops.free(dht, dcp, dh, dc, i, f, g, o, tc, Cps[t], dYs[t]);
            dh = dhPrev;
            dc = dcPrev;
            dZ[t] = dz;
          }
          bops.free(Ur, sR);
          const dZall = bops.concatRows(dZ); // [T·P, 4F], time-major
          bops.freeAll(dZ);
          const dZ4 = bops.reshape(dZall, [T * B, OH, OW, 4 * F]);
          const Hin4 = bops.reshape(sHin, [T * B, OH, OW, F]);
          const dU = brun('Conv2DBackpropFilter', { x: Hin4, dy: dZ4 }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: sU.shape });
          const dK = brun('Conv2DBackpropFilter', { x: sX, dy: dZ4 }, { strides: w.strides, pad: w.padding, dataFormat: 'NHWC', filterShape: sK.shape });
          bops.free(Hin4);
          const grads: GradOut[] = [];
          const dZt = bops.toTensor(dZ4);
          // dx only if the engine asks for it.
          grads.push((o: Ops) => {
            const orun = kernelRunner(o);
            const dX = convInputGrad(orun, o, dZt, sK, [T * B, H, W, C], w.strides, w.padding); // [T·B, H, W, C]
            const r5 = o.reshape(dX, [T, B, H, W, C]);
            o.free(dX);
            const out = o.transpose(r5, [1, 0, 2, 3, 4]);
            o.free(r5);
            return out;
          });
          grads.push(dK, dU);
          if (hasBias) grads.push(brun('Sum', { x: dZall }, { axis: [0], keepDims: false }));
          bops.free(dZall);
          if (rmask) grads.push((o: Ops) => o.fill(rmask.shape, 0));
          grads.push(bops.reshape(dh, [B, OH, OW, F]), bops.reshape(dc, [B, OH, OW, F]));
          bops.free(dh, dc);
          return grads;
        },
      };
    },
  );
  return { y: r.y as unknown as tf.Tensor5D, states: r.states as unknown as tf.Tensor4D[] };
}
