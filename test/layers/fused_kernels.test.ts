/**
 * The fused whole-sequence kernels (layers/fused/) against a plain per-step
 * reference differentiated by tfjs autodiff (helpers/reference_rnn.ts):
 * outputs, final states and the gradients of
 *   loss = Σ y⊙Ry + Σ_k state_k⊙Rs_k
 * w.r.t. x, every weight and every initial state, for every cell variant, with
 * and without a mask (including an interior masked step), forwards and reversed,
 * from nonzero initial states, on cpu and wasm. Also: the mask gets a zero
 * gradient, nothing leaks, and one finite-difference check in float32.
 */
import * as tf from '@tensorflow/tfjs';
import { gruSequence } from '../../layers/fused/gru';
import { lstmSequence } from '../../layers/fused/lstm';
import { rnnSequence } from '../../layers/fused/simple_rnn';
import { setFusedEngineMode } from '../../layers/fused/kernel_ops';
import { SequenceInputs, SequenceResult } from '../../layers/fused/types';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';
import { referenceGRU, referenceLSTM, referenceRNN, RefResult } from '../helpers/reference_rnn';
import { seededValues } from '../helpers/values';

const B = 3;
const T = 5;
const D = 4;
const H = 6;
const P = 3; // LSTM projection size
const TOL = 1e-5;

const values = seededValues;

function rand(shape: number[], seed: number, scale?: number): tf.Tensor {
  return tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed, scale), shape);
}

/** Row 0 full, row 1 padded at the end, row 2 with an interior masked step. */
const MASK = [
  [1, 1, 1, 1, 1],
  [1, 1, 1, 0, 0],
  [1, 0, 1, 1, 0],
];

/**
 * A cell variant: its parameter shapes and the fused and reference functions
 * taking (x, params, states, mask, reverse).
 */
interface Variant {
  name: string;
  params: number[][];
  states: number[][];
  outSize: number;
  fused: (inp: SequenceInputs, p: tf.Tensor[]) => SequenceResult;
  reference: (inp: SequenceInputs, p: tf.Tensor[]) => RefResult;
}

function lstmVariant(bias: boolean, proj: boolean): Variant {
  const R = proj ? P : H;
  const weights = (p: tf.Tensor[]) => ({
    kernel: p[0] as tf.Tensor2D,
    recurrentKernel: p[1] as tf.Tensor2D,
    bias: bias ? (p[2] as tf.Tensor1D) : null,
    projKernel: proj ? (p[bias ? 3 : 2] as tf.Tensor2D) : null,
  });
  return {
    name: `lstm${bias ? '' : ' no-bias'}${proj ? ' proj' : ''}`,
    params: [[D, 4 * H], [R, 4 * H], ...(bias ? [[4 * H]] : []), ...(proj ? [[H, P]] : [])],
    states: [[B, R], [B, H]],
    outSize: R,
    fused: (inp, p) => lstmSequence(inp, weights(p)),
    reference: (inp, p) => referenceLSTM(inp, weights(p)),
  };
}

function gruVariant(resetAfter: boolean, bias: boolean): Variant {
  const weights = (p: tf.Tensor[]) => ({ kernel: p[0] as tf.Tensor2D, recurrentKernel: p[1] as tf.Tensor2D, bias: bias ? p[2] : null, resetAfter });
  return {
    name: `gru ${resetAfter ? 'resetAfter' : 'resetBefore'}${bias ? '' : ' no-bias'}`,
    params: [[D, 3 * H], [H, 3 * H], ...(bias ? [resetAfter ? [2, 3 * H] : [3 * H]] : [])],
    states: [[B, H]],
    outSize: H,
    fused: (inp, p) => gruSequence(inp, weights(p)),
    reference: (inp, p) => referenceGRU(inp, weights(p)),
  };
}

function rnnVariant(activation: 'tanh' | 'relu', bias: boolean): Variant {
  const weights = (p: tf.Tensor[]) => ({ kernel: p[0] as tf.Tensor2D, recurrentKernel: p[1] as tf.Tensor2D, bias: bias ? (p[2] as tf.Tensor1D) : null, activation });
  return {
    name: `rnn ${activation}${bias ? '' : ' no-bias'}`,
    params: [[D, H], [H, H], ...(bias ? [[H]] : [])],
    states: [[B, H]],
    outSize: H,
    fused: (inp, p) => rnnSequence(inp, weights(p)),
    reference: (inp, p) => referenceRNN(inp, weights(p)),
  };
}

const VARIANTS: Variant[] = [
  lstmVariant(true, false),
  lstmVariant(false, false),
  lstmVariant(true, true),
  lstmVariant(false, true),
  gruVariant(true, true),
  gruVariant(false, true),
  gruVariant(true, false),
  gruVariant(false, false),
  rnnVariant('tanh', true),
  rnnVariant('relu', true),
  rnnVariant('tanh', false),
];

const MODES: [string, boolean, boolean][] = [
  ['forward', false, false],
  ['reverse', false, true],
  ['masked', true, false],
  ['masked reverse', true, true],
];

/** Inputs of one case: x, parameters, initial states (all differentiated), mask and loss weights. */
function makeCase(v: Variant, masked: boolean, seed: number) {
  const x = rand([B, T, D], seed) as tf.Tensor3D;
  // Recurrent weights a little larger, so gradients through time are not negligible.
  const params = v.params.map((s, i) => rand(s, seed + 10 + i, i === 1 ? 0.8 : 0.6));
  const states = v.states.map((s, i) => rand(s, seed + 30 + i, 0.9) as tf.Tensor2D);
  const mask = masked ? (tf.tensor2d(MASK) as tf.Tensor2D) : null;
  const Ry = rand([B, T, v.outSize], seed + 50, 1);
  const Rs = v.states.map((s, i) => rand(s, seed + 60 + i, 1));
  return { x, params, states, mask, Ry, Rs };
}

type Runner = (inp: SequenceInputs, p: tf.Tensor[]) => RefResult;

/** Outputs, final states and gradients (x, params..., states...) of the probe loss. */
function evaluate(run: Runner, c: ReturnType<typeof makeCase>, reverse: boolean) {
  const nP = c.params.length;
  const loss = (...ts: tf.Tensor[]): tf.Scalar => {
    const r = run({ x: ts[0] as tf.Tensor3D, initialStates: ts.slice(1 + nP) as tf.Tensor2D[], mask: c.mask, reverse }, ts.slice(1, 1 + nP));
    return tf.addN([tf.sum(tf.mul(r.y, c.Ry)), ...r.states.map((s, i) => tf.sum(tf.mul(s, c.Rs[i])))]) as tf.Scalar;
  };
  const forward = run({ x: c.x, initialStates: c.states, mask: c.mask, reverse }, c.params);
  const grads = tf.grads(loss)([c.x, ...c.params, ...c.states]);
  return { forward, grads };
}

describe.each(TEST_BACKENDS)('fused kernels on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  describe.each(VARIANTS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    test.each(MODES)('%s: outputs, final states and all gradients match the per-step reference', (_mode, masked, reverse) => {
      tf.tidy(() => {
        const c = makeCase(v, masked, 7);
        const got = evaluate(v.fused, c, reverse);
        const want = evaluate(v.reference, c, reverse);
        expectClose('y', got.forward.y, want.forward.y, TOL, TOL);
        expect(got.forward.states.length).toBe(want.forward.states.length);
        got.forward.states.forEach((s, i) => expectClose(`state ${i}`, s, want.forward.states[i], TOL, TOL));
        const names = ['x', ...v.params.map((_, i) => `param ${i}`), ...v.states.map((_, i) => `initial state ${i}`)];
        got.grads.forEach((g, i) => expectClose(`d ${names[i]}`, g, want.grads[i], TOL, TOL));
        // The probe must exercise every gradient: none of the reference gradients is all zeros.
        want.grads.forEach((g, i) => expect([names[i], tf.max(tf.abs(g)).dataSync()[0] > 1e-4]).toEqual([names[i], true]));
        if (masked) {
          // Masked steps emit exactly zero.
          const y = got.forward.y.arraySync();
          MASK.forEach((row, b) => row.forEach((m, t) => { if (m === 0) expect(y[b][t].every((e) => e === 0)).toBe(true); }));
        }
      });
    });

    test('no tensor leaks across forward + backward (masked, reversed)', () => {
      const c = makeCase(v, true, 3);
      const inputs = [c.x, ...c.params, ...c.states];
      const before = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      const grads = tf.tidy(() => evaluate(v.fused, c, true).grads);
      expect(grads.length).toBe(inputs.length);
      tf.dispose(grads);
      // Forward only (inference), outside any tidy: the kernel must dispose its own intermediates.
      const r = v.fused({ x: c.x, initialStates: c.states, mask: c.mask, reverse: false }, c.params);
      tf.dispose([r.y, ...r.states]);
      expect(tf.memory().numTensors).toBe(before);
      // The kernels call backend kernels directly: also nothing left in the backend.
      expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
      tf.dispose([...inputs, c.mask!, c.Ry, ...c.Rs]);
    });
  });

  test('gradients of the weights alone (x and states not differentiated: dX is never formed) match, without leaks', () => {
    for (const v of VARIANTS) {
      const c = makeCase(v, true, 13);
      const before = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      tf.tidy(() => {
        const loss = (run: Runner) => (...p: tf.Tensor[]): tf.Scalar => {
          const r = run({ x: c.x, initialStates: c.states, mask: c.mask, reverse: true }, p);
          return tf.addN([tf.sum(tf.mul(r.y, c.Ry)), ...r.states.map((s, i) => tf.sum(tf.mul(s, c.Rs[i])))]) as tf.Scalar;
        };
        const got = tf.grads(loss(v.fused))(c.params);
        const want = tf.grads(loss(v.reference))(c.params);
        got.forEach((g, i) => expectClose(`${v.name} d param ${i}`, g, want[i], TOL, TOL));
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
      tf.dispose([c.x, ...c.params, ...c.states, c.mask!, c.Ry, ...c.Rs]);
    }
  });

  test('the mask receives a zero gradient', () => {
    tf.tidy(() => {
      const v = VARIANTS[2];
      const c = makeCase(v, true, 5);
      const g = tf.grad((m: tf.Tensor) => tf.sum(v.fused({ x: c.x, initialStates: c.states, mask: m as tf.Tensor2D, reverse: false }, c.params).y))(c.mask!);
      expect(Array.from(g.dataSync())).toEqual(new Array(B * T).fill(0));
    });
  });

  test('lengths of one and a batch of one', () => {
    tf.tidy(() => {
      for (const v of [VARIANTS[2], VARIANTS[4], VARIANTS[5], VARIANTS[8]]) {
        const x = rand([1, 1, D], 1) as tf.Tensor3D;
        const params = v.params.map((s, i) => rand(s, 2 + i));
        const states = v.states.map((s) => rand([1, s[1]], 9) as tf.Tensor2D);
        const inp = { x, initialStates: states, mask: null, reverse: false };
        const got = v.fused(inp, params);
        const want = v.reference(inp, params);
        expectClose(`${v.name} y`, got.y, want.y, TOL, TOL);
      }
    });
  });
});

// The path every backend other than cpu and wasm takes (tf ops through the engine instead of direct kernel calls).
describe('engine mode (the path for webgl, tensorflow, …) on cpu', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    setFusedEngineMode(true);
  });
  afterAll(() => setFusedEngineMode(false));

  describe.each(VARIANTS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    test.each(MODES)('%s matches the reference, no leaks', (_mode, masked, reverse) => {
      const c = makeCase(v, masked, 21);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const got = evaluate(v.fused, c, reverse);
        const want = evaluate(v.reference, c, reverse);
        expectClose('y', got.forward.y, want.forward.y, TOL, TOL);
        got.forward.states.forEach((s, i) => expectClose(`state ${i}`, s, want.forward.states[i], TOL, TOL));
        got.grads.forEach((g, i) => expectClose(`d input ${i}`, g, want.grads[i], TOL, TOL));
      });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([c.x, ...c.params, ...c.states, ...(c.mask ? [c.mask] : []), c.Ry, ...c.Rs]);
    });
  });
});

describe('finite differences (float32, cpu)', () => {
  beforeAll(async () => useBackend('cpu'));

  test.each([VARIANTS[2], VARIANTS[4], VARIANTS[5], VARIANTS[8]].map((v) => [v.name, v] as const))('%s, masked and reversed', (_name, v) => {
    tf.tidy(() => {
      const c = makeCase(v, true, 11);
      const { grads } = evaluate(v.fused, c, true);
      const inputs = [c.x, ...c.params, ...c.states];
      const eps = 1e-2;
      let s = 17;
      inputs.forEach((inp, k) => {
        const base = inp.dataSync().slice();
        const g = grads[k].dataSync();
        for (let trial = 0; trial < 3; trial++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const i = s % base.length;
          const lossAt = (delta: number): number => {
            const vals = base.slice();
            vals[i] += delta;
            const moved = inputs.map((t, j) => (j === k ? tf.tensor(vals, t.shape) : t));
            const r = v.fused({ x: moved[0] as tf.Tensor3D, initialStates: moved.slice(1 + c.params.length) as tf.Tensor2D[], mask: c.mask, reverse: true }, moved.slice(1, 1 + c.params.length));
            return tf.addN([tf.sum(tf.mul(r.y, c.Ry)), ...r.states.map((st, j) => tf.sum(tf.mul(st, c.Rs[j])))]).dataSync()[0];
          };
          const fd = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
          const rel = Math.abs(fd - g[i]) / Math.max(Math.abs(fd), Math.abs(g[i]), 1e-2);
          if (!(rel < 1e-2)) throw new Error(`input ${k}[${i}]: analytic ${g[i]} vs finite difference ${fd} (relative error ${rel})`);
        }
      });
    });
  });
});
