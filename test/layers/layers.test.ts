/**
 * Layer behaviour: configuration and save/load round trips, the single-step API,
 * masking, initial states in functional models, initializers, leaks, and the
 * error messages a user sees for bad configurations and shapes.
 */
import * as tf from '@tensorflow/tfjs';
import { bidirectional, Bidirectional, gru, GRU, lstm, LSTM, orthogonalValues, RecurrentLayer, simpleRnn, SimpleRNN, stacked } from '../../layers';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

/** Saves a model to memory and loads it back through tf.loadLayersModel. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

describe.each(TEST_BACKENDS)('layers on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  test('config round trip for every layer kind', () => {
    const layers: RecurrentLayer[] = [
      lstm({ units: 4, projSize: 2, returnSequences: true, seed: 1, name: 'a' }),
      gru({ units: 4, resetAfter: false, returnState: true, seed: 2, name: 'b' }),
      simpleRnn({ units: 3, activation: 'relu', reverse: true, seed: 3, name: 'c' }),
      stacked({ cell: 'gru', units: 3, numLayers: 3, bidirectional: true, dropout: 0.25, mergeMode: 'ave', seed: 4, name: 'd' }),
      bidirectional({ layer: lstm({ units: 5, numLayers: 2, seed: 5 }), mergeMode: 'mul', name: 'e' }),
    ];
    for (const layer of layers) {
      const cls = layer.constructor as typeof RecurrentLayer;
      const config = layer.getConfig();
      const copy = (cls as unknown as { fromConfig: (c: unknown, cfg: unknown) => RecurrentLayer }).fromConfig(cls, JSON.parse(JSON.stringify(config)));
      expect(copy).toBeInstanceOf(cls);
      expect(copy.getConfig()).toEqual(config);
      expect(copy.args).toEqual(layer.args);
    }
  });

  test('model.save → tf.loadLayersModel round trip of every kind, including a stacked bidirectional projected LSTM', async () => {
    const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1);
    const makers = [
      () => lstm({ units: 4, inputShape: [null, 3], returnSequences: true }),
      () => gru({ units: 4, inputShape: [null, 3] }),
      () => gru({ units: 4, resetAfter: false, inputShape: [null, 3] }),
      () => simpleRnn({ units: 4, inputShape: [null, 3], activation: 'relu' }),
      () => bidirectional({ layer: lstm({ units: 4, returnSequences: true }), inputShape: [null, 3], mergeMode: 'sum' }),
      () => stacked({ cell: 'lstm', units: 4, projSize: 2, numLayers: 2, bidirectional: true, returnSequences: true, inputShape: [null, 3] }),
    ];
    for (const make of makers) {
      const model = tf.sequential({ layers: [make(), tf.layers.dense({ units: 2 })] });
      const loaded = await roundTrip(model);
      expect(loaded.layers[0].constructor).toBe(model.layers[0].constructor);
      const a = model.predict(x) as tf.Tensor;
      const b = loaded.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(loaded.layers[0].weights.map((w) => w.originalName)).toEqual(model.layers[0].weights.map((w) => w.originalName));
    }
  });

  test('weight names follow the PyTorch-like scheme', () => {
    const one = lstm({ units: 3, name: 'solo' });
    tf.dispose(one.apply(tf.zeros([1, 1, 2])) as tf.Tensor);
    expect(one.weights.map((w) => w.originalName)).toEqual(['solo/kernel', 'solo/recurrent_kernel', 'solo/bias']);
    const many = stacked({ cell: 'lstm', units: 3, numLayers: 2, bidirectional: true, projSize: 2, name: 'deep' });
    tf.dispose(many.apply(tf.zeros([1, 1, 2])) as tf.Tensor[]);
    expect(many.weights.map((w) => w.originalName.replace('deep/', ''))).toEqual([
      'kernel_l0', 'recurrent_kernel_l0', 'bias_l0', 'proj_kernel_l0',
      'kernel_l0_reverse', 'recurrent_kernel_l0_reverse', 'bias_l0_reverse', 'proj_kernel_l0_reverse',
      'kernel_l1', 'recurrent_kernel_l1', 'bias_l1', 'proj_kernel_l1',
      'kernel_l1_reverse', 'recurrent_kernel_l1_reverse', 'bias_l1_reverse', 'proj_kernel_l1_reverse',
    ]);
    expect(many.getWeights()[0].shape).toEqual([2, 12]);
    expect(many.getWeights()[8].shape).toEqual([4, 12]); // layer 1 reads both directions' projected outputs
  });

  test('step() in a loop reproduces the whole-sequence outputs and states (stacked, both paths)', () => {
    for (const implementation of ['fused', 'autodiff'] as const) {
      const layer = stacked({ cell: 'lstm', units: 4, numLayers: 2, returnSequences: true, returnState: true, implementation, seed: 3 });
      const x = tf.randomNormal([2, 6, 3], 0, 1, 'float32', 4);
      const [y, ...finals] = layer.apply(x) as tf.Tensor[];
      let states = layer.zeroStates(2);
      const steps: tf.Tensor[] = [];
      for (let t = 0; t < 6; t++) {
        const xt = x.slice([0, t, 0], [2, 1, 3]).reshape([2, 3]) as tf.Tensor2D;
        const r = layer.step(xt, states);
        steps.push(r.output);
        states = r.states;
      }
      expectClose('stepped outputs', tf.stack(steps, 1), y, 1e-5, 1e-5);
      finals.forEach((f, i) => expectClose(`state ${i}`, states[i], f, 1e-5, 1e-5));
    }
  });

  test('masks from an embedding (maskZero) equal explicit lengths; masked steps carry state and emit zeros', () => {
    const ids = tf.tensor2d([[3, 4, 5, 0, 0], [6, 7, 8, 9, 2]], undefined, 'int32');
    const emb = tf.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const rnn = bidirectional({ layer: gru({ units: 4, returnSequences: true, returnState: true }) });
    const input = tf.input({ shape: [5], dtype: 'int32' });
    const outs = rnn.apply(emb.apply(input)) as tf.SymbolicTensor[];
    const model = tf.model({ inputs: input, outputs: outs });
    const [y, hf, hb] = model.predict(ids) as tf.Tensor[];
    const [y2, hf2, hb2] = rnn.apply(emb.apply(ids) as tf.Tensor, { lengths: [3, 5] }) as tf.Tensor[];
    expectClose('y', y, y2, 1e-6, 1e-6);
    expectClose('h forward', hf, hf2, 1e-6, 1e-6);
    expectClose('h backward', hb, hb2, 1e-6, 1e-6);
    expect(Array.from(y.slice([0, 3, 0], [1, 2, 8]).dataSync()).every((v) => v === 0)).toBe(true);
    // The backward direction starts at the last real token: its output at t=2 equals
    // a fresh run over the single real step 2.
    const only = rnn.apply(emb.apply(ids.slice([0, 2], [1, 1])) as tf.Tensor) as tf.Tensor[];
    expectClose('backward starts at the last real token', y.slice([0, 2, 4], [1, 1, 4]), only[0].slice([0, 0, 4], [1, 1, 4]), 1e-6, 1e-6);
  });

  test('initial states as extra inputs of a functional model', () => {
    const x = tf.input({ shape: [4, 3] });
    const h0 = tf.input({ shape: [5] });
    const c0 = tf.input({ shape: [5] });
    const layer = lstm({ units: 5 });
    const model = tf.model({ inputs: [x, h0, c0], outputs: layer.apply([x, h0, c0]) as tf.SymbolicTensor });
    const xv = tf.randomNormal([2, 4, 3]);
    const hv = tf.randomNormal([2, 5]);
    const cv = tf.randomNormal([2, 5]);
    const a = model.predict([xv, hv, cv]) as tf.Tensor;
    const b = layer.apply(xv, { initialState: [hv, cv] }) as tf.Tensor;
    const zero = layer.apply(xv) as tf.Tensor;
    expectClose('functional initial state', a, b, 1e-6, 1e-6);
    expect(tf.max(tf.abs(tf.sub(a, zero))).dataSync()[0]).toBeGreaterThan(1e-3);
  });

  test('trains inside tf.sequential with model.fit', async () => {
    const model = tf.sequential({ layers: [gru({ units: 8, inputShape: [6, 2] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = tf.randomNormal([32, 6, 2], 0, 1, 'float32', 2);
    const y = tf.sum(x, [1, 2]).reshape([32, 1]); // the sum needs the whole sequence
    const h = await model.fit(x, y, { epochs: 30, batchSize: 32, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
  });

  const leakCases: [string, () => RecurrentLayer][] = [
    ['2-layer bidirectional projected lstm', () => stacked({ cell: 'lstm', units: 4, numLayers: 2, bidirectional: true, projSize: 2, dropout: 0.3 })],
    ['gru resetAfter', () => stacked({ cell: 'gru', units: 4, bidirectional: true })],
    ['gru resetBefore', () => stacked({ cell: 'gru', units: 4, resetAfter: false, numLayers: 2 })],
    ['rnn relu', () => stacked({ cell: 'rnn', units: 4, activation: 'relu', reverse: true })],
  ];
  describe.each(['fused', 'autodiff'] as const)('no tensor leaks across forward + backward (%s)', (implementation) => {
    test.each(leakCases)('%s', (_name, make) => {
      const layer = make();
      (layer.args as { implementation: string }).implementation = implementation;
      const x = tf.randomNormal([2, 5, 3]);
      tf.dispose(layer.apply(x) as tf.Tensor); // build
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const run = (): void => {
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { lengths: [5, 2], training: true }) as tf.Tensor) as tf.Scalar, vars);
        tf.dispose([value, ...Object.values(grads)]);
        tf.dispose(layer.apply(x) as tf.Tensor); // inference (no tape) too
      };
      run(); // first call may allocate backend-side constants
      const before = tf.memory().numTensors;
      run();
      run();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, ...vars]);
    });
  });
});

describe('initializers', () => {
  test('orthogonal: seeded, orthonormal rows or columns, fast on large matrices', () => {
    for (const [r, c] of [[5, 20], [20, 5], [7, 7]]) {
      const w = tf.tensor2d(orthogonalValues(r, c, 1), [r, c]);
      const gram = r <= c ? tf.matMul(w, w, false, true) : tf.matMul(w, w, true, false);
      expectClose(`gram ${r}x${c}`, gram, tf.eye(Math.min(r, c)), 1e-5, 0);
    }
    expect(Array.from(orthogonalValues(4, 8, 42))).toEqual(Array.from(orthogonalValues(4, 8, 42)));
    expect(Array.from(orthogonalValues(4, 8, 42))).not.toEqual(Array.from(orthogonalValues(4, 8, 43)));
    const start = Date.now();
    orthogonalValues(256, 1024, 3);
    expect(Date.now() - start).toBeLessThan(3000); // tfjs' QR-based orthogonal takes many seconds here
  });

  test('LSTM forget-gate bias starts at 1; same seed → same weights', () => {
    const a = lstm({ units: 3, seed: 9 });
    const b = lstm({ units: 3, seed: 9 });
    a.build([null, null, 2]);
    b.build([null, null, 2]);
    expect(Array.from(a.getWeights()[2].dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    a.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b.getWeights()[i].dataSync())));
  });
});

describe('errors name the layer and what was expected', () => {
  beforeAll(async () => useBackend('cpu'));

  test('input of the wrong rank or width', () => {
    const layer = lstm({ units: 4, name: 'lstm_1' });
    layer.apply(tf.zeros([2, 3, 32]));
    expect(() => layer.apply(tf.zeros([8, 32]))).toThrow('lstm_1: expected input [batch, time, 32], got [8, 32]');
    expect(() => layer.apply(tf.zeros([8, 3, 16]))).toThrow('lstm_1: expected input [batch, time, 32], got [8, 3, 16]');
    const fresh = gru({ units: 4, name: 'gru_x' });
    expect(() => fresh.apply(tf.zeros([8, 32]))).toThrow('gru_x: expected input [batch, time, features], got [8, 32]');
  });

  test('bad states, lengths and masks', () => {
    const layer = lstm({ units: 4, name: 'enc' });
    const x = tf.zeros([2, 3, 5]);
    layer.apply(x);
    expect(() => layer.apply(x, { initialState: [tf.zeros([2, 4])] })).toThrow('enc: expected 2 initial state tensors ([batch, 4], [batch, 4]), got 1');
    expect(() => layer.apply(x, { initialState: [tf.zeros([2, 4]), tf.zeros([3, 4])] })).toThrow('enc: initial state 1 must be [2, 4], got [3, 4]');
    expect(() => layer.apply(x, { lengths: [3] })).toThrow('enc: lengths must have one entry per batch row (2)');
    expect(() => layer.apply(x, { mask: tf.ones([2, 4]) })).toThrow('enc: mask must be [2, 3], got [2, 4]');
    expect(() => layer.step(tf.zeros([2, 6]) as tf.Tensor2D, layer.zeroStates(2))).toThrow('enc: expected input [batch, 5], got [2, 6]');
  });

  test('bad configurations', () => {
    expect(() => lstm({ units: 0, name: 'l' })).toThrow('l: units must be a positive integer, got 0');
    expect(() => lstm({ units: 4, projSize: 4, name: 'p' })).toThrow('p: projSize must be an integer in [0, units)');
    expect(() => gru({ units: 4, dropout: 1.5, name: 'g' })).toThrow('g: dropout must be in [0, 1), got 1.5');
    expect(() => stacked({ cell: 'lstm', units: 4, numLayers: 0, name: 's' })).toThrow('s: numLayers must be an integer >= 1, got 0');
    expect(() => stacked({ cell: 'transformer' as 'lstm', units: 4, name: 't' })).toThrow("t: cell must be 'lstm', 'gru' or 'rnn', got 'transformer'");
    expect(() => simpleRnn({ units: 4, activation: 'sigmoid' as 'tanh', name: 'r' })).toThrow("r: activation must be 'tanh' or 'relu', got 'sigmoid'");
    expect(() => stacked({ cell: 'gru', units: 4, projSize: 2, name: 'q' })).toThrow('q: projSize is only supported by LSTM cells');
    expect(() => bidirectional({ layer: lstm({ units: 4, bidirectional: true }) })).toThrow('is already bidirectional');
    expect(() => bidirectional({ layer: tf.layers.lstm({ units: 4 }) as unknown as RecurrentLayer })).toThrow("bidirectional: 'layer' must be a recurrent layer of this package");
    expect(() => stacked({ cell: 'lstm', units: 4, bidirectional: true, mergeMode: 'max' as 'sum', name: 'm' })).toThrow('m: mergeMode must be one of concat, sum, ave, mul, none');
  });
});

test('classes are registered for deserialization under package-qualified names', () => {
  for (const cls of [LSTM, GRU, SimpleRNN, Bidirectional, RecurrentLayer]) {
    expect(cls.className.startsWith('rnnkit.')).toBe(true);
    expect(tf.serialization.SerializationMap.getMap().classNameMap[cls.className]).toBeDefined();
  }
});
