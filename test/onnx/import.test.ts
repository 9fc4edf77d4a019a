/**
 * ONNX import against ../shared/fixtures/onnx: files exported by PyTorch 1.13
 * (torch.onnx.export, opset 14) with the outputs PyTorch computed. Every file's
 * LSTM / GRU / RNN nodes (and the Gather / Gemm around them in text_classifier)
 * become this package's layers; running the imported graph reproduces every
 * `outputs` entry within 1e-5 on cpu and wasm, without leaking tensors.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GRU, LSTM, SimpleRNN, Embedding } from '../../layers';
import { importOnnx } from '../../src/onnx';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const DIR = path.resolve(__dirname, '..', '../../shared/fixtures/onnx');
const cases = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.onnx')).map((f) => f.replace(/\.onnx$/, '')).sort() : [];

interface OnnxFixture {
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
}

const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

describe.each(TEST_BACKENDS)('ONNX import on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('the fixtures are present', () => {
    expect(cases).toEqual(['gru', 'gru_bidir_2layer', 'lstm', 'lstm_bidir', 'rnn_tanh', 'text_classifier']);
  });

  test.each(cases)('%s reproduces PyTorch within 1e-5', (name) => {
    const fx = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as OnnxFixture;
    const before = tf.memory().numTensors;
    const model = importOnnx(fs.readFileSync(path.join(DIR, `${name}.onnx`)), `${name}.onnx`);
    expect(model.recurrentLayers.length).toBeGreaterThan(0);
    const feeds = Object.fromEntries(
      model.inputs.map((i) => [i.name, tf.tensor(fx.inputs[i.name].flat(Infinity as 1) as number[], shapeOf(fx.inputs[i.name]), i.dtype)]),
    );
    const out = model.predict(feeds);
    for (const [k, v] of Object.entries(fx.outputs)) {
      expect(out[k].shape).toEqual(shapeOf(v));
      tf.tidy(() => expectClose(`${name}.${k}`, out[k], tf.tensor(v.flat(Infinity as 1) as number[], shapeOf(v)), 1e-5, 0));
    }
    tf.dispose([...Object.values(out), ...Object.values(feeds)]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('what ONNX nodes become', () => {
  beforeAll(() => useBackend('cpu'));

  test('text_classifier: embedding, two bidirectional LSTM layers and a dense layer with trainable weights', () => {
    const model = importOnnx(fs.readFileSync(path.join(DIR, 'text_classifier.onnx')));
    const kinds = model.layers.map((l) => l.constructor.name);
    expect(kinds).toEqual([Embedding.name, LSTM.name, LSTM.name, 'Dense']);
    for (const l of model.recurrentLayers) expect(l.args.bidirectional).toBe(true);
    // 1 embedding table + 2 layers × 2 directions × (kernel, recurrent, bias) + dense kernel and bias
    expect(model.trainableWeights.length).toBe(1 + 12 + 2);
    model.dispose();
  });

  test('GRU linear_before_reset = 1 gives resetAfter; RNN gives simpleRnn with tanh', () => {
    const gru = importOnnx(fs.readFileSync(path.join(DIR, 'gru.onnx')));
    expect(gru.recurrentLayers[0]).toBeInstanceOf(GRU);
    expect(gru.recurrentLayers[0].args.resetAfter).toBe(true);
    const rnn = importOnnx(fs.readFileSync(path.join(DIR, 'rnn_tanh.onnx')));
    expect(rnn.recurrentLayers[0]).toBeInstanceOf(SimpleRNN);
    expect(rnn.recurrentLayers[0].args.activation).toBe('tanh');
    gru.dispose();
    rnn.dispose();
  });

  test('an imported model trains: one gradient step on its weights lowers the loss', () => {
    const fx = JSON.parse(fs.readFileSync(path.join(DIR, 'text_classifier.json'), 'utf8')) as OnnxFixture;
    const model = importOnnx(fs.readFileSync(path.join(DIR, 'text_classifier.onnx')));
    const ids = tf.tensor2d(fx.inputs.ids as unknown as number[][], undefined, 'int32');
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3);
    const loss = (): tf.Scalar => tf.neg(tf.mean(tf.sum(tf.mul(labels, model.run({ ids }, { training: true }).log_probs), 1))) as tf.Scalar;
    const opt = tf.train.sgd(0.5);
    const l0 = loss().dataSync()[0];
    const { value, grads } = tf.variableGrads(loss, model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
    opt.applyGradients(grads);
    const l1 = loss().dataSync()[0];
    expect(l1).toBeLessThan(l0);
    tf.dispose([value, grads, ids, labels]);
    model.dispose();
  });

  test('a bad file is a clear error', () => {
    expect(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5]), 'junk.onnx')).toThrow(/junk\.onnx/);
  });
});
