/**
 * Folding an embedding into an LSTM's or GRU's input projection (RecurrentLayer.projectInput
 * + `projectedInput: true`, layers/fused/lstm.ts) gives the layer's own result on
 * the embedded ids: outputs, final states and the gradients of every weight, the
 * embedding table and the initial states, stacked, projected (projSize), GRUs of
 * both reset conventions and without bias, with lengths, on cpu and wasm and in the engine mode. Also the row gather behind
 * embeddingLookup (Ops.gatherRows): equal to tf.gather, range-checked, leak-free.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup, gru, lstm, simpleRnn, stacked } from '../../layers';
import { setFusedEngineMode } from '../../layers/fused/kernel_ops';
import type { RecurrentLayer } from '../../layers/recurrent_layer';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const V = 7;
const E = 5;
const H = 6;
const IDS = [
  [1, 4, 4, 6, 0, 2],
  [3, 0, 5, 1, 1, 6],
  [2, 2, 6, 3, 0, 0],
];
const LENGTHS = [6, 4, 1];

interface Case {
  name: string;
  layer: () => RecurrentLayer;
  lengths?: number[];
}

const CASES: Case[] = [
  { name: 'LSTM', layer: () => lstm({ units: H, returnSequences: true, returnState: true, seed: 3 }) },
  { name: '2-layer LSTM with lengths', layer: () => stacked({ cell: 'lstm', units: H, numLayers: 2, returnSequences: true, returnState: true, seed: 4 }), lengths: LENGTHS },
  { name: 'LSTM with projSize, reversed', layer: () => stacked({ cell: 'lstm', units: H, projSize: 3, reverse: true, returnSequences: true, returnState: true, seed: 5 }), lengths: LENGTHS },
  { name: 'GRU (resetAfter, [2, 3H] bias)', layer: () => gru({ units: H, returnSequences: true, returnState: true, seed: 6 }) },
  { name: '2-layer GRU resetAfter false, with lengths', layer: () => stacked({ cell: 'gru', units: H, numLayers: 2, resetAfter: false, returnSequences: true, returnState: true, seed: 7 }), lengths: LENGTHS },
  { name: 'GRU without bias, reversed', layer: () => stacked({ cell: 'gru', units: H, useBias: false, reverse: true, returnSequences: true, returnState: true, seed: 8 }), lengths: LENGTHS },
];

/** Σ y⊙R + Σ states⊙R_k for fixed random R: every output and state matters. */
function weightedLoss(outs: tf.Tensor[]): tf.Scalar {
  return tf.addN(outs.map((o, k) => tf.sum(tf.mul(o, tf.randomUniform(o.shape, -1, 1, 'float32', 100 + k))))) as tf.Scalar;
}

function compare(c: Case): void {
  const layer = c.layer();
  const table = tf.variable(tf.randomUniform([V, E], -1, 1, 'float32', 1) as tf.Tensor2D, true, `table_${c.name.replace(/\W/g, '_')}`);
  const ids = tf.tensor2d(IDS, undefined, 'int32');
  const flat = tf.reshape(ids, [-1]);
  const [B, T] = [IDS.length, IDS[0].length];
  tf.dispose(layer.apply(tf.zeros([1, 1, E])) as tf.Tensor[]); // build
  const states = layer.stateSizes.map((n, k) => tf.variable(tf.randomUniform([B, n], -0.5, 0.5, 'float32', 20 + k)));
  const vars = [table, ...layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val), ...states];
  const kwargs = { initialState: states, lengths: c.lengths, training: true };
  const plain = (): tf.Scalar => weightedLoss(layer.apply(tf.reshape(embeddingLookup(table, flat), [B, T, E]), kwargs) as tf.Tensor[]);
  const folded = (): tf.Scalar =>
    weightedLoss(layer.apply(tf.reshape(embeddingLookup(layer.projectInput(table), flat), [B, T, -1]), { ...kwargs, projectedInput: true }) as tf.Tensor[]);
  const want = tf.variableGrads(plain, vars);
  const before = tf.memory().numTensors;
  const got = tf.variableGrads(folded, vars);
  expectClose(`${c.name}: loss`, got.value, want.value, 1e-5, 1e-5);
  for (const v of vars) expectClose(`${c.name}: d${v.name}`, got.grads[v.name], want.grads[v.name], 1e-5, 1e-5);
  expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
  tf.dispose([got.value, ...Object.values(got.grads)]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([want.value, ...Object.values(want.grads), ids, flat, table, ...states]);
  layer.dispose();
}

describe.each(TEST_BACKENDS)('projected input on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  test.each(CASES.map((c) => [c.name, c] as const))('%s: same outputs, states and gradients as the embedded input', (_n, c) => compare(c));
});

describe('projected input in the engine mode (webgl, tensorflow, ...) on cpu', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    setFusedEngineMode(true);
  });
  afterAll(() => setFusedEngineMode(false));
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => compare(c));
});

describe('projected input: what cannot use it says so', () => {
  beforeAll(() => useBackend('cpu'));
  const table = (): tf.Tensor2D => tf.ones([V, E]) as tf.Tensor2D;

  test('SimpleRNN, bidirectional and autodiff layers refuse, naming the layer', () => {
    expect(() => simpleRnn({ units: H, name: 'g' }).projectInput(table())).toThrow(/^g: projected inputs are implemented for LSTM and GRU cells, not rnn$/);
    expect(() => stacked({ cell: 'lstm', units: H, bidirectional: true, name: 'bi' }).projectInput(table())).toThrow(/^bi: projected inputs need a unidirectional layer/);
    expect(() => lstm({ units: H, implementation: 'autodiff', name: 'ad' }).projectInput(table())).toThrow(/^ad: projected inputs need implementation 'fused'/);
    const g = simpleRnn({ units: H, name: 'g2' });
    expect(() => g.apply(tf.zeros([1, 2, H]), { projectedInput: true })).toThrow(/^g2: projected inputs are implemented for LSTM and GRU cells/);
  });

  test('a projected input of the wrong width, or a table of the wrong width, is an error naming the sizes', () => {
    const l = lstm({ units: H, name: 'l' });
    tf.dispose(l.apply(tf.zeros([1, 1, E])) as tf.Tensor);
    expect(() => l.apply(tf.zeros([2, 3, E]), { projectedInput: true })).toThrow(`l: a projected input must be [batch, time, ${4 * H}] (x·kernel + bias), got [2, 3, ${E}]`);
    expect(() => l.projectInput(tf.ones([V, E + 1]) as tf.Tensor2D)).toThrow(`l: projectInput expects a table [rows, ${E}], got [${V}, ${E + 1}]`);
  });
});

describe.each(TEST_BACKENDS)('embeddingLookup row gather on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('equals tf.gather (duplicates, every row), does not leak', () => {
    const w = tf.randomNormal([V, 9], 0, 1, 'float32', 3);
    const idx = tf.tensor2d([[6, 0, 3], [3, 3, 1]], undefined, 'int32');
    const before = tf.memory().numTensors;
    const got = embeddingLookup(w, idx);
    expect(tf.memory().numTensors).toBe(before + 1);
    const want = tf.gather(w, idx);
    expect(got.shape).toEqual([2, 3, 9]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([w, idx, got, want]);
  });

  test('an id outside the table is an error naming it and its position', () => {
    const w = tf.zeros([V, 2]);
    expect(() => embeddingLookup(w, tf.tensor1d([1, V, 2], 'int32'))).toThrow(`gather: index ${V} at position 1 is outside [0, ${V - 1}]`);
    expect(() => embeddingLookup(w, tf.tensor1d([-1], 'int32'))).toThrow('gather: index -1 at position 0 is outside');
    w.dispose();
  });
});
