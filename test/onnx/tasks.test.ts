/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * Each task's default model, exported to ONNX and run in onnxruntime-node, gives the
 * tfjs model's predictions within 1e-5 on a right-padded batch: sentiment (BiLSTM,
 * max pooling), POS (word + character BiLSTMs joined by RowGather), the character LM
 * (2-layer LSTM, every step; and its stateful graph, tasks/charlm/onnx.ts), the forecaster (LSTM + linear skip) and the translator's
 * teacher-forced graph (BiGRU encoder, bridge, GRU decoder, Luong attention, output).
 */
import * as tf from '@tensorflow/tfjs';
import { buildSentimentModel } from '../../tasks/sentiment/model';
import { SENTIMENT_DEFAULTS } from '../../tasks/sentiment/config';
import { buildTagger } from '../../tasks/pos/model';
import { POS_DEFAULTS } from '../../tasks/pos/config';
import { buildLmModel } from '../../tasks/charlm/model';
import { exportLm, graphStates } from '../../tasks/charlm/onnx';
import { CHARLM_DEFAULTS } from '../../tasks/charlm/config';
import { buildForecaster } from '../../tasks/timeseries/model';
import { TIMESERIES_DEFAULTS } from '../../tasks/timeseries/config';
import { buildSeq2Seq } from '../../tasks/translate/model';
import { TRANSLATE_DEFAULTS } from '../../tasks/translate/config';
import { exportModel, onnxRuntimeAvailable, runOnnx } from '../../src/onnx';
import { expectClose, useBackend } from '../helpers/backends';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;

/** [rows] of ids right-padded with 0 to T. */
function padded(rows: number[][], T: number): tf.Tensor2D {
  return tf.tensor2d(rows.map((r) => [...r, ...new Array(T - r.length).fill(0)]), undefined, 'int32');
}

async function roundTrip(model: tf.LayersModel, inputs: tf.Tensor[]): Promise<void> {
  // apply, not predict: predict slices every input by the first one's batch (POS's char rows are not per sentence).
  const want = model.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false }) as tf.Tensor;
  const got = await runOnnx(exportModel(model), Object.fromEntries(model.inputNames.map((n, i) => [n, inputs[i]])));
  expect(got.output.shape).toEqual(want.shape);
  expectClose(`${model.name} onnxruntime vs tfjs`, got.output, want, 1e-5, 0);
  tf.dispose([want, got.output, ...inputs]);
  model.dispose();
}

describe("each task's default model in onnxruntime", () => {
  beforeAll(() => useBackend('wasm'));

  ortTest('sentiment', async () => {
    const model = buildSentimentModel(SENTIMENT_DEFAULTS, 40, 2);
    await roundTrip(model, [padded([[5, 9, 2, 33, 7, 1], [3, 4], [12, 18, 39, 6]], 6)]);
  });

  ortTest('pos (word and character encoders, RowGather)', async () => {
    const model = buildTagger({ ...POS_DEFAULTS, seed: 3 }, { words: 30, chars: 20, tags: 9 });
    const words = padded([[4, 7, 2, 9], [11, 3]], 4);
    // Distinct words of the batch (row 0 = padding) and each position's row.
    const chars = padded([[1], [3, 5, 2], [7, 1], [4, 4, 6, 2], [9, 8], [2, 3, 4]], 4);
    const rows = padded([[1, 2, 3, 4], [5, 1]], 4);
    await roundTrip(model, [words, chars, rows]);
  });

  ortTest('charlm', async () => {
    const net = buildLmModel({ ...CHARLM_DEFAULTS, seed: 2 }, 25);
    await roundTrip(net.model, [tf.tensor2d([[1, 5, 9, 3, 2, 7], [4, 4, 8, 1, 20, 2]], undefined, 'int32')]);
  });

  ortTest.each(['lstm', 'gru'] as const)('charlm stateful graph (%s, 2 layers): logits and states from given states equal the fused forward', async (cell) => {
    const net = buildLmModel({ ...CHARLM_DEFAULTS, cell, hidden: 12, embeddingDim: 6, seed: 5 }, 25);
    const ids = tf.tensor2d([[1, 5, 9, 3, 2, 7], [4, 4, 8, 1, 20, 2]], undefined, 'int32');
    const start = net.zeroStates(2).map((z, i) => tf.randomNormal(z.shape, 0, 0.5, 'float32', 30 + i) as tf.Tensor2D);
    const want = net.forward(ids, start, false);
    const got = await runOnnx(exportLm(net), { symbol_ids: ids, ...graphStates(start, cell === 'lstm') });
    const final = graphStates(want.states, cell === 'lstm');
    expectClose('logits', tf.reshape(got.logits, [12, 25]), want.logits, 1e-5, 0);
    expectClose('h_n', got.h_n, final.h0, 1e-5, 0);
    if (cell === 'lstm') expectClose('c_n', got.c_n, final.c0, 1e-5, 0);
    net.dispose();
  });

  ortTest('timeseries forecaster', async () => {
    const model = buildForecaster({ ...TIMESERIES_DEFAULTS, window: 12, channels: 3, outputs: 2, seed: 4 } as never);
    const w = model.getLayer('linear');
    w.setWeights(w.getWeights().map((t) => tf.randomNormal(t.shape, 0, 0.1, 'float32', 9)));
    await roundTrip(model, [tf.randomNormal([3, 12, 3], 0, 1, 'float32', 5)]);
  });

  ortTest('translate (teacher-forced graph: encoder, bridge, decoder, Luong attention, output), equal to the task\'s forward with lengths', async () => {
    const net = buildSeq2Seq({ ...TRANSLATE_DEFAULTS, seed: 1 } as never, 12, 14);
    const src = padded([[4, 7, 2, 9, 3], [11, 3], [5, 6, 8]], 5);
    const tgt = padded([[1, 5, 9, 2], [1, 13, 4], [1, 3]], 4);
    const task = tf.tidy(() => {
      const enc = net.encode(src, [5, 2, 3], false);
      return net.forward(enc, tgt, [4, 3, 2], false).logits;
    });
    const graph = net.model.apply([src, tgt], { training: false }) as tf.Tensor;
    expectClose('translator graph vs encode/forward with lengths', graph, task, 1e-5, 0);
    tf.dispose([task, graph]);
    await roundTrip(net.model, [src, tgt]);
  });

  ortTest('translate with Bahdanau (additive) attention: the graph, its fed vector an input, round trips', async () => {
    const net = buildSeq2Seq({ ...TRANSLATE_DEFAULTS, decoder: 'bahdanau', score: 'additive', seed: 2 } as never, 12, 14);
    expect(net.model.inputNames).toEqual(['source_ids', 'target_ids', 'decoder_feed']);
    const src = padded([[4, 7, 2], [11, 3, 0]], 3);
    const tgt = padded([[1, 5, 9, 2], [1, 13]], 4);
    await roundTrip(net.model, [src, tgt, tf.randomNormal([2, 4, 2 * TRANSLATE_DEFAULTS.hidden], 0, 1, 'float32', 3)]);
  });
});
