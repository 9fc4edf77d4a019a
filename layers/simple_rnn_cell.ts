/**
 * Elman RNN cell:  h' = act(x·W + h·U + b),  act ∈ {tanh, relu}.
 * W [D, H], U [H, H], b [H]. The output is h'. States: [h [B, H]].
 */
import * as tf from '@tensorflow/tfjs';
import { CellOptions, RecurrentCell, StepResult } from './cell';
import { rnnSequence } from './fused/simple_rnn';
import { SequenceInputs, SequenceResult } from './fused/types';

/** Nonlinearities a SimpleRNN supports (PyTorch's `nonlinearity`). */
export type RnnActivation = 'tanh' | 'relu';

export interface SimpleRNNCellOptions extends CellOptions {
  /** Nonlinearity. Default 'tanh'. */
  activation?: RnnActivation;
}

export class SimpleRNNCell extends RecurrentCell {
  readonly activation: RnnActivation;

  constructor(options: SimpleRNNCellOptions) {
    super(options);
    const act = options.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu') throw new Error(`activation must be 'tanh' or 'relu', got '${String(act)}'`);
    this.activation = act;
  }

  get gates(): number {
    return 1;
  }
  get stateSizes(): number[] {
    return [this.units];
  }
  get outputSize(): number {
    return this.units;
  }

  step(x: tf.Tensor2D, states: tf.Tensor2D[]): StepResult {
    return tf.tidy(() => {
      let z = tf.add(tf.matMul(x, this.read(this.kernel, 'kernel')), tf.matMul(states[0], this.read(this.recurrentKernel, 'recurrent_kernel')));
      if (this.bias) z = tf.add(z, this.bias.read());
      const h = (this.activation === 'tanh' ? tf.tanh(z) : tf.relu(z)) as tf.Tensor2D;
      return { output: h, states: [h] };
    });
  }

  protected runFused(inp: SequenceInputs): SequenceResult {
    return rnnSequence(inp, {
      kernel: this.read(this.kernel, 'kernel') as tf.Tensor2D,
      recurrentKernel: this.read(this.recurrentKernel, 'recurrent_kernel') as tf.Tensor2D,
      bias: this.bias ? (this.bias.read() as tf.Tensor1D) : null,
      activation: this.activation,
    });
  }
}
