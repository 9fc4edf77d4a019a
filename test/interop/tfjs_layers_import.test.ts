/**
 * tfjs-layers / Keras model.json through this package's fused layers:
 * - a model saved by tfjs-layers itself (embedding, bidirectional LSTM, GRU with
 *   resetAfter false, dense softmax) loads with every recurrent layer and the
 *   embedding replaced, the same weights, and predicts what tfjs-layers predicts;
 * - a Keras-style model.json (tensorflowjs_converter's layout, snake_case config) with
 *   a GRU `reset_after: true`, which tfjs-layers itself refuses, predicts what
 *   PyTorch's GRU computes with those weights (../shared/fixtures/torch/gru.json);
 * - a tfjs LSTM with the default hardSigmoid is kept, and the report says why.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Bidirectional, Embedding, GRU, LSTM } from '../../layers';
import { saveModel } from '../../src/io/fs_handler';
import { loadTfjsLayersModel } from '../../src/interop/tfjs_layers';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-tfjs-'));

function tfjsModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 20, outputDim: 6, inputLength: 7, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 1 }) }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid', biasInitializer: 'glorotUniform' }) as tf.RNN, mergeMode: 'concat' }),
      tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid', resetAfter: false, biasInitializer: 'glorotUniform' } as never),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

describe.each(TEST_BACKENDS)('tfjs-layers model.json on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('a model saved by tfjs-layers loads through the fused layers and predicts the same', async () => {
    const original = tfjsModel();
    const dir = tmp();
    await saveModel(original, dir);
    const { model, report } = await loadTfjsLayersModel(dir);
    expect(report.kept).toEqual([]);
    expect(report.replaced.map((r) => r.to)).toEqual(['rnnkit.Embedding', 'rnnkit.Bidirectional', 'rnnkit.GRU']);
    expect(model.layers[0]).toBeInstanceOf(Embedding);
    expect(model.layers[1]).toBeInstanceOf(Bidirectional);
    expect((model.layers[1] as Bidirectional).args.cell).toBe('lstm');
    expect(model.layers[2]).toBeInstanceOf(GRU);
    expect((model.layers[2] as GRU).args.resetAfter).toBe(false);
    // Same weights, value for value, in the same order.
    const a = original.getWeights();
    const b = model.getWeights();
    expect(b.map((t) => t.shape)).toEqual(a.map((t) => t.shape));
    a.forEach((t, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(t.dataSync())));
    const ids = tf.tensor2d([[1, 5, 9, 3, 2, 7, 4], [11, 3, 19, 2, 8, 8, 1], [0, 6, 12, 7, 7, 2, 3]], undefined, 'int32');
    const want = original.predict(ids) as tf.Tensor;
    const got = model.predict(ids) as tf.Tensor;
    expectClose('fused vs tfjs-layers', got, want, 1e-5, 0);
    tf.dispose([ids, want, got]);
    original.dispose();
    model.dispose();
  });
});

describe('Keras model.json', () => {
  beforeAll(() => useBackend('wasm'));

  /** tensorflowjs_converter's layout for a Keras Sequential [InputLayer, GRU(reset_after=True)], weights from PyTorch's GRU fixture. */
  function kerasGruDir(): { dir: string; fx: { input: { x: number[][][] }; output: { y: number[][][] } } } {
    const fx = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '../../shared/fixtures/torch/gru.json'), 'utf8'));
    const H: number = fx.config.hidden_size;
    const D: number = fx.config.input_size;
    const p = (k: string): number[] => fx.params[k].value.flat(Infinity);
    // PyTorch rows (r, z, n) of [3H, in] → Keras columns (z, r, h) of [in, 3H].
    const keras = (w: number[], cols: number): number[] => {
      const out = new Array(cols * 3 * H);
      const from = [1, 0, 2]; // Keras block j = PyTorch block from[j]
      for (let j = 0; j < 3; j++) for (let u = 0; u < H; u++) for (let c = 0; c < cols; c++) out[c * 3 * H + j * H + u] = w[(from[j] * H + u) * cols + c];
      return out;
    };
    const bias = (b: number[]): number[] => [...b.slice(H, 2 * H), ...b.slice(0, H), ...b.slice(2 * H)];
    const values = [...keras(p('weight_ih_l0'), D), ...keras(p('weight_hh_l0'), H), ...bias(p('bias_ih_l0')), ...bias(p('bias_hh_l0'))];
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.from(new Float32Array(values).buffer));
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [null, null, D], dtype: 'float32', sparse: false, ragged: false, name: 'gru_input' } },
              {
                class_name: 'GRU',
                config: {
                  name: 'gru', trainable: true, dtype: 'float32', return_sequences: true, return_state: false, go_backwards: false, stateful: false, unroll: false, time_major: false,
                  units: H, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
                  kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1.0, seed: null } },
                  bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
                  kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, dropout: 0.0, recurrent_dropout: 0.0, implementation: 2, reset_after: true,
                },
              },
            ],
          },
        },
        training_config: null,
      },
      weightsManifest: [{
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'gru/gru_cell/kernel', shape: [D, 3 * H], dtype: 'float32' },
          { name: 'gru/gru_cell/recurrent_kernel', shape: [H, 3 * H], dtype: 'float32' },
          { name: 'gru/gru_cell/bias', shape: [2, 3 * H], dtype: 'float32' },
        ],
      }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    return { dir, fx };
  }

  test('tfjs-layers itself cannot load a reset_after GRU (the reason for this loader)', async () => {
    const { dir } = kerasGruDir();
    await expect(tf.loadLayersModel(tf.io.fromMemory({ modelTopology: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).modelTopology }))).rejects.toThrow(/reset_after|resetAfter/i);
  });

  test('a Keras GRU with reset_after: true predicts what PyTorch computes', async () => {
    const { dir, fx } = kerasGruDir();
    const { model, report } = await loadTfjsLayersModel(path.join(dir, 'model.json'));
    expect(report.replaced).toEqual([{ name: 'gru', from: 'GRU', to: 'rnnkit.GRU', notes: [] }]);
    expect(model.getLayer('gru')).toBeInstanceOf(GRU);
    expect((model.getLayer('gru') as GRU).args.resetAfter).toBe(true);
    const y = model.predict(tf.tensor3d(fx.input.x)) as tf.Tensor;
    expectClose('Keras reset_after GRU vs PyTorch', y, tf.tensor3d(fx.output.y), 1e-5, 1e-5);
    tf.dispose(y);
    model.dispose();
  });

  test('a tfjs LSTM with its default hardSigmoid is kept as the tfjs layer, and the report says why', async () => {
    const original = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2] })] });
    const dir = tmp();
    await saveModel(original, dir);
    const { model, report } = await loadTfjsLayersModel(dir);
    expect(report.replaced).toEqual([]);
    expect(report.kept).toEqual([{ name: original.layers[0].name, className: 'LSTM', reason: expect.stringMatching(/recurrent activation 'hard_?sigmoid'/i) }]);
    expect(model.layers[0]).not.toBeInstanceOf(LSTM);
    original.dispose();
    model.dispose();
  });
});
