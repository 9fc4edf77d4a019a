/**
 * The translate task's fast paths against plain tfjs: the output layer with its
 * wasm-friendly gradients (model.ts wideDense), the row log-softmax of decoding
 * (decode.ts logSoftmaxRows), and training through the fused attention decoder:
 * the gradients of the batch loss equal those of the step loop of tf ops (the
 * model's reference path), for input feeding and Bahdanau.
 */
import * as tf from '@tensorflow/tfjs';
import { buildSeq2Seq, Seq2Seq, wideDense } from '../../../tasks/translate/model';
import { logSoftmaxRows } from '../../../tasks/translate/decode';
import { sequenceLoss } from '../../../tasks/translate/loss';
import { expectClose, useBackend } from '../../helpers/backends';

beforeAll(() => useBackend('wasm'));

test('wideDense = x·W + b in value and gradients', () => {
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
  const W = tf.randomNormal([5, 11], 0, 1, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([11], 0, 1, 'float32', 3) as tf.Tensor1D;
  const R = tf.randomNormal([7, 11], 0, 1, 'float32', 4);
  const f = (fn: (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(fn(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), R));
  expectClose('value', wideDense(x, W, b), tf.add(tf.matMul(x, W), b), 1e-5, 1e-5);
  const g1 = tf.grads(f(wideDense))([x, W, b]);
  const g2 = tf.grads(f((a, w, c) => tf.add(tf.matMul(a, w), c)))([x, W, b]);
  g1.forEach((g, i) => expectClose(`gradient ${i}`, g, g2[i], 1e-5, 1e-5));
});

test('logSoftmaxRows = tf.logSoftmax', () => {
  const x = tf.mul(tf.randomNormal([6, 50], 0, 1, 'float32', 5), 8) as tf.Tensor2D;
  expectClose('log-softmax', logSoftmaxRows(x), tf.logSoftmax(x), 1e-5, 1e-5);
});

test.each(['input-feeding', 'bahdanau'] as const)('%s: loss gradients through the fused decoder = the step loop of tf ops', (decoder) => {
  const cfg = { cell: 'lstm' as const, hidden: 8, encoderLayers: 1, decoderLayers: 2, embeddingDim: 6, decoder, score: decoder === 'bahdanau' ? ('additive' as const) : ('general' as const), dropout: 0, seed: 5 };
  const m = buildSeq2Seq(cfg, 14, 12);
  expect(m.fusedDecoder).toBe(true);
  const src = tf.tensor2d([[4, 5, 6, 7], [8, 9, 0, 0]], undefined, 'int32');
  const tgtIn = tf.tensor2d([[2, 4, 5, 6], [2, 7, 8, 9]], undefined, 'int32');
  const tgtOut = [[4, 5, 6, 3], [7, 8, 3, 0]];
  const vars = m.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const lossWith = (loop: boolean) => (): tf.Scalar => {
    const enc = m.encode(src, [4, 2], true);
    const forwardLoop = (m as unknown as { forwardLoop: Seq2Seq['forward'] }).forwardLoop.bind(m);
    const { logits } = loop ? (forwardLoop as unknown as (e: unknown, t: tf.Tensor2D, tr: boolean, r: number) => { logits: tf.Tensor3D })(enc, tgtIn, true, 1) : m.forward(enc, tgtIn, [4, 4], true, 1);
    return sequenceLoss(logits, tgtOut, 0.1).loss;
  };
  const a = tf.variableGrads(lossWith(false), vars);
  const b = tf.variableGrads(lossWith(true), vars);
  expectClose('loss', a.value, b.value, 1e-5, 1e-5);
  const names = Object.keys(b.grads);
  expect(names.length).toBeGreaterThan(10);
  for (const k of names) expectClose(`gradient of ${k}`, a.grads[k], b.grads[k], 1e-5, 1e-4);
  m.dispose();
});
