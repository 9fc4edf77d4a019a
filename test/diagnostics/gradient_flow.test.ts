import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer } from '../../layers/recurrent_layer';
import { byDistance, gradientFlow, gradientReach } from '../../src/diagnostics/gradient_flow';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 3;
const T = 6;
const D = 4;
const H = 5;

/** Builds the layer (its weights are tensors too) before counting. */
function built(layer: RecurrentLayer): RecurrentLayer {
  tf.tidy(() => {
    layer.apply(tf.zeros([1, 2, D]));
  });
  return layer;
}

function batch(seed: number): { x: tf.Tensor3D; r: tf.Tensor2D } {
  return { x: tf.randomNormal([B, T, D], 0, 1, 'float32', seed) as tf.Tensor3D, r: tf.randomNormal([B, H], 0, 1, 'float32', seed + 1) as tf.Tensor2D };
}

const rowNormMean = (g: tf.Tensor2D): number => tf.tidy(() => tf.mean(tf.norm(g, 'euclidean', 1)).dataSync()[0]);

describe('gradientFlow', () => {
  it('equals dLoss/dh_t computed independently (last step: the loss weights; one step back: the cell Jacobian)', () => {
    for (const cell of ['rnn', 'gru'] as const) {
      const layer = built(new RecurrentLayer({ cell, units: H, seed: 3, returnSequences: true }));
      const { x, r } = batch(7);
      const before = tf.memory().numTensors;
      const flow = gradientFlow({ layer, x, loss: (_seq, last) => tf.sum(tf.mul(last, r)) as tf.Scalar });
      expect(tf.memory().numTensors).toBe(before);
      const n = flow.series[0].norms;
      expect(flow.series).toHaveLength(1);
      expect(n).toHaveLength(T);
      // dL/dh_{T-1} = r
      expect(n[T - 1]).toBeCloseTo(rowNormMean(r), 5);
      // dL/dh_{T-2} = J^T r with J = d step(x_{T-1}, h)/dh at h = h_{T-2}
      const expected = tf.tidy(() => {
        const seq = layer.apply(x) as tf.Tensor3D;
        const hPrev = tf.squeeze(tf.slice(seq, [0, T - 2, 0], [B, 1, H]), [1]) as tf.Tensor2D;
        const xLast = tf.squeeze(tf.slice(x, [0, T - 1, 0], [B, 1, D]), [1]) as tf.Tensor2D;
        const g = tf.grad((h: tf.Tensor) => tf.sum(tf.mul(layer.cells[0][0].step(xLast, [h as tf.Tensor2D]).output, r)))(hPrev) as tf.Tensor2D;
        return rowNormMean(g);
      });
      expect(n[T - 2]).toBeCloseTo(expected, 5);
      expect(flow.loss).toBeCloseTo(tf.tidy(() => tf.sum(tf.mul(tf.squeeze(tf.slice(layer.apply(x) as tf.Tensor3D, [0, T - 1, 0], [B, 1, H]), [1]), r)).dataSync()[0]), 4);
      tf.dispose([x, r]);
      layer.dispose();
    }
  });

  it('LSTM: the state is (h, c); the last c feeds nothing, so its norm is that of dL/dh alone', () => {
    const layer = new RecurrentLayer({ cell: 'lstm', units: H, seed: 4 });
    const { x, r } = batch(11);
    const flow = gradientFlow({ layer, x, loss: (_seq, last) => tf.sum(tf.mul(last, r)) as tf.Scalar });
    expect(flow.series[0].norms[T - 1]).toBeCloseTo(rowNormMean(r), 5);
    expect(flow.series[0].norms.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    tf.dispose([x, r]);
    layer.dispose();
  });

  it('stacked bidirectional: one series per layer and direction; the reverse direction ends at t = 0', () => {
    const layer = built(new RecurrentLayer({ cell: 'gru', units: H, seed: 5, numLayers: 2, bidirectional: true, returnSequences: true }));
    const { x } = batch(13);
    const before = tf.memory().numTensors;
    const flow = gradientFlow({ layer, x, loss: (seq) => tf.mean(tf.square(seq)) as tf.Scalar });
    expect(tf.memory().numTensors).toBe(before);
    expect(flow.series.map((s) => `${s.layer}:${s.direction}`)).toEqual(['0:forward', '0:reverse', '1:forward', '1:reverse']);
    const rev = flow.series[3];
    expect(byDistance(rev)[0]).toBe(rev.norms[0]);
    expect(byDistance(flow.series[2])[0]).toBe(flow.series[2].norms[T - 1]);
    tf.dispose(x);
    layer.dispose();
  });

  it('masked steps get no gradient (they carry the states and emit zeros)', () => {
    const layer = new RecurrentLayer({ cell: 'rnn', units: H, seed: 6 });
    const { x, r } = batch(17);
    const mask = tf.tensor2d(Array.from({ length: B }, () => [1, 1, 1, 1, 0, 0]));
    const flow = gradientFlow({ layer, x, mask, loss: (_seq, last) => tf.sum(tf.mul(last, r)) as tf.Scalar });
    const n = flow.series[0].norms;
    expect(n[4]).toBe(0);
    expect(n[5]).toBe(0);
    expect(n[3]).toBeCloseTo(rowNormMean(r), 5); // the last real step
    tf.dispose([x, r, mask]);
    layer.dispose();
  });

  it('rejects a non-scalar loss and a badly shaped batch', () => {
    const layer = new RecurrentLayer({ cell: 'rnn', units: H, seed: 8 });
    const { x, r } = batch(19);
    expect(() => gradientFlow({ layer, x, loss: (_s, last) => last as unknown as tf.Scalar })).toThrow(/must be a scalar/);
    expect(() => gradientFlow({ layer, x: tf.zeros([2, 3]) as unknown as tf.Tensor3D, loss: () => tf.scalar(0) })).toThrow(/expected x \[batch, time, features\]/);
    tf.dispose([x, r]);
    layer.dispose();
  });
});

describe('gradientReach', () => {
  const series = (norms: number[]) => ({ layer: 0, direction: 'forward' as const, norms });
  it('counts the steps back from the end that stay above the relative threshold', () => {
    expect(gradientReach(series([1e-9, 1e-2, 0.5, 1]), 1e-3)).toBe(2);
    expect(gradientReach(series([0.5, 1e-9, 0.5, 1]), 1e-3)).toBe(1); // stops at the first drop
    expect(gradientReach(series([0.1, 0.2, 1]), 1e-3)).toBe(2); // never below: T - 1
  });
});
