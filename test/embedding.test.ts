/**
 * The project's embedding trains on wasm (tf.gather's gradient needs
 * UnsortedSegmentSum, which wasm lacks) and its gradient equals tf.gather's on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { embedding, embeddingLookup, lstm } from '../layers';
import { expectClose, useBackend } from './helpers/backends';

const ids = [[1, 2, 2, 0], [3, 1, 0, 0]]; // duplicates and padding

test('on wasm, tf.gather cannot be differentiated but this embedding can', async () => {
  await useBackend('wasm');
  expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
  const w = tf.variable(tf.randomNormal([5, 3]));
  const idx = tf.tensor2d(ids, undefined, 'int32');
  expect(() => tf.variableGrads(() => tf.sum(tf.gather(w, idx)) as tf.Scalar, [w])).toThrow();
  const { grads } = tf.variableGrads(() => tf.sum(embeddingLookup(w, idx)) as tf.Scalar, [w]);
  // d sum / d W[v] = number of times v occurs, in every column
  expect(Array.from(grads[w.name].dataSync())).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0]);
});

test('gradient equals tf.gather\'s gradient on cpu for a weighted loss', async () => {
  await useBackend('cpu');
  const w = tf.variable(tf.randomNormal([6, 4], 0, 1, 'float32', 1));
  const idx = tf.tensor2d(ids, undefined, 'int32');
  const R = tf.randomNormal([2, 4, 4], 0, 1, 'float32', 2);
  const ours = tf.variableGrads(() => tf.sum(tf.mul(embeddingLookup(w, idx), R)) as tf.Scalar, [w]).grads[w.name];
  const ref = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(w, idx), R)) as tf.Scalar, [w]).grads[w.name];
  expectClose('dW', ours, ref, 1e-6, 1e-6);
});

test('embedding(maskZero) → lstm trains with model.fit on wasm; config round trips', async () => {
  await useBackend('wasm');
  const model = tf.sequential({
    layers: [embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [4], seed: 1 }), lstm({ units: 6, seed: 2 }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
  // label: does token 7 occur?
  const xs = tf.tensor2d([[7, 1, 0, 0], [2, 3, 0, 0], [1, 7, 2, 0], [4, 5, 6, 0], [3, 3, 7, 0], [1, 2, 3, 4]], undefined, 'int32');
  const ys = tf.tensor2d([[1], [0], [1], [0], [1], [0]]);
  const h = await model.fit(xs, ys, { epochs: 40, verbose: 0 });
  const loss = h.history.loss as number[];
  expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.5);
  const layer = model.layers[0];
  const copy = (layer.constructor as unknown as { fromConfig: (c: unknown, cfg: unknown) => tf.layers.Layer }).fromConfig(layer.constructor, layer.getConfig());
  expect(copy.getConfig()).toEqual(layer.getConfig());
});

test('bad sizes name the layer', () => {
  expect(() => embedding({ inputDim: 0, outputDim: 3, name: 'emb' })).toThrow('emb: inputDim must be a positive integer, got 0');
});
