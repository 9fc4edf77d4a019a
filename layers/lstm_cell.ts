/**
 * LSTM cell (Hochreiter & Schmidhuber 1997, with forget gate), Keras layout:
 *
 *   z = x·W + h·U + b               W [D, 4H], U [P, 4H], b [4H], blocks (i, f, c, o)
 *   i = σ(z_i)   f = σ(z_f)   g = tanh(z_c)   o = σ(z_o)
 *   c' = f ⊙ c + i ⊙ g
 *   m  = o ⊙ tanh(c')
 *   h' = m · Wr  (with projection, Wr [H, P], as PyTorch's proj_size)  else  h' = m
 *
 * The output is h'. States: [h [B, P or H], c [B, H]]. The forget-gate bias starts
 * at 1 by default (Keras unit_forget_bias; Jozefowicz et al. 2015).
 */
import * as tf from '@tensorflow/tfjs';
import { AddWeight, CellOptions, RecurrentCell, StepResult } from './cell';
import { lstmSequence } from './fused/lstm';
import { SequenceInputs, SequenceResult } from './fused/types';

export interface LSTMCellOptions extends CellOptions {
  /** Size P of the projected hidden state (PyTorch proj_size); 0 or undefined for none. */
  projSize?: number;
  /** Start the forget-gate bias at 1 (Keras unit_forget_bias). Default true. */
  unitForgetBias?: boolean;
}

export class LSTMCell extends RecurrentCell {
  readonly projSize: number;
  projKernel?: tf.LayerVariable;

  constructor(options: LSTMCellOptions) {
    super(options, options.unitForgetBias === false ? 'zeros' : 'unitForgetBias');
    const p = options.projSize ?? 0;
    if (!Number.isInteger(p) || p < 0 || (p > 0 && p >= options.units)) {
      throw new Error(`projSize must be an integer in [0, units) (PyTorch requires proj_size < hidden_size), got ${String(p)}`);
    }
    this.projSize = p;
  }

  get gates(): number {
    return 4;
  }
  get stateSizes(): number[] {
    return [this.recurrentSize, this.units];
  }
  get outputSize(): number {
    return this.recurrentSize;
  }
  override get recurrentSize(): number {
    return this.projSize > 0 ? this.projSize : this.units;
  }

  override build(addWeight: AddWeight, inputDim: number, suffix: string, seed: number): void {
    super.build(addWeight, inputDim, suffix, seed);
    if (this.projSize > 0) this.projKernel = addWeight(`proj_kernel${suffix}`, [this.units, this.projSize], this.kernelInit, seed + 3);
  }

  override weights(): tf.LayerVariable[] {
    return this.projKernel ? [...super.weights(), this.projKernel] : super.weights();
  }

  step(x: tf.Tensor2D, states: tf.Tensor2D[]): StepResult {
    return tf.tidy(() => {
      const [h, c] = states;
      let z = tf.add(tf.matMul(x, this.read(this.kernel, 'kernel')), tf.matMul(h, this.read(this.recurrentKernel, 'recurrent_kernel')));
      if (this.bias) z = tf.add(z, this.bias.read());
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      const cNew = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc))) as tf.Tensor2D;
      let hNew = tf.mul(tf.sigmoid(zo), tf.tanh(cNew)) as tf.Tensor2D;
      if (this.projKernel) hNew = tf.matMul(hNew, this.projKernel.read());
      return { output: hNew, states: [hNew, cNew] };
    });
  }

  protected runFused(inp: SequenceInputs): SequenceResult {
    return lstmSequence(inp, {
      kernel: this.read(this.kernel, 'kernel') as tf.Tensor2D,
      recurrentKernel: this.read(this.recurrentKernel, 'recurrent_kernel') as tf.Tensor2D,
      bias: this.bias ? (this.bias.read() as tf.Tensor1D) : null,
      projKernel: this.projKernel ? (this.projKernel.read() as tf.Tensor2D) : null,
    });
  }
}
