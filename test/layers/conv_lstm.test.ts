/**
 * ConvLSTM2D: the seven float64 PyTorch fixtures of ../shared/fixtures/convlstm/
 * (outputs, final states and the gradients of loss = Σ y·R + Σ h_n·Rh + Σ c_n·Rc
 * w.r.t. x, every weight and h0/c0) within 1e-5 on both paths (fused, autodiff)
 * and both backends (cpu, wasm); equality with tfjs-layers' tf.layers.convLstm2d
 * given the same weights (sigmoid and hard sigmoid); centered finite differences
 * of the fused kernel's gradients; no tensor growth per training step;
 * getConfig / fromConfig round trip; the bidirectional wrapper.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { bidirectional, convLstm2d, ConvLSTM2D, seedDropout } from '../../layers';
import { setFusedEngineMode } from '../../layers/fused/kernel_ops';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/convlstm');
const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort() : [];

interface LayerCfg {
  filters: number;
  kernel_size: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilation_rate: [number, number];
}
interface Params {
  kernel: number[];
  recurrent_kernel: number[];
  bias: number[];
}
interface Fixture {
  config: { layers: LayerCfg[]; reverse: boolean; recurrent_activation: 'sigmoid' | 'hard_sigmoid' };
  input: { x: number[]; h0: number[][] | null; c0: number[][] | null };
  params: Params[];
  loss_weights: { R: number[]; Rh: number[]; Rc: number[] };
  output: { y: number[]; h_n: number[]; c_n: number[]; loss: number };
  grads: { x: number[]; params: Params[]; h0: number[][] | null; c0: number[][] | null };
}

const TOL = 1e-5;

/** Layers for a fixture with its weights set (last layer returns its states). */
function layersFor(fx: Fixture, implementation: 'fused' | 'autodiff'): ConvLSTM2D[] {
  const x = tf.tensor(fx.input.x);
  const layers = fx.config.layers.map((c, k) =>
    convLstm2d({
      filters: c.filters,
      kernelSize: c.kernel_size,
      strides: c.strides,
      padding: c.padding,
      dilationRate: c.dilation_rate,
      recurrentActivation: fx.config.recurrent_activation === 'hard_sigmoid' ? 'hardSigmoid' : 'sigmoid',
      reverse: fx.config.reverse,
      returnSequences: true,
      returnState: true,
      implementation,
      seed: 1 + k,
    }),
  );
  let shape = x.shape as number[];
  layers.forEach((layer, k) => {
    layer.build(shape);
    const p = fx.params[k];
    layer.setWeights([tf.tensor(p.kernel), tf.tensor(p.recurrent_kernel), tf.tensor(p.bias)]);
    const [oh, ow] = layer.outputSize(shape[2], shape[3]);
    shape = [shape[0], shape[1], oh, ow, fx.config.layers[k].filters];
  });
  x.dispose();
  return layers;
}

const read = (f: string): Fixture => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as Fixture;

test('all seven ConvLSTM fixtures are present', () => {
  expect(files).toHaveLength(7);
});

describe.each(TEST_BACKENDS)('ConvLSTM fixtures on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  describe.each(['fused', 'autodiff'] as const)('%s path', (implementation) => {
    test.each(files)('%s', (file) => checkFixture(file, implementation));
  });
});

/** Runs one fixture through the layers and compares outputs, states, loss and every gradient. */
function checkFixture(file: string, implementation: 'fused' | 'autodiff'): void {
  const fx = read(file);
  const layers = layersFor(fx, implementation);
  const x = tf.variable(tf.tensor(fx.input.x));
  const h0 = (fx.input.h0 ?? []).map((h) => tf.variable(tf.tensor(h)));
  const c0 = (fx.input.c0 ?? []).map((c) => tf.variable(tf.tensor(c)));
  const R = tf.tensor(fx.loss_weights.R);
  const Rh = tf.tensor(fx.loss_weights.Rh);
  const Rc = tf.tensor(fx.loss_weights.Rc);
  const kept: tf.Tensor[] = [];
  const lossFn = (): tf.Scalar => {
    let input: tf.Tensor = x;
    let outs: tf.Tensor[] = [];
    layers.forEach((layer, k) => {
      const init = h0.length ? [h0[k], c0[k]] : undefined;
      outs = layer.apply(input, { initialState: init }) as tf.Tensor[];
      input = outs[0];
    });
    const [y, h, c] = outs;
    kept.push(tf.keep(y.clone()), tf.keep(h.clone()), tf.keep(c.clone()));
    return tf.addN([tf.sum(tf.mul(y, R)), tf.sum(tf.mul(h, Rh)), tf.sum(tf.mul(c, Rc))]) as tf.Scalar;
  };
  const weights = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const { value, grads } = tf.variableGrads(lossFn, [...weights, x, ...h0, ...c0]);
  expectClose(`${file} y`, kept[0], tf.tensor(fx.output.y), TOL, TOL);
  expectClose(`${file} h_n`, kept[1], tf.tensor(fx.output.h_n), TOL, TOL);
  expectClose(`${file} c_n`, kept[2], tf.tensor(fx.output.c_n), TOL, TOL);
  expectClose(`${file} loss`, value, tf.scalar(fx.output.loss), TOL, TOL);
  expectClose(`${file} grad x`, grads[x.name], tf.tensor(fx.grads.x), TOL, TOL);
  layers.forEach((layer, k) => {
    const [gk, gr, gb] = layer.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]);
    const p = fx.grads.params[k];
    expectClose(`${file} layer ${k} grad kernel`, gk, tf.tensor(p.kernel), TOL, TOL);
    expectClose(`${file} layer ${k} grad recurrent_kernel`, gr, tf.tensor(p.recurrent_kernel), TOL, TOL);
    expectClose(`${file} layer ${k} grad bias`, gb, tf.tensor(p.bias), TOL, TOL);
  });
  h0.forEach((h, k) => expectClose(`${file} grad h0[${k}]`, grads[h.name], tf.tensor(fx.grads.h0![k]), TOL, TOL));
  c0.forEach((c, k) => expectClose(`${file} grad c0[${k}]`, grads[c.name], tf.tensor(fx.grads.c0![k]), TOL, TOL));
  tf.dispose([...kept, value, x, ...h0, ...c0, R, Rh, Rc, ...Object.values(grads)]);
  tf.dispose(layers.flatMap((l) => l.weights.map((w) => w.read())));
}

describe('the fused kernel through the engine (the path of webgl, tensorflow and other backends)', () => {
  beforeAll(async () => useBackend('cpu'));
  afterAll(() => setFusedEngineMode(false));
  test.each(['convlstm_2layer_k5_k1.json', 'convlstm_h0_rect_kernel.json', 'convlstm_hard_sigmoid.json', 'convlstm_reverse.json', 'convlstm_valid_stride2.json'])('%s', (file) => {
    setFusedEngineMode(true);
    try {
      checkFixture(file, 'fused');
    } finally {
      setFusedEngineMode(false);
    }
  });
});

/** Deterministic pseudo-random values in [−s, s]. */
function rand(shape: number[], seed: number, s = 0.5): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let st = seed >>> 0;
  for (let i = 0; i < n; i++) {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    v[i] = ((st / 4294967296) * 2 - 1) * s;
  }
  return tf.tensor(v, shape);
}

describe('ConvLSTM2D on wasm', () => {
  beforeAll(async () => useBackend('wasm'));

  // tfjs-layers 4.22 as the second oracle: same weights → same outputs and states.
  test.each([
    ['sigmoid', 'same', 1, false],
    ['hardSigmoid', 'same', 1, false],
    ['sigmoid', 'valid', 2, false],
    ['hardSigmoid', 'same', 1, true],
  ] as const)('equals tf.layers.convLstm2d (%s, %s, strides %d, goBackwards %s)', (act, padding, strides, goBackwards) => {
    const x = rand([2, 4, 7, 6, 3], 11);
    const ours = convLstm2d({ filters: 4, kernelSize: 3, padding, strides, recurrentActivation: act, goBackwards, returnSequences: true, returnState: true, seed: 3 });
    const theirs = tf.layers.convLstm2d({ filters: 4, kernelSize: 3, padding, strides, recurrentActivation: act, goBackwards, returnSequences: true, returnState: true });
    const [yT, hT, cT] = theirs.apply(x) as tf.Tensor[];
    ours.build(x.shape);
    ours.setWeights(theirs.getWeights());
    for (const implementation of ['fused', 'autodiff'] as const) {
      (ours.args as { implementation: string }).implementation = implementation;
      const [y, h, c] = ours.apply(x) as tf.Tensor[];
      expectClose(`${act} ${implementation} y`, y, yT, 1e-5, 1e-5);
      expectClose(`${act} ${implementation} h`, h, hT, 1e-5, 1e-5);
      expectClose(`${act} ${implementation} c`, c, cT, 1e-5, 1e-5);
      tf.dispose([y, h, c]);
    }
    tf.dispose([x, yT, hT, cT, ...ours.weights.map((w) => w.read()), ...theirs.weights.map((w) => w.read())]);
  });

  test('recurrent and input dropout: the fused gradients equal autodiff with the same masks', () => {
    const x = tf.variable(rand([2, 3, 5, 5, 2], 5));
    const layers = (['fused', 'autodiff'] as const).map((implementation) =>
      convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', dropout: 0.3, recurrentDropout: 0.4, returnSequences: true, implementation, seed: 9 }),
    );
    const results = layers.map((layer) => {
      layer.build(x.shape);
      layer.setWeights(layers[0].getWeights());
      seedDropout(1234);
      const R = rand([2, 3, 5, 5, 3], 8);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, R)) as tf.Scalar, [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)]);
      R.dispose();
      return { value, grads: [grads[x.name], ...layer.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name])] };
    });
    expectClose('loss', results[0].value, results[1].value, 1e-5, 1e-5);
    results[0].grads.forEach((g, i) => expectClose(`grad ${i}`, g, results[1].grads[i], 1e-5, 1e-5));
    // Without training the masks are off: a different loss.
    const plain = tf.tidy(() => tf.sum(layers[0].apply(x) as tf.Tensor).dataSync()[0]);
    expect(Number.isFinite(plain)).toBe(true);
    tf.dispose([x, ...results.flatMap((r) => [r.value, ...r.grads]), ...layers.flatMap((l) => l.weights.map((w) => w.read()))]);
  });

  test('a training step leaves no tensors behind (fused and autodiff)', () => {
    for (const implementation of ['fused', 'autodiff'] as const) {
      const layer = convLstm2d({ filters: 4, kernelSize: 3, padding: 'same', recurrentDropout: 0.2, implementation, seed: 2 });
      const x = rand([2, 3, 6, 6, 2], 3);
      const target = rand([2, 6, 6, 4], 4);
      const opt = tf.train.adam(0.01);
      layer.build(x.shape);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const step = (): number => {
        const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(layer.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar, true, vars);
        const v = loss!.dataSync()[0];
        loss!.dispose();
        return v;
      };
      const first = step();
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      expect(step()).toBeLessThan(first);
      opt.dispose();
      tf.dispose([x, target, ...layer.weights.map((w) => w.read())]);
    }
  });

  test('getConfig / fromConfig and a model round trip keep the configuration and the outputs', async () => {
    const model = tf.sequential({
      layers: [
        convLstm2d({ filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same', recurrentActivation: 'hardSigmoid', returnSequences: true, reverse: true, inputShape: [3, 6, 5, 2], seed: 4 }),
        convLstm2d({ filters: 2, kernelSize: 1, dilationRate: 1, unitForgetBias: false, seed: 5 }),
      ],
    });
    const layer = model.layers[0] as ConvLSTM2D;
    const cfg = layer.getConfig();
    const copy = ConvLSTM2D.fromConfig(ConvLSTM2D, cfg) as ConvLSTM2D;
    expect(copy.getConfig()).toEqual(cfg);
    expect(cfg.kernelSize).toEqual([3, 2]);
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.layers[0]).toBeInstanceOf(ConvLSTM2D);
    expect(loaded.layers[0].getConfig()).toEqual(cfg);
    const x = rand([2, 3, 6, 5, 2], 6);
    expectClose('loaded model', loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6, 1e-6);
  });

  test('bidirectional wrapper: forward and reverse cells, concatenated along channels', () => {
    const x = rand([2, 4, 5, 5, 2], 7);
    const bi = bidirectional({ layer: convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true, seed: 1 }) });
    const y = bi.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 4, 5, 5, 6]);
    expect(bi.weights.map((w) => w.originalName.split('/').pop())).toEqual(['kernel_l0', 'recurrent_kernel_l0', 'bias_l0', 'kernel_l0_reverse', 'recurrent_kernel_l0_reverse', 'bias_l0_reverse']);
    const w = bi.getWeights();
    const fwd = convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true });
    const rev = convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true, reverse: true });
    fwd.build(x.shape);
    rev.build(x.shape);
    fwd.setWeights(w.slice(0, 3));
    rev.setWeights(w.slice(3));
    expectClose('bidirectional', y, tf.concat([fwd.apply(x) as tf.Tensor, rev.apply(x) as tf.Tensor], -1), 1e-6, 1e-6);
    expect(() => bidirectional({ layer: convLstm2d({ filters: 2, kernelSize: 3, reverse: true }) })).toThrow(/reads backwards/);
  });
});

describe('ConvLSTM2D on cpu', () => {
  beforeAll(async () => useBackend('cpu'));

  test('fused gradients match centered finite differences (float64 loss from float32 runs)', () => {
    const layer = convLstm2d({ filters: 2, kernelSize: 3, padding: 'same', strides: 1, returnSequences: true, returnState: true, seed: 21 });
    const x = tf.variable(rand([1, 3, 4, 4, 2], 31));
    const h0 = tf.variable(rand([1, 4, 4, 2], 32));
    const c0 = tf.variable(rand([1, 4, 4, 2], 33));
    const R = rand([1, 3, 4, 4, 2], 34, 1);
    const Rc = rand([1, 4, 4, 2], 35, 1);
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const [y, , c] = layer.apply(x, { initialState: [h0, c0] }) as tf.Tensor[];
        return tf.add(tf.sum(tf.mul(y, R)), tf.sum(tf.mul(c, Rc))) as tf.Scalar;
      });
    loss().dispose(); // builds
    const vars = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), x, h0, c0];
    const { grads } = tf.variableGrads(loss, vars);
    const eps = 1e-2;
    for (const v of vars) {
      const analytic = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      const n = base.length;
      for (const i of [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1]) {
        const at = (d: number): number => {
          const p = base.slice();
          p[i] += d;
          v.assign(tf.tensor(p, v.shape));
          const l = loss();
          const out = l.dataSync()[0];
          l.dispose();
          return out;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(numeric - analytic[i])).toBeLessThan(2e-3 + 2e-2 * Math.abs(analytic[i]));
      }
    }
    tf.dispose([x, h0, c0, R, Rc, ...Object.values(grads), ...layer.weights.map((w) => w.read())]);
  });

  test('step() on a fresh layer builds it and equals a one-frame apply from the same states', () => {
    const layer = convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnState: true, seed: 8 });
    const x = rand([2, 5, 4, 2], 40) as tf.Tensor4D;
    const h = rand([2, 5, 4, 3], 41) as tf.Tensor4D;
    const c = rand([2, 5, 4, 3], 42) as tf.Tensor4D;
    const r = layer.step(x, [h, c]);
    expect(layer.weights[0].originalName).toMatch(/^conv_lstm2d_\d+\/kernel$/);
    const [y, hN, cN] = layer.apply(tf.expandDims(x, 1), { initialState: [h, c] }) as tf.Tensor[];
    expectClose('step output', r.output, y, 1e-6, 1e-6);
    expectClose('step h', r.states[0], hN, 1e-6, 1e-6);
    expectClose('step c', r.states[1], cN, 1e-6, 1e-6);
  });

  test('clear errors for wrong inputs and options', () => {
    expect(() => convLstm2d({ filters: 0, kernelSize: 3 })).toThrow(/filters must be a positive integer/);
    expect(() => convLstm2d({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(/padding must be 'same' or 'valid'/);
    expect(() => convLstm2d({ filters: 2, kernelSize: 3, recurrentActivation: 'relu' as never })).toThrow(/recurrentActivation/);
    const layer = convLstm2d({ filters: 2, kernelSize: 3, padding: 'same' });
    expect(() => layer.apply(tf.zeros([1, 2, 4, 4]))).toThrow(/expected input \[batch, time, height, width, channels\]/);
    expect(() => layer.apply(tf.zeros([1, 2, 4, 4, 1]), { initialState: [tf.zeros([1, 4, 4, 3]), tf.zeros([1, 4, 4, 2])] })).toThrow(/initial state 0 must be \[1, 4, 4, 2\]/);
  });
});
