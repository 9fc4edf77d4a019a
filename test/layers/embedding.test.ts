/**
 * The project's embedding trains on wasm (tf.gather's gradient needs
 * UnsortedSegmentSum, which wasm lacks) and its gradient equals tf.gather's on cpu.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { embedding, embeddingLookup, lstm } from '../../layers';
import { loadModel, saveModel } from '../../src/io/fs_handler';
import { expectClose, useBackend } from '../helpers/backends';

const ids = [[1, 2, 2, 0], [3, 1, 0, 0]]; // duplicates and padding

test('on wasm, this embedding and tf.gather (through rnnkit\'s UnsortedSegmentSum, layers/kernels) have the same gradient', async () => {
  await useBackend('wasm');
  expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  const w = tf.variable(tf.randomNormal([5, 3]));
  const idx = tf.tensor2d(ids, undefined, 'int32');
  const { grads } = tf.variableGrads(() => tf.sum(embeddingLookup(w, idx)) as tf.Scalar, [w]);
  const viaGather = tf.variableGrads(() => tf.sum(tf.gather(w, idx)) as tf.Scalar, [w]).grads;
  // d sum / d W[v] = number of times v occurs, in every column
  expect(Array.from(grads[w.name].dataSync())).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0]);
  expect(Array.from(viaGather[w.name].dataSync())).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0]);
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

test('wasm: scatterND sums duplicate indices (the backward pass relies on it); no leaked tensors', async () => {
  await useBackend('wasm');
  expect(tf.getKernel('ScatterNd', 'wasm')).toBeDefined();
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const summed = tf.scatterND(tf.tensor2d([[1], [1], [3], [1]], undefined, 'int32'), tf.tensor2d([[1, 2], [10, 20], [5, 5], [100, 200]]), [4, 2]);
    expect(Array.from(summed.dataSync())).toEqual([0, 0, 111, 222, 0, 0, 5, 5]);
  });
  const init = tf.ones([5, 3]);
  const w = tf.variable(init);
  const idx = tf.tensor2d(ids, undefined, 'int32');
  const { value, grads } = tf.variableGrads(() => tf.sum(embeddingLookup(w, idx)) as tf.Scalar, [w]);
  tf.dispose([value, grads, w, idx, init]);
  expect(tf.memory().numTensors).toBe(before);
});

test('embeddingsInitializer: named (seeded) or a tfjs initializer object; unknown names are errors', async () => {
  await useBackend('cpu');
  const values = (e: ReturnType<typeof embedding>): Float32Array => {
    e.build([null]);
    return e.getWeights()[0].dataSync() as Float32Array;
  };
  const u = values(embedding({ inputDim: 50, outputDim: 8, seed: 3 }));
  expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(0.05);
  expect(values(embedding({ inputDim: 50, outputDim: 8, seed: 3 }))).toEqual(u); // seeded
  const n = values(embedding({ inputDim: 50, outputDim: 8, seed: 3, embeddingsInitializer: 'normal', initScale: 1 }));
  const std = Math.sqrt(n.reduce((a, v) => a + v * v, 0) / n.length);
  expect(std).toBeGreaterThan(0.8);
  expect(std).toBeLessThan(1.2);
  expect(Array.from(values(embedding({ inputDim: 4, outputDim: 2, embeddingsInitializer: 'zeros' })))).toEqual(new Array(8).fill(0));
  const c = embedding({ inputDim: 4, outputDim: 2, embeddingsInitializer: tf.initializers.constant({ value: 0.5 }) });
  expect(Array.from(values(c))).toEqual(new Array(8).fill(0.5));
  expect(c.getConfig().embeddingsInitializer).toBe('custom');
  expect(() => embedding({ inputDim: 4, outputDim: 2, embeddingsInitializer: 'he' as never, name: 'e' })).toThrow(/e: unknown embeddingsInitializer 'he'/);
});

test('a model with the embedding saves to a directory and loads back with the same outputs and mask', async () => {
  await useBackend('wasm');
  const ids2 = tf.input({ shape: [null], dtype: 'int32' });
  const h = lstm({ units: 3, seed: 4 }).apply(embedding({ inputDim: 7, outputDim: 4, maskZero: true, seed: 5, name: 'emb' }).apply(ids2)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: ids2, outputs: h });
  const x = tf.tensor2d([[1, 2, 0, 0], [3, 4, 5, 6]], undefined, 'int32');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-emb-'));
  await saveModel(model, dir);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(JSON.stringify(json.modelTopology)).toContain('rnnkit.Embedding');
  const loaded = await loadModel(dir);
  expectClose('outputs', loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6, 1e-6);
  // masked steps carry the state: padding after the real tokens changes nothing
  const short = tf.tensor2d([[1, 2]], undefined, 'int32');
  expectClose('masked', (loaded.predict(x) as tf.Tensor).slice([0, 0], [1, 3]), loaded.predict(short) as tf.Tensor, 1e-6, 1e-6);
  expect((loaded.getLayer('emb') as unknown as { maskZero: boolean }).maskZero).toBe(true);
});
