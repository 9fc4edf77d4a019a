/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * ONNX export round trips. Every ../shared/fixtures/torch layer configuration that
 * ONNX can express (all but proj_size) is built with PyTorch's weights, exported with
 * its lengths and initial states as inputs, and run in onnxruntime-node: y, h_n and
 * c_n equal the tfjs path's within 1e-5 (and PyTorch's within 1e-4). The same file
 * imported back through importOnnx gives the same numbers. Models built from the
 * layers (embedding with padding, stacked / bidirectional, pooling, dense, softmax,
 * initial states as inputs) round-trip the same way. Projected LSTMs (proj_size, no
 * ONNX node) are exported as a Scan of standard ops and match too.
 *
 * onnxruntime-node is a devDependency; when it is absent the onnxruntime checks
 * skip, saying how to install it (ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node).
 */
import * as tf from '@tensorflow/tfjs';
import { embedding, fromTorchStates, gru, lstm, maskedPooling, RecurrentLayer, seededDropout, simpleRnn, stacked, toTorchStates } from '../../layers';
import { exportModel, exportRecurrentLayer, importOnnx, onnxRuntimeAvailable, runOnnx, ONNXRUNTIME_INSTALL } from '../../src/onnx';
import { layerForFixture, readTorchFixture, TorchFixture, torchFixtureFiles } from '../helpers/torch_fixtures';
import { expectClose, useBackend } from '../helpers/backends';

const HAVE_ORT = onnxRuntimeAvailable();
if (!HAVE_ORT) console.warn(`onnxruntime-node is not installed: the onnxruntime round trips skip (install: ${ONNXRUNTIME_INSTALL})`);
const ortTest = HAVE_ORT ? test : test.skip;



/** The tfjs path's y, h_n, c_n for a fixture's inputs. */
function tfjsOutputs(layer: RecurrentLayer, fx: TorchFixture): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const x = tf.tensor3d(fx.input.x);
    const init = fx.input.h0 ? fromTorchStates(layer, tf.tensor3d(fx.input.h0), fx.input.c0 ? tf.tensor3d(fx.input.c0) : undefined) : undefined;
    const [y, ...states] = layer.apply(x, { lengths: fx.input.lengths ?? undefined, initialState: init }) as tf.Tensor[];
    const { h, c } = toTorchStates(layer, states);
    const out: Record<string, tf.Tensor> = { y, h_n: h };
    if (c) out.c_n = c;
    return out;
  });
}

function feedsFor(fx: TorchFixture): Record<string, tf.Tensor> {
  const feeds: Record<string, tf.Tensor> = { x: tf.tensor3d(fx.input.x) };
  if (fx.input.lengths) feeds.lengths = tf.tensor1d(fx.input.lengths, 'int32');
  if (fx.input.h0) feeds.h0 = tf.tensor3d(fx.input.h0);
  if (fx.input.c0) feeds.c0 = tf.tensor3d(fx.input.c0);
  return feeds;
}

/** The configurations the standard LSTM / GRU / RNN nodes express (projected LSTMs become a Scan, which importOnnx does not read). */
const expressible = torchFixtureFiles.filter((f) => !f.includes('proj'));

describe('torch fixtures exported to ONNX', () => {
  beforeAll(() => useBackend('wasm'));

  test('the fixtures are present (15 expressible, 2 with proj_size)', () => {
    expect(expressible).toHaveLength(15);
    expect(torchFixtureFiles).toHaveLength(17);
  });

  ortTest.each(expressible)('%s: onnxruntime gives the tfjs outputs within 1e-5', async (file) => {
    const fx = readTorchFixture(file);
    const layer = layerForFixture(fx);
    const bytes = exportRecurrentLayer(layer, { lengths: !!fx.input.lengths, initialStates: !!fx.input.h0 });
    const want = tfjsOutputs(layer, fx);
    const feeds = feedsFor(fx);
    const got = await runOnnx(bytes, feeds);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) {
      expectClose(`${file} ${k} (onnxruntime vs tfjs)`, got[k], want[k], 1e-5, 0);
      tf.tidy(() => expectClose(`${file} ${k} (onnxruntime vs PyTorch)`, got[k], tf.tensor((fx.output as unknown as Record<string, number[]>)[k])));
    }
    tf.dispose([...Object.values(got), ...Object.values(want), ...Object.values(feeds)]);
    tf.dispose(layer.weights.map((w) => w.read()));
  });

  test.each(expressible)('%s: imported back, the exported file gives the tfjs outputs within 1e-5', (file) => {
    const fx = readTorchFixture(file);
    const layer = layerForFixture(fx);
    const before = tf.memory().numTensors;
    const model = importOnnx(exportRecurrentLayer(layer, { lengths: !!fx.input.lengths, initialStates: !!fx.input.h0 }));
    const want = tfjsOutputs(layer, fx);
    const feeds = feedsFor(fx);
    const got = model.predict(feeds);
    for (const k of Object.keys(want)) expectClose(`${file} ${k} (imported vs tfjs)`, got[k], want[k], 1e-5, 0);
    tf.dispose([...Object.values(got), ...Object.values(want), ...Object.values(feeds)]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(layer.weights.map((w) => w.read()));
  });

  ortTest.each(torchFixtureFiles.filter((f) => f.includes('proj')))('%s: a projected LSTM (a Scan of standard ops) gives the tfjs outputs within 1e-5', async (file) => {
    const fx = readTorchFixture(file);
    const layer = layerForFixture(fx);
    const want = tfjsOutputs(layer, fx);
    const feeds = feedsFor(fx);
    const got = await runOnnx(exportRecurrentLayer(layer), feeds);
    for (const k of Object.keys(want)) {
      expectClose(`${file} ${k} (onnxruntime vs tfjs)`, got[k], want[k], 1e-5, 0);
      tf.tidy(() => expectClose(`${file} ${k} (onnxruntime vs PyTorch)`, got[k], tf.tensor((fx.output as unknown as Record<string, number[]>)[k])));
    }
    tf.dispose([...Object.values(got), ...Object.values(want), ...Object.values(feeds)]);
    tf.dispose(layer.weights.map((w) => w.read()));
  });

  ortTest.each([['concat', true], ['sum', false], ['ave', true]] as const)('projected 2-layer BiLSTM with lengths and initial states, merge %s, sequences %s', async (mergeMode, returnSequences) => {
    const layer = stacked({ cell: 'lstm', units: 5, projSize: 3, numLayers: 2, bidirectional: true, mergeMode, returnSequences, returnState: true, seed: 7, biasInitializer: 'glorotUniform' });
    layer.build([null, null, 4]);
    const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 1);
    const h0 = tf.randomNormal([4, 3, 3], 0, 1, 'float32', 2);
    const c0 = tf.randomNormal([4, 3, 5], 0, 1, 'float32', 3);
    const lengths = tf.tensor1d([6, 2, 4], 'int32');
    const [y, ...states] = layer.apply(x, { lengths: [6, 2, 4], initialState: fromTorchStates(layer, h0 as tf.Tensor3D, c0 as tf.Tensor3D) }) as tf.Tensor[];
    const { h, c } = toTorchStates(layer, states);
    const got = await runOnnx(exportRecurrentLayer(layer, { lengths: true, initialStates: true }), { x, lengths, h0, c0 });
    expectClose('y', got.y, y, 1e-5, 0);
    expectClose('h_n', got.h_n, h, 1e-5, 0);
    expectClose('c_n', got.c_n, c!, 1e-5, 0);
    tf.dispose([x, h0, c0, lengths, y, ...states, h, c!, ...Object.values(got)]);
  });
});

/** Right-padded ids [B, T] (0 = padding) with lengths 7, 3, 5, 1. */
function paddedIds(vocab: number, T = 7): tf.Tensor2D {
  const lengths = [7, 3, 5, 1];
  let s = 11;
  const rows = lengths.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 + ((s = (s * 48271) % 2147483647) % (vocab - 1)) : 0)));
  return tf.tensor2d(rows, undefined, 'int32');
}

function classifier(cell: 'lstm' | 'gru' | 'rnn', opts: { bidirectional?: boolean; numLayers?: number; pooling?: 'last' | 'mean' | 'max'; mergeMode?: 'concat' | 'sum' | 'ave' | 'mul'; resetAfter?: boolean; projSize?: number }): tf.LayersModel {
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'token_ids' });
  let x = embedding({ inputDim: 13, outputDim: 6, maskZero: true, seed: 1, initScale: 0.5 }).apply(ids) as tf.SymbolicTensor;
  x = seededDropout({ rate: 0.1 }).apply(x) as tf.SymbolicTensor;
  const rnnArgs = { units: 5, numLayers: opts.numLayers ?? 1, returnSequences: opts.pooling !== 'last', seed: 3, resetAfter: opts.resetAfter, unitForgetBias: false, biasInitializer: 'glorotUniform' as const, ...(opts.projSize ? { projSize: opts.projSize } : {}) };
  const base = cell === 'lstm' ? lstm(rnnArgs) : cell === 'gru' ? gru(rnnArgs) : simpleRnn({ ...rnnArgs, activation: 'relu' });
  const rnn = opts.bidirectional ? stacked({ ...base.args, bidirectional: true, mergeMode: opts.mergeMode ?? 'concat' }) : base;
  x = rnn.apply(x) as tf.SymbolicTensor;
  if (opts.pooling !== 'last') x = maskedPooling({ mode: opts.pooling ?? 'max' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 4, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
  const probs = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: ids, outputs: probs });
}

const MODELS: [string, () => tf.LayersModel][] = [
  ['LSTM, last step', () => classifier('lstm', { pooling: 'last' })],
  ['2-layer BiLSTM, max pooling', () => classifier('lstm', { bidirectional: true, numLayers: 2, pooling: 'max' })],
  ['BiGRU resetAfter, mean pooling, merge sum', () => classifier('gru', { bidirectional: true, pooling: 'mean', mergeMode: 'sum' })],
  ['GRU resetAfter false, last step', () => classifier('gru', { pooling: 'last', resetAfter: false })],
  ['BiRNN relu, last step, merge ave', () => classifier('rnn', { bidirectional: true, pooling: 'last', mergeMode: 'ave' })],
  ['BiGRU, mean pooling, merge mul', () => classifier('gru', { bidirectional: true, pooling: 'mean', mergeMode: 'mul' })],
  ['projected 2-layer BiLSTM (Scan), max pooling', () => classifier('lstm', { bidirectional: true, numLayers: 2, pooling: 'max', projSize: 3 })],
];

describe('models exported to ONNX', () => {
  beforeAll(() => useBackend('wasm'));

  ortTest.each(MODELS)('%s: onnxruntime (and importOnnx, but for the Scan) give model.predict within 1e-5 (padded batch)', async (_name, build) => {
    const model = build();
    const ids = paddedIds(13);
    const want = model.predict(ids) as tf.Tensor;
    const before = tf.memory().numTensors;
    const bytes = exportModel(model);
    expect(tf.memory().numTensors).toBe(before); // export leaks nothing
    const got = await runOnnx(bytes, { [model.inputNames[0]]: ids });
    expectClose('onnxruntime', got.output, want, 1e-5, 0);
    if (!_name.startsWith('projected')) {
      const imported = importOnnx(bytes);
      const back = imported.predict({ [model.inputNames[0]]: ids });
      expectClose('imported', back.output, want, 1e-5, 0);
      tf.dispose(back.output);
      imported.dispose();
    }
    tf.dispose([ids, want, got.output]);
    model.dispose();
  });

  ortTest('initial states as model inputs, sequences out, 3-D dense', async () => {
    const x = tf.input({ shape: [null, 3], name: 'x' });
    const h = tf.input({ shape: [4], name: 'h0' });
    const c = tf.input({ shape: [4], name: 'c0' });
    const y = lstm({ units: 4, returnSequences: true, seed: 5 }).apply([x, h, c]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2 }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [x, h, c], outputs: out });
    const feeds = { x: tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1), h0: tf.randomNormal([2, 4], 0, 1, 'float32', 2), c0: tf.randomNormal([2, 4], 0, 1, 'float32', 3) };
    const want = model.predict([feeds.x, feeds.h0, feeds.c0]) as tf.Tensor;
    const [xn, hn, cn] = model.inputNames;
    const got = await runOnnx(exportModel(model), { [xn]: feeds.x, [hn]: feeds.h0, [cn]: feeds.c0 });
    expectClose('onnxruntime', got.output, want, 1e-5, 0);
    tf.dispose([want, got.output, ...Object.values(feeds)]);
    model.dispose();
  });

  test('a layer with no ONNX form is refused, naming it', () => {
    const x = tf.input({ shape: [4] });
    const y = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y });
    expect(() => exportModel(model)).toThrow(/^bn: layer class BatchNormalization cannot be exported to ONNX/);
    model.dispose();
  });
});
