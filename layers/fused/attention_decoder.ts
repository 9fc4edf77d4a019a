/**
 * Fused attention decoders: a stacked GRU/LSTM decoder with attention over a
 * source memory, run over a whole (teacher-forced) target in one differentiable
 * op with hand-derived backpropagation through time, the pattern of ./gru.ts and
 * ./lstm.ts. Two kinds:
 *
 *   input-feeding (Luong et al. 2015):  x⁰_t = [e_t; f_{t−1}]   (f_{−1} = feed, usually 0)
 *       stack: s^l_t = cell_l(x^l_t, s^l_{t−1}), x^{l+1}_t = h^l_t;  q_t = h^L_t
 *       a_t = softmax(score(q_t, keys));  c_t = a_t · memory;  f_t = tanh(Wc [h^L_t; c_t])
 *   bahdanau (Bahdanau et al. 2015):    q_t = h^L_{t−1} (the top state before the step)
 *       a_t, c_t from q_t;  x⁰_t = [e_t; c_t];  stack as above;  f_t = tanh(Wc [h^L_t; c_t])
 *
 *   score dot:      q · k  (keys = memory)          ×1/√Dq with `scale`
 *   score general:  q · (k W)  (keys = memory·W)     ×1/√Dq with `scale`
 *   score additive: v · tanh(q Wq + k Wk)  (keys = memory·Wk)
 *   masked source positions (sourceMask 0) get exactly zero weight.
 *
 * The keys are prepared outside (one matmul over all source positions, its
 * gradient comes back through the op): for dot/general transposed, [B, K, S];
 * for additive [B, S, U]. Output y = f [B, T, H] (the attentional vectors, the
 * input of the output layer), the final states, and the attention weights
 * [B, T, S] (no gradient flows back through the weights output).
 *
 * Work per step: dot/general attention is two batched matmuls (q·keysᵀ, a·memory)
 * and a softmax; the embeddings' share of layer 0's input projection and its bias
 * are one matmul over all T·B rows; the weight gradients are single matmuls over
 * all steps ([X | feed | 1]ᵀ·dZ → [dW; db] etc.); dX is only formed on request.
 * Inter-layer dropout is not applied (as in the step loop); a target mask is not
 * needed (padded target steps only feed later padded steps, which the loss ignores).
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { Engine, GradOut, withOps } from './runner';

export type AttentionDecoderKind = 'input-feeding' | 'bahdanau';
export type AttentionDecoderScore = 'dot' | 'general' | 'additive';

/** One decoder layer's weights (Keras layout). */
export interface AttentionDecoderLayer {
  /** [D_l, G·H]; layer 0: D = E + F (embedding rows, then the fed vector's rows). */
  kernel: tf.Tensor2D;
  /** [H, G·H] */
  recurrentKernel: tf.Tensor2D;
  /** GRU (resetAfter): [2, 3H]; LSTM: [4H]; or null. */
  bias: tf.Tensor | null;
}

export interface AttentionDecoderWeights {
  /** Cell of every layer: 'gru' (resetAfter, PyTorch convention) or 'lstm' (no projection). */
  cell: 'gru' | 'lstm';
  /** Bottom to top. */
  layers: AttentionDecoderLayer[];
  /** How queries and keys are scored. */
  score: AttentionDecoderScore;
  /** dot/general: divide scores by √Dq. */
  scale: boolean;
  /** additive: Wq [H, U]. */
  queryKernel: tf.Tensor2D | null;
  /** additive: v [U, 1]. */
  scoreVector: tf.Tensor2D | null;
  /** Wc [H + M, H] (no bias): f = tanh([h; c]·Wc). */
  combine: tf.Tensor2D;
}

export interface AttentionDecoderInputs {
  kind: AttentionDecoderKind;
  /** Target embeddings [B, T, E]. */
  x: tf.Tensor3D;
  /** Encoder outputs [B, S, M]. */
  memory: tf.Tensor3D;
  /** Prepared keys: dot/general [B, K, S] (transposed), additive [B, S, U]. */
  keys: tf.Tensor3D;
  /** [B, S] 1 = real source token, or null. */
  sourceMask: tf.Tensor2D | null;
  /** Per layer, bottom to top, the cell's states (GRU [h]; LSTM [h, c]), each [B, H]. */
  initialStates: tf.Tensor2D[];
  /** input-feeding: f before the first step [B, H] (null = zeros); ignored for bahdanau. */
  feed: tf.Tensor2D | null;
}

export interface AttentionDecoderResult {
  /** f_t for every step [B, T, H]. */
  y: tf.Tensor3D;
  /** Final states, same order as the initial ones. */
  states: tf.Tensor2D[];
  /** Attention weights [B, T, S] (not differentiable). */
  weights: tf.Tensor3D;
}

/** Score of masked positions: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

/** Backend kernels Ops has no method for (Softmax, Sum, Tanh), through Ops.run. */
const tanh = (ops: Ops, x: TI): TI => ops.run('Tanh', { x });
const softmax = (ops: Ops, x: TI): TI => ops.run('Softmax', { logits: x }, { dim: x.shape.length - 1 });
const sumAxis = (ops: Ops, x: TI, axis: number, keepDims: boolean): TI => ops.run('Sum', { x }, { axis: [axis], keepDims });

/** 1 − x² (the derivative of tanh from its value). */
function oneMinusSquare(ops: Ops, x: TI): TI {
  const s = ops.square(x);
  const r = ops.sub(ops.keepConst(1), s);
  ops.free(s);
  return r;
}

/** x(1 − x) (the derivative of σ from its value). */
function sigmoidGrad(ops: Ops, x: TI): TI {
  const o = ops.sub(ops.keepConst(1), x);
  const r = ops.mul(x, o);
  ops.free(o);
  return r;
}

/** Runs the decoder (see the file comment). */
export function attentionDecoderSequence(inp: AttentionDecoderInputs, w: AttentionDecoderWeights): AttentionDecoderResult {
  const { kind, x, memory, keys, sourceMask } = inp;
  const gru = w.cell === 'gru';
  const G = gru ? 4 - 1 : 4;
  const nS = gru ? 1 : 2;
  const L = w.layers.length;
  const [B, T, E] = x.shape;
  const [, S, M] = memory.shape;
  const H = w.combine.shape[1];
  const additive = w.score === 'additive';
  const F = kind === 'input-feeding' ? H : M;
  if (L < 1) throw new Error('attention decoder: at least one layer');
  if (inp.initialStates.length !== L * nS) throw new Error(`attention decoder: expected ${L * nS} initial states, got ${inp.initialStates.length}`);
  if (w.layers[0].kernel.shape[0] !== E + F) throw new Error(`attention decoder: layer 0 kernel must have ${E + F} rows (embedding ${E} + fed ${F}), got ${w.layers[0].kernel.shape[0]}`);
  if (w.combine.shape[0] !== H + M) throw new Error(`attention decoder: combine must be [${H + M}, ${H}]`);
  if (additive && (!w.queryKernel || !w.scoreVector)) throw new Error('attention decoder: additive score needs queryKernel and scoreVector');
  if (!additive && keys.shape[2] !== S) throw new Error(`attention decoder: dot/general keys must be transposed [B, K, ${S}], got [${keys.shape.join(', ')}]`);
  if (additive && keys.shape[1] !== S) throw new Error(`attention decoder: additive keys must be [B, ${S}, U], got [${keys.shape.join(', ')}]`);
  w.layers.forEach((l, i) => {
    if (gru && l.bias && (l.bias.rank !== 2 || l.bias.shape[0] !== 2)) throw new Error(`attention decoder: GRU layer ${i} needs a [2, 3H] bias (resetAfter)`);
  });
  const Dq = H;
  const s = !additive && w.scale ? 1 / Math.sqrt(Dq) : 1;
  const hasFeed = kind === 'input-feeding' && inp.feed !== null;

  // Differentiable inputs, in gradient order.
  const layerW: tf.Tensor[] = [];
  const layerIdx: { k: number; u: number; b: number }[] = [];
  let base = 3;
  for (const l of w.layers) {
    layerIdx.push({ k: base, u: base + 1, b: l.bias ? base + 2 : -1 });
    layerW.push(l.kernel, l.recurrentKernel, ...(l.bias ? [l.bias] : []));
    base += l.bias ? 3 : 2;
  }
  const attW = additive ? [w.queryKernel!, w.scoreVector!] : [];
  const iWq = additive ? base : -1;
  const iV = additive ? base + 1 : -1;
  base += attW.length;
  const iWc = base++;
  const iStates = base;
  base += L * nS;
  const iFeed = hasFeed ? base++ : -1;
  const diff: tf.Tensor[] = [x, memory, keys, ...layerW, ...attW, w.combine, ...inp.initialStates, ...(hasFeed ? [inp.feed!] : [])];
  const inputs: Record<string, tf.Tensor> = {};
  [...diff, ...(sourceMask ? [sourceMask] : [])].forEach((t, i) => (inputs[i] = t));
  const engine = tf.engine() as unknown as Engine;
  const needGrad = engine.isTapeOn();
  let backward: ((ops: Ops, dys: TI[], saved: tf.Tensor[]) => GradOut[]) | null = null;
  const maskValues = sourceMask ? Float32Array.from(sourceMask.dataSync()) : null;

  const outs = engine.runKernelFunc({
    inputs,
    forwardFunc: (_backend, save) =>
      withOps((ops) => {
        const one = ops.keepConst(1);
        const Wc = diff[iWc];
        // ---- preparation ----
        const maskBias = maskValues ? ops.constant(maskValues.map((m) => (m === 0 ? MASKED : 0)), [B, 1, S]) : null;
        const sConst = s !== 1 ? ops.constant(s) : null;
        const Ws = w.layers.map((_, l) => diff[layerIdx[l].k]);
        const Us = w.layers.map((_, l) => diff[layerIdx[l].u]);
        const bIn: (TI | null)[] = [];
        const bRec: (TI | null)[] = [];
        w.layers.forEach((_, l) => {
          const b = layerIdx[l].b >= 0 ? diff[layerIdx[l].b] : null;
          if (!b) {
            bIn.push(null);
            bRec.push(null);
          } else if (gru) {
            const [b0, b1] = ops.splitRowsSized(b, [1, 1]);
            // A fresh rank-1 buffer: wasm's _FusedMatMul checks the rank the bias was allocated with, not a reshape's.
            const vec = (row: TI): TI => {
              const r = ops.reshape(row, [G * H]);
              const out = ops.add(r, ops.keepConst(0));
              ops.free(r, row);
              return out;
            };
            bIn.push(vec(b0));
            bRec.push(vec(b1));
          } else {
            bIn.push(b);
            bRec.push(null);
          }
        });
        const [We, Wf] = ops.splitRowsSized(Ws[0], [E, F]);
        const X = ops.toTimeMajor(x); // [T·B, E]
        const XE = bIn[0] ? ops.matMulBias(X, We, bIn[0]) : ops.matMul(X, We); // [T·B, GH]
        const xe = ops.splitRows(XE, T);
        ops.free(XE);

        // ---- per-step pieces kept for backward (time-indexed) ----
        const FEED: TI[] = []; // layer-0 fed vector (f_{t−1} or c_t) [B, F]
        const HP: TI[][] = w.layers.map(() => []); // h before the step, per layer
        const CP: TI[][] = w.layers.map(() => []); // LSTM c before the step
        const OUT: TI[][] = w.layers.map(() => []); // h after the step (layer input above; top: query / combine)
        const GA: TI[][] = w.layers.map(() => []); // GRU [z | r | n | hz_h]; LSTM [i | f | g | o | tanh c']
        const Q: TI[] = []; // queries [B, Dq]
        const A: TI[] = []; // attention weights [B, S]
        const HID: TI[] = []; // additive: tanh(q Wq + keys) [B·S, U]
        const HC: TI[] = []; // [h^L; c] [B, H + M]
        const Y: TI[] = []; // f [B, H]

        const attend = (q: TI): TI => {
          let sc: TI;
          if (additive) {
            const U = diff[iWq].shape[1] as number;
            const qp = ops.matMul(q, diff[iWq]);
            const qp3 = ops.reshape(qp, [B, 1, U]);
            const pre = ops.add(qp3, keys);
            const hid = tanh(ops, pre);
            ops.free(qp, qp3, pre);
            const hid2 = ops.reshape(hid, [B * S, U]);
            ops.free(hid);
            const sv = ops.matMul(hid2, diff[iV]);
            sc = ops.reshape(sv, [B, 1, S]);
            ops.free(sv);
            if (needGrad) HID.push(hid2);
            else ops.free(hid2);
          } else {
            const q3 = ops.reshape(q, [B, 1, Dq]);
            sc = ops.matMul(q3, keys); // [B, 1, S]
            ops.free(q3);
            if (sConst) {
              const t = ops.mul(sc, sConst);
              ops.free(sc);
              sc = t;
            }
          }
          if (maskBias) {
            const t = ops.add(sc, maskBias);
            ops.free(sc);
            sc = t;
          }
          const a = softmax(ops, sc); // [B, 1, S]
          ops.free(sc);
          const c3 = ops.matMul(a, memory); // [B, 1, M]
          const c = ops.reshape(c3, [B, M]);
          A.push(ops.reshape(a, [B, S]));
          ops.free(a, c3);
          if (needGrad) Q.push(q);
          return c;
        };

        /** One layer's step from its input pre-activation xz [B, GH]; returns the new states. */
        const cellStep = (l: number, xz: TI, st: TI[]): TI[] => {
          if (gru) {
            const h = st[0];
            const hz = bRec[l] ? ops.matMulBias(h, Us[l], bRec[l]!) : ops.matMul(h, Us[l]);
            const [hzr, hzh] = ops.splitColsSized(hz, [2 * H, H]);
            const [xzr, xzh] = ops.splitColsSized(xz, [2 * H, H]);
            ops.free(hz);
            const zrPre = ops.add(xzr, hzr);
            const zr = ops.sigmoid(zrPre);
            ops.free(zrPre, xzr, hzr);
            const [z, r] = ops.splitCols(zr, 2);
            const rhh = ops.mul(r, hzh);
            const npre = ops.add(xzh, rhh);
            ops.free(rhh, xzh);
            const n = tanh(ops, npre);
            ops.free(npre);
            const hmn = ops.sub(h, n);
            const zh = ops.mul(z, hmn);
            const hN = ops.add(n, zh);
            ops.free(hmn, zh);
            if (needGrad) GA[l].push(ops.concatCols([zr, n, hzh]));
            ops.free(zr, z, r, n, hzh);
            return [hN];
          }
          const [h, c] = st;
          const hz = ops.matMul(h, Us[l]);
          const z = ops.add(xz, hz);
          ops.free(hz);
          const [zi, zf, zg, zo] = ops.splitCols(z, 4);
          ops.free(z);
          const i = ops.sigmoid(zi);
          const f = ops.sigmoid(zf);
          const g = tanh(ops, zg);
          const o = ops.sigmoid(zo);
          ops.free(zi, zf, zg, zo);
          const fc = ops.mul(f, c);
          const ig = ops.mul(i, g);
          const cN = ops.add(fc, ig);
          ops.free(fc, ig);
          const tc = tanh(ops, cN);
          const hN = ops.mul(o, tc);
          if (needGrad) GA[l].push(ops.concatCols([i, f, g, o, tc]));
          ops.free(i, f, g, o, tc);
          return [hN, cN];
        };

        let states: TI[] = [...inp.initialStates];
        let feed: TI = hasFeed ? inp.feed! : ops.fill([B, F], 0);
        for (let t = 0; t < T; t++) {
          let c: TI | null = null;
          let feedIn: TI;
          if (kind === 'bahdanau') {
            c = attend(states[(L - 1) * nS]);
            feedIn = c;
          } else {
            feedIn = feed;
          }
          const next: TI[] = [];
          let below: TI | null = null;
          for (let l = 0; l < L; l++) {
            let xz: TI;
            if (l === 0) {
              const fz = ops.matMul(feedIn, Wf);
              xz = ops.add(xe[t], fz);
              ops.free(fz, xe[t]);
            } else {
              xz = bIn[l] ? ops.matMulBias(below!, Ws[l], bIn[l]!) : ops.matMul(below!, Ws[l]);
            }
            const st = states.slice(l * nS, l * nS + nS);
            const ns = cellStep(l, xz, st);
            ops.free(xz);
            if (needGrad) {
              HP[l].push(st[0]);
              if (!gru) CP[l].push(st[1]);
            } else {
              ops.free(...st); // (initial states are inputs: free leaves them alone)
            }
            next.push(...ns);
            below = ns[0];
            if (needGrad) OUT[l].push(ns[0]);
          }
          states = next;
          const top = below!;
          if (kind === 'input-feeding') c = attend(top);
          const hc = ops.concatCols([top, c!]);
          if (!(needGrad && kind === 'bahdanau')) ops.free(c); // bahdanau: c is layer 0's fed vector (FEED)
          if (kind === 'input-feeding') {
            const pre = ops.matMul(hc, Wc);
            const f = tanh(ops, pre);
            ops.free(pre);
            if (needGrad) FEED.push(feed);
            feed = f;
            Y.push(f);
          } else if (needGrad) FEED.push(feedIn);
          if (needGrad || kind === 'bahdanau') HC.push(hc);
          else ops.free(hc);
        }
        if (kind === 'bahdanau') {
          const HCall = ops.concatRows(HC); // [T·B, H + M]
          const pre = ops.matMul(HCall, Wc);
          const Fall = tanh(ops, pre);
          ops.free(pre, HCall);
          Y.push(...ops.splitRows(Fall, T));
          ops.free(Fall);
          if (!needGrad) ops.freeAll(HC);
        }
        const y = ops.stackTime(Y);
        const weights = ops.stackTime(A);
        const outTensors = [ops.toTensor(y), ops.toTensor(weights), ...states.map((q) => ops.toTensor(q))];
        ops.free(sConst);
        if (needGrad) {
          const cat = (xs: TI[]): TI => ops.concatRows(xs);
          const saved: TI[] = [
            X,
            cat(FEED),
            ...w.layers.flatMap((_, l) => [cat(HP[l]), cat(OUT[l]), cat(GA[l]), ...(gru ? [] : [cat(CP[l])])]),
            ops.stackTime(Q),
            ops.stackTime(A),
            ...(additive ? [cat(HID)] : []),
            cat(HC),
            cat(Y),
            // Inputs backward reads (they may be disposed by the time it runs).
            keys,
            memory,
            ...Ws,
            ...Us,
            ...(additive ? [diff[iWq], diff[iV]] : []),
            Wc,
          ];
          save(saved.map((q) => ops.toTensor(q)));
          // Free per-step pieces (never the kernel's inputs: Ops leaves those alone).
          ops.freeAll([...FEED, ...HP.flat(), ...CP.flat(), ...OUT.flat(), ...GA.flat(), ...Q, ...A, ...HID, ...HC, ...Y]);
        }
        // Whatever else is left (X, split weights and biases, masks) goes with the Ops.
        return outTensors;
      }),
    backwardsFunc: (dys, saved) => {
      const list = Array.isArray(dys) ? dys : [dys];
      const grads = withOps((ops) => backward!(ops, list, saved).map((g) => (typeof g === 'function' ? g : ops.toTensor(g))));
      const map: Record<string, () => tf.Tensor> = {};
      grads.forEach((g, i) => {
        map[i] = typeof g === 'function' ? () => withOps((ops) => ops.toTensor(g(ops))) : () => g;
      });
      if (sourceMask) map[diff.length] = () => tf.zerosLike(sourceMask);
      return map;
    },
  }) as tf.Tensor[];

  backward = (ops, dys, sv) => {
    const one = ops.keepConst(1);
    let k = 0;
    const X = sv[k++];
    const FEEDall = sv[k++];
    const HPall: TI[] = [];
    const OUTall: TI[] = [];
    const GAall: TI[] = [];
    const CPall: TI[] = [];
    for (let l = 0; l < L; l++) {
      HPall.push(sv[k++]);
      OUTall.push(sv[k++]);
      GAall.push(sv[k++]);
      if (!gru) CPall.push(sv[k++]);
    }
    const Qall = sv[k++]; // [B, T, Dq]
    const Aall = sv[k++]; // [B, T, S]
    const HIDall = additive ? sv[k++] : null; // [T·B·S, U]
    const HCall = sv[k++]; // [T·B, H + M]
    const Yall = sv[k++]; // [T·B, H]
    const sKeys = sv[k++];
    const sMem = sv[k++];
    const Ws = w.layers.map(() => sv[k++]);
    const Us = w.layers.map(() => sv[k++]);
    const sWq = additive ? sv[k++] : null;
    const sV = additive ? sv[k++] : null;
    const sWc = sv[k++];
    const [We, Wf] = ops.splitRowsSized(Ws[0], [E, F]);
    const WfT = ops.transpose(Wf, [1, 0]);
    const WT = Ws.map((W, l) => (l === 0 ? null : ops.transpose(W, [1, 0])));
    const UT = Us.map((U) => ops.transpose(U, [1, 0]));
    const WcT = ops.transpose(sWc, [1, 0]);
    const keysN = additive ? null : ops.transpose(sKeys, [0, 2, 1]); // [B, S, K]
    const memT = ops.transpose(sMem, [0, 2, 1]); // [B, M, S]
    const VT = additive ? ops.transpose(sV!, [1, 0]) : null; // [1, U]
    const WqT = additive ? ops.transpose(sWq!, [1, 0]) : null;
    const U_ = additive ? (sWq!.shape[1] as number) : 0;
    const sConst = s !== 1 ? ops.constant(s) : null;

    const GA = GAall.map((g) => ops.splitRows(g, T));
    const HPs = HPall.map((g) => ops.splitRows(g, T));
    const CPs = CPall.map((g) => ops.splitRows(g, T));
    const Qs = ops.unstackTime(Qall);
    const As = ops.unstackTime(Aall);
    const HIDs = HIDall ? ops.splitRows(HIDall, T) : null;
    const dYs = ops.unstackTime(dys[0]);
    // Gradients of the final states (zeros when unused).
    const dh: TI[] = [];
    const dc: (TI | null)[] = [];
    for (let l = 0; l < L; l++) {
      dh.push(ops.add(dys[2 + l * nS], ops.keepConst(0)));
      dc.push(gru ? null : ops.add(dys[2 + l * nS + 1], ops.keepConst(0)));
    }
    const DXZ: TI[][] = w.layers.map(() => new Array(T));
    const DHZ: TI[][] = w.layers.map(() => new Array(T));
    const DSC: TI[] = new Array(T); // [B, S] (scaled: gradient w.r.t. q·keys)
    const DC: TI[] = new Array(T); // [B, M]
    const DQP: TI[] = new Array(T); // additive [B, U]
    let dKeysAdd: TI | null = null; // additive [B, S, U]
    const DPRE: TI[] = new Array(T);

    // Bahdanau: the combine's backward for all steps at once.
    let dHtopX: TI[] | null = null;
    let dCcomb: TI[] | null = null;
    if (kind === 'bahdanau') {
      const dY = ops.toTimeMajor(dys[0]);
      const om = oneMinusSquare(ops, Yall);
      const dpre = ops.mul(dY, om);
      ops.free(dY, om);
      const dhc = ops.matMul(dpre, WcT);
      const [a, b] = ops.splitColsSized(dhc, [H, M]);
      dHtopX = ops.splitRows(a, T);
      dCcomb = ops.splitRows(b, T);
      ops.splitRows(dpre, T).forEach((d, t) => (DPRE[t] = d));
      ops.free(dhc, a, b, dpre);
    }
    const Ys = kind === 'input-feeding' ? ops.splitRows(Yall, T) : null;

    /** Attention backward for step t from dc [B, M]: returns dq [B, Dq]. */
    const attendBack = (t: number, dcv: TI): TI => {
      DC[t] = dcv;
      const dc3 = ops.reshape(dcv, [B, 1, M]);
      const da3 = ops.matMul(dc3, memT); // [B, 1, S]
      const da = ops.reshape(da3, [B, S]);
      ops.free(dc3, da3);
      const ad = ops.mul(As[t], da);
      const sum = sumAxis(ops, ad, 1, true);
      const dmn = ops.sub(da, sum);
      let dsc = ops.mul(As[t], dmn); // [B, S]
      ops.free(da, ad, sum, dmn);
      if (additive) {
        DSC[t] = dsc;
        const dsc2 = ops.reshape(dsc, [B * S, 1]);
        const dhid = ops.matMul(dsc2, VT!); // [B·S, U]
        const om = oneMinusSquare(ops, HIDs![t]);
        const dpre = ops.mul(dhid, om);
        ops.free(dsc2, dhid, om);
        const dpre3 = ops.reshape(dpre, [B, S, U_]);
        ops.free(dpre);
        if (dKeysAdd) {
          const s2 = ops.add(dKeysAdd, dpre3);
          ops.free(dKeysAdd);
          dKeysAdd = s2;
        } else dKeysAdd = ops.add(dpre3, ops.keepConst(0));
        const dqp = sumAxis(ops, dpre3, 1, false); // [B, U]
        ops.free(dpre3);
        DQP[t] = dqp;
        return ops.matMul(dqp, WqT!);
      }
      if (sConst) {
        const t2 = ops.mul(dsc, sConst);
        ops.free(dsc);
        dsc = t2;
      }
      DSC[t] = dsc;
      const d3 = ops.reshape(dsc, [B, 1, S]);
      const dq3 = ops.matMul(d3, keysN!); // [B, 1, K]
      const dq = ops.reshape(dq3, [B, Dq]);
      ops.free(d3, dq3);
      return dq;
    };

    /** Layer l's step backward from dhOut (total) at step t; updates dh[l], dc[l]; returns dXZ (input pre-activation gradient). */
    const cellBack = (l: number, t: number, dhOut: TI): TI => {
      const ga = GA[l][t];
      if (gru) {
        const [z, r, n, hzh] = ops.splitCols(ga, 4);
        const hp = HPs[l][t];
        const omz = ops.sub(one, z);
        const dn = ops.mul(dhOut, omz);
        const hmn = ops.sub(hp, n);
        const dz = ops.mul(dhOut, hmn);
        const om = oneMinusSquare(ops, n);
        const dnpre = ops.mul(dn, om);
        const dr = ops.mul(dnpre, hzh);
        const sz = sigmoidGrad(ops, z);
        const dzpre = ops.mul(dz, sz);
        const sr = sigmoidGrad(ops, r);
        const drpre = ops.mul(dr, sr);
        const dnr = ops.mul(dnpre, r);
        DXZ[l][t] = ops.concatCols([dzpre, drpre, dnpre]);
        DHZ[l][t] = ops.concatCols([dzpre, drpre, dnr]);
        const a = ops.matMul(DHZ[l][t], UT[l]);
        const b = ops.mul(dhOut, z);
        ops.free(dh[l]);
        dh[l] = ops.add(a, b);
        ops.free(z, r, n, hzh, omz, dn, hmn, dz, om, dnpre, dr, sz, dzpre, sr, drpre, dnr, a, b);
        return DXZ[l][t];
      }
      const [i, f, g, o, tc] = ops.splitCols(ga, 5);
      const cp = CPs[l][t];
      const dO = ops.mul(dhOut, tc);
      const dtc = ops.mul(dhOut, o);
      const om = oneMinusSquare(ops, tc);
      const dcc = ops.mul(dtc, om);
      const dct = ops.add(dc[l]!, dcc);
      const di = ops.mul(dct, g);
      const dg = ops.mul(dct, i);
      const df = ops.mul(dct, cp);
      const dcPrev = ops.mul(dct, f);
      const si = sigmoidGrad(ops, i);
      const sf = sigmoidGrad(ops, f);
      const so = sigmoidGrad(ops, o);
      const og = oneMinusSquare(ops, g);
      const dzi = ops.mul(di, si);
      const dzf = ops.mul(df, sf);
      const dzg = ops.mul(dg, og);
      const dzo = ops.mul(dO, so);
      DXZ[l][t] = ops.concatCols([dzi, dzf, dzg, dzo]);
      ops.free(dh[l], dc[l]);
      dh[l] = ops.matMul(DXZ[l][t], UT[l]);
      dc[l] = dcPrev;
      ops.free(i, f, g, o, tc, dO, dtc, om, dcc, dct, di, dg, df, si, sf, so, og, dzi, dzf, dzg, dzo);
      return DXZ[l][t];
    };

    let dFeed: TI | null = null; // input-feeding: gradient of f_{t} coming from step t+1's input
    for (let t = T - 1; t >= 0; t--) {
      let extraTop: TI;
      if (kind === 'input-feeding') {
        const dft = dFeed ? ops.add(dYs[t], dFeed) : ops.add(dYs[t], ops.keepConst(0));
        ops.free(dFeed);
        const om = oneMinusSquare(ops, Ys![t]);
        DPRE[t] = ops.mul(dft, om);
        ops.free(dft, om);
        const dhc = ops.matMul(DPRE[t], WcT);
        const [dhx, dcv] = ops.splitColsSized(dhc, [H, M]);
        ops.free(dhc);
        const dq = attendBack(t, dcv);
        extraTop = ops.add(dhx, dq);
        ops.free(dhx, dq);
      } else {
        extraTop = dHtopX![t];
      }
      // Layers top-down.
      let dAbove: TI | null = null;
      for (let l = L - 1; l >= 0; l--) {
        let dOut = ops.add(dh[l], l === L - 1 ? extraTop : dAbove!);
        if (l === L - 1) ops.free(extraTop);
        else ops.free(dAbove);
        const dxz = cellBack(l, t, dOut);
        ops.free(dOut);
        dOut = dxz;
        if (l > 0) dAbove = ops.matMul(dxz, WT[l]!);
      }
      const dfeedIn = ops.matMul(DXZ[0][t], WfT); // gradient of the fed vector
      if (kind === 'input-feeding') dFeed = dfeedIn;
      else {
        const dcv = ops.add(dCcomb![t], dfeedIn);
        ops.free(dCcomb![t], dfeedIn);
        const dq = attendBack(t, dcv); // gradient of the query h^L_{t−1}
        const top = (L - 1);
        const s2 = ops.add(dh[top], dq);
        ops.free(dh[top], dq);
        dh[top] = s2;
      }
      ops.free(dYs[t]);
    }
    ops.free(WfT, ...WT, ...UT, WcT, memT, VT, WqT, sConst);
    ops.freeAll([...GA.flat(), ...HPs.flat(), ...CPs.flat(), ...As, ...(HIDs ?? [])]);

    // ---- weight gradients: one matmul per weight over all T·B rows ----
    const N = T * B;
    const ones = ops.fill([N, 1], 1);
    const grads: GradOut[] = new Array(diff.length).fill(null);
    const DXZall = w.layers.map((_, l) => ops.concatRows(DXZ[l]));
    for (let l = 0; l < L; l++) {
      const hasB = layerIdx[l].b >= 0;
      const IN = l === 0 ? ops.concatCols([X, FEEDall]) : OUTall[l - 1];
      const IN1 = hasB ? ops.concatCols([IN, ones]) : IN;
      const g = ops.matMulTN(IN1, DXZall[l]);
      const Dl = IN.shape[1];
      const [dW, dbIn] = hasB ? ops.splitRowsSized(g, [Dl, 1]) : [g, null];
      if (hasB) ops.free(g);
      if (IN1 !== IN) ops.free(IN1);
      if (l === 0) ops.free(IN);
      grads[layerIdx[l].k] = dW;
      if (gru) {
        const DHZall = ops.concatRows(DHZ[l]);
        const HP1 = hasB ? ops.concatCols([HPall[l], ones]) : HPall[l];
        const gu = ops.matMulTN(HP1, DHZall);
        ops.free(DHZall);
        if (HP1 !== HPall[l]) ops.free(HP1);
        const [dU, dbRec] = hasB ? ops.splitRowsSized(gu, [H, 1]) : [gu, null];
        if (hasB) ops.free(gu);
        grads[layerIdx[l].u] = dU;
        if (hasB) {
          grads[layerIdx[l].b] = ops.concatRows([dbIn!, dbRec!]);
          ops.free(dbIn, dbRec);
        }
      } else {
        grads[layerIdx[l].u] = ops.matMulTN(HPall[l], DXZall[l]);
        if (hasB) {
          grads[layerIdx[l].b] = ops.reshape(dbIn!, [G * H]);
          ops.free(dbIn);
        }
      }
    }
    ops.freeAll(DXZ.flat());
    ops.freeAll(DHZ.flat());
    // combine
    const DPREall = ops.concatRows(DPRE);
    ops.freeAll(DPRE);
    grads[iWc] = ops.matMulTN(HCall, DPREall);
    ops.free(DPREall, ones);
    // attention: memory, keys, (additive) Wq, v
    const DCs = ops.stackTime(DC); // [B, T, M]
    const AT = ops.transpose(Aall, [0, 2, 1]); // [B, S, T]
    grads[1] = ops.matMul(AT, DCs); // [B, S, M]
    ops.free(DCs, AT);
    ops.freeAll(DC);
    if (additive) {
      grads[2] = dKeysAdd!;
      const QT = ops.toTimeMajor(Qall); // [T·B, Dq]
      const DQPall = ops.concatRows(DQP);
      grads[iWq] = ops.matMulTN(QT, DQPall);
      ops.free(QT, DQPall);
      // dv = Σ hidᵀ·dsc: rows of HIDall are (t, b, s)
      const DSCall = ops.concatRows(DSC); // [T·B, S]
      const dsc1 = ops.reshape(DSCall, [N * S, 1]);
      grads[iV] = ops.matMulTN(HIDall!, dsc1);
      ops.free(DSCall, dsc1);
      ops.freeAll(DQP);
    } else {
      const QTk = ops.transpose(Qall, [0, 2, 1]); // [B, Dq, T]
      const DSCs = ops.stackTime(DSC); // [B, T, S]
      grads[2] = ops.matMul(QTk, DSCs); // [B, K, S]
      ops.free(QTk, DSCs, keysN);
    }
    ops.freeAll(DSC);
    // initial states and feed
    for (let l = 0; l < L; l++) {
      grads[iStates + l * nS] = dh[l];
      if (!gru) grads[iStates + l * nS + 1] = dc[l]!;
    }
    if (hasFeed) grads[iFeed] = dFeed!;
    else ops.free(dFeed);
    // dx = dXZ⁰·Weᵀ, formed only when asked for
    const dX0 = ops.toTensor(DXZall[0]);
    ops.freeAll(DXZall.slice(1));
    const WeT = ops.toTensor(ops.transpose(We, [1, 0]));
    ops.free(We, Wf);
    grads[0] = (o: Ops) => o.fromTimeMajor(o.matMul(dX0, WeT), B, T);
    return grads;
  };

  return { y: outs[0] as tf.Tensor3D, weights: outs[1] as tf.Tensor3D, states: outs.slice(2) as tf.Tensor2D[] };
}
