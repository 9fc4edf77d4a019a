/**
 * RowGather: out[b, t] = table[index[b, t]], a row lookup into a tensor computed
 * in the same graph (e.g. POS's character encoder's vector of each distinct word
 * of a batch, tasks/pos/model.ts), with the scatter-add gradient of
 * layers/embedding.ts, so it trains on the wasm backend (whose tf.gather has no
 * gradient kernel). Its ONNX form is a Gather (src/onnx/core_emitters.ts).
 *
 * Call: apply([table [N, F], index [B, T] int32]) → [B, T, F]. Row 0 of the table
 * is the padding row: the output mask is `index != 0`.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding';

export class RowGather extends tf.layers.Layer {
  static className = 'rnnkit.RowGather';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [table, index] = inputShape as tf.Shape[];
    return [...index, table[table.length - 1]];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.notEqual((inputs as tf.Tensor[])[1], 0));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [table, index] = inputs as tf.Tensor[];
      return embeddingLookup(table, index);
    });
  }
}
tf.serialization.registerClass(RowGather);

export function rowGather(args: { name?: string } = {}): RowGather {
  return new RowGather(args);
}
