/**
 * safetensors (src/interop/safetensors.ts) and loading it into the layers
 * (loadTorchWeights in layers/torch_weights.ts):
 * - write → read is exact (values bit for bit, metadata, 8-byte aligned header) and
 *   rewriting a file PyTorch's side wrote reproduces its bytes;
 * - float16/bfloat16 conversion against the IEEE rules (every half round-trips);
 * - state_dicts of torch.nn.LSTM (2-layer bidirectional, f32), GRU (f16) and RNN
 *   (2-layer, bf16) written by test/fixtures/make_safetensors.py load into the
 *   layers and reproduce PyTorch's outputs within 1e-5 (the half files' outputs were
 *   computed by PyTorch with the rounded weights, which the reader widens exactly);
 * - malformed headers and missing / misshapen tensors give one clear error.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { exportTorchWeights, loadTorchWeights, RecurrentLayer, stacked, toTorchStates } from '../../layers';
import { floatToBf16, floatToHalf, halfToFloat, readSafetensors, writeSafetensors } from '../../src/interop/safetensors';
import { UserError } from '../../src/errors';

const FIXTURES = path.resolve(__dirname, '../fixtures/safetensors');

interface Fixture {
  config: { module: string; input_size: number; hidden_size: number; num_layers: number; bidirectional: boolean; dtype: string; prefix: string; nonlinearity: string };
  x: number[][][];
  y: number[][][];
  h_n: number[][][];
  c_n: number[][][] | null;
}

function readFixture(name: string): { fx: Fixture; bytes: Uint8Array } {
  return {
    fx: JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Fixture,
    bytes: new Uint8Array(fs.readFileSync(path.join(FIXTURES, `${name}.safetensors`))),
  };
}

function layerFor(c: Fixture['config'], units = c.hidden_size): RecurrentLayer {
  const layer = stacked({
    cell: c.module === 'LSTM' ? 'lstm' : c.module === 'GRU' ? 'gru' : 'rnn',
    units,
    numLayers: c.num_layers,
    bidirectional: c.bidirectional,
    activation: c.nonlinearity as 'tanh' | 'relu',
    returnSequences: true,
    returnState: true,
  });
  layer.build([null, null, c.input_size]);
  return layer;
}

function maxAbsDiff(a: tf.Tensor, b: number[][][]): number {
  const e = tf.tensor(b);
  expect(a.shape).toEqual(e.shape);
  const d = tf.max(tf.abs(tf.sub(a, e))).dataSync()[0];
  e.dispose();
  return d;
}

/** The message of what `fn` throws (fails the test when it does not throw). */
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** A file from a header object and data bytes (header padded like the reference writer). */
function rawFile(header: unknown, data: number, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('write → read', () => {
  test('exact round trip: values bit for bit, shapes, dtypes, metadata, aligned header', () => {
    const rand = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + n) * 1e3 * Math.exp(-i));
    const halfValues = Float32Array.from([0, -0, 1, -2.5, 65504, 2 ** -24, 0.0999755859375, Infinity]);
    const bfValues = Float32Array.from([1, -3.140625, 1.5 * 2 ** 126, 2 ** -130, 0.10009765625]);
    const tensors = {
      'encoder.weight': { shape: [3, 7], data: rand(21) },
      'x.bias': { shape: [5], data: Float32Array.from([NaN, Infinity, -Infinity, -0, 1.17549435e-38]) },
      scalar: { shape: [], data: Float32Array.from([Math.PI]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
      half: { dtype: 'F16' as const, shape: [2, 4], data: halfValues },
      brain: { dtype: 'BF16' as const, shape: [5], data: bfValues },
    };
    const metadata = { format: 'pt', note: 'ünïcode ✓' };
    const bytes = writeSafetensors(tensors, metadata);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n))).toMatch(/^\{"__metadata__":.*\} *$/); // JSON, then space padding
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual(metadata);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name];
      expect(got.shape).toEqual(t.shape);
      expect(got.dtype).toBe((t as { dtype?: string }).dtype ?? 'F32');
      expect(got.data).toBeInstanceOf(Float32Array);
      // Bit for bit (NaN and -0 included).
      expect(Array.from(new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length))).toEqual(Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));
    }
    // Writing what was read gives the same bytes; no metadata → no __metadata__ key.
    expect(Buffer.from(writeSafetensors(back.tensors, back.metadata)).equals(Buffer.from(bytes))).toBe(true);
    const plain = writeSafetensors({ a: { shape: [1], data: [2] } });
    const plainHeader = new TextDecoder().decode(plain.subarray(8, 8 + Number(new DataView(plain.buffer).getBigUint64(0, true))));
    expect(plainHeader).toBe('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.padEnd(56, ' '));
    expect(readSafetensors(plain).metadata).toEqual({});
  });

  test('rewriting the files PyTorch\'s side wrote reproduces their bytes (same layout as the reference writer)', () => {
    for (const name of ['lstm_bidir2_f32', 'gru_f16', 'rnn2_bf16']) {
      const { bytes } = readFixture(name);
      const file = readSafetensors(bytes);
      expect(Buffer.from(writeSafetensors(file.tensors, file.metadata)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  test('float16 and bfloat16 conversion follow IEEE round-to-nearest-even', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToFloat(h);
      if (!Number.isNaN(v)) expect(floatToHalf(v)).toBe(h);
    }
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(floatToHalf(2 ** -25)).toBe(0); // tie with zero → even
    expect(floatToHalf(3 * 2 ** -26)).toBe(1);
    expect(floatToHalf(Number.NaN) & 0x7e00).toBe(0x7e00);
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16(-2)).toBe(0xc000);
  });
});

describe('PyTorch state_dicts written as .safetensors load into the layers', () => {
  test.each([
    ['lstm_bidir2_f32', 'F32'],
    ['gru_f16', 'F16'],
    ['rnn2_bf16', 'BF16'],
  ])('%s reproduces PyTorch within 1e-5', (name, dtype) => {
    const { fx, bytes } = readFixture(name);
    const file = readSafetensors(bytes, { file: `${name}.safetensors` });
    expect(file.metadata).toEqual({ format: 'pt', case: name });
    expect(new Set(Object.values(file.tensors).map((t) => t.dtype))).toEqual(new Set([dtype]));
    const layer = layerFor(fx.config);
    loadTorchWeights(layer, file, { prefix: fx.config.prefix });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const [y, ...states] = layer.apply(tf.tensor3d(fx.x)) as tf.Tensor[];
      const { h, c } = toTorchStates(layer, states);
      expect(maxAbsDiff(y, fx.y)).toBeLessThan(1e-5);
      expect(maxAbsDiff(h, fx.h_n)).toBeLessThan(1e-5);
      if (fx.c_n) expect(maxAbsDiff(c!, fx.c_n)).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
    // Exported back in PyTorch layout, the PyTorch tensors reappear (LSTM/RNN biases sum into bias_ih).
    const exported = exportTorchWeights(layer);
    const w = `${fx.config.prefix}weight_hh_l0`;
    expect(Array.from(exported.weight_hh_l0.dataSync())).toEqual(Array.from(file.tensors[w].data));
    tf.dispose(Object.values(exported));
  });

  test('a layer\'s weights written as safetensors load into a fresh layer exactly', () => {
    const { fx } = readFixture('lstm_bidir2_f32');
    const a = layerFor(fx.config);
    const sd = exportTorchWeights(a);
    const bytes = writeSafetensors(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, data: t.dataSync() as Float32Array }])));
    const b = layerFor(fx.config);
    loadTorchWeights(b, readSafetensors(bytes));
    a.weights.forEach((wa, i) => expect(Array.from(b.weights[i].read().dataSync())).toEqual(Array.from(wa.read().dataSync())));
    tf.dispose(Object.values(sd));
  });

  test('a missing tensor names the PyTorch name, the layer weight and what the file has', () => {
    const { fx, bytes } = readFixture('lstm_bidir2_f32');
    const layer = layerFor(fx.config);
    const e = errorOf(() => loadTorchWeights(layer, readSafetensors(bytes))); // names are 'rnn.…': no prefix given
    expect(e.message).toMatch(new RegExp(`^${layer.name}: PyTorch parameter 'weight_ih_l0' \\(for layer weight '${layer.name}/kernel_l0'\\) is missing; the state dict has 'rnn\\.`));
  });

  test('a misshapen tensor names both names and both shapes', () => {
    const { fx, bytes } = readFixture('gru_f16');
    const layer = layerFor(fx.config, 4); // file has hidden 5
    const e = errorOf(() => loadTorchWeights(layer, readSafetensors(bytes)));
    expect(e.message).toBe(`${layer.name}: PyTorch parameter 'weight_ih_l0' has shape [15, 3], expected [12, 3] for layer weight '${layer.name}/kernel' [3, 12]`);
  });
});

describe('header checks', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/],
    ['length beyond the file', (() => { const f = rawFile(ok, 12); new DataView(f.buffer).setBigUint64(0, 1000n, true); return f; })(), /header length 1000 goes beyond the end of the file/],
    ['bad JSON', rawFile(null, 0, '{"a": {"dtype": '), /header is not UTF-8 JSON/],
    ['not an object', rawFile([1, 2], 0), /header is not a JSON object/],
    ['unknown dtype', rawFile({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'a': unknown dtype "F33"/],
    ['bad shape', rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /tensor 'a': shape \[-1\] is not a list of sizes/],
    ['offsets beyond the data', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /tensor 'a': data_offsets \[0, 8\] are outside the 4 data bytes/],
    ['offsets vs shape', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), /tensor 'a': data_offsets \[0, 4\] hold 4 bytes, its F32 shape \[2\] needs 8/],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /tensor 'b' \(bytes 4..8\) overlaps/],
    ['gap', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), /data bytes 4..8 belong to no tensor \(before 'b'\)/],
    ['trailing bytes', rawFile(ok, 16), /data bytes 12..16 belong to no tensor/],
    ['metadata not strings', rawFile({ __metadata__: { n: 1 } }, 0), /__metadata__ 'n' is not a string/],
  ];
  test.each(cases)('%s', (_what, bytes, msg) => {
    const e = errorOf(() => readSafetensors(bytes, { file: 'model.safetensors' }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toMatch(/^model\.safetensors: not a valid safetensors file: /);
    expect(e.message).toMatch(msg);
    expect(e.message).not.toContain('\n');
  });

  test('the well-formed base case reads', () => {
    expect(Object.keys(readSafetensors(rawFile(ok, 12)).tensors)).toEqual(['a', 'b']);
  });

  test('an unsupported dtype names the tensor and the dtype', () => {
    const bytes = rawFile({ step: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8);
    expect(errorOf(() => readSafetensors(bytes, { file: 'opt.safetensors' })).message).toBe(
      "opt.safetensors: tensor 'step' has dtype I64; only F32, F16 and BF16 tensors can be read (convert it to float32 in PyTorch first)",
    );
    expect(errorOf(() => readSafetensors(bytes)).message).toMatch(/^tensor 'step' has dtype I64/);
  });

  test('the writer refuses inconsistent input', () => {
    expect(() => writeSafetensors({ a: { shape: [2, 2], data: [1, 2, 3] } })).toThrow("tensor 'a' has 3 values, its shape [2, 2] needs 4");
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: [1] } })).toThrow(/reserved/);
  });
});
