/**
 * Many-to-one pooling over time that respects the mask: [B, T, F] → [B, F].
 * 'max' takes each feature's maximum over real steps, 'mean' averages over real
 * steps (padded steps never count, whatever their values).
 */
import * as tf from '@tensorflow/tfjs';

export type PoolingMode = 'max' | 'mean';

export interface MaskedPoolingArgs {
  /** 'max' or 'mean'. Default 'max'. */
  mode?: PoolingMode;
  /** Layer name. */
  name?: string;
}

export class MaskedPooling extends tf.layers.Layer {
  static className = 'rnnkit.MaskedPooling';
  readonly mode: PoolingMode;

  constructor(args: MaskedPoolingArgs = {}) {
    super({ name: args.name });
    this.mode = args.mode ?? 'max';
    if (this.mode !== 'max' && this.mode !== 'mean') throw new Error(`${this.name}: mode must be 'max' or 'mean', got '${String(this.mode)}'`);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], inputShape[2]];
  }

  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // the time axis is gone
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { [key: string]: unknown }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const raw = kwargs.mask as tf.Tensor | undefined;
      const m = raw ? tf.expandDims(tf.cast(raw, 'float32'), 2) : null; // [B, T, 1]
      if (this.mode === 'mean') {
        if (!m) return tf.mean(x, 1);
        return tf.div(tf.sum(tf.mul(x, m), 1), tf.maximum(tf.sum(m, 1), 1));
      }
      if (!m) return tf.max(x, 1);
      // Padded steps get a large negative offset so they never win the max.
      return tf.max(tf.add(x, tf.mul(tf.sub(m, 1), 1e9)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(MaskedPooling);

export function maskedPooling(args: MaskedPoolingArgs = {}): MaskedPooling {
  return new MaskedPooling(args);
}
