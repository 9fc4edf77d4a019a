/**
 * The encoder-forecaster of stacked ConvLSTMs (Shi et al. 2015, Fig. 3), on
 * frames folded into patches (data.ts):
 *
 *   frames [B, Tin, h, w, c] ─► encoder: ConvLSTM k=1..K (returnSequences, returnState)
 *                                 └─ final (h_k, c_k) of each layer
 *   zeros  [B, Tout, h, w, 1] ─► forecaster: ConvLSTM k=1..K, layer k starting from (h_k, c_k),
 *                                 layer 1 reads nothing (zeros), layer k > 1 reads layer k − 1
 *   concat of all forecaster outputs [B, Tout, h, w, ΣF] ─► 1×1 convolution (dense over channels)
 *                               ─► logits [B, Tout, h, w, c]   (sigmoid → intensities in [0, 1])
 *
 * `convLstmLayer` is the one place that makes a ConvLSTM layer (rnnkit's convLstm2d).
 */
import * as tf from '@tensorflow/tfjs';
import { convLstm2d } from '../../layers/conv_lstm2d';
import '../../layers/kernels'; // wasm's missing Conv2DBackpropFilter (filter gradients)
import type { NextframeConfig } from './config';

/** What the builder needs: the model's own settings, the seed and the (patched) grid. */
export interface NextframeShape {
  inputFrames: number;
  outputFrames: number;
  /** Grid height/width after folding into patches, and channels per cell (p·p·C). */
  height: number;
  width: number;
  channels: number;
  filters: number[];
  kernelSize: number;
  seed: number;
  /**
   * Mean pixel intensity of the training frames: the output bias starts at its logit, so
   * the model starts at the mean intensity instead of 0.5. Without it the first steps
   * push every logit down through the ConvLSTMs (sparse frames: squares ≈ 0.05, Moving
   * MNIST ≈ 0.05), which saturates them: the encoders' gradient norms fell from ~1e-2 to
   * ~1e-5 and the model stayed at the mean-intensity blur. Measured on 16×16 squares,
   * filters 16,16, overfitting 4 sequences (batch 4, Adam 2e-3, clip 1): after 50 steps
   * 0.50× the copy-last MSE without it (encoder gradients 1e-5), 0.33× with it (2e-2).
   */
  meanIntensity?: number;
}

/** The logit of a mean intensity, clamped to [0.001, 0.999]; 0 (intensity 0.5) when unknown. */
export function outputBias(meanIntensity: number | undefined): number {
  if (meanIntensity === undefined || !Number.isFinite(meanIntensity)) return 0;
  const m = Math.min(0.999, Math.max(0.001, meanIntensity));
  return Math.log(m / (1 - m));
}

/** Arguments of one ConvLSTM layer in this model. */
interface ConvLstmArgs {
  filters: number;
  kernelSize: number;
  returnSequences: boolean;
  returnState: boolean;
  seed: number;
  name: string;
}

/**
 * One ConvLSTM layer ('same' padding, stride 1, sigmoid gates, forget bias 1),
 * called as layer.apply([x, h0, c0]) for a start state or layer.apply(x).
 */
export function convLstmLayer(a: ConvLstmArgs): tf.layers.Layer {
  return convLstm2d({
    filters: a.filters,
    kernelSize: a.kernelSize,
    padding: 'same',
    returnSequences: a.returnSequences,
    returnState: a.returnState,
    recurrentActivation: 'sigmoid',
    unitForgetBias: true,
    implementation: CONV_LSTM_IMPLEMENTATION,
    seed: a.seed,
    name: a.name,
  });
}
/** 'fused' (hand-written BPTT) once layers/conv_lstm2d.ts has it, else 'autodiff'. */
const CONV_LSTM_IMPLEMENTATION: 'fused' | 'autodiff' = 'fused';
/** Whether convLstmLayer's layers take initial states as extra symbolic inputs (Shi et al.'s state copy). */
const TAKES_INITIAL_STATE = true;

/** The zeros the forecaster's first layer reads: [B, Tin, ...] → [B, Tout, h, w, 1]. */
export class FutureSteps extends tf.layers.Layer {
  static className = 'rnnkit.NextframeFutureSteps';
  readonly steps: number;
  /** With `repeat`, the steps repeat the input [B, h, w, F] instead (a forecaster conditioned on the encoder's last output). */
  readonly repeat: boolean;
  constructor(args: { steps: number; repeat?: boolean; name?: string }) {
    super({ name: args.name });
    this.steps = args.steps;
    this.repeat = args.repeat ?? false;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return this.repeat ? [shape[0], this.steps, ...shape.slice(1)] : [shape[0], this.steps, shape[2], shape[3], 1];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (this.repeat) return tf.tile(tf.expandDims(x, 1), [1, this.steps, 1, 1, 1]);
      return tf.zeros([x.shape[0], this.steps, x.shape[2] as number, x.shape[3] as number, 1]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), steps: this.steps, repeat: this.repeat };
  }
}
tf.serialization.registerClass(FutureSteps);

/** Builds the encoder-forecaster: input frames [B, Tin, h, w, c] → logits [B, Tout, h, w, c]. */
export function buildNextframeModel(s: NextframeShape): tf.LayersModel {
  const frames = tf.input({ shape: [s.inputFrames, s.height, s.width, s.channels], name: 'frames' });
  const K = s.filters.length;
  const states: tf.SymbolicTensor[][] = [];
  let x: tf.SymbolicTensor = frames;
  for (let k = 0; k < K; k++) {
    const last = k === K - 1;
    if (TAKES_INITIAL_STATE) {
      const [seq, h, c] = convLstmLayer({ filters: s.filters[k], kernelSize: s.kernelSize, returnSequences: true, returnState: true, seed: s.seed + 10 * k, name: `encoder_${k + 1}` }).apply(x) as tf.SymbolicTensor[];
      states.push([h, c]);
      x = seq;
    } else {
      // The stand-in: the last encoder layer's final output, repeated, conditions the forecaster.
      x = convLstmLayer({ filters: s.filters[k], kernelSize: s.kernelSize, returnSequences: !last, returnState: false, seed: s.seed + 10 * k, name: `encoder_${k + 1}` }).apply(x) as tf.SymbolicTensor;
    }
  }
  let y = new FutureSteps({ steps: s.outputFrames, repeat: !TAKES_INITIAL_STATE, name: 'future_steps' }).apply(TAKES_INITIAL_STATE ? frames : x) as tf.SymbolicTensor;
  const outputs: tf.SymbolicTensor[] = [];
  for (let k = 0; k < K; k++) {
    const layer = convLstmLayer({ filters: s.filters[k], kernelSize: s.kernelSize, returnSequences: true, returnState: false, seed: s.seed + 10 * k + 100, name: `forecaster_${k + 1}` });
    y = layer.apply(TAKES_INITIAL_STATE ? [y, ...states[k]] : y) as tf.SymbolicTensor; // [B, Tout, h, w, F_k]
    outputs.push(y);
  }
  const all = K > 1 ? (tf.layers.concatenate({ axis: -1, name: 'forecaster_outputs' }).apply(outputs) as tf.SymbolicTensor) : outputs[0];
  const logits = tf.layers
    .dense({ units: s.channels, name: 'frame_logits', kernelInitializer: tf.initializers.glorotUniform({ seed: s.seed + 7 }), biasInitializer: tf.initializers.constant({ value: outputBias(s.meanIntensity) }) })
    .apply(all) as tf.SymbolicTensor; // 1×1 convolution: [B, Tout, h, w, c]
  return tf.model({ inputs: frames, outputs: logits, name: 'nextframe_encoder_forecaster' });
}

/** The model's settings from a task config and the patched grid. */
export function modelShape(config: Pick<NextframeConfig, 'inputFrames' | 'outputFrames' | 'filters' | 'kernelSize'> & { seed: number }, grid: { height: number; width: number; channels: number }, meanIntensity?: number): NextframeShape {
  return { ...grid, inputFrames: config.inputFrames, outputFrames: config.outputFrames, filters: config.filters, kernelSize: config.kernelSize, seed: config.seed, meanIntensity };
}
