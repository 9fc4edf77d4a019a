/**
 * Convolutional LSTM cell (Shi et al. 2015, without peepholes), Keras `ConvLSTM2D`
 * layout, channels last:
 *
 *   z  = conv(x, W; strides, padding, dilation) + conv(h, U; stride 1, 'same') + b
 *        W [kh, kw, C, 4F], U [kh, kw, F, 4F], b [4F], gate blocks (i, f, c, o)
 *   i = σ(z_i)   f = σ(z_f)   g = tanh(z_c)   o = σ(z_o)     (σ: sigmoid or hard sigmoid)
 *   c' = f ⊙ c + i ⊙ g
 *   h' = o ⊙ tanh(c')
 *
 * Shapes: x [B, H, W, C]; states [h [B, OH, OW, F], c [B, OH, OW, F]], where
 * (OH, OW) is the input convolution's output size (TensorFlow's 'same' / 'valid'
 * rules). The recurrent convolution never strides nor dilates (as Keras).
 *
 * Not a tfjs Layer: the ConvLSTM2D layer (conv_lstm2d.ts) owns the weights and
 * drives the cell step by step (`step`, the reference and what decoders call) or
 * over a whole sequence through the fused kernel (fused/conv_lstm2d.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { convLstmSequence } from './fused/conv_lstm2d';
import type { ConvPadding, ConvRecurrentActivation, ConvSequenceInputs, ConvSequenceResult } from './fused/conv_lstm2d_types';
import { orthogonalValues } from './initializers';
import { SeededRandom } from './random';

export type { ConvPadding, ConvRecurrentActivation, ConvSequenceInputs, ConvSequenceResult };

/** Initializers a ConvLSTM2D weight accepts (fans of a conv kernel as Keras computes them). */
export type ConvInitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'unitForgetBias';

/** The geometry of the input convolution. */
export interface ConvGeometry {
  /** Kernel height and width. */
  kernelSize: [number, number];
  /** Strides of the input convolution. */
  strides: [number, number];
  /** 'same' or 'valid' (TensorFlow's rules). */
  padding: ConvPadding;
  /** Dilation of the input convolution. */
  dilationRate: [number, number];
}

/** Options of one cell. */
export interface ConvLSTM2DCellOptions extends ConvGeometry {
  /** Number of filters F (channels of h and c). */
  filters: number;
  /** Gate nonlinearity. Default 'sigmoid'. */
  recurrentActivation?: ConvRecurrentActivation;
  /** Whether the cell has a bias. Default true. */
  useBias?: boolean;
  /** Input-kernel initializer. Default 'glorotUniform'. */
  kernelInitializer?: ConvInitializerName;
  /** Recurrent-kernel initializer. Default 'orthogonal'. */
  recurrentInitializer?: ConvInitializerName;
  /** Bias initializer. Default 'unitForgetBias' (forget block 1, Keras unit_forget_bias). */
  biasInitializer?: ConvInitializerName;
}

/** Output size of a convolution along one axis (TensorFlow's rules). */
export function convOutputLength(n: number, k: number, s: number, d: number, padding: ConvPadding): number {
  const ke = (k - 1) * d + 1;
  return padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - ke + 1) / s);
}

/**
 * The kernel [kh, kw, Ci, Co] of a dilated convolution written out with zeros
 * between its taps: [(kh−1)·dh + 1, (kw−1)·dw + 1, Ci, Co]. A convolution with
 * it (dilation 1) equals the dilated one, and unlike the latter it is
 * differentiable in tfjs (whose conv2d gradient refuses dilation > 1).
 */
export function dilateKernel(k: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  return tf.tidy(() => {
    let out = k;
    if (dh > 1) {
      const [kh, kw, ci, co] = out.shape;
      const padded = tf.pad(tf.reshape(out, [kh, 1, kw * ci * co]), [[0, 0], [0, dh - 1], [0, 0]]);
      out = tf.slice(tf.reshape(padded, [kh * dh, kw, ci, co]), [0, 0, 0, 0], [(kh - 1) * dh + 1, kw, ci, co]) as tf.Tensor4D;
    }
    if (dw > 1) {
      const [kh, kw, ci, co] = out.shape;
      const padded = tf.pad(tf.reshape(out, [kh, kw, 1, ci * co]), [[0, 0], [0, 0], [0, dw - 1], [0, 0]]);
      out = tf.slice(tf.reshape(padded, [kh, kw * dw, ci, co]), [0, 0, 0, 0], [kh, (kw - 1) * dw + 1, ci, co]) as tf.Tensor4D;
    }
    return out === k ? tf.clone(k) : out;
  });
}

/** Keras' initializers for conv kernels: fans kh·kw·Ci and kh·kw·Co; orthogonal over [kh·kw·Ci, Co]. */
export function convInitializer(name: ConvInitializerName, seed: number, filters: number): { apply(shape: number[]): tf.Tensor; getConfig(): object; getClassName(): string } {
  return {
    apply(shape: number[]): tf.Tensor {
      const size = shape.reduce((a, b) => a * b, 1);
      const co = shape[shape.length - 1];
      const rows = size / co;
      switch (name) {
        case 'glorotUniform': {
          const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
          const fanIn = shape.length >= 2 ? receptive * shape[shape.length - 2] : co;
          const fanOut = receptive * co;
          const limit = Math.sqrt(6 / (fanIn + fanOut));
          const rng = new SeededRandom(seed);
          const v = new Float32Array(size);
          for (let i = 0; i < size; i++) v[i] = (rng.uniform() * 2 - 1) * limit;
          return tf.tensor(v, shape, 'float32');
        }
        case 'orthogonal':
          return tf.tensor(orthogonalValues(rows, co, seed), shape, 'float32');
        case 'zeros':
          return tf.zeros(shape, 'float32');
        case 'unitForgetBias': {
          const v = new Float32Array(size);
          v.fill(1, filters, 2 * filters);
          return tf.tensor(v, shape, 'float32');
        }
        default:
          throw new Error(`unknown initializer '${String(name)}'`);
      }
    },
    getConfig: () => ({ name, seed }),
    getClassName: () => 'rnnkit.ConvInitializer',
  };
}

/** Adds one weight to the owning layer. */
export type ConvAddWeight = (name: string, shape: number[], init: ConvInitializerName, seed: number) => tf.LayerVariable;

/** One step's result. */
export interface ConvStepResult {
  /** h' [B, OH, OW, F]. */
  output: tf.Tensor4D;
  /** [h', c'], each [B, OH, OW, F]. */
  states: tf.Tensor4D[];
}

export class ConvLSTM2DCell {
  readonly filters: number;
  readonly geometry: ConvGeometry;
  readonly recurrentActivation: ConvRecurrentActivation;
  readonly useBias: boolean;
  private readonly inits: [ConvInitializerName, ConvInitializerName, ConvInitializerName];
  kernel?: tf.LayerVariable;
  recurrentKernel?: tf.LayerVariable;
  bias?: tf.LayerVariable;

  constructor(o: ConvLSTM2DCellOptions) {
    if (!Number.isInteger(o.filters) || o.filters <= 0) throw new Error(`filters must be a positive integer, got ${String(o.filters)}`);
    const pos = (v: [number, number], what: string): void => {
      if (v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
    };
    pos(o.kernelSize, 'kernelSize');
    pos(o.strides, 'strides');
    pos(o.dilationRate, 'dilationRate');
    if (o.padding !== 'same' && o.padding !== 'valid') throw new Error(`padding must be 'same' or 'valid', got '${String(o.padding)}'`);
    const ra = o.recurrentActivation ?? 'sigmoid';
    if (ra !== 'sigmoid' && ra !== 'hardSigmoid') throw new Error(`recurrentActivation must be 'sigmoid' or 'hardSigmoid', got '${String(ra)}'`);
    this.filters = o.filters;
    this.geometry = { kernelSize: o.kernelSize, strides: o.strides, padding: o.padding, dilationRate: o.dilationRate };
    this.recurrentActivation = ra;
    this.useBias = o.useBias ?? true;
    this.inits = [o.kernelInitializer ?? 'glorotUniform', o.recurrentInitializer ?? 'orthogonal', o.biasInitializer ?? 'unitForgetBias'];
  }

  /** Creates the weights (Keras shapes) on the owning layer; `suffix` is appended to each name. */
  build(addWeight: ConvAddWeight, inChannels: number, suffix: string, seed: number): void {
    const [kh, kw] = this.geometry.kernelSize;
    const F = this.filters;
    this.kernel = addWeight(`kernel${suffix}`, [kh, kw, inChannels, 4 * F], this.inits[0], seed);
    this.recurrentKernel = addWeight(`recurrent_kernel${suffix}`, [kh, kw, F, 4 * F], this.inits[1], seed + 1);
    if (this.useBias) this.bias = addWeight(`bias${suffix}`, [4 * F], this.inits[2], seed + 2);
  }

  /** The weights in serialization order (kernel, recurrent_kernel, bias). */
  weights(): tf.LayerVariable[] {
    return [this.kernel, this.recurrentKernel, this.bias].filter((w): w is tf.LayerVariable => w !== undefined);
  }

  /** (OH, OW) of the states for an input of H × W. */
  outputSize(H: number, W: number): [number, number] {
    const g = this.geometry;
    return [convOutputLength(H, g.kernelSize[0], g.strides[0], g.dilationRate[0], g.padding), convOutputLength(W, g.kernelSize[1], g.strides[1], g.dilationRate[1], g.padding)];
  }

  /** Zero [h, c] for a batch of H × W inputs. */
  zeroStates(batch: number, H: number, W: number): tf.Tensor4D[] {
    const [oh, ow] = this.outputSize(H, W);
    return [tf.zeros([batch, oh, ow, this.filters]), tf.zeros([batch, oh, ow, this.filters])];
  }

  private read(v: tf.LayerVariable | undefined, what: string): tf.Tensor {
    if (!v) throw new Error(`ConvLSTM2D weight '${what}' used before the layer was built`);
    return v.read();
  }

  /** The input kernel with its dilation written out (dilation 1 from then on). */
  inputKernel(): tf.Tensor4D {
    const k = this.read(this.kernel, 'kernel') as tf.Tensor4D;
    const [dh, dw] = this.geometry.dilationRate;
    return dh === 1 && dw === 1 ? k : dilateKernel(k, dh, dw);
  }

  private gate(z: tf.Tensor): tf.Tensor {
    return this.recurrentActivation === 'sigmoid' ? tf.sigmoid(z) : tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1);
  }

  /**
   * One time step: x [B, H, W, C], states [h, c] → h', [h', c']. `recurrentMask`
   * (recurrent dropout) multiplies h before the recurrent convolution.
   */
  step(x: tf.Tensor4D, states: tf.Tensor4D[], recurrentMask: tf.Tensor4D | null = null): ConvStepResult {
    return tf.tidy(() => {
      const [h, c] = states;
      const g = this.geometry;
      let z = tf.add(
        tf.conv2d(x, this.inputKernel(), g.strides, g.padding),
        tf.conv2d((recurrentMask ? tf.mul(h, recurrentMask) : h) as tf.Tensor4D, this.read(this.recurrentKernel, 'recurrent_kernel') as tf.Tensor4D, 1, 'same'),
      ) as tf.Tensor4D;
      if (this.bias) z = tf.add(z, this.bias.read());
      const [zi, zf, zc, zo] = tf.split(z, 4, 3);
      const cNew = tf.add(tf.mul(this.gate(zf), c), tf.mul(this.gate(zi), tf.tanh(zc))) as tf.Tensor4D;
      const hNew = tf.mul(this.gate(zo), tf.tanh(cNew)) as tf.Tensor4D;
      return { output: hNew, states: [hNew, cNew] };
    });
  }

  /** The reference path: `step` in a loop, differentiated by tfjs autodiff. */
  runAutodiff(inp: ConvSequenceInputs): ConvSequenceResult {
    return tf.tidy(() => {
      const T = inp.x.shape[1];
      const xs = T === 1 ? [tf.squeeze(inp.x, [1]) as tf.Tensor4D] : (tf.unstack(inp.x, 1) as tf.Tensor4D[]);
      let states = inp.initialStates;
      const ys: tf.Tensor4D[] = new Array(T);
      for (let k = 0; k < T; k++) {
        const t = inp.reverse ? T - 1 - k : k;
        const r = this.step(xs[t], states, inp.recurrentMask);
        ys[t] = r.output;
        states = r.states;
      }
      const y = (T === 1 ? tf.expandDims(ys[0], 1) : tf.stack(ys, 1)) as tf.Tensor5D;
      return { y, states };
    });
  }

  /** The fused whole-sequence kernel (hand-written BPTT). */
  runFused(inp: ConvSequenceInputs): ConvSequenceResult {
    return tf.tidy(() => {
      const r = convLstmSequence(inp, {
        kernel: this.inputKernel(),
        recurrentKernel: this.read(this.recurrentKernel, 'recurrent_kernel') as tf.Tensor4D,
        bias: this.bias ? (this.bias.read() as tf.Tensor1D) : null,
        strides: this.geometry.strides,
        padding: this.geometry.padding,
        recurrentActivation: this.recurrentActivation,
      });
      return { y: r.y, states: r.states };
    });
  }
}
