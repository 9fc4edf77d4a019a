/**
 * Second oracle: tfjs-layers' own simpleRNN, lstm, gru (resetAfter false) and
 * bidirectional, given identical weights (Keras layout), produce the same outputs
 * and gradients as this package's layers, on both implementations.
 * tfjs-layers defaults recurrentActivation to hardSigmoid; we set 'sigmoid'.
 */
import * as tf from '@tensorflow/tfjs';
import { bidirectional, gru, lstm, RecurrentLayer, simpleRnn } from '../../layers';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const B = 3;
const T = 6;
const D = 4;
const H = 5;

type Case = { name: string; ours: (impl: 'fused' | 'autodiff') => RecurrentLayer; theirs: () => tf.layers.Layer; masked?: boolean };

const cases: Case[] = [
  { name: 'simpleRNN tanh', ours: (i) => simpleRnn({ units: H, returnSequences: true, implementation: i }), theirs: () => tf.layers.simpleRNN({ units: H, returnSequences: true }) },
  { name: 'simpleRNN relu', ours: (i) => simpleRnn({ units: H, activation: 'relu', returnSequences: true, implementation: i }), theirs: () => tf.layers.simpleRNN({ units: H, activation: 'relu', returnSequences: true }) },
  { name: 'lstm', ours: (i) => lstm({ units: H, returnSequences: true, implementation: i }), theirs: () => tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', returnSequences: true }) },
  { name: 'lstm masked', masked: true, ours: (i) => lstm({ units: H, returnSequences: true, implementation: i }), theirs: () => tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', returnSequences: true }) },
  { name: 'gru resetAfter=false', ours: (i) => gru({ units: H, resetAfter: false, returnSequences: true, implementation: i }), theirs: () => tf.layers.gru({ units: H, recurrentActivation: 'sigmoid', returnSequences: true }) },
  { name: 'lstm last output', ours: (i) => lstm({ units: H, implementation: i }), theirs: () => tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid' }) },
  {
    name: 'bidirectional lstm concat',
    ours: (i) => bidirectional({ layer: lstm({ units: H, returnSequences: true, implementation: i }) }),
    theirs: () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN, mergeMode: 'concat' }),
  },
  {
    name: 'bidirectional gru sum',
    ours: (i) => bidirectional({ layer: gru({ units: H, resetAfter: false, returnSequences: true, implementation: i }), mergeMode: 'sum' }),
    theirs: () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: H, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN, mergeMode: 'sum' }),
  },
];

describe.each(TEST_BACKENDS)('tfjs-layers parity on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  describe.each(['fused', 'autodiff'] as const)('%s path', (impl) => {
    test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 7);
      const mask = c.masked ? tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]]) : undefined;
      const theirs = c.theirs();
      const ours = c.ours(impl);
      tf.dispose([theirs.apply(x) as tf.Tensor, ours.apply(x) as tf.Tensor]); // builds both
      // Random (not default) weights, shared: tfjs' weights in its own order are ours too.
      const values = theirs.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 100 + i));
      theirs.setWeights(values);
      ours.setWeights(values);
      const outShape = (theirs.computeOutputShape([B, T, D]) as number[]).map((n) => n ?? B);
      // tfjs-layers repeats the previous output at masked steps where we (and PyTorch)
      // emit zeros; the states agree, so compare on real steps only.
      const R0 = tf.randomNormal(outShape, 0, 1, 'float32', 3);
      const R = mask ? tf.mul(R0, mask.expandDims(2)) : R0;
      const run = (layer: tf.layers.Layer) => {
        const kwargs = mask ? { mask } : {};
        const f = () => tf.sum(tf.mul(layer.apply(x, kwargs) as tf.Tensor, R)) as tf.Scalar;
        const y = tf.tidy(() => {
          const out = layer.apply(x, kwargs) as tf.Tensor;
          return mask ? tf.mul(out, mask.expandDims(2)) : out;
        });
        const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, kwargs) as tf.Tensor, R)))(x);
        const { grads } = tf.variableGrads(f, layer.trainableWeights.map((w) => w.read() as tf.Variable));
        const gw = layer.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]);
        return { y, gx, gw };
      };
      const a = run(ours);
      const e = run(theirs);
      expectClose(`${c.name} output`, a.y, e.y, 1e-5, 1e-4);
      expectClose(`${c.name} dx`, a.gx, e.gx, 1e-5, 1e-4);
      expect(a.gw).toHaveLength(e.gw.length);
      a.gw.forEach((g, i) => expectClose(`${c.name} d${ours.trainableWeights[i].originalName}`, g, e.gw[i], 1e-5, 1e-4));
    });
  });
});
