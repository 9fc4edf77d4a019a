/**
 * Dropout whose masks come from the package's seeded dropout stream (see
 * random.ts), so training is reproducible and resumable. tfjs' own Dropout layer
 * either repeats one mask forever (with a seed) or is unseeded. Masks pass
 * through unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { nextDropoutSeed } from './random';

export interface SeededDropoutArgs {
  /** Fraction of units to drop while training, in [0, 1). */
  rate: number;
  /** Layer name. */
  name?: string;
}

export class SeededDropout extends tf.layers.Layer {
  static className = 'rnnkit.SeededDropout';
  readonly rate: number;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`${this.name}: rate must be in [0, 1), got ${String(args.rate)}`);
    this.rate = args.rate;
    this.supportsMasking = true;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return mask as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { [key: string]: unknown }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate === 0) return x.clone();
    return tf.dropout(x, this.rate, undefined, nextDropoutSeed());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SeededDropout);

export function seededDropout(args: SeededDropoutArgs): SeededDropout {
  return new SeededDropout(args);
}
