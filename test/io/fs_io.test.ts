/**
 * Node filesystem model IO without tfjs-node: the standard model.json +
 * weights.bin layout, round trips of every layer kind through the filesystem,
 * and clear errors for missing or broken files.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { bidirectional, gru, lstm, simpleRnn, stacked } from '../../layers';
import { fileSystem, loadModel, readModelArtifacts, registerFileSystemRouter, saveModel } from '../../src/io/fs_handler';
import { useBackend } from '../helpers/backends';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-io-'));

beforeAll(async () => useBackend('wasm'));

test('round trip of a stacked bidirectional projected LSTM model and every other kind through the filesystem', async () => {
  const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 5);
  const makers = [
    () => stacked({ cell: 'lstm', units: 5, projSize: 3, numLayers: 2, bidirectional: true, returnSequences: true, inputShape: [null, 4] }),
    () => lstm({ units: 5, inputShape: [null, 4] }),
    () => gru({ units: 5, inputShape: [null, 4], returnSequences: true }),
    () => gru({ units: 5, resetAfter: false, inputShape: [null, 4] }),
    () => simpleRnn({ units: 5, activation: 'relu', inputShape: [null, 4] }),
    () => bidirectional({ layer: gru({ units: 5, numLayers: 2 }), mergeMode: 'ave', inputShape: [null, 4] }),
  ];
  for (const make of makers) {
    const dir = tmp();
    const model = tf.sequential({ layers: [make(), tf.layers.dense({ units: 2 })] });
    await saveModel(model, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(json.modelTopology.config.layers[0].class_name).toMatch(/^rnnkit\./);
    const loaded = await loadModel(dir);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  }
});

test('a model saved here loads through plain tf.loadLayersModel with a custom handler (what any tfjs project does)', async () => {
  const dir = tmp();
  const model = tf.sequential({ layers: [lstm({ units: 3, inputShape: [2, 2] })] });
  await model.save(fileSystem(dir));
  const loaded = await tf.loadLayersModel(fileSystem(dir));
  expect(loaded.layers[0].getClassName()).toBe('rnnkit.LSTM');
});

test('errors name the file and what was expected', async () => {
  const dir = tmp();
  await expect(loadModel(dir)).rejects.toThrow(`${path.join(dir, 'model.json')}: no such file (expected a model directory holding model.json and its weights)`);
  fs.writeFileSync(path.join(dir, 'model.json'), '{not json');
  await expect(loadModel(dir)).rejects.toThrow(`${path.join(dir, 'model.json')}: not valid JSON`);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['./weights.bin'], weights: [] }] }));
  await expect(loadModel(dir)).rejects.toThrow(`${path.join(dir, 'weights.bin')}: weights file named in`);
});

test('saving over an existing model replaces both files and leaves no temporaries', async () => {
  const dir = tmp();
  const model = tf.sequential({ layers: [gru({ units: 3, inputShape: [2, 2] })] });
  await saveModel(model, dir);
  await saveModel(model, dir);
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
});

test('plain tfjs layers (dense, simpleRNN) round-trip bit-exactly through the handler, the file:// spelling and tf.io.fromMemory', async () => {
  const dir = tmp();
  const model = tf.sequential({
    layers: [tf.layers.simpleRNN({ units: 4, inputShape: [3, 2], returnSequences: true }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })],
  });
  await saveModel(model, dir);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(json.format).toBe('layers-model');
  expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(model.weights.map((w) => w.originalName));
  expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(4 * model.countParams());
  const same = (m: tf.LayersModel) => expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
  same(await tf.loadLayersModel(fileSystem(dir)));
  same(await tf.loadLayersModel(fileSystem(`file://${dir}`)));
  same(await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(dir))));
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
});

test("registerFileSystemRouter: model.save('file://…') and tf.loadLayersModel('file://…/model.json') without tfjs-node", async () => {
  registerFileSystemRouter();
  registerFileSystemRouter(); // idempotent: a second registration would make tfjs refuse the URL
  const dir = tmp();
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
  await model.save(`file://${dir}`);
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
  for (const url of [`file://${dir}/model.json`, `file://${dir}`]) {
    const loaded = await tf.loadLayersModel(url);
    expect(Array.from((loaded.getWeights()[0]).dataSync())).toEqual(Array.from(model.getWeights()[0].dataSync()));
  }
});
