/**
 * The fused attention decoders (layers/fused/attention_decoder.ts) against the
 * step loop of tf ops differentiated by tfjs autodiff
 * (layers/fused/attention_decoder_reference.ts): outputs, attention weights,
 * final states and the gradients of loss = Σ y⊙Ry + Σ_k state_k⊙Rs_k w.r.t. the
 * embeddings, memory, keys, every weight, the initial states and the initial
 * feed, for input feeding and Bahdanau, GRU and LSTM, dot / general (scaled) /
 * additive scores, one and two layers, with a source padding mask, on cpu and
 * wasm (and the engine path of the kernel ops). Also: nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionDecoderSequence, AttentionDecoderInputs, AttentionDecoderKind, AttentionDecoderScore, AttentionDecoderWeights } from '../../layers/fused/attention_decoder';
import { attentionDecoderReference } from '../../layers/fused/attention_decoder_reference';
import { setFusedEngineMode } from '../../layers/fused/kernel_ops';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';
import { seededValues } from '../helpers/values';

const B = 3;
const T = 4;
const S = 5;
const E = 3;
const H = 4;
const M = 6; // memory size (≠ H: a bidirectional encoder)
const U = 5; // additive units
const TOL = 1e-5;

const values = seededValues;
const rand = (shape: number[], seed: number, scale?: number): tf.Tensor => tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed, scale), shape);

interface Case {
  kind: AttentionDecoderKind;
  cell: 'gru' | 'lstm';
  score: AttentionDecoderScore;
  layers: number;
  mask: boolean;
  feed: boolean;
}

/** Everything differentiable of a case, as a flat list, and a builder of the kernel's arguments from it. */
function setup(c: Case): { params: tf.Tensor[]; build: (p: tf.Tensor[]) => [AttentionDecoderInputs, AttentionDecoderWeights]; mask: tf.Tensor2D | null } {
  const G = c.cell === 'gru' ? 3 : 4;
  const nS = c.cell === 'gru' ? 1 : 2;
  const F = c.kind === 'input-feeding' ? H : M;
  const K = c.score === 'dot' ? M : c.score === 'general' ? H : U;
  // dot needs Dq = Dk: there the memory size is H.
  const Mx = c.score === 'dot' ? H : M;
  const Fx = c.kind === 'input-feeding' ? H : Mx;
  const Kx = c.score === 'dot' ? H : K;
  const shapes: number[][] = [[B, T, E], [B, S, Mx], c.score === 'additive' ? [B, S, Kx] : [B, Kx, S]];
  for (let l = 0; l < c.layers; l++) shapes.push([l === 0 ? E + Fx : H, G * H], [H, G * H], c.cell === 'gru' ? [2, G * H] : [G * H]);
  if (c.score === 'additive') shapes.push([H, U], [U, 1]);
  shapes.push([H + Mx, H]);
  for (let k = 0; k < c.layers * nS; k++) shapes.push([B, H]);
  if (c.feed) shapes.push([B, H]);
  void F;
  const params = shapes.map((s, i) => rand(s, 11 + 7 * i, i < 3 ? 0.9 : 0.5));
  const mask = c.mask ? (tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]) as tf.Tensor2D) : null;
  const build = (p: tf.Tensor[]): [AttentionDecoderInputs, AttentionDecoderWeights] => {
    let i = 3;
    const layers = [];
    for (let l = 0; l < c.layers; l++) layers.push({ kernel: p[i++] as tf.Tensor2D, recurrentKernel: p[i++] as tf.Tensor2D, bias: p[i++] });
    const queryKernel = c.score === 'additive' ? (p[i++] as tf.Tensor2D) : null;
    const scoreVector = c.score === 'additive' ? (p[i++] as tf.Tensor2D) : null;
    const combine = p[i++] as tf.Tensor2D;
    const initialStates = p.slice(i, i + c.layers * nS) as tf.Tensor2D[];
    i += c.layers * nS;
    const feed = c.feed ? (p[i] as tf.Tensor2D) : null;
    return [
      { kind: c.kind, x: p[0] as tf.Tensor3D, memory: p[1] as tf.Tensor3D, keys: p[2] as tf.Tensor3D, sourceMask: mask, initialStates, feed },
      { cell: c.cell, layers, score: c.score, scale: c.score !== 'additive', queryKernel, scoreVector, combine },
    ];
  };
  return { params, build, mask };
}

function compare(c: Case): void {
  const { params, build, mask } = setup(c);
  const nS = c.cell === 'gru' ? 1 : 2;
  const Ry = rand([B, T, H], 5, 1);
  const Rs = Array.from({ length: c.layers * nS }, (_, k) => rand([B, H], 100 + k, 1));
  const lossOf = (fn: typeof attentionDecoderSequence) => (...p: tf.Tensor[]): tf.Scalar => {
    const [inp, w] = build(p);
    const r = fn(inp, w);
    return tf.addN([tf.sum(tf.mul(r.y, Ry)), ...r.states.map((s, k) => tf.sum(tf.mul(s, Rs[k])))]) as tf.Scalar;
  };
  const [inp, w] = build(params);
  const fused = attentionDecoderSequence(inp, w);
  const ref = attentionDecoderReference(inp, w);
  expectClose('y', fused.y, ref.y, TOL, TOL);
  expectClose('weights', fused.weights, ref.weights, TOL, TOL);
  fused.states.forEach((s, k) => expectClose(`state ${k}`, s, ref.states[k], TOL, TOL));
  if (mask) {
    const wv = fused.weights.arraySync() as number[][][];
    expect(wv[2][1][3]).toBe(0); // a padded source position gets exactly zero weight
  }
  const gF = tf.grads(lossOf(attentionDecoderSequence))(params);
  const gR = tf.grads(lossOf(attentionDecoderReference))(params);
  gF.forEach((g, i) => expectClose(`gradient ${i} [${params[i].shape.join(', ')}]`, g, gR[i], TOL, TOL));
  tf.dispose([...params, ...gF, ...gR, fused.y, fused.weights, ...fused.states, ref.y, ref.weights, ...ref.states, Ry, ...Rs, ...(mask ? [mask] : [])]);
}

const CASES: Case[] = [
  { kind: 'input-feeding', cell: 'gru', score: 'general', layers: 1, mask: true, feed: false },
  { kind: 'input-feeding', cell: 'lstm', score: 'general', layers: 2, mask: true, feed: true },
  { kind: 'input-feeding', cell: 'gru', score: 'dot', layers: 1, mask: false, feed: true },
  { kind: 'input-feeding', cell: 'gru', score: 'additive', layers: 2, mask: true, feed: false },
  { kind: 'bahdanau', cell: 'gru', score: 'additive', layers: 1, mask: true, feed: false },
  { kind: 'bahdanau', cell: 'lstm', score: 'additive', layers: 2, mask: true, feed: false },
  { kind: 'bahdanau', cell: 'gru', score: 'general', layers: 2, mask: false, feed: false },
  { kind: 'bahdanau', cell: 'lstm', score: 'dot', layers: 1, mask: true, feed: false },
];
const name = (c: Case): string => `${c.kind} ${c.cell} ${c.score} ${c.layers} layer(s)${c.mask ? ', masked source' : ''}${c.feed ? ', initial feed' : ''}`;

describe.each(TEST_BACKENDS)('fused attention decoder = step loop (%s)', (backend) => {
  beforeAll(() => useBackend(backend));
  test.each(CASES.map((c) => [name(c), c] as const))('%s: values and gradients', (_n, c) => compare(c));

  test('engine path of the kernel ops (as on webgl / tensorflow)', () => {
    setFusedEngineMode(true);
    try {
      compare(CASES[1]);
      compare(CASES[5]);
    } finally {
      setFusedEngineMode(false);
    }
  });

  test('no tensors leak (forward with and without gradients)', () => {
    const { params, build, mask } = setup(CASES[5]);
    const before = tf.memory().numTensors;
    const [inp, w] = build(params);
    tf.tidy(() => {
      attentionDecoderSequence(inp, w);
    });
    const g = tf.grads((...p: tf.Tensor[]) => {
      const [i2, w2] = build(p);
      return tf.sum(attentionDecoderSequence(i2, w2).y) as tf.Scalar;
    })(params);
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...params, ...(mask ? [mask] : [])]);
  });
});

/**
 * Against PyTorch: test/fixtures/attention_decoder_torch.json, written by
 * test/fixtures/attention_decoder_torch.py (torch's GRU / LSTM cell kernels, float64,
 * autograd gradients of loss = Σ y⊙Ry + Σ_k state_k⊙Rs_k).
 */
describe.each(TEST_BACKENDS)('fused attention decoder = PyTorch (%s)', (backend) => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fixture = require('../fixtures/attention_decoder_torch.json') as {
    cases: { name: string; kind: AttentionDecoderKind; cell: 'gru' | 'lstm'; score: AttentionDecoderScore; layers: number; mask: number[][]; inputs: number[][]; y: number[]; weights: number[]; states: number[][]; Ry: number[]; Rs: number[][]; grads: number[][] }[];
  };
  beforeAll(() => useBackend(backend));
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const nS = c.cell === 'gru' ? 1 : 2;
    const params = c.inputs.map((v) => tf.tensor(v));
    const mask = tf.tensor2d(c.mask);
    const build = (p: tf.Tensor[]): [AttentionDecoderInputs, AttentionDecoderWeights] => {
      let i = 3;
      const layers = [];
      for (let l = 0; l < c.layers; l++) layers.push({ kernel: p[i++] as tf.Tensor2D, recurrentKernel: p[i++] as tf.Tensor2D, bias: p[i++] });
      const queryKernel = c.score === 'additive' ? (p[i++] as tf.Tensor2D) : null;
      const scoreVector = c.score === 'additive' ? (p[i++] as tf.Tensor2D) : null;
      const combine = p[i++] as tf.Tensor2D;
      return [
        { kind: c.kind, x: p[0] as tf.Tensor3D, memory: p[1] as tf.Tensor3D, keys: p[2] as tf.Tensor3D, sourceMask: mask, initialStates: p.slice(i, i + c.layers * nS) as tf.Tensor2D[], feed: null },
        { cell: c.cell, layers, score: c.score, scale: c.score !== 'additive', queryKernel, scoreVector, combine },
      ];
    };
    const [inp, w] = build(params);
    const r = attentionDecoderSequence(inp, w);
    expectClose('y', r.y, c.y, 1e-5, 1e-4);
    expectClose('weights', r.weights, c.weights, 1e-5, 1e-4);
    r.states.forEach((s, k) => expectClose(`state ${k}`, s, c.states[k], 1e-5, 1e-4));
    const Ry = tf.tensor(c.Ry);
    const Rs = c.Rs.map((v) => tf.tensor(v));
    const g = tf.grads((...p: tf.Tensor[]) => {
      const [i2, w2] = build(p);
      const o = attentionDecoderSequence(i2, w2);
      return tf.addN([tf.sum(tf.mul(o.y, Ry)), ...o.states.map((s, k) => tf.sum(tf.mul(s, Rs[k])))]) as tf.Scalar;
    })(params);
    g.forEach((gi, i) => expectClose(`gradient ${i} [${params[i].shape.join(', ')}]`, gi, c.grads[i], 1e-5, 1e-4));
    tf.dispose([...params, mask, r.y, r.weights, ...r.states, Ry, ...Rs, ...g]);
  });
});
