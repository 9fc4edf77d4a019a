/**
 * Attention layers: weights sum to 1 over the real source positions and are
 * exactly 0 on padding; dot/general/additive scores equal a hand computation;
 * plainMatMul's gradients equal tf.matMul's; the layer serializes in a model.
 */
import * as tf from '@tensorflow/tfjs';
import { attention, maskedSoftmax } from '../../layers/attention';
import { plainMatMul } from '../../layers/plain_matmul';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const B = 3;
const S = 5;
const T = 4;
const D = 6;

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe.each(TEST_BACKENDS)('attention on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it.each(['dot', 'general', 'additive'] as const)('%s: weights sum to 1, are 0 on padded source positions, and no tensor leaks', (score) => {
    const layer = attention({ score, seed: 3 });
    const q = rand([B, T, D], 1);
    const k = rand([B, S, D], 2);
    const lengths = [5, 2, 1];
    tf.dispose(layer.apply([q, k], { lengths }) as tf.Tensor[]); // build
    const before = tf.memory().numTensors;
    const [context, weights] = layer.apply([q, k], { lengths }) as tf.Tensor[];
    expect(context.shape).toEqual([B, T, D]);
    expect(weights.shape).toEqual([B, T, S]);
    const w = weights.arraySync() as number[][][];
    w.forEach((rows, b) =>
      rows.forEach((row) => {
        expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
        row.forEach((x, s) => (s >= lengths[b] ? expect(x).toBe(0) : expect(x).toBeGreaterThan(0)));
      }),
    );
    // One real token: all the weight on it, and the context is that key.
    tf.tidy(() => expectClose('context of a 1-token source', tf.slice(context, [2, 0, 0], [1, T, D]).reshape([T, D]), tf.tile(tf.slice(k, [2, 0, 0], [1, 1, D]).reshape([1, D]), [T, 1]), 1e-5));
    tf.dispose([context, weights]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k]);
    layer.dispose();
  });

  it('dot and general scores equal a hand computation; a mask tensor works like lengths', () => {
    const q = rand([B, T, D], 4);
    const k = rand([B, S, D], 5);
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]);
    const dot = attention({ score: 'dot' });
    const [, wd] = dot.apply([q, k], { mask }) as tf.Tensor[];
    const scores = tf.matMul(q, k, false, true);
    const expected = tf.softmax(tf.add(scores, tf.mul(tf.sub(1, tf.expandDims(mask, 1)), -1e9)));
    expectClose('dot weights', wd, expected, 1e-5);
    const general = attention({ score: 'general', seed: 9 });
    const [cg, wg] = general.apply([q, k, tf.mul(k, 2)], { mask }) as tf.Tensor[];
    const W = general.kernel!.read();
    const s2 = tf.matMul(q, tf.reshape(tf.matMul(tf.reshape(k, [B * S, D]), W), [B, S, D]), false, true);
    const e2 = maskedSoftmax(s2, mask);
    expectClose('general weights', wg, e2, 1e-5);
    expectClose('context over separate values', cg, tf.matMul(e2, tf.mul(k, 2)), 1e-4);
    const scaled = attention({ score: 'dot', scale: true });
    const [, ws] = scaled.apply([q, k], { mask }) as tf.Tensor[];
    expectClose('scaled dot weights', ws, maskedSoftmax(tf.div(scores, Math.sqrt(D)), mask), 1e-5);
    expect(scaled.getConfig().scale).toBe(true);
  });

  it('additive: v·tanh(q Wq + k Wk) by hand, and a single query step [B, D] gives [B, S] weights', () => {
    const layer = attention({ score: 'additive', units: 7, seed: 2 });
    const q = rand([B, D], 6);
    const k = rand([B, S, 3], 7);
    const [ctx, w] = layer.apply([q, k], { lengths: [5, 3, 4] }) as tf.Tensor[];
    expect(ctx.shape).toEqual([B, 3]);
    expect(w.shape).toEqual([B, S]);
    const Wq = layer.queryKernel!.read();
    const Wk = layer.keyKernel!.read();
    const v = layer.scoreVector!.read();
    const qs = q.arraySync() as number[][];
    const ks = k.arraySync() as number[][][];
    const wq = Wq.arraySync() as number[][];
    const wk = Wk.arraySync() as number[][];
    const vv = (v.arraySync() as number[][]).map((r) => r[0]);
    const lengths = [5, 3, 4];
    const got = w.arraySync() as number[][];
    for (let b = 0; b < B; b++) {
      const e = ks[b].map((key) => vv.reduce((acc, vu, u) => acc + vu * Math.tanh(qs[b].reduce((a, x, i) => a + x * wq[i][u], 0) + key.reduce((a, x, i) => a + x * wk[i][u], 0)), 0));
      const m = Math.max(...e.slice(0, lengths[b]));
      const z = e.slice(0, lengths[b]).reduce((a, x) => a + Math.exp(x - m), 0);
      e.forEach((x, s) => expect(got[b][s]).toBeCloseTo(s < lengths[b] ? Math.exp(x - m) / z : 0, 5));
    }
  });

  it('plainMatMul: same value and gradients as tf.matMul (2-D and batched)', () => {
    for (const [sa, sb] of [[[4, 3], [3, 5]], [[2, 4, 3], [2, 3, 5]]]) {
      const a = rand(sa, 11);
      const b = rand(sb, 12);
      const r = rand([...sa.slice(0, -1), sb[sb.length - 1]], 13);
      const f = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x, y), r)))([a, b]);
      const [ga, gb] = f((x, y) => plainMatMul(x, y));
      const [ea, eb] = f((x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D));
      expectClose('value', plainMatMul(a, b), tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), 1e-5);
      expectClose('da', ga, ea, 1e-5);
      expectClose('db', gb, eb, 1e-5);
    }
  });

  it('trains inside a model and round-trips through serialization', async () => {
    const qIn = tf.input({ shape: [null, D] });
    const kIn = tf.input({ shape: [null, D] });
    const [ctx] = attention({ score: 'general', seed: 1, name: 'att' }).apply([qIn, kIn]) as tf.SymbolicTensor[];
    const model = tf.model({ inputs: [qIn, kIn], outputs: ctx });
    const q = rand([B, T, D], 1);
    const k = rand([B, S, D], 2);
    const y1 = model.predict([q, k]) as tf.Tensor;
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expectClose('loaded model output', loaded.predict([q, k]) as tf.Tensor, y1, 1e-6);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.predict([q, k]) as tf.Tensor)) as tf.Scalar);
    expect(Object.keys(grads)).toHaveLength(1);
    expect(tf.sum(tf.abs(Object.values(grads)[0])).dataSync()[0]).toBeGreaterThan(0);
  });

  it('names the problem for bad inputs', () => {
    expect(() => attention({ score: 'cosine' as never })).toThrow(/score must be one of dot, general, additive/);
    const dot = attention({ score: 'dot' });
    expect(() => dot.apply([rand([1, 2, 3], 1), rand([1, 2, 4], 2)])).toThrow(/same size/);
    const g = attention({ score: 'general' });
    expect(() => g.apply([rand([2, 2, 3], 1), rand([2, 4, 3], 2)], { lengths: [1] })).toThrow(/one entry per batch row \(2\)/);
  });
});
