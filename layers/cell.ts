/**
 * The recurrent-cell contract. A cell is plain TypeScript (not a tfjs Layer): the
 * sequence layer that owns it creates its weights (so they serialize under the
 * layer) and drives it, either step by step (`step`, also what decoders and
 * generators call in a loop) or over a whole sequence (`runSequence`).
 *
 * Shapes: x [B, D]; states in the cell's order (LSTM: [h [B, P], c [B, H]];
 * GRU and SimpleRNN: [h [B, H]]).
 */
import * as tf from '@tensorflow/tfjs';
import { SequenceInputs, SequenceResult } from './fused/types';
import { InitializerName, makeInitializer } from './initializers';

/** Adds one weight to the owning layer (wraps its protected addWeight). */
export type AddWeight = (name: string, shape: number[], init: InitializerName, seed: number) => tf.LayerVariable;

/** One step's result. */
export interface StepResult {
  /** The step's output [B, O]. */
  output: tf.Tensor2D;
  /** The new states, same order and shapes as the input states. */
  states: tf.Tensor2D[];
}

/** How a whole sequence is computed. */
export type Implementation = 'fused' | 'autodiff';

/** Options shared by every cell kind. */
export interface CellOptions {
  /** Hidden size H. */
  units: number;
  /** Whether the cell has bias vectors. Default true. */
  useBias?: boolean;
  /** Initializer of the input kernel. Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Initializer of the recurrent kernel. Default 'orthogonal'. */
  recurrentInitializer?: InitializerName;
  /** Initializer of the bias. Default 'zeros' ('unitForgetBias' for LSTM). */
  biasInitializer?: InitializerName;
}

export abstract class RecurrentCell {
  /** Hidden size H. */
  readonly units: number;
  readonly useBias: boolean;
  protected readonly kernelInit: InitializerName;
  protected readonly recurrentInit: InitializerName;
  protected readonly biasInit: InitializerName;
  kernel?: tf.LayerVariable;
  recurrentKernel?: tf.LayerVariable;
  bias?: tf.LayerVariable;

  constructor(options: CellOptions, defaultBiasInit: InitializerName = 'zeros') {
    if (!Number.isInteger(options.units) || options.units <= 0) {
      throw new Error(`units must be a positive integer, got ${String(options.units)}`);
    }
    this.units = options.units;
    this.useBias = options.useBias ?? true;
    this.kernelInit = options.kernelInitializer ?? 'glorotUniform';
    this.recurrentInit = options.recurrentInitializer ?? 'orthogonal';
    this.biasInit = options.biasInitializer ?? defaultBiasInit;
  }

  /** Number of gate blocks G (LSTM 4, GRU 3, SimpleRNN 1). */
  abstract get gates(): number;
  /** Sizes of the states, in order. */
  abstract get stateSizes(): number[];
  /** Size of the output O. */
  abstract get outputSize(): number;
  /** Rows of the recurrent kernel (the size of the fed-back h). */
  get recurrentSize(): number {
    return this.units;
  }
  /** Shape of the bias weight. */
  protected get biasShape(): number[] {
    return [this.gates * this.units];
  }

  /** Creates the weights on the owning layer; `suffix` is appended to every name (e.g. '_l1_reverse'). */
  build(addWeight: AddWeight, inputDim: number, suffix: string, seed: number): void {
    const gh = this.gates * this.units;
    this.kernel = addWeight(`kernel${suffix}`, [inputDim, gh], this.kernelInit, seed);
    this.recurrentKernel = addWeight(`recurrent_kernel${suffix}`, [this.recurrentSize, gh], this.recurrentInit, seed + 1);
    if (this.useBias) this.bias = addWeight(`bias${suffix}`, this.biasShape, this.biasInit, seed + 2);
  }

  /** The cell's weights in their serialization order. */
  weights(): tf.LayerVariable[] {
    return [this.kernel, this.recurrentKernel, this.bias].filter((w): w is tf.LayerVariable => w !== undefined);
  }

  /** Zero initial states for a batch. */
  zeroStates(batch: number): tf.Tensor2D[] {
    return this.stateSizes.map((n) => tf.zeros([batch, n]) as tf.Tensor2D);
  }

  /** One time step. */
  abstract step(x: tf.Tensor2D, states: tf.Tensor2D[]): StepResult;

  /** The whole sequence through the fused kernel (hand-written BPTT). */
  protected abstract runFused(inp: SequenceInputs): SequenceResult;

  /** Runs the cell over a whole sequence. */
  runSequence(inp: SequenceInputs, implementation: Implementation): SequenceResult {
    return implementation === 'fused' ? this.runFused(inp) : runAutodiff(this, inp);
  }

  /** The weight values as tensors (throws before build). */
  protected read(v: tf.LayerVariable | undefined, what: string): tf.Tensor {
    if (!v) throw new Error(`cell weight '${what}' used before the layer was built`);
    return v.read();
  }
}

/**
 * The T slices x[:, t, :] of x [B, T, D]. One step is a reshape, not tf.unstack:
 * tfjs 4.22 hands a single-output op's gradient a Tensor instead of a Tensor[], so
 * Unpack's gradient (tf.stack) throws for T = 1 when x needs a gradient.
 */
function timeSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, D] = x.shape;
  return T === 1 ? [tf.reshape(x, [B, D]) as tf.Tensor2D] : (tf.unstack(x, 1) as tf.Tensor2D[]);
}

/**
 * The reference path: `step` in a loop, differentiated by tfjs autodiff. Masked
 * steps carry the states and emit zeros; reverse visits t = T-1 .. 0.
 */
export function runAutodiff(cell: RecurrentCell, inp: SequenceInputs): SequenceResult {
  const { x, mask, reverse } = inp;
  const [, T] = x.shape;
  return tf.tidy(() => {
    const xs = timeSteps(x); // T × [B, D]
    const ms = mask ? timeSteps(tf.expandDims(mask, 2) as tf.Tensor3D) : null; // T × [B, 1]
    let states = inp.initialStates;
    const outputs: tf.Tensor2D[] = new Array(T);
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      const r = cell.step(xs[t], states);
      if (ms) {
        const m = ms[t];
        const keep = tf.sub(1, m);
        states = r.states.map((s, i) => tf.add(tf.mul(s, m), tf.mul(states[i], keep)) as tf.Tensor2D);
        outputs[t] = tf.mul(r.output, m) as tf.Tensor2D;
      } else {
        states = r.states;
        outputs[t] = r.output;
      }
    }
    return { y: tf.stack(outputs, 1) as tf.Tensor3D, states };
  });
}

export { makeInitializer };
