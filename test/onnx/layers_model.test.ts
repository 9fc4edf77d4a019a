/**
 * An imported ONNX file as a tf.LayersModel (OnnxGraph layer): PyTorch's
 * text_classifier predicts its fixture outputs within 1e-5; the model saves to a
 * model.json directory and loads back with the same predictions, including weights
 * changed by training (the saved weights win over the file's); train() fine-tunes it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/io/fs_handler';
import { onnxToLayersModel } from '../../src/onnx';
import { train } from '../../src/train';
import { expectClose, useBackend } from '../helpers/backends';

const DIR = path.resolve(__dirname, '..', '../../shared/fixtures/onnx');
const fx = JSON.parse(fs.readFileSync(path.join(DIR, 'text_classifier.json'), 'utf8')) as { inputs: { ids: number[][] }; outputs: { log_probs: number[][] } };

beforeAll(() => useBackend('wasm'));

test('text_classifier as a LayersModel: PyTorch outputs, save/load after a training step', async () => {
  const model = onnxToLayersModel(fs.readFileSync(path.join(DIR, 'text_classifier.onnx')), 'text_classifier');
  expect(model.inputNames).toEqual(['ids']);
  expect(model.trainableWeights.length).toBe(15);
  const ids = tf.tensor2d(fx.inputs.ids, undefined, 'int32');
  const y = model.predict(ids) as tf.Tensor;
  expectClose('log_probs', y, tf.tensor2d(fx.outputs.log_probs), 1e-5, 0);

  // One SGD step on the model's own weights, then save and load: the trained weights come back.
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3);
  const loss = (): tf.Scalar => tf.neg(tf.mean(tf.sum(tf.mul(labels, model.apply(ids, { training: true }) as tf.Tensor), 1))) as tf.Scalar;
  const l0 = loss().dataSync()[0];
  tf.train.sgd(0.5).minimize(loss, false, model.trainableWeights.map((w) => w.read() as tf.Variable));
  const l1 = loss().dataSync()[0];
  expect(l1).toBeLessThan(l0);
  const trained = model.predict(ids) as tf.Tensor;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-onnx-lm-'));
  await saveModel(model, dir);
  const back = await loadModel(dir);
  expectClose('after load', back.predict(ids) as tf.Tensor, trained, 1e-6, 0);
  tf.dispose([ids, y, labels, trained]);
  model.dispose();
  back.dispose();
});

test("the project's train() fine-tunes an imported model", async () => {
  const model = onnxToLayersModel(fs.readFileSync(path.join(DIR, 'text_classifier.onnx')), 'tc_engine');
  const ids = fx.inputs.ids;
  const labels = [2, 0, 1];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-onnx-train-'));
  const nll = (b: { ids: number[][]; labels: number[] }): tf.Scalar =>
    tf.tidy(() => {
      const lp = model.apply(tf.tensor2d(b.ids, undefined, 'int32'), { training: true }) as tf.Tensor2D;
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(b.labels, 'int32'), 3), lp), 1))) as tf.Scalar;
    });
  const before = nll({ ids, labels }).dataSync()[0];
  await train(
    {
      model,
      loss: nll,
      batches: () => [{ ids, labels }],
      batchSize: () => 3,
      evaluate: () => ({ loss: nll({ ids, labels }).dataSync()[0] }),
      artifacts: { task: 'onnx-test' },
      config: {},
    } as never,
    { epochs: 5, lr: 0.05, checkpointDir: out, metric: 'loss', mode: 'min' } as never,
  );
  const after = nll({ ids, labels }).dataSync()[0];
  expect(after).toBeLessThan(before);
  model.dispose();
});
