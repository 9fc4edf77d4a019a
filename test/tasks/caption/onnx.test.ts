/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * The captioner exported as one ONNX graph that captions (tasks/caption/onnx.ts)
 * gives, in onnxruntime-node, the task's greedy decoding (decode.ts): the same
 * words, lengths and log-probabilities (within 1e-4), for LSTM and GRU decoders,
 * gray and RGB input and a two-block encoder; captions ending at <eos> and at the
 * length limit both occur. CaptionModel.verifyOnnx (what rnn-export --verify
 * prints) agrees.
 */
import * as tf from '@tensorflow/tfjs';
import { onnxRuntimeAvailable, runOnnx } from '../../../src/onnx';
import { CAPTION_DEFAULTS } from '../../../tasks/caption/config';
import { EOS_ID, WordVocabulary } from '../../../tasks/caption/data';
import { greedyDecode } from '../../../tasks/caption/decode';
import { generateScenes } from '../../../tasks/caption/mnist_scenes';
import { buildCaptioner } from '../../../tasks/caption/model';
import { exportCaptioner, readCaptionerOutput } from '../../../tasks/caption/onnx';
import { CaptionModel } from '../../../tasks/caption/predict';
import { useBackend } from '../../helpers/backends';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;
if (!onnxRuntimeAvailable()) process.stderr.write('caption onnx: skipped (onnxruntime-node is not installed)\n');
const V = 12;
const MAX_LEN = 6;

const CASES: [string, Record<string, unknown>][] = [
  ['LSTM decoder, 3 encoder blocks, gray', { cell: 'lstm', encoderDepth: 3, channels: 1 }],
  ['GRU decoder, 2 encoder blocks, RGB', { cell: 'gru', encoderDepth: 2, channels: 3 }],
];

function setup(over: Record<string, unknown>, eosBias = 0) {
  const config = { ...CAPTION_DEFAULTS, imageSize: 16, encoderWidth: 4, hidden: 16, embeddingDim: 8, ...over, seed: 5 } as typeof CAPTION_DEFAULTS;
  const net = buildCaptioner(config, V);
  // Sharper outputs; eosBias > 0 makes captions stop at <eos>, < 0 run to the limit.
  const [kernel, bias] = net.output.getWeights();
  net.output.setWeights([tf.mul(kernel, 3), tf.add(bias, tf.oneHot(EOS_ID, V).mul(eosBias))]);
  const C = config.channels;
  const scenes = generateScenes({ count: 6, seed: 3, size: 16 });
  const images = new Float32Array(scenes.length * 16 * 16 * C);
  scenes.forEach((s, i) => s.pixels.forEach((v, p) => images.fill(C === 1 ? v : v * (0.5 + 0.25 * (p % 3)), (i * 256 + p) * C, (i * 256 + p + 1) * C)));
  return { config, net, images, n: scenes.length };
}

describe('the captioner as an ONNX graph (encoder + greedy decoding Loop)', () => {
  beforeAll(() => useBackend('wasm'));

  const ENDINGS: [string, number][] = [['captions run to the length limit', -6], ['captions end at <eos>', 6]];
  ortTest.each(CASES.flatMap(([name, over]) => ENDINGS.map(([ending, eosBias]) => [`${name}, ${ending}`, over, eosBias] as [string, Record<string, unknown>, number])))('%s: onnxruntime captions what greedyDecode captions', async (_name, over, eosBias) => {
    const { config, net, images, n } = setup(over, eosBias);
    const want = greedyDecode(net, images, n, MAX_LEN);
    const x = tf.tensor4d(images, [n, 16, 16, config.channels]);
    const got = await runOnnx(exportCaptioner(net, { maxLen: MAX_LEN }), { image: x });
    const out = readCaptionerOutput(got);
    const tokens = got.tokens.arraySync() as number[][];
    want.forEach((w, i) => {
      expect(out[i].tokens).toEqual(w.tokens);
      expect(Math.abs(out[i].logProb - w.logProb)).toBeLessThan(1e-4);
      // a caption ends at <eos> (the next token) or at the limit; 0 after the end
      const n2 = w.tokens.length;
      expect(tokens[i][n2] === EOS_ID || n2 === MAX_LEN).toBe(true);
      tokens[i].slice(n2 + 1).forEach((t) => expect(t).toBe(0));
    });
    const lengths = want.map((w) => w.tokens.length);
    if (eosBias < 0) expect(lengths.every((l) => l === MAX_LEN)).toBe(true);
    else expect(lengths.every((l) => l < MAX_LEN)).toBe(true);
    tf.dispose([x, ...Object.values(got)]);
    net.dispose();
  });

  ortTest('CaptionModel.verifyOnnx: the rnn-export --verify line', async () => {
    const { config, net } = setup({});
    const vocab = new WordVocabulary(['<pad>', '<unk>', '<sos>', '<eos>', ...Array.from({ length: V - 4 }, (_, i) => `w${i}`)]);
    const model = new CaptionModel(net, vocab, { ...config, maxLen: MAX_LEN });
    const line = await model.verifyOnnx(model.exportOnnx({ note: 'x' }));
    expect(line).toMatch(/^verified in onnxruntime-node: greedy captions of 4 sample images identical to tfjs, max \|Δ log-prob\| = /);
    // a graph of another model does not verify
    const other = buildCaptioner({ ...config, seed: 99 }, V);
    await expect(model.verifyOnnx(exportCaptioner(other, { maxLen: MAX_LEN }))).rejects.toThrow(/differ/);
    other.dispose();
    model.dispose();
  });
});
