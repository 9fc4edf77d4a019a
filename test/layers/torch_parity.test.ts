/**
 * Parity with PyTorch 1.13 (../shared/fixtures/torch/*.json): outputs, final
 * states and gradients of loss = sum(y·R) + sum(h_n·Rh) [+ sum(c_n·Rc)] with
 * respect to the input, h0/c0 and every parameter, in float32 within 1e-4
 * absolute + 1e-4 relative, for both implementations on cpu and wasm.
 * The fixtures were produced by torch.nn.{RNN,LSTM,GRU}(batch_first=True) with
 * packed sequences for the `lengths` cases (see each file's `note`).
 */
import * as tf from '@tensorflow/tfjs';
import { fromTorchStates, shortWeightName, toTorchLayout, toTorchStates } from '../../layers';
import { layerForFixture, readTorchFixture, torchFixtureFiles } from '../helpers/torch_fixtures';
import { expectClose, TEST_BACKENDS, useBackend } from '../helpers/backends';





test('all 17 PyTorch fixtures are present', () => {
  expect(torchFixtureFiles).toHaveLength(17);
});

describe.each(TEST_BACKENDS)('PyTorch parity on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  describe.each(['fused', 'autodiff'] as const)('%s path', (implementation) => {
    test.each(torchFixtureFiles)('%s', (file) => {
      const fx = readTorchFixture(file);
      const layer = layerForFixture(fx, implementation);
      const x = tf.variable(tf.tensor3d(fx.input.x));
      const h0 = fx.input.h0 ? tf.variable(tf.tensor3d(fx.input.h0)) : null;
      const c0 = fx.input.c0 ? tf.variable(tf.tensor3d(fx.input.c0)) : null;
      const R = tf.tensor3d(fx.loss_weights.R);
      const Rh = tf.tensor3d(fx.loss_weights.Rh);
      const Rc = fx.loss_weights.Rc ? tf.tensor3d(fx.loss_weights.Rc) : null;
      const kwargs = fx.input.lengths ? { lengths: fx.input.lengths } : {};

      let y: tf.Tensor | null = null;
      let hN: tf.Tensor | null = null;
      let cN: tf.Tensor | null = null;
      const lossFn = (): tf.Scalar => {
        const init = h0 ? fromTorchStates(layer, h0 as tf.Tensor3D, (c0 ?? undefined) as tf.Tensor3D | undefined) : undefined;
        const outs = layer.apply(x, { ...kwargs, initialState: init }) as tf.Tensor[];
        const [yy, ...states] = outs;
        const { h, c } = toTorchStates(layer, states);
        y = tf.keep(yy.clone());
        hN = tf.keep(h.clone());
        if (c) cN = tf.keep(c.clone());
        let loss = tf.add(tf.sum(tf.mul(yy, R)), tf.sum(tf.mul(h, Rh)));
        if (c && Rc) loss = tf.add(loss, tf.sum(tf.mul(c, Rc)));
        return loss as tf.Scalar;
      };
      const wrt = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])];
      const { value, grads } = tf.variableGrads(lossFn, wrt);

      expectClose(`${file} y`, y!, tf.tensor(fx.output.y));
      expectClose(`${file} h_n`, hN!, tf.tensor(fx.output.h_n));
      if (fx.output.c_n) expectClose(`${file} c_n`, cN!, tf.tensor(fx.output.c_n));
      expectClose(`${file} loss`, value, tf.scalar(fx.output.loss));

      const byShortName: Record<string, tf.Tensor> = {};
      for (const w of layer.trainableWeights) byShortName[shortWeightName(layer, w.originalName)] = grads[(w.read() as tf.Variable).name];
      const torchGrads = toTorchLayout(layer, byShortName, 'gradients');
      expectClose(`${file} grad x`, grads[x.name], tf.tensor(fx.grads.x));
      if (h0) expectClose(`${file} grad h0`, grads[h0.name], tf.tensor(fx.grads.h0));
      if (c0) expectClose(`${file} grad c0`, grads[c0.name], tf.tensor(fx.grads.c0));
      const paramNames = Object.keys(fx.grads).filter((k) => !['x', 'h0', 'c0'].includes(k));
      expect(Object.keys(torchGrads).sort()).toEqual(paramNames.sort());
      for (const k of paramNames) expectClose(`${file} grad ${k}`, torchGrads[k], tf.tensor(fx.grads[k]));

      tf.dispose([y!, hN!, cN!, value, x, h0, c0, R, Rh, Rc].filter((t): t is tf.Tensor => t !== null));
      tf.dispose(Object.values(grads));
      tf.dispose(Object.values(torchGrads));
      tf.dispose(layer.weights.map((w) => w.read()));
    });
  });
});
