/**
 * The captioner: a CNN encoder and an attention decoder in one tf.LayersModel.
 *
 *   image [B, S, S, C] + 2 coordinate channels (x, y in [−1, 1], so features know where they are)
 *     → blocks of conv 3×3 (same) + ReLU + max pool 2×2 → grid [B, G, G, F] → memory [B, G·G, F]
 *     → mean over cells → tanh(W ·) per decoder state (the initial state)
 *   caption ids (<sos> w1..wn) → embedding → decoder (LSTM/GRU, from the initial state) → h [B, T, H]
 *     → attention over the G·G cells → context [B, T, F] → tanh(Wc [h; context]) → dropout → logits [B, T, V]
 *
 * Training runs the decoder over the whole caption at once (teacher forcing) and
 * attends on top; decoding calls `step()` in a loop. The convolutions run as
 * tf.conv2d where the backend has its filter gradient, and as 9 shifted slices ·
 * one matmul otherwise (wasm has no Conv2DBackpropFilter), with the weights of
 * the tf.layers.conv2d layers either way, so checkpoints are ordinary tfjs models.
 */
import * as tf from '@tensorflow/tfjs';
import { Attention, attention } from '../../layers/attention';
import { embedding, Embedding } from '../../layers/embedding';
import { seededDropout, SeededDropout } from '../../layers/dropout';
import { RecurrentLayer, stacked } from '../../layers/recurrent_layer';
import type { CaptionOwnConfig } from './config';

export type ModelConfig = Pick<CaptionOwnConfig, 'imageSize' | 'channels' | 'encoderDepth' | 'encoderWidth' | 'cell' | 'hidden' | 'embeddingDim' | 'dropout'> & { seed: number };

/** An encoded batch of images. */
export interface Encoded {
  /** [B, G·G, F] cell features. */
  memory: tf.Tensor3D;
  /** The memory as the attention score needs it. */
  keys: tf.Tensor3D;
  /** Decoder initial states. */
  states: tf.Tensor2D[];
}

/** Coordinate channels [1, S, S, 2]: x and y in [−1, 1]. */
function coordinates(S: number): tf.Tensor4D {
  const v = new Float32Array(S * S * 2);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    v[(y * S + x) * 2] = (2 * x) / (S - 1) - 1;
    v[(y * S + x) * 2 + 1] = (2 * y) / (S - 1) - 1;
  }
  return tf.tensor4d(v, [1, S, S, 2]);
}

/** 3×3 'same' convolution x [B, H, W, C] · kernel [3, 3, C, F] + bias as shifted slices and one matmul (gradients without Conv2DBackpropFilter). */
export function conv3x3Slices(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W, C] = x.shape;
    const F = kernel.shape[3];
    const p = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const parts: tf.Tensor4D[] = [];
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) parts.push(tf.slice(p, [0, dy, dx, 0], [B, H, W, C]));
    const cols = tf.reshape(tf.concat(parts, 3), [B * H * W, 9 * C]) as tf.Tensor2D;
    return tf.reshape(tf.add(tf.matMul(cols, tf.reshape(kernel, [9 * C, F]) as tf.Tensor2D), bias), [B, H, W, F]) as tf.Tensor4D;
  });
}

export class Captioner {
  readonly convs: tf.layers.Layer[];
  readonly bridges: tf.layers.Layer[];
  readonly embedding: Embedding;
  readonly decoder: RecurrentLayer;
  readonly attention: Attention;
  readonly combine: tf.layers.Layer;
  readonly outDropout: SeededDropout;
  readonly output: tf.layers.Layer;
  private coords: tf.Tensor4D | null = null;

  constructor(readonly model: tf.LayersModel, readonly config: ModelConfig) {
    const get = <T>(name: string): T => model.getLayer(name) as unknown as T;
    this.convs = Array.from({ length: config.encoderDepth }, (_, i) => get(`conv_${i}`));
    this.embedding = get('embedding');
    this.decoder = get('decoder');
    this.bridges = this.decoder.stateSizes.map((_, i) => get(`bridge_${i}`));
    this.attention = get('attention');
    this.combine = get('attention_combine');
    this.outDropout = get('output_dropout');
    this.output = get('output');
  }

  /** Grid side G. */
  get grid(): number {
    return this.config.imageSize >> this.config.encoderDepth;
  }

  /** Images [B, S, S, C] → memory, keys and the decoder's initial states. */
  encode(images: tf.Tensor4D): Encoded {
    if (!this.coords || this.coords.isDisposed) this.coords = tf.keep(coordinates(this.config.imageSize));
    const coords = this.coords;
    return tf.tidy(() => {
      const B = images.shape[0];
      let x = tf.concat([images, tf.tile(coords, [B, 1, 1, 1])], 3) as tf.Tensor4D;
      const direct = !!tf.getKernel('Conv2DBackpropFilter', tf.getBackend());
      for (const conv of this.convs) {
        const [k, b] = conv.weights.map((w) => w.read());
        x = direct ? tf.conv2d(x, k as tf.Tensor4D, 1, 'same').add(b) as tf.Tensor4D : conv3x3Slices(x, k as tf.Tensor4D, b as tf.Tensor1D);
        x = tf.maxPool(tf.relu(x), 2, 2, 'valid');
      }
      const [, G, , F] = x.shape;
      const memory = tf.reshape(x, [B, G * G, F]) as tf.Tensor3D;
      const mean = tf.mean(memory, 1) as tf.Tensor2D;
      const states = this.bridges.map((layer) => {
        const [k, b] = layer.weights.map((w) => w.read());
        return tf.tanh(tf.add(tf.matMul(mean, k as tf.Tensor2D), b)) as tf.Tensor2D;
      });
      return { memory, keys: this.attention.prepareKeys(memory), states };
    });
  }

  private head(h: tf.Tensor2D, context: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const a = tf.tanh(tf.matMul(tf.concat([h, context], 1), this.combine.weights[0].read() as tf.Tensor2D)) as tf.Tensor2D;
    const [k, b] = this.output.weights.map((w) => w.read());
    return tf.add(tf.matMul(this.outDropout.apply(a, { training }) as tf.Tensor2D, k as tf.Tensor2D), b) as tf.Tensor2D;
  }

  /** Teacher-forced logits [B, T, V] and attention weights [B, T, G·G] for decoder inputs ids [B, T]. */
  forward(enc: Encoded, ids: tf.Tensor2D, lengths: number[], training: boolean): { logits: tf.Tensor3D; weights: tf.Tensor3D } {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const x = this.embedding.apply(ids) as tf.Tensor3D;
      const h = this.decoder.apply([x, ...enc.states], { lengths, training }) as tf.Tensor3D;
      const { context, weights } = this.attention.attend(h, enc.keys, enc.memory, null);
      const logits = this.head(tf.reshape(h, [B * T, -1]) as tf.Tensor2D, tf.reshape(context, [B * T, -1]) as tf.Tensor2D, training);
      return { logits: tf.reshape(logits, [B, T, -1]) as tf.Tensor3D, weights: weights as tf.Tensor3D };
    });
  }

  /** One decoding step from the previous tokens prev [B] (int32): logits [B, V], weights [B, G·G], new states (caller disposes). */
  step(enc: Encoded, prev: tf.Tensor1D, states: tf.Tensor2D[]): { logits: tf.Tensor2D; weights: tf.Tensor2D; states: tf.Tensor2D[] } {
    return tf.tidy(() => {
      const B = prev.shape[0];
      const e = tf.reshape(this.embedding.apply(tf.reshape(prev, [B, 1])) as tf.Tensor, [B, this.config.embeddingDim]) as tf.Tensor2D;
      const r = this.decoder.step(e, states);
      const { context, weights } = this.attention.attend(r.output, enc.keys, enc.memory, null);
      return { logits: this.head(r.output, context as tf.Tensor2D, false), weights: weights as tf.Tensor2D, states: r.states };
    }) as unknown as { logits: tf.Tensor2D; weights: tf.Tensor2D; states: tf.Tensor2D[] };
  }

  /**
   * The encoded images repeated per caption (rows[i] = caption i's image); disposes `enc`.
   * A one-hot matmul instead of tf.gather, whose gradient (UnsortedSegmentSum) wasm lacks.
   */
  gatherRows(enc: Encoded, rows: number[]): Encoded {
    if (rows.length === enc.memory.shape[0] && rows.every((r, i) => r === i)) return enc;
    const out = tf.tidy(() => {
      const [I, N, F] = enc.memory.shape;
      const pick = (I === 1 ? tf.ones([rows.length, 1]) : tf.oneHot(tf.tensor1d(rows, 'int32'), I)) as tf.Tensor2D; // [B, I] (oneHot needs depth ≥ 2)
      const rep = <T extends tf.Tensor>(t: tf.Tensor, shape: number[]): T => tf.reshape(tf.matMul(pick, tf.reshape(t, [I, -1]) as tf.Tensor2D), shape) as T;
      return {
        memory: rep<tf.Tensor3D>(enc.memory, [rows.length, N, F]),
        keys: rep<tf.Tensor3D>(enc.keys, [rows.length, N, enc.keys.shape[2]]),
        states: enc.states.map((st) => rep<tf.Tensor2D>(st, [rows.length, st.shape[1]])),
      };
    }) as unknown as Encoded;
    Captioner.disposeEncoded(enc);
    return out;
  }

  static gather(enc: Encoded, index: tf.Tensor1D): Encoded {
    return tf.tidy(() => ({
      memory: tf.gather(enc.memory, index) as tf.Tensor3D,
      keys: tf.gather(enc.keys, index) as tf.Tensor3D,
      states: enc.states.map((s) => tf.gather(s, index) as tf.Tensor2D),
    })) as unknown as Encoded;
  }

  static disposeEncoded(enc: Encoded): void {
    tf.dispose([enc.memory, enc.keys, ...enc.states]);
  }

  dispose(): void {
    this.coords?.dispose();
    this.model.dispose();
  }
}

/** Builds the model (all layers in one tf.LayersModel whose graph is the teacher-forced forward pass). */
export function buildCaptioner(config: ModelConfig, vocabSize: number): Captioner {
  const { imageSize: S, hidden: H, seed } = config;
  if (S % (1 << config.encoderDepth) !== 0 || S >> config.encoderDepth < 1) throw new Error(`imageSize ${S} must be divisible by 2^encoderDepth (${1 << config.encoderDepth})`);
  const sym = <T = tf.SymbolicTensor>(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): T => layer.apply(x) as unknown as T;
  const image = tf.input({ shape: [S, S, config.channels + 2], name: 'image_with_coordinates' });
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'caption_ids' });
  let x = image;
  for (let i = 0; i < config.encoderDepth; i++) {
    x = sym(tf.layers.conv2d({ filters: config.encoderWidth << i, kernelSize: 3, padding: 'same', activation: 'relu', name: `conv_${i}`, kernelInitializer: tf.initializers.heNormal({ seed: seed + 20 + i }) }), x);
    x = sym(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${i}` }), x);
  }
  const G = S >> config.encoderDepth;
  const F = config.encoderWidth << (config.encoderDepth - 1);
  const memory = sym(tf.layers.reshape({ targetShape: [G * G, F], name: 'memory' }), x);
  const mean = sym(tf.layers.globalAveragePooling1d({ name: 'mean_feature' }), memory);
  const perCell = config.cell === 'lstm' ? 2 : 1;
  const init = Array.from({ length: perCell }, (_, i) =>
    sym(tf.layers.dense({ units: H, activation: 'tanh', name: `bridge_${i}`, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 + i }) }), mean));
  const emb = sym(embedding({ inputDim: vocabSize, outputDim: config.embeddingDim, embeddingsInitializer: 'normal', initScale: 1, maskZero: true, seed, name: 'embedding' }), ids);
  const decoder = stacked({ cell: config.cell, units: H, numLayers: 1, returnSequences: true, seed: seed + 2, name: 'decoder' });
  const h = sym(decoder, [emb, ...init]);
  const [context] = sym<tf.SymbolicTensor[]>(attention({ score: 'general', scale: true, seed: seed + 4, name: 'attention' }), [h, memory]);
  let a = sym(tf.layers.concatenate({ name: 'combine_input' }), [h, context]);
  a = sym(tf.layers.dense({ units: H, activation: 'tanh', useBias: false, name: 'attention_combine', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }) }), a);
  a = sym(seededDropout({ rate: config.dropout, name: 'output_dropout' }), a);
  const logits = sym(tf.layers.dense({ units: vocabSize, name: 'output', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 6 }) }), a);
  return new Captioner(tf.model({ inputs: [image, ids], outputs: logits, name: 'captioner' }), config);
}
