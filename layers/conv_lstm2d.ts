/**
 * ConvLSTM2D layer: `convLstm2d({filters: 64, kernelSize: 3})`, Keras `ConvLSTM2D`
 * semantics (Shi et al. 2015; equations in conv_lstm2d_cell.ts), channels last.
 *
 * Args: see ConvLSTM2DArgs (a comment per field). Differences from tfjs-layers'
 * `tf.layers.convLstm2d`: sigmoid gates by default (`recurrentActivation:
 * 'hardSigmoid'` for tfjs-layers' default), initial states, `reverse` (outputs
 * aligned with input time, as PyTorch's reverse direction; `goBackwards` gives
 * Keras' reading order), a built-in `bidirectional` option (also reached through
 * the package's `bidirectional` wrapper), dilation with gradients, and a fused
 * whole-sequence kernel with hand-written BPTT (`implementation: 'fused'`, the
 * default; 'autodiff' is the per-step reference).
 *
 * Call:   layer.apply(x)  or  layer.apply([x, h0, c0])  or  layer.apply(x, {initialState: [h0, c0]})
 *         x [B, T, H, W, C]; each state [B, OH, OW, F] (bidirectional: [h0, c0, h0_rev, c0_rev]).
 *         kwargs: { training?: boolean (dropout), initialState?: Tensor[] }
 * Output: returnSequences ? [B, T, OH, OW, F'] : [B, OH, OW, F'], F' = 2F for a
 *         bidirectional 'concat', else F; with returnState, [output, h, c (, h_rev, c_rev)].
 *
 * Weights (Keras names and layout, so a Keras / tfjs-layers ConvLSTM2D's weights
 * load with setWeights): kernel [kh, kw, C, 4F], recurrent_kernel [kh, kw, F, 4F],
 * bias [4F], gate order i, f, c, o; a bidirectional layer adds the suffixes
 * `_l0` / `_l0_reverse` (as the package's other bidirectional layers).
 *
 * Stacking: feed one layer's sequence (returnSequences: true) to the next, as
 * Keras; `step(x, states)` advances one frame (encoder-forecaster decoders).
 *
 * Example:
 *   const model = tf.sequential({ layers: [
 *     convLstm2d({ filters: 16, kernelSize: 3, returnSequences: true, inputShape: [10, 16, 16, 1] }),
 *     convLstm2d({ filters: 16, kernelSize: 3 }) ] });     // → [B, 16, 16, 16]
 */
import * as tf from '@tensorflow/tfjs';
import type { Implementation } from './cell';
import { ConvInitializerName, ConvLSTM2DCell, ConvPadding, ConvRecurrentActivation, convInitializer } from './conv_lstm2d_cell';
import { nextDropoutSeed, nextSeed } from './random';
import { mergeDirections } from './merge_directions';

type Kwargs = { [key: string]: unknown };

/** How the two directions of a bidirectional layer are combined. */
export type ConvMergeMode = 'concat' | 'sum' | 'ave' | 'mul';

/** ConvLSTM2D options; every field is serialized by getConfig. */
export interface ConvLSTM2DArgs {
  /** Number of filters F (channels of the output and of both states). */
  filters: number;
  /** Kernel size of both convolutions: n or [kh, kw]. */
  kernelSize: number | [number, number];
  /** Strides of the input convolution (the recurrent one never strides). Default 1. */
  strides?: number | [number, number];
  /** Padding of the input convolution ('same' or 'valid'); the recurrent one is always 'same'. Default 'valid' (Keras). */
  padding?: ConvPadding;
  /** Dilation of the input convolution (the recurrent one never dilates). Default 1. */
  dilationRate?: number | [number, number];
  /** Gate nonlinearity of i, f, o. Default 'sigmoid' (tfjs-layers' default is 'hardSigmoid'). */
  recurrentActivation?: ConvRecurrentActivation;
  /** Add a bias. Default true. */
  useBias?: boolean;
  /** Start the forget-gate bias at 1 (Keras unit_forget_bias). Default true. */
  unitForgetBias?: boolean;
  /** Return the output at every step, not only the last. Default false. */
  returnSequences?: boolean;
  /** Also return the final states [h, c] (per direction). Default false. */
  returnState?: boolean;
  /** Read the sequence backwards; outputs stay aligned with input time (y[:, t] is the state after reading x[:, t]). Default false. */
  reverse?: boolean;
  /** Keras' go_backwards: read backwards and return the sequence in reading order. Default false. */
  goBackwards?: boolean;
  /** Run a second, reverse-direction cell and merge the two. Default false. */
  bidirectional?: boolean;
  /** How a bidirectional layer merges its directions (along channels for 'concat'). Default 'concat'. */
  mergeMode?: ConvMergeMode;
  /** Dropout rate on the input frames while training (one mask per sequence, shared by all steps and gates, as Keras). Default 0. */
  dropout?: number;
  /** Dropout rate on h before the recurrent convolution while training (one mask per sequence). Default 0. */
  recurrentDropout?: number;
  /** 'fused' (hand-written BPTT, default) or 'autodiff' (per-step ops differentiated by tfjs; the reference). */
  implementation?: Implementation;
  /** Input-kernel initializer. Default 'glorotUniform'. */
  kernelInitializer?: ConvInitializerName;
  /** Recurrent-kernel initializer. Default 'orthogonal'. */
  recurrentInitializer?: ConvInitializerName;
  /** Bias initializer. Default 'unitForgetBias' (or 'zeros' with unitForgetBias: false). */
  biasInitializer?: ConvInitializerName;
  /** Seed of the initializers (a fresh one when omitted). */
  seed?: number;
  /** Keras-style input shape [T, H, W, C] (T, H, W may be null) for the first layer of a model. */
  inputShape?: (number | null)[];
  /** Keras-style batch input shape [B, T, H, W, C]. */
  batchInputShape?: (number | null)[];
  /** Layer name (unique in a model). */
  name?: string;
  /** Whether the weights are trainable. Default true. */
  trainable?: boolean;
}

type ResolvedArgs = Required<Omit<ConvLSTM2DArgs, 'inputShape' | 'batchInputShape' | 'name' | 'trainable' | 'kernelSize' | 'strides' | 'dilationRate'>> & {
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
};

let nameCounter = 0;
const pair = (v: number | number[] | undefined, dflt: number): [number, number] => {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  return [v[0], v[1] ?? v[0]];
};

export class ConvLSTM2D extends tf.layers.Layer {
  static className = 'rnnkit.ConvLSTM2D';
  readonly args: ResolvedArgs;
  /** cells[0] forward, cells[1] reverse (bidirectional). */
  readonly cells: ConvLSTM2DCell[];
  private inChannels = -1;

  constructor(args: ConvLSTM2DArgs) {
    nameCounter += 1;
    super({
      name: args.name ?? `conv_lstm2d_${nameCounter}`,
      inputShape: args.inputShape as number[] | undefined,
      batchInputShape: args.batchInputShape as number[] | undefined,
      trainable: args.trainable,
    });
    const fail = (msg: string): never => {
      throw new Error(`${this.name}: ${msg}`);
    };
    const a: ResolvedArgs = {
      filters: args.filters,
      kernelSize: pair(args.kernelSize, NaN),
      strides: pair(args.strides, 1),
      padding: args.padding ?? 'valid',
      dilationRate: pair(args.dilationRate, 1),
      recurrentActivation: args.recurrentActivation ?? 'sigmoid',
      useBias: args.useBias ?? true,
      unitForgetBias: args.unitForgetBias ?? true,
      returnSequences: args.returnSequences ?? false,
      returnState: args.returnState ?? false,
      reverse: args.reverse ?? false,
      goBackwards: args.goBackwards ?? false,
      bidirectional: args.bidirectional ?? false,
      mergeMode: args.mergeMode ?? 'concat',
      dropout: args.dropout ?? 0,
      recurrentDropout: args.recurrentDropout ?? 0,
      implementation: args.implementation ?? 'fused',
      kernelInitializer: args.kernelInitializer ?? 'glorotUniform',
      recurrentInitializer: args.recurrentInitializer ?? 'orthogonal',
      biasInitializer: args.biasInitializer ?? (args.unitForgetBias === false ? 'zeros' : 'unitForgetBias'),
      seed: args.seed ?? nextSeed(),
    };
    if (args.kernelSize === undefined) fail('kernelSize is required (a number or [kh, kw])');
    if (!(a.dropout >= 0 && a.dropout < 1)) fail(`dropout must be in [0, 1), got ${String(a.dropout)}`);
    if (!(a.recurrentDropout >= 0 && a.recurrentDropout < 1)) fail(`recurrentDropout must be in [0, 1), got ${String(a.recurrentDropout)}`);
    if (a.implementation !== 'fused' && a.implementation !== 'autodiff') fail(`implementation must be 'fused' or 'autodiff', got '${String(a.implementation)}'`);
    if (!['concat', 'sum', 'ave', 'mul'].includes(a.mergeMode)) fail(`mergeMode must be one of concat, sum, ave, mul; got '${String(a.mergeMode)}'`);
    if (a.bidirectional && (a.reverse || a.goBackwards)) fail('reverse / goBackwards apply to a unidirectional layer; a bidirectional layer already runs both directions');
    if (a.reverse && a.goBackwards) fail("give either reverse (outputs aligned with input time) or goBackwards (Keras' reading order), not both");
    this.args = a;
    try {
      this.cells = Array.from({ length: a.bidirectional ? 2 : 1 }, () => new ConvLSTM2DCell({ ...a }));
    } catch (e) {
      throw new Error(`${this.name}: ${(e as Error).message}`);
    }
  }

  /** Directions (1 or 2). */
  get directions(): number {
    return this.cells.length;
  }

  /** Channels of the (merged) output. */
  get outputChannels(): number {
    return this.args.bidirectional && this.args.mergeMode === 'concat' ? 2 * this.args.filters : this.args.filters;
  }

  /** (OH, OW) of the output and states for H × W input frames. */
  outputSize(H: number, W: number): [number, number] {
    return this.cells[0].outputSize(H, W);
  }

  /** Weight-name suffix of direction d. */
  weightSuffix(d: number): string {
    return this.args.bidirectional ? `_l0${d === 1 ? '_reverse' : ''}` : '';
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const C = xShape[xShape.length - 1];
    if (xShape.length !== 5 || C == null) throw new Error(`${this.name}: expected input [batch, time, height, width, channels], got [${xShape.map(String).join(', ')}]`);
    this.inChannels = C;
    const addWeight = (name: string, shape: number[], init: ConvInitializerName, seed: number): tf.LayerVariable =>
      this.addWeight(name, shape, 'float32', convInitializer(init, seed, this.args.filters) as never, undefined, true);
    this.cells.forEach((cell, d) => cell.build(addWeight, C, this.weightSuffix(d), this.args.seed + 10 * d));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [B, T, H, W] = xShape;
    const [oh, ow] = H == null || W == null ? [null, null] : this.outputSize(H, W);
    const F = this.args.filters;
    const out = this.args.returnSequences ? [B, T, oh, ow, this.outputChannels] : [B, oh, ow, this.outputChannels];
    if (!this.args.returnState) return out;
    return [out, ...new Array(2 * this.directions).fill(null).map(() => [B, oh, ow, F])];
  }

  override computeMask(): tf.Tensor | tf.Tensor[] {
    const n = 1 + (this.args.returnState ? 2 * this.directions : 0);
    return (n === 1 ? null : new Array(n).fill(null)) as unknown as tf.Tensor;
  }

  /** Zero states for a batch of H × W frames, in the layer's state order. */
  zeroStates(batch: number, H: number, W: number): tf.Tensor4D[] {
    return this.cells.flatMap((c) => c.zeroStates(batch, H, W));
  }

  /**
   * One frame through a unidirectional layer: x [B, H, W, C], states [h, c]
   * (`zeroStates` to start) → {output: h', states: [h', c']}. No dropout.
   */
  step(x: tf.Tensor4D, states: tf.Tensor4D[]): { output: tf.Tensor4D; states: tf.Tensor4D[] } {
    if (this.args.bidirectional) throw new Error(`${this.name}: step() needs a unidirectional layer`);
    if (!this.built) tf.dispose(this.apply(tf.zeros([1, 1, ...x.shape.slice(1)])) as tf.Tensor); // builds under the layer's name scope
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) throw new Error(`${this.name}: step expects x [batch, height, width, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    this.checkStates(states, x.shape[0], x.shape[1], x.shape[2]);
    return this.cells[0].step(x, states);
  }

  private checkStates(states: tf.Tensor[], B: number, H: number, W: number): void {
    const [oh, ow] = this.outputSize(H, W);
    const F = this.args.filters;
    const n = 2 * this.directions;
    if (states.length !== n) throw new Error(`${this.name}: expected ${n} initial state tensors ([h, c]${this.directions === 2 ? ' per direction' : ''}, each [${B}, ${oh}, ${ow}, ${F}]), got ${states.length}`);
    states.forEach((s, i) => {
      if (!tf.util.arraysEqual(s.shape, [B, oh, ow, F])) throw new Error(`${this.name}: initial state ${i} must be [${B}, ${oh}, ${ow}, ${F}], got [${s.shape.join(', ')}]`);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor5D;
      if (x.rank !== 5 || x.shape[4] !== this.inChannels) throw new Error(`${this.name}: expected input [batch, time, height, width, ${this.inChannels}], got [${x.shape.join(', ')}]`);
      const m = kwargs.mask as tf.Tensor | tf.Tensor[] | null | undefined;
      if ((Array.isArray(m) ? m[0] : m) != null) throw new Error(`${this.name}: masks are not supported by ConvLSTM2D (pad with zero frames instead)`);
      const [B, , H, W] = x.shape;
      const [oh, ow] = this.outputSize(H, W);
      if (!(oh > 0 && ow > 0)) throw new Error(`${this.name}: frames of ${H}×${W} are too small for kernel ${this.args.kernelSize.join('×')} with padding '${this.args.padding}'`);
      const given = list.length > 1 ? list.slice(1) : (kwargs.initialState as tf.Tensor[] | undefined);
      if (given) this.checkStates(given, B, H, W);
      const init = (given as tf.Tensor4D[] | undefined) ?? this.zeroStates(B, H, W);
      const a = this.args;
      const training = kwargs.training === true;

      const ys: tf.Tensor5D[] = [];
      const finals: tf.Tensor4D[] = [];
      this.cells.forEach((cell, d) => {
        let input = x;
        if (training && a.dropout > 0) input = tf.mul(x, tf.dropout(tf.ones([B, 1, H, W, x.shape[4]]), a.dropout, undefined, nextDropoutSeed())) as tf.Tensor5D;
        const recurrentMask = training && a.recurrentDropout > 0 ? (tf.dropout(tf.ones([B, oh, ow, a.filters]), a.recurrentDropout, undefined, nextDropoutSeed()) as tf.Tensor4D) : null;
        const inp = { x: input, initialStates: init.slice(2 * d, 2 * d + 2), reverse: d === 1 || a.reverse || a.goBackwards, recurrentMask };
        const r = a.implementation === 'fused' ? cell.runFused(inp) : cell.runAutodiff(inp);
        ys.push(a.goBackwards && a.returnSequences ? (tf.reverse(r.y, 1) as tf.Tensor5D) : r.y);
        finals.push(...r.states);
      });
      const outs: tf.Tensor[] = a.returnSequences ? ys : finals.filter((_, i) => i % 2 === 0);
      const merged = outs.length === 1 ? outs[0] : this.merge(outs[0], outs[1]);
      return a.returnState ? [merged, ...finals] : merged;
    });
  }

  private merge(f: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return mergeDirections(this.args.mergeMode, f, b)[0];
  }

  /** This layer's configuration as a bidirectional layer (what the package's `bidirectional` wrapper builds). */
  toBidirectional(opts: { mergeMode?: string; name?: string; inputShape?: (number | null)[]; batchInputShape?: (number | null)[]; trainable?: boolean }): ConvLSTM2D {
    if (this.built) throw new Error(`bidirectional: layer '${this.name}' is already built; wrap a fresh layer`);
    if (this.args.bidirectional) throw new Error(`bidirectional: layer '${this.name}' is already bidirectional`);
    if (this.args.reverse || this.args.goBackwards) throw new Error(`bidirectional: layer '${this.name}' reads backwards; wrap a forward layer`);
    if (opts.mergeMode !== undefined && !['concat', 'sum', 'ave', 'mul'].includes(opts.mergeMode)) {
      throw new Error(`bidirectional: ConvLSTM2D merges with concat, sum, ave or mul; got '${opts.mergeMode}'`);
    }
    return new ConvLSTM2D({
      ...this.args,
      bidirectional: true,
      mergeMode: (opts.mergeMode as ConvMergeMode | undefined) ?? 'concat',
      name: opts.name ?? `bidirectional_${this.name}`,
      inputShape: opts.inputShape ?? (opts.batchInputShape || !this.batchInputShape ? undefined : this.batchInputShape.slice(1)),
      batchInputShape: opts.batchInputShape,
      trainable: opts.trainable,
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args } as unknown as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(ConvLSTM2D);

/** A ConvLSTM2D layer (see the file comment). */
export function convLstm2d(args: ConvLSTM2DArgs): ConvLSTM2D {
  return new ConvLSTM2D(args);
}

export { ConvLSTM2DCell, dilateKernel, convOutputLength } from './conv_lstm2d_cell';
export type { ConvRecurrentActivation, ConvPadding, ConvInitializerName } from './conv_lstm2d_cell';
