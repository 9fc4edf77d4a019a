/**
 * The padding mask of right-padded ids as a tensor: float32 [B, S], 1 where
 * id != 0. A model hands it to a layer that needs another input's mask (the
 * attention layer's fourth input): tfjs' executor (model.predict / apply) passes
 * a multi-input layer only its first input's mask, so a keys' mask cannot reach
 * an attention layer through tfjs' implicit masks.
 *
 * Example:
 *   const srcMask = paddingMask().apply(sourceIds);              // [B, S]
 *   attention().apply([decoderOutputs, memory, memory, srcMask]);
 */
import * as tf from '@tensorflow/tfjs';

export class PaddingMask extends tf.layers.Layer {
  static className = 'rnnkit.PaddingMask';

  constructor(args: { name?: string } = {}) {
    super({ name: args.name, trainable: false });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // the mask is this layer's output, not carried beside it
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.cast(tf.notEqual(Array.isArray(inputs) ? inputs[0] : inputs, 0), 'float32'));
  }
}
tf.serialization.registerClass(PaddingMask);

/** A padding-mask layer (see the file comment). */
export function paddingMask(args: { name?: string } = {}): PaddingMask {
  return new PaddingMask(args);
}
