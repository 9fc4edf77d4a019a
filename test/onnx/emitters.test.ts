/**
 * The ONNX emitter table (src/onnx/emitters.ts): export finds a layer's nodes by
 * its class name, a subclass exports through its nearest registered base class,
 * and a new layer class becomes exportable by registering an emitter (no edit of
 * the graph walk in export.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { lstm, LSTM } from '../../layers';
import { exportModel, registerEmitter } from '../../src/onnx';
import { onnx } from '../../src/onnx/proto';

class Twice extends tf.layers.Layer {
  static className = 'test.Twice';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2));
  }
}
class MyLstm extends LSTM {
  static override className = 'test.MyLstm';
}

const opTypes = (bytes: Uint8Array): string[] => (onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType ?? '');

test('a layer class without an emitter is refused by name; registering one makes it exportable', () => {
  const x = tf.input({ shape: [3, 2] });
  const model = tf.model({ inputs: x, outputs: new Twice({ name: 'twice' }).apply(x) as tf.SymbolicTensor });
  expect(() => exportModel(model)).toThrow(/^twice: layer class test\.Twice cannot be exported to ONNX \(supported: .*Dense.*rnnkit\.LSTM/);
  registerEmitter<Twice>(Twice.className, (g, layer, [v]) => [{ name: g.op('Mul', [v.name, g.floats(`${layer.name}/two`, [], [2])], {}, `${layer.name}/mul`), mask: v.mask }]);
  expect(opTypes(exportModel(model)).filter((t) => t !== 'Identity')).toEqual(['Mul']); // + the output's Identity
  model.dispose();
});

test('a subclass of a recurrent layer exports through its base class\'s emitter (one ONNX LSTM node)', () => {
  const x = tf.input({ shape: [4, 3] });
  const base = lstm({ units: 5, returnSequences: true, name: 'base' });
  const sub = new MyLstm({ units: 5, returnSequences: true, name: 'sub' });
  const mBase = tf.model({ inputs: x, outputs: base.apply(x) as tf.SymbolicTensor });
  const mSub = tf.model({ inputs: x, outputs: sub.apply(x) as tf.SymbolicTensor });
  expect(opTypes(exportModel(mSub))).toEqual(opTypes(exportModel(mBase)));
  expect(opTypes(exportModel(mSub))).toContain('LSTM');
  mBase.dispose();
  mSub.dispose();
});
