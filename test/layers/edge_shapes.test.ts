/**
 * Degenerate shapes: one time step (T = 1), one sequence (B = 1) and both, for every
 * cell and both implementations, on cpu and wasm, inside tf.variableGrads (the way
 * the training engine differentiates), with the input itself a variable (so the
 * gradient flows through the time split, where T = 1 once failed in the autodiff path).
 *  - parity: the fused path's outputs, final states and gradients (w.r.t. x and every
 *    weight) equal the autodiff path's, with the same weights;
 *  - gradients: both paths agree with centered finite differences on sampled coordinates;
 *  - the bidirectional({ layer }) wrapper: fused = autodiff at T = 1 / B = 1.
 */
import * as tf from '@tensorflow/tfjs';
import { bidirectional, gru, lstm, RecurrentLayer, RecurrentLayerArgs, simpleRnn, stacked } from '../../layers';
import { SeededRandom } from '../../layers/random';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const D = 3;

type CellArgs = Omit<RecurrentLayerArgs, 'returnSequences' | 'returnState' | 'implementation' | 'seed'>;
const CELLS: [string, CellArgs][] = [
  ['rnn tanh', { cell: 'rnn', units: 4 }],
  ['rnn relu', { cell: 'rnn', units: 4, activation: 'relu' }],
  ['lstm', { cell: 'lstm', units: 4 }],
  ['lstm proj', { cell: 'lstm', units: 4, projSize: 2 }],
  ['gru resetAfter', { cell: 'gru', units: 4 }],
  ['gru resetBefore', { cell: 'gru', units: 4, resetAfter: false }],
  ['2-layer bidirectional lstm', { cell: 'lstm', units: 3, numLayers: 2, bidirectional: true }],
];

/** [B, T, lengths] */
const SHAPES: [number, number, number[]][] = [
  [2, 1, [1, 1]],
  [1, 4, [4]],
  [1, 1, [1]],
  [3, 2, [2, 1, 2]], // T = 2 with a padded step, as a control
];

function makeLayer(args: CellArgs, impl: 'fused' | 'autodiff', returnSequences: boolean): RecurrentLayer {
  return stacked({ ...args, returnSequences, returnState: true, implementation: impl, seed: 17 } as RecurrentLayerArgs);
}

/** Both paths with the same weights, built on x. */
function pair(args: CellArgs, x: tf.Tensor, returnSequences: boolean): [RecurrentLayer, RecurrentLayer] {
  const fused = makeLayer(args, 'fused', returnSequences);
  const auto = makeLayer(args, 'autodiff', returnSequences);
  tf.dispose(fused.apply(x) as tf.Tensor[]);
  tf.dispose(auto.apply(x) as tf.Tensor[]);
  auto.setWeights(fused.getWeights());
  return [fused, auto];
}

/** loss = Σ_i Σ out_i ⊙ R_i, with fixed random R_i per output. */
function lossFn(layer: RecurrentLayer, x: tf.Tensor, lengths: number[], Rs: tf.Tensor[]): () => tf.Scalar {
  return () => tf.tidy(() => tf.addN((layer.apply(x, { lengths }) as tf.Tensor[]).map((y, i) => tf.sum(tf.mul(y, Rs[i])))) as tf.Scalar);
}

describe.each(TEST_BACKENDS)('T = 1 and B = 1 on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  const cases = CELLS.flatMap(([name, args]) => SHAPES.flatMap(([B, T, lengths]) => [true, false].map((seq) => [name, B, T, lengths, seq, args] as const)));

  test.each(cases)('%s B=%d T=%d lengths=%j returnSequences=%s: fused = autodiff (values and gradients)', (_n, B, T, lengths, seq, args) => {
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.variable(tf.randomNormal([B, T, D], 0, 1, 'float32', 3)));
    const [fused, auto] = pair(args, x, seq);
    const outF = fused.apply(x, { lengths }) as tf.Tensor[];
    const outA = auto.apply(x, { lengths }) as tf.Tensor[];
    expect(outF.length).toBe(outA.length);
    outF.forEach((o, i) => expectClose(`output ${i}`, o, outA[i], 1e-5, 1e-4));
    if (seq) expect(outF[0].shape.slice(0, 2)).toEqual([B, T]);
    const Rs = outF.map((o, i) => tf.randomNormal(o.shape, 0, 1, 'float32', 40 + i));
    tf.dispose([...outF, ...outA]);
    const gF = tf.variableGrads(lossFn(fused, x, lengths, Rs), [x, ...fused.trainableWeights.map((w) => w.read() as tf.Variable)]);
    const gA = tf.variableGrads(lossFn(auto, x, lengths, Rs), [x, ...auto.trainableWeights.map((w) => w.read() as tf.Variable)]);
    expectClose('loss', gF.value, gA.value, 1e-4, 1e-4);
    expectClose('dx', gF.grads[x.name], gA.grads[x.name], 1e-5, 1e-4);
    fused.trainableWeights.forEach((w, i) => {
      const wa = auto.trainableWeights[i];
      expectClose(`d ${w.name}`, gF.grads[(w.read() as tf.Variable).name], gA.grads[(wa.read() as tf.Variable).name], 1e-5, 1e-4);
    });
    tf.dispose([gF.value, gA.value, ...Object.values(gF.grads), ...Object.values(gA.grads), ...Rs, x]);
    fused.dispose();
    auto.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test.each([
    ['lstm', 1, 1],
    ['gru', 2, 1],
    ['simpleRnn', 1, 3],
  ] as const)('bidirectional({ layer: %s }) B=%d T=%d: fused = autodiff (values and gradients)', (kind, B, T) => {
    const make = (implementation: 'fused' | 'autodiff'): tf.layers.Layer => {
      const args = { units: 3, returnSequences: true, implementation, seed: 5 };
      const inner = kind === 'lstm' ? lstm(args) : kind === 'gru' ? gru(args) : simpleRnn(args);
      return bidirectional({ layer: inner, mergeMode: 'concat' });
    };
    const x = tf.tidy(() => tf.variable(tf.randomNormal([B, T, D], 0, 1, 'float32', 8)));
    const fused = make('fused');
    const auto = make('autodiff');
    tf.dispose([fused.apply(x) as tf.Tensor, auto.apply(x) as tf.Tensor]);
    auto.setWeights(fused.getWeights());
    const R = tf.randomNormal([B, T, 6], 0, 1, 'float32', 9);
    const grads = (l: tf.layers.Layer) => tf.variableGrads(() => tf.sum(tf.mul(l.apply(x) as tf.Tensor, R)) as tf.Scalar, [x, ...l.trainableWeights.map((w) => w.read() as tf.Variable)]);
    const gF = grads(fused);
    const gA = grads(auto);
    expectClose('loss', gF.value, gA.value, 1e-4, 1e-4);
    expectClose('dx', gF.grads[x.name], gA.grads[x.name], 1e-5, 1e-4);
    fused.trainableWeights.forEach((w, i) => expectClose(`d ${w.name}`, gF.grads[(w.read() as tf.Variable).name], gA.grads[(auto.trainableWeights[i].read() as tf.Variable).name], 1e-5, 1e-4));
    tf.dispose([gF.value, gA.value, ...Object.values(gF.grads), ...Object.values(gA.grads), R, x]);
    fused.dispose();
    auto.dispose();
  });

  const fdCases = CELLS.flatMap(([name, args]) =>
    (['fused', 'autodiff'] as const).flatMap((impl) => SHAPES.slice(0, 3).map(([B, T, lengths]) => [name, impl, B, T, lengths, args] as const)),
  );

  test.each(fdCases)('%s (%s) B=%d T=%d: gradients match finite differences', (_n, impl, B, T, lengths, args) => {
    const x = tf.tidy(() => tf.variable(tf.randomNormal([B, T, D], 0, 1, 'float32', 5)));
    const layer = makeLayer(args, impl, true);
    const outs = layer.apply(x, { lengths }) as tf.Tensor[];
    const Rs = outs.map((o, i) => tf.randomNormal(o.shape, 0, 1, 'float32', 60 + i));
    tf.dispose(outs);
    const loss = lossFn(layer, x, lengths, Rs);
    const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    const { value, grads } = tf.variableGrads(loss, vars);
    const rng = new SeededRandom(9);
    const eps = 3e-3;
    for (const v of vars) {
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (let trial = 0; trial < 3; trial++) {
        const i = rng.int(base.length);
        const at = (delta: number): number => {
          const vals = base.slice();
          vals[i] += delta;
          v.assign(tf.tensor(vals, v.shape));
          const l = loss();
          const r = l.dataSync()[0];
          l.dispose();
          return r;
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        const rel = Math.abs(fd - g[i]) / Math.max(Math.abs(fd), Math.abs(g[i]), 1e-2);
        if (!(rel < 2e-2)) throw new Error(`${v.name}[${i}]: analytic ${g[i]} vs finite difference ${fd} (relative error ${rel})`);
      }
    }
    tf.dispose([value, x, ...Rs, ...Object.values(grads)]);
    layer.dispose();
  });
});
