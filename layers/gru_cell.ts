/**
 * GRU cell (Cho et al. 2014), Keras layout, blocks (z, r, h):
 *
 *   resetAfter = true (PyTorch, Keras default, cuDNN):
 *     xz = x·W + b_in          hz = h·U + b_rec          (bias [2, 3H])
 *     z = σ(xz_z + hz_z)   r = σ(xz_r + hz_r)   n = tanh(xz_h + r ⊙ hz_h)
 *   resetAfter = false (tfjs-layers, original paper):
 *     z = σ(x·W_z + h·U_z + b_z)   r = σ(x·W_r + h·U_r + b_r)
 *     n = tanh(x·W_h + (r ⊙ h)·U_h + b_h)                  (bias [3H])
 *   h' = z ⊙ h + (1 − z) ⊙ n
 *
 * The output is h'. States: [h [B, H]].
 */
import * as tf from '@tensorflow/tfjs';
import { CellOptions, RecurrentCell, StepResult } from './cell';
import { gruSequence } from './fused/gru';
import { SequenceInputs, SequenceResult } from './fused/types';

export interface GRUCellOptions extends CellOptions {
  /** Apply the reset gate after the recurrent matmul (PyTorch/Keras/cuDNN). Default true. */
  resetAfter?: boolean;
}

export class GRUCell extends RecurrentCell {
  readonly resetAfter: boolean;

  constructor(options: GRUCellOptions) {
    super(options);
    this.resetAfter = options.resetAfter ?? true;
  }

  get gates(): number {
    return 3;
  }
  get stateSizes(): number[] {
    return [this.units];
  }
  get outputSize(): number {
    return this.units;
  }
  protected override get biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  step(x: tf.Tensor2D, states: tf.Tensor2D[]): StepResult {
    return tf.tidy(() => {
      const [h] = states;
      const H = this.units;
      const W = this.read(this.kernel, 'kernel');
      const U = this.read(this.recurrentKernel, 'recurrent_kernel');
      let hNew: tf.Tensor2D;
      if (this.resetAfter) {
        let xz = tf.matMul(x, W);
        let hz = tf.matMul(h, U);
        if (this.bias) {
          const [bIn, bRec] = tf.unstack(this.bias.read());
          xz = tf.add(xz, bIn);
          hz = tf.add(hz, bRec);
        }
        const [xzz, xzr, xzh] = tf.split(xz, 3, 1);
        const [hzz, hzr, hzh] = tf.split(hz, 3, 1);
        const z = tf.sigmoid(tf.add(xzz, hzz));
        const r = tf.sigmoid(tf.add(xzr, hzr));
        const n = tf.tanh(tf.add(xzh, tf.mul(r, hzh)));
        hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n)) as tf.Tensor2D;
      } else {
        let xz = tf.matMul(x, W);
        if (this.bias) xz = tf.add(xz, this.bias.read());
        const [xzz, xzr, xzh] = tf.split(xz, 3, 1);
        const Uzr = tf.slice(U, [0, 0], [H, 2 * H]);
        const Uh = tf.slice(U, [0, 2 * H], [H, H]);
        const [hzz, hzr] = tf.split(tf.matMul(h, Uzr), 2, 1);
        const z = tf.sigmoid(tf.add(xzz, hzz));
        const r = tf.sigmoid(tf.add(xzr, hzr));
        const n = tf.tanh(tf.add(xzh, tf.matMul(tf.mul(r, h), Uh)));
        hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n)) as tf.Tensor2D;
      }
      return { output: hNew, states: [hNew] };
    });
  }

  protected runFused(inp: SequenceInputs): SequenceResult {
    return gruSequence(inp, {
      kernel: this.read(this.kernel, 'kernel') as tf.Tensor2D,
      recurrentKernel: this.read(this.recurrentKernel, 'recurrent_kernel') as tf.Tensor2D,
      bias: this.bias ? this.bias.read() : null,
      resetAfter: this.resetAfter,
    });
  }
}
