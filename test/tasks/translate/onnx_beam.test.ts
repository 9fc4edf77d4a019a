/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * Beam search in the exported translator graph (tasks/translate/onnx.ts,
 * exportTranslator with beamSize > 1) gives, in onnxruntime-node, decode.ts's
 * beamSearch output: the same tokens, with log-probabilities within 1e-4, for the
 * default model and an LSTM input-feeding model, with sentences ending at <eos>
 * and at their length limits. The sentences discriminate: without length
 * normalisation (α = 0) beam search picks other outputs for some of them, so a
 * graph that dropped it would fail.
 */
import * as tf from '@tensorflow/tfjs';
import { onnxRuntimeAvailable, runOnnx } from '../../../src/onnx';
import { TRANSLATE_DEFAULTS } from '../../../tasks/translate/config';
import { EOS_ID } from '../../../tasks/translate/data';
import { beamSearch, Decoded } from '../../../tasks/translate/decode';
import { buildSeq2Seq, Seq2Seq } from '../../../tasks/translate/model';
import { exportTranslator } from '../../../tasks/translate/onnx';
import { useBackend } from '../../helpers/backends';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;
const SOURCES = [[4, 7, 2, 9, 3, 5], [11, 3], [5, 6, 8, 10], [9], [4, 4, 4, 4, 4, 4, 4, 4], [6, 13, 2], [12, 5, 9, 9, 7], [8, 8]];
const LIMITS = { maxLen: 12, maxLenA: 1.5, maxLenB: 2 };
const V = 12;

// [name, config, beams, <eos> bias]
const CASES: [string, Record<string, unknown>, number, number][] = [
  ['defaults (BiGRU encoder, GRU decoder, Luong general attention)', {}, 5, 0.6],
  ['defaults, 3 beams', {}, 3, 0.6],
  ['LSTM input feeding', { cell: 'lstm', decoder: 'input-feeding' }, 5, 0],
  ['LSTM input feeding, 2 + 2 layers, 2 beams', { cell: 'lstm', decoder: 'input-feeding', encoderLayers: 2, decoderLayers: 2 }, 2, 0.6],
];

function model(over: Record<string, unknown>, eosBias = 0.6): Seq2Seq {
  const net = buildSeq2Seq({ ...TRANSLATE_DEFAULTS, hidden: 16, embeddingDim: 8, ...over, seed: 7 } as never, 14, V);
  // A flatter distribution with <eos> likely enough that beams finish both on it and at the limits.
  const [kernel, bias] = net.output.getWeights();
  net.output.setWeights([tf.mul(kernel, 2), tf.add(bias, tf.oneHot(EOS_ID, V).mul(eosBias))]);
  return net;
}

async function onnxBeam(net: Seq2Seq, beamSize: number, lengthPenalty: number): Promise<Decoded[]> {
  const S = Math.max(...SOURCES.map((s) => s.length));
  const ids = tf.tensor2d(SOURCES.map((s) => [...s, ...new Array(S - s.length).fill(0)]), undefined, 'int32');
  const got = await runOnnx(exportTranslator(net, { ...LIMITS, beamSize, lengthPenalty }), { source_ids: ids });
  const tokens = got.tokens.arraySync() as number[][];
  const lengths = Array.from(got.lengths.dataSync());
  const logp = Array.from(got.log_prob.dataSync());
  tf.dispose([ids, ...Object.values(got)]);
  return tokens.map((row, i) => {
    row.slice(lengths[i]).forEach((t) => expect(t).toBe(0)); // padded with 0 after the output
    return { tokens: row.slice(0, lengths[i]), logProb: logp[i] };
  });
}

function expectSame(got: Decoded[], want: Decoded[]): void {
  want.forEach((w, i) => {
    expect(got[i].tokens).toEqual(w.tokens);
    expect(Math.abs(got[i].logProb - w.logProb)).toBeLessThan(1e-4);
  });
}

const limits = SOURCES.map((s) => Math.max(1, Math.min(LIMITS.maxLen, Math.floor(LIMITS.maxLenA * s.length + LIMITS.maxLenB))));

describe('beam search in the ONNX translator graph', () => {
  beforeAll(() => useBackend('wasm'));

  ortTest.each(CASES)('%s: onnxruntime gives beamSearch’s output', async (_name, over, K, eosBias) => {
    const net = model(over, eosBias);
    for (const alpha of [1, 0.6]) {
      const want = beamSearch(net, SOURCES, { ...LIMITS, beamSize: K, lengthPenalty: alpha });
      expectSame(await onnxBeam(net, K, alpha), want);
      if (alpha === 1 && K === 5) {
        // Both endings occur: a best hypothesis shorter than its limit (ended on <eos>) and one at its limit.
        const ends = want.map((w, i) => (w.tokens.length === limits[i] ? 'limit' : 'eos'));
        expect(ends).toContain('eos');
        expect(ends).toContain('limit');
      }
    }
    net.dispose();
  });

  ortTest('the sentences discriminate: without length normalisation the outputs differ, and so does the graph', async () => {
    const net = model({});
    const normalised = beamSearch(net, SOURCES, { ...LIMITS, beamSize: 5, lengthPenalty: 1 });
    const raw = beamSearch(net, SOURCES, { ...LIMITS, beamSize: 5, lengthPenalty: 0 });
    expect(raw.map((d) => d.tokens.join(' '))).not.toEqual(normalised.map((d) => d.tokens.join(' ')));
    const graphRaw = await onnxBeam(net, 5, 0);
    expectSame(graphRaw, raw);
    net.dispose();
  });
});
