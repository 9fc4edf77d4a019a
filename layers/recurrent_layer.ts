/**
 * The sequence layer: runs recurrent cells over time, optionally stacked
 * (`numLayers`) and bidirectional, as one tfjs custom layer.
 *
 * Semantics follow PyTorch's nn.RNN/LSTM/GRU where Keras is silent:
 * - layer k > 0 reads the concatenated outputs of both directions of layer k − 1;
 * - `dropout` is applied to the inputs of layers 1..K−1 while training;
 * - masked steps (from an upstream mask, `mask` or `lengths` in kwargs) carry every
 *   state and emit zeros; the reverse direction starts at each sequence's last real
 *   token, and all outputs stay aligned with the input time axis.
 *
 * Call:  layer.apply(x)  or  layer.apply([x, ...initialStates])
 *        x [batch, time, features]; initial states ordered layer-major, forward before
 *        reverse, each cell's states in its own order (LSTM h then c).
 *        kwargs: { mask?: Tensor [B, T], lengths?: number[] | Tensor1D, initialState?: Tensor[], training?: boolean,
 *                  projectedInput?: boolean (x is already x·kernel + bias of layer 0: see projectInput) }
 * Output: returnSequences ? [B, T, O'] : [B, O'] (the output at each sequence's last
 *        real step), where O' = O, or 2·O for mergeMode 'concat'; with returnState,
 *        [output, ...finalStates] in the same order as the initial states.
 *
 * Weights, for layer k and direction d: `kernel`, `recurrent_kernel`, `bias`
 * (and `proj_kernel` for a projected LSTM), named with the suffix `_l{k}` plus
 * `_reverse` for the backward direction, or no suffix for a single
 * unidirectional layer (the Keras names, so tfjs/Keras weights load as they are).
 */
import * as tf from '@tensorflow/tfjs';
import { Implementation, RecurrentCell } from './cell';
import { GRUCell } from './gru_cell';
import { InitializerName, makeInitializer } from './initializers';
import { LSTMCell } from './lstm_cell';
import { plainMatMul } from './plain_matmul';
import { nextDropoutSeed, nextSeed } from './random';
import { RnnActivation, SimpleRNNCell } from './simple_rnn_cell';
import { mergeDirections, type MergeMode } from './merge_directions';

type Kwargs = { [key: string]: unknown };

/** Cell kinds. */
export type CellKind = 'lstm' | 'gru' | 'rnn';
/** How the two directions' outputs are combined ('none' returns both). */
export type { MergeMode } from './merge_directions';

/** Configuration of a recurrent layer; every field is serialized by getConfig. */
export interface RecurrentLayerArgs {
  /** Cell kind. */
  cell: CellKind;
  /** Hidden size H of every cell. */
  units: number;
  /** Number of stacked layers. Default 1. */
  numLayers?: number;
  /** Run a second, reverse-direction cell per layer. Default false. */
  bidirectional?: boolean;
  /** How the last layer's two directions are merged. Default 'concat' (inner layers always concatenate). */
  mergeMode?: MergeMode;
  /** Dropout rate on the inputs of layers 2..numLayers while training. Default 0. */
  dropout?: number;
  /** Return the output at every step instead of the last one. Default false. */
  returnSequences?: boolean;
  /** Also return the final states. Default false. */
  returnState?: boolean;
  /** Run a unidirectional layer backwards in time (outputs stay aligned with the input). Default false. */
  reverse?: boolean;
  /** 'fused' (hand-written BPTT, default) or 'autodiff' (per-step ops differentiated by tfjs; the reference). */
  implementation?: Implementation;
  /** LSTM: projected hidden size (PyTorch proj_size); 0 = none. */
  projSize?: number;
  /** LSTM: forget-gate bias starts at 1. Default true. */
  unitForgetBias?: boolean;
  /** GRU: reset gate after the recurrent matmul (PyTorch/Keras). Default true. */
  resetAfter?: boolean;
  /** SimpleRNN nonlinearity. Default 'tanh'. */
  activation?: RnnActivation;
  /** Cells have biases. Default true. */
  useBias?: boolean;
  /** Input-kernel initializer. Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Recurrent-kernel initializer. Default 'orthogonal'. */
  recurrentInitializer?: InitializerName;
  /** Bias initializer. Default 'zeros' ('unitForgetBias' for LSTM). */
  biasInitializer?: InitializerName;
  /** Seed of the weight initializers (a fresh one when omitted). */
  seed?: number;
  /** Keras-style input shape [time, features] (time may be null) for the first layer of a model. */
  inputShape?: (number | null)[];
  /** Keras-style batch input shape. */
  batchInputShape?: (number | null)[];
  /** Layer name (must be unique in a model). */
  name?: string;
  /** Whether the weights are trainable. Default true. */
  trainable?: boolean;
}

const nameCounters = new Map<string, number>();
/** lstm_1, lstm_2, ... per prefix (tfjs' own names look different, so they never collide). */
function uniqueName(prefix: string): string {
  const n = (nameCounters.get(prefix) ?? 0) + 1;
  nameCounters.set(prefix, n);
  return `${prefix}_${n}`;
}


export class RecurrentLayer extends tf.layers.Layer {
  static className = 'rnnkit.Recurrent';
  readonly args: Required<Omit<RecurrentLayerArgs, 'inputShape' | 'batchInputShape' | 'name' | 'trainable'>>;
  /** cells[k][d]: layer k, direction d (0 forward, 1 reverse). Created in the constructor, built in build(). */
  readonly cells: RecurrentCell[][];
  private inputDim = -1;

  constructor(args: RecurrentLayerArgs) {
    super({
      name: args.name ?? uniqueName(args.cell === 'rnn' ? 'simple_rnn' : args.cell),
      inputShape: args.inputShape as number[] | undefined,
      batchInputShape: args.batchInputShape as number[] | undefined,
      trainable: args.trainable,
    });
    const fail = (msg: string): never => {
      throw new Error(`${this.name}: ${msg}`);
    };
    const a = {
      cell: args.cell,
      units: args.units,
      numLayers: args.numLayers ?? 1,
      bidirectional: args.bidirectional ?? false,
      mergeMode: args.mergeMode ?? 'concat',
      dropout: args.dropout ?? 0,
      returnSequences: args.returnSequences ?? false,
      returnState: args.returnState ?? false,
      reverse: args.reverse ?? false,
      implementation: args.implementation ?? 'fused',
      projSize: args.projSize ?? 0,
      unitForgetBias: args.unitForgetBias ?? true,
      resetAfter: args.resetAfter ?? true,
      activation: args.activation ?? 'tanh',
      useBias: args.useBias ?? true,
      kernelInitializer: args.kernelInitializer ?? 'glorotUniform',
      recurrentInitializer: args.recurrentInitializer ?? 'orthogonal',
      biasInitializer: args.biasInitializer ?? (args.cell === 'lstm' && args.unitForgetBias !== false ? 'unitForgetBias' : 'zeros'),
      seed: args.seed ?? nextSeed(),
    };
    if (!['lstm', 'gru', 'rnn'].includes(a.cell)) fail(`cell must be 'lstm', 'gru' or 'rnn', got '${String(a.cell)}'`);
    if (!Number.isInteger(a.units) || a.units <= 0) fail(`units must be a positive integer, got ${String(a.units)}`);
    if (!Number.isInteger(a.numLayers) || a.numLayers < 1) fail(`numLayers must be an integer >= 1, got ${String(a.numLayers)}`);
    if (!(a.dropout >= 0 && a.dropout < 1)) fail(`dropout must be in [0, 1), got ${String(a.dropout)}`);
    if (!['concat', 'sum', 'ave', 'mul', 'none'].includes(a.mergeMode)) fail(`mergeMode must be one of concat, sum, ave, mul, none; got '${String(a.mergeMode)}'`);
    if (a.implementation !== 'fused' && a.implementation !== 'autodiff') fail(`implementation must be 'fused' or 'autodiff', got '${String(a.implementation)}'`);
    if (a.projSize && a.cell !== 'lstm') fail(`projSize is only supported by LSTM cells`);
    if (a.bidirectional && a.reverse) fail(`reverse applies to a unidirectional layer; a bidirectional layer already runs both directions`);
    this.args = a;
    this.supportsMasking = true;
    const dirs = a.bidirectional ? 2 : 1;
    this.cells = [];
    try {
      for (let k = 0; k < a.numLayers; k++) {
        const row: RecurrentCell[] = [];
        for (let d = 0; d < dirs; d++) row.push(this.makeCell());
        this.cells.push(row);
      }
    } catch (e) {
      fail((e as Error).message);
    }
  }

  private makeCell(): RecurrentCell {
    const a = this.args;
    const common = {
      units: a.units,
      useBias: a.useBias,
      kernelInitializer: a.kernelInitializer,
      recurrentInitializer: a.recurrentInitializer,
      biasInitializer: a.biasInitializer,
    };
    if (a.cell === 'lstm') return new LSTMCell({ ...common, projSize: a.projSize, unitForgetBias: a.unitForgetBias });
    if (a.cell === 'gru') return new GRUCell({ ...common, resetAfter: a.resetAfter });
    return new SimpleRNNCell({ ...common, activation: a.activation });
  }

  /** Directions per layer (1 or 2). */
  get directions(): number {
    return this.args.bidirectional ? 2 : 1;
  }

  /** Size of one direction's output. */
  get cellOutputSize(): number {
    return this.cells[0][0].outputSize;
  }

  /** Size of the layer's (merged) output per step. */
  get outputSize(): number {
    const o = this.cellOutputSize;
    return this.args.bidirectional && this.args.mergeMode === 'concat' ? 2 * o : o;
  }

  /** Shapes [B-less] of every initial/final state in order (layer-major, forward before reverse). */
  get stateSizes(): number[] {
    return this.cells.flatMap((row) => row.flatMap((c) => c.stateSizes));
  }

  /** Weight-name suffix for layer k, direction d. */
  weightSuffix(k: number, d: number): string {
    if (this.args.numLayers === 1 && !this.args.bidirectional) return '';
    return `_l${k}${d === 1 ? '_reverse' : ''}`;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const D = xShape[xShape.length - 1];
    if (xShape.length !== 3 || D == null) {
      throw new Error(`${this.name}: expected input [batch, time, features], got [${xShape.map(String).join(', ')}]`);
    }
    this.inputDim = D;
    const addWeight = (name: string, shape: number[], init: InitializerName, seed: number): tf.LayerVariable =>
      this.addWeight(name, shape, 'float32', makeInitializer(init, seed, this.args.units) as never, undefined, true);
    let inDim = D;
    this.cells.forEach((row, k) => {
      row.forEach((cell, d) => cell.build(addWeight, inDim, this.weightSuffix(k, d), this.args.seed + 10 * (2 * k + d)));
      inDim = this.directions * row[0].outputSize;
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [B, T] = xShape;
    const a = this.args;
    const one = a.returnSequences ? [B, T, this.outputSize] : [B, this.outputSize];
    const outputs: tf.Shape[] = a.bidirectional && a.mergeMode === 'none' ? [one, one] : [one];
    if (a.returnState) outputs.push(...this.stateSizes.map((n) => [B, n]));
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = Array.isArray(mask) ? mask[0] : mask;
    const outMask = this.args.returnSequences && m ? m : null;
    const nOut = (this.args.bidirectional && this.args.mergeMode === 'none' ? 2 : 1) + (this.args.returnState ? this.stateSizes.length : 0);
    return (nOut === 1 ? outMask : new Array(nOut).fill(null).map((_, i) => (i === 0 ? outMask : null))) as tf.Tensor | tf.Tensor[];
  }

  /** Zero states for a batch, in the layer's state order. */
  zeroStates(batch: number): tf.Tensor2D[] {
    return this.cells.flatMap((row) => row.flatMap((c) => c.zeroStates(batch)));
  }

  /**
   * One time step through every layer of a unidirectional stack, with explicit
   * states (what decoders and generators call in a loop). x [B, D]; states in the
   * layer's state order (`zeroStates(batch)` to start). No dropout.
   */
  step(x: tf.Tensor2D, states: tf.Tensor2D[]): { output: tf.Tensor2D; states: tf.Tensor2D[] } {
    if (this.args.bidirectional) throw new Error(`${this.name}: step() needs a unidirectional layer (a reverse direction needs the whole sequence)`);
    if (!this.built) tf.dispose(this.apply(tf.zeros([1, 1, x.shape[1]])) as tf.Tensor); // builds under the layer's name scope
    this.checkInput(x.shape, 2);
    this.checkStates(states, x.shape[0]);
    return tf.tidy(() => {
      let input = x;
      let offset = 0;
      const next: tf.Tensor2D[] = [];
      for (const [cell] of this.cells) {
        const n = cell.stateSizes.length;
        const r = cell.step(input, states.slice(offset, offset + n));
        next.push(...r.states);
        offset += n;
        input = r.output;
      }
      return { output: input, states: next };
    });
  }

  /** Why `projectInput` / `projectedInput` cannot be used on this layer, or null when they can. */
  get projectionUnsupported(): string | null {
    const a = this.args;
    if (a.cell === 'rnn') return 'projected inputs are implemented for LSTM and GRU cells, not rnn';
    if (a.bidirectional) return 'projected inputs need a unidirectional layer (each direction has its own kernel)';
    if (a.implementation !== 'fused') return "projected inputs need implementation 'fused'";
    return null;
  }

  /**
   * Layer 0's input projection of the rows of `table` [V, D]: table·kernel + input
   * bias [V, G·H] (LSTM and GRU; differentiable in the table and both weights). For an embedding
   * before the layer, the rows of this for the ids, applied with
   * `{ projectedInput: true }`, give exactly the layer's result on the embedded
   * ids, while skipping the per-position input matmul forward and backward: a
   * large saving when V is much smaller than the number of positions (character
   * models). Dropout between the embedding and the layer rules it out.
   */
  projectInput(table: tf.Tensor2D): tf.Tensor2D {
    const why = this.projectionUnsupported;
    if (why) throw new Error(`${this.name}: ${why}`);
    if (!this.built) tf.dispose(this.apply(tf.zeros([1, 1, table.shape[1]])) as tf.Tensor);
    if (table.rank !== 2 || table.shape[1] !== this.inputDim) throw new Error(`${this.name}: projectInput expects a table [rows, ${this.inputDim}], got [${table.shape.join(', ')}]`);
    const cell = this.cells[0][0];
    return tf.tidy(() => {
      const z = plainMatMul(table, cell.kernel!.read() as tf.Tensor2D);
      if (!cell.bias) return z;
      const b = cell.bias.read();
      // A GRU with resetAfter has [input bias; recurrent bias]: the input row belongs to the projection.
      return tf.add(z, b.rank === 2 ? tf.squeeze(tf.slice(b, [0, 0], [1, -1]), [0]) : b) as tf.Tensor2D;
    });
  }

  private checkInput(shape: number[], rank: 2 | 3): void {
    const D = this.inputDim;
    const expected = rank === 3 ? `[batch, time, ${D}]` : `[batch, ${D}]`;
    if (shape.length !== rank || shape[rank - 1] !== D) {
      throw new Error(`${this.name}: expected input ${expected}, got [${shape.join(', ')}]`);
    }
  }

  private checkStates(states: tf.Tensor[], batch: number): void {
    const sizes = this.stateSizes;
    if (states.length !== sizes.length) {
      throw new Error(`${this.name}: expected ${sizes.length} initial state tensors (${sizes.map((n) => `[batch, ${n}]`).join(', ')}), got ${states.length}`);
    }
    states.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== sizes[i]) {
        throw new Error(`${this.name}: initial state ${i} must be [${batch}, ${sizes[i]}], got [${s.shape.join(', ')}]`);
      }
    });
  }

  /** A float32 [B, T] 0/1 mask from kwargs (mask or lengths), or null. */
  private resolveMask(kwargs: Kwargs, B: number, T: number): tf.Tensor2D | null {
    const lengths = kwargs.lengths as number[] | tf.Tensor | undefined;
    if (lengths != null) {
      const len = lengths instanceof tf.Tensor ? lengths : tf.tensor1d(lengths, 'int32');
      if (len.rank !== 1 || len.shape[0] !== B) throw new Error(`${this.name}: lengths must have one entry per batch row (${B}), got shape [${len.shape.join(', ')}]`);
      return tf.cast(tf.less(tf.range(0, T, 1, 'int32').expandDims(0), tf.cast(len, 'int32').expandDims(1)), 'float32') as tf.Tensor2D;
    }
    const raw = kwargs.mask as tf.Tensor | tf.Tensor[] | undefined | null;
    const m = Array.isArray(raw) ? raw[0] : raw;
    if (m == null) return null;
    if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== T) throw new Error(`${this.name}: mask must be [${B}, ${T}], got [${m.shape.join(', ')}]`);
    return tf.cast(m, 'float32') as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor3D;
      const projected = kwargs.projectedInput === true;
      if (projected) {
        const why = this.projectionUnsupported;
        if (why) throw new Error(`${this.name}: ${why}`);
        const G = this.cells[0][0].gates * this.args.units;
        if (x.rank !== 3 || x.shape[2] !== G) throw new Error(`${this.name}: a projected input must be [batch, time, ${G}] (x·kernel + bias), got [${x.shape.join(', ')}]`);
      } else {
        this.checkInput(x.shape, 3);
      }
      const [B, T] = x.shape;
      const given = list.length > 1 ? list.slice(1) : (kwargs.initialState as tf.Tensor[] | undefined);
      if (given) this.checkStates(given, B);
      const init = (given as tf.Tensor2D[] | undefined) ?? this.zeroStates(B);
      const mask = this.resolveMask(kwargs, B, T);
      const training = kwargs.training === true;
      const a = this.args;

      let input = x;
      let offset = 0;
      const finals: tf.Tensor2D[] = [];
      let dirOutputs: tf.Tensor3D[] = [];
      let lastOutputs: tf.Tensor2D[] = [];
      this.cells.forEach((row, k) => {
        if (k > 0 && training && a.dropout > 0) input = tf.dropout(input, a.dropout, undefined, nextDropoutSeed()) as tf.Tensor3D;
        dirOutputs = [];
        lastOutputs = [];
        row.forEach((cell, d) => {
          const n = cell.stateSizes.length;
          const r = cell.runSequence(
            { x: input, initialStates: init.slice(offset, offset + n), mask, reverse: d === 1 || a.reverse, projected: projected && k === 0 },
            a.implementation,
          );
          offset += n;
          finals.push(...r.states);
          dirOutputs.push(r.y);
          lastOutputs.push(r.states[0]); // h is the output at the last real step
        });
        input = dirOutputs.length === 1 ? dirOutputs[0] : (tf.concat(dirOutputs, 2) as tf.Tensor3D);
      });
      const outs = a.returnSequences ? dirOutputs : lastOutputs;
      const merged = this.merge(outs);
      return a.returnState ? [...merged, ...finals] : merged.length === 1 ? merged[0] : merged;
    });
  }

  private merge(outs: tf.Tensor[]): tf.Tensor[] {
    return outs.length === 1 ? outs : mergeDirections(this.args.mergeMode, outs[0], outs[1]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args } as unknown as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(RecurrentLayer);

/** A generic (possibly stacked, possibly bidirectional) recurrent layer of any cell kind. */
export function stacked(args: RecurrentLayerArgs): RecurrentLayer {
  return new RecurrentLayer(args);
}
