/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * The onnxruntime prediction engine: a sentiment checkpoint loaded by the task, its
 * predictor's model swapped by useOnnxRuntime, predicts the same labels and
 * probabilities (within 1e-5) as the tfjs predictor, synchronously, through a worker
 * thread; SyncOnnxSession on its own; a predictor without a model is a clear error.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../src/io/fs_handler';
import { exportRecurrentLayer, onnxRuntimeAvailable, onnxRuntimeModel, SyncOnnxSession, useOnnxRuntime } from '../../src/onnx';
import { buildTagger } from '../../tasks/pos/model';
import { POS_DEFAULTS } from '../../tasks/pos/config';
import { lstm } from '../../layers';
import { SentimentClassifier } from '../../tasks/sentiment';
import { SENTIMENT_DEFAULTS } from '../../tasks/sentiment/config';
import { buildSentimentModel } from '../../tasks/sentiment/model';
import { expectClose, useBackend } from '../helpers/backends';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;

beforeAll(() => useBackend('wasm'));

ortTest('useOnnxRuntime: a sentiment checkpoint predicts the same through onnxruntime', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-engine-'));
  const config = { ...SENTIMENT_DEFAULTS, hidden: 6, embeddingDim: 5 };
  const vocabulary = ['<pad>', '<unk>', 'the', 'movie', 'is', 'not', 'good', 'bad', 'a', 'film'];
  await saveModel(buildSentimentModel(config, vocabulary.length, 2), dir);
  fs.writeFileSync(path.join(dir, 'artifacts.json'), JSON.stringify({ task: 'sentiment', vocabulary, labels: ['negative', 'positive'], config }));
  fs.writeFileSync(path.join(dir, 'training.json'), JSON.stringify({ format: 1 }));
  const texts = ['the movie is not good', 'a bad film', 'good', 'the film is good , not bad at all'];
  const tfjs = await SentimentClassifier.load(dir);
  const want = tfjs.predict(texts);
  const ort = useOnnxRuntime(await SentimentClassifier.load(dir));
  expect(ort.model.predict).not.toBe(tf.LayersModel.prototype.predict); // the onnxruntime path, not tfjs
  const got = ort.predict(texts);
  expect(got.map((g) => g.label)).toEqual(want.map((w) => w.label));
  got.forEach((g, i) => expectClose(texts[i], Object.values(g.probabilities), Object.values(want[i].probabilities), 1e-5, 0));
  tfjs.dispose();
  ort.dispose();
});

ortTest("onnxRuntimeModel: apply() on tensors runs in onnxruntime too (POS's predictor calls apply), training apply stays tfjs", () => {
  const model = buildTagger({ ...POS_DEFAULTS, seed: 3 }, { words: 30, chars: 20, tags: 9 });
  const pad = (rows: number[][], T: number) => tf.tensor2d(rows.map((r) => [...r, ...new Array(T - r.length).fill(0)]), undefined, 'int32');
  const inputs = [pad([[4, 7, 2, 9], [11, 3]], 4), pad([[1], [3, 5, 2], [7, 1], [4, 4, 6, 2], [9, 8], [2, 3, 4]], 4), pad([[1, 2, 3, 4], [5, 1]], 4)];
  const want = model.apply(inputs, { training: false }) as tf.Tensor;
  const ort = onnxRuntimeModel(model);
  // Change the tfjs weights after the export: only the onnxruntime path still gives `want`.
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 0.5)));
  const got = ort.apply(inputs) as tf.Tensor;
  expectClose('apply through onnxruntime', got, want, 1e-5, 0);
  const tfjs = ort.apply(inputs, { training: true }) as tf.Tensor;
  expect(tf.max(tf.abs(tf.sub(tfjs, want))).dataSync()[0]).toBeGreaterThan(1e-3);
  tf.dispose([want, got, tfjs, ...inputs]);
  ort.dispose();
});

ortTest('SyncOnnxSession runs an exported layer synchronously', () => {
  const layer = lstm({ units: 3, returnSequences: true, returnState: true });
  layer.build([null, null, 2]);
  const session = new SyncOnnxSession(exportRecurrentLayer(layer));
  const x = tf.randomNormal([2, 4, 2], 0, 1, 'float32', 3);
  const out = session.run({ x });
  const [y] = layer.apply(x) as tf.Tensor[];
  expectClose('y', out.y, y, 1e-5, 0);
  expect(out.h_n.shape).toEqual([1, 2, 3]);
  session.dispose();
  expect(() => session.run({ x })).toThrow(/after dispose/);
  tf.dispose([x, y, ...Object.values(out)]);
});

test('a predictor without a tf.LayersModel is a clear error', () => {
  expect(() => useOnnxRuntime({ generate: () => 'x' })).toThrow(/has no tf.LayersModel 'model' for onnxruntime/);
});
