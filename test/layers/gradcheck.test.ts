/**
 * Centered finite differences over a full unroll: for each cell, a stacked and a
 * bidirectional layer (with lengths), the analytic gradient (tf.variableGrads through
 * the unrolled graph, both implementations) of a random projection of the outputs
 * and final states matches (L(θ+ε) − L(θ−ε)) / 2ε on sampled coordinates of every
 * weight and of the input. float32 arithmetic limits the agreement to ~1e-3, so the
 * check uses relative error by absolute value: |fd − g| / max(|fd|, |g|, 1e-2) < 2e-2.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer, stacked } from '../../layers';
import { SeededRandom } from '../../layers/random';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

const B = 2;
const T = 5;
const D = 3;

const cases: [string, (impl: 'fused' | 'autodiff') => RecurrentLayer][] = [
  ['rnn tanh', (impl) => stacked({ cell: 'rnn', units: 4, returnSequences: true, returnState: true, seed: 1, implementation: impl })],
  ['rnn relu', (impl) => stacked({ cell: 'rnn', units: 4, activation: 'relu', returnSequences: true, returnState: true, seed: 2, implementation: impl })],
  ['lstm', (impl) => stacked({ cell: 'lstm', units: 4, returnSequences: true, returnState: true, seed: 3, implementation: impl })],
  ['lstm proj', (impl) => stacked({ cell: 'lstm', units: 4, projSize: 2, returnSequences: true, returnState: true, seed: 4, implementation: impl })],
  ['gru resetAfter', (impl) => stacked({ cell: 'gru', units: 4, returnSequences: true, returnState: true, seed: 5, implementation: impl })],
  ['gru resetBefore', (impl) => stacked({ cell: 'gru', units: 4, resetAfter: false, returnSequences: true, returnState: true, seed: 6, implementation: impl })],
  ['stacked 2-layer lstm', (impl) => stacked({ cell: 'lstm', units: 3, numLayers: 2, returnSequences: true, returnState: true, seed: 7, implementation: impl })],
  ['bidirectional gru', (impl) => stacked({ cell: 'gru', units: 3, bidirectional: true, returnSequences: true, returnState: true, seed: 8, implementation: impl })],
  ['2-layer bidirectional lstm', (impl) => stacked({ cell: 'lstm', units: 3, numLayers: 2, bidirectional: true, returnSequences: true, returnState: true, seed: 9, implementation: impl })],
];

describe.each(TEST_BACKENDS.flatMap((b) => (['fused', 'autodiff'] as const).map((i) => [b, i] as const)))('finite differences on %s (%s path)', (backend, impl) => {
  beforeAll(async () => useBackend(backend));

  test.each(cases)('%s', (_name, make) => {
    const layer = make(impl);
    const x = tf.variable(tf.randomNormal([B, T, D], 0, 1, 'float32', 11));
    layer.apply(x); // build
    const lengths = [T, 3];
    const outs = layer.apply(x, { lengths }) as tf.Tensor[];
    const Rs = outs.map((o, i) => tf.randomNormal(o.shape, 0, 1, 'float32', 20 + i));
    tf.dispose(outs);
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const ys = layer.apply(x, { lengths }) as tf.Tensor[];
        return tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, Rs[i])))) as tf.Scalar;
      });
    const vars = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), x];
    const { grads } = tf.variableGrads(loss, vars);
    const rng = new SeededRandom(5);
    const eps = 3e-3;
    for (const v of vars) {
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (let trial = 0; trial < 4; trial++) {
        const i = rng.int(base.length);
        const at = (delta: number): number => {
          const values = base.slice();
          values[i] += delta;
          v.assign(tf.tensor(values, v.shape));
          return loss().dataSync()[0];
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        const rel = Math.abs(fd - g[i]) / Math.max(Math.abs(fd), Math.abs(g[i]), 1e-2);
        if (!(rel < 2e-2)) throw new Error(`${v.name}[${i}]: analytic ${g[i]} vs finite difference ${fd} (relative error ${rel})`);
      }
    }
    tf.dispose([x, ...Rs, ...Object.values(grads)]);
  });
});
