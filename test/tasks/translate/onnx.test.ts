/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * The translator exported as one ONNX graph that decodes (tasks/translate/onnx.ts)
 * gives, in onnxruntime-node, the task's greedy decoding (decode.ts): the same
 * output tokens, lengths and log-probabilities, for the default model and for
 * LSTM cells, two decoder layers, input feeding and Bahdanau attention; sentences
 * ending at <eos> and at their length limits both occur.
 */
import * as tf from '@tensorflow/tfjs';
import { onnxRuntimeAvailable, runOnnx } from '../../../src/onnx';
import { TRANSLATE_DEFAULTS } from '../../../tasks/translate/config';
import { EOS_ID } from '../../../tasks/translate/data';
import { greedyDecode } from '../../../tasks/translate/decode';
import { buildSeq2Seq } from '../../../tasks/translate/model';
import { exportTranslator } from '../../../tasks/translate/onnx';
import { useBackend } from '../../helpers/backends';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;
const SOURCES = [[4, 7, 2, 9, 3, 5], [11, 3], [5, 6, 8, 10], [9], [4, 4, 4, 4, 4, 4, 4, 4]];
const LIMITS = { maxLen: 12, maxLenA: 1.5, maxLenB: 2 };

const CASES: [string, Record<string, unknown>][] = [
  ['defaults (BiGRU encoder, GRU decoder, Luong general attention)', {}],
  ['LSTM cells, 2 encoder and 2 decoder layers', { cell: 'lstm', encoderLayers: 2, decoderLayers: 2 }],
  ['input feeding', { decoder: 'input-feeding' }],
  ['Bahdanau (additive) attention', { decoder: 'bahdanau', score: 'additive' }],
];

describe('the translator as an ONNX decoding graph', () => {
  beforeAll(() => useBackend('wasm'));

  ortTest.each(CASES)('%s: onnxruntime decodes what greedyDecode decodes', async (_name, over) => {
    const net = buildSeq2Seq({ ...TRANSLATE_DEFAULTS, hidden: 16, embeddingDim: 8, ...over, seed: 7 } as never, 14, 12);
    // Make <eos> likely enough that some sentences stop on it before their limit.
    const out = net.output;
    const [kernel, bias] = out.getWeights();
    out.setWeights([tf.mul(kernel, 3), tf.add(bias, tf.oneHot(EOS_ID, 12).mul(1.2))]);
    const want = greedyDecode(net, SOURCES, LIMITS);
    const S = Math.max(...SOURCES.map((s) => s.length));
    const ids = tf.tensor2d(SOURCES.map((s) => [...s, ...new Array(S - s.length).fill(0)]), undefined, 'int32');
    const got = await runOnnx(exportTranslator(net, LIMITS), { source_ids: ids });
    const tokens = got.tokens.arraySync() as number[][];
    const lengths = Array.from(got.lengths.dataSync());
    const logp = Array.from(got.log_prob.dataSync());
    want.forEach((w, i) => {
      expect(lengths[i]).toBe(w.tokens.length);
      expect(tokens[i].slice(0, lengths[i])).toEqual(w.tokens);
      expect(Math.abs(logp[i] - w.logProb)).toBeLessThan(1e-4);
    });
    tf.dispose([ids, ...Object.values(got)]);
    net.dispose();
    return want;
  });

  ortTest('both endings occur: <eos> before the limit, and the limit', async () => {
    const net = buildSeq2Seq({ ...TRANSLATE_DEFAULTS, hidden: 16, embeddingDim: 8, seed: 7 } as never, 14, 12);
    const [kernel, bias] = net.output.getWeights();
    net.output.setWeights([tf.mul(kernel, 3), tf.add(bias, tf.oneHot(EOS_ID, 12).mul(1.2))]);
    const S = Math.max(...SOURCES.map((s) => s.length));
    const ids = tf.tensor2d(SOURCES.map((s) => [...s, ...new Array(S - s.length).fill(0)]), undefined, 'int32');
    const got = await runOnnx(exportTranslator(net, LIMITS), { source_ids: ids });
    const tokens = got.tokens.arraySync() as number[][];
    const lengths = Array.from(got.lengths.dataSync());
    const limits = SOURCES.map((s) => Math.max(1, Math.min(LIMITS.maxLen, Math.floor(LIMITS.maxLenA * s.length + LIMITS.maxLenB))));
    const ended = lengths.map((n, i) => (tokens[i][n] === EOS_ID ? 'eos' : n === limits[i] ? 'limit' : 'other'));
    expect(ended).toContain('eos');
    expect(ended).toContain('limit');
    expect(ended).not.toContain('other');
    // After the end, the rows are padded with 0.
    tokens.forEach((row, i) => row.slice(lengths[i] + 1).forEach((t) => expect(t).toBe(0)));
    tf.dispose([ids, ...Object.values(got)]);
    net.dispose();
  });
});
