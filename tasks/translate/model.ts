/**
 * The encoder-decoder with attention.
 *
 *   source ids → embedding → dropout → stacked bidirectional encoder (lengths)
 *       → memory [B, S, 2H] and final states → bridge: tanh(W [fwd; rev]) per decoder state
 *   target ids (<sos> y1..yn) → embedding → dropout → decoder (started from the bridge)
 *       → h [B, T, H] → attention over the memory → context [B, T, 2H]
 *       → combine: h~ = tanh(Wc [h; context]) → dropout → output logits [B, T, V]
 *
 * Decoder kinds (config.decoder): 'luong' runs the decoder over the whole target
 * in one fused call and attends on top (teacher forcing); 'input-feeding' feeds
 * h~(t−1) into step t's input; 'bahdanau' queries with the previous decoder state
 * and feeds the context into the input. The last two run the fused attention
 * decoder (layers/fused/attention_decoder.ts: one kernel call per batch, one fused
 * step per decoding step) for GRU and LSTM cells, and a loop of tf ops for
 * SimpleRNN; a teacher-forcing ratio below 1 runs `step()` in a loop.
 *
 * All layers live in one tf.LayersModel (a symbolic graph of the teacher-forced
 * forward pass) so checkpoints save and load them; training and decoding call the
 * layers directly with explicit lengths and states. The embeddings mask id 0, so
 * the graph itself (model.apply, its ONNX export) skips source and target padding
 * exactly as `encode` / `forward` do with lengths.
 */
import * as tf from '@tensorflow/tfjs';
import { Attention, attention } from '../../layers/attention';
import { plainMatMul } from '../../layers/plain_matmul';
import { Ops } from '../../layers/fused/kernel_ops';
import { embedding, Embedding } from '../../layers/embedding';
import { paddingMask } from '../../layers/padding_mask';
import { seededDropout, SeededDropout } from '../../layers/dropout';
import { nextDropoutSeed, SeededRandom } from '../../layers/random';
import { RecurrentLayer, stacked } from '../../layers/recurrent_layer';
import { attentionDecoderSequence, AttentionDecoderWeights } from '../../layers/fused/attention_decoder';
import type { GRUCell } from '../../layers/gru_cell';
import type { LSTMCell } from '../../layers/lstm_cell';
import type { TranslateOwnConfig } from './config';

/** What the model needs of the configuration. */
export type ModelConfig = Pick<TranslateOwnConfig, 'cell' | 'hidden' | 'encoderLayers' | 'decoderLayers' | 'embeddingDim' | 'decoder' | 'score' | 'dropout'> & { seed: number };

/** The encoded source, computed once per batch. */
export interface Encoded {
  /** [B, S, 2H] encoder outputs (zeros at padding). */
  memory: tf.Tensor3D;
  /** The memory as the attention score needs it (prepareKeys). */
  keys: tf.Tensor3D;
  /** [B, S] 1 = real source token. */
  mask: tf.Tensor2D;
  /** The decoder's initial states (bridge of the encoder's final states). */
  states: tf.Tensor2D[];
}

/** The decoder's carried state in a step loop. */
export interface DecoderState {
  /** The decoder layer's states, in its order. */
  states: tf.Tensor2D[];
  /** input-feeding: h~ of the previous step [B, H]; bahdanau: unused (empty). */
  feed: tf.Tensor2D | null;
}

export interface StepOutput {
  /** [B, V] logits of the next token. */
  logits: tf.Tensor2D;
  /** [B, S] attention weights of this step. */
  weights: tf.Tensor2D;
  state: DecoderState;
}

/** tf.tidy for results holding nulls beside tensors (typed as the result). */
function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/**
 * Rows `ids` of x along its first axis (no gradient): one row copy each on wasm and
 * cpu (Ops.gatherRows; the wasm backend's Gather costs ~30 ns per element, which made
 * tiling the memory for beam search and reordering the beams' states 10% of a
 * beam-5 decode), tf.gather elsewhere.
 */
function gatherFirstAxis<T extends tf.Tensor>(x: T, ids: Int32Array): T {
  const ops = new Ops();
  try {
    if (x.dtype !== 'float32' || !ops.direct) return tf.gather(x, tf.tensor1d(ids, 'int32')) as T;
    const rows = tf.reshape(x, [x.shape[0], -1]);
    const out = ops.toTensor(ops.gatherRows(rows, ids));
    return tf.reshape(out, [ids.length, ...x.shape.slice(1)]) as T;
  } finally {
    ops.dispose();
  }
}

/** A tfjs Dense layer's function on a 2-D input through plainMatMul (fast gradients on wasm). */
function affine(layer: tf.layers.Layer, x: tf.Tensor2D, activation: 'tanh' | 'linear'): tf.Tensor2D {
  const [kernel, bias] = layer.weights.map((w) => w.read() as tf.Tensor2D);
  let y = plainMatMul(x, kernel);
  if (bias) y = tf.add(y, bias);
  return activation === 'tanh' ? tf.tanh(y) : y;
}

/**
 * x·W + b for the output layer ([N, H] · [H, V], V in the thousands), with the
 * gradients in the forms wasm runs fastest: dW = (dyᵀ·x)ᵀ (XNNPACK packs the
 * narrow x; ~25% faster than xᵀ·dy at [960, 256]·[960, 5927]) and db = 1ᵀ·dy
 * (a matmul instead of a column Sum, ~10× faster).
 */
export const wideDense = tf.customGrad(((x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, W]);
  return {
    value: tf.fused.matMul({ a: x, b: W, bias: b }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sW] = saved as tf.Tensor2D[];
      const d = dy as tf.Tensor2D;
      return [
        tf.matMul(d, tf.transpose(sW)),
        tf.transpose(tf.matMul(tf.transpose(d), sx)),
        tf.reshape(tf.matMul(tf.ones([1, d.shape[0]]), d), [-1]),
      ];
    },
  };
}) as never) as (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** The output layer's logits (see wideDense). */
function outputLogits(layer: tf.layers.Layer, x: tf.Tensor2D): tf.Tensor2D {
  const [kernel, bias] = layer.weights.map((w) => w.read());
  return bias ? wideDense(x, kernel as tf.Tensor2D, bias as tf.Tensor1D) : affine(layer, x, 'linear');
}

/** Transposed dot/general keys [B, K, S] of an encoded source, made once per source for decoding (disposed with it). */
const KEYS_T = new WeakMap<tf.Tensor, tf.Tensor3D>();

export class Seq2Seq {
  readonly srcEmbedding: Embedding;
  readonly tgtEmbedding: Embedding;
  readonly srcDropout: SeededDropout;
  readonly tgtDropout: SeededDropout;
  readonly encoder: RecurrentLayer;
  readonly bridges: tf.layers.Layer[];
  readonly decoder: RecurrentLayer;
  readonly attention: Attention;
  readonly combine: tf.layers.Layer;
  readonly outDropout: SeededDropout;
  readonly output: tf.layers.Layer;

  constructor(readonly model: tf.LayersModel, readonly config: ModelConfig) {
    const get = <T>(name: string): T => model.getLayer(name) as unknown as T;
    this.srcEmbedding = get('source_embedding');
    this.tgtEmbedding = get('target_embedding');
    this.srcDropout = get('source_dropout');
    this.tgtDropout = get('target_dropout');
    this.encoder = get('encoder');
    this.decoder = get('decoder');
    this.bridges = this.decoder.stateSizes.map((_, i) => get(`bridge_${i}`));
    this.attention = get('attention');
    this.combine = get('attention_combine');
    this.outDropout = get('output_dropout');
    this.output = get('output');
  }

  /** Whether training needs a step loop (scheduled sampling; input feeding and Bahdanau without a fused kernel for the cell). */
  needsStepLoop(teacherForcing: number): boolean {
    return teacherForcing < 1 || (this.config.decoder !== 'luong' && !this.fusedDecoder);
  }

  /**
   * Whether input feeding / Bahdanau run through the fused attention decoder
   * (layers/fused/attention_decoder.ts): GRU (reset after) and LSTM cells without
   * projection; a SimpleRNN decoder keeps the step loop of tf ops.
   */
  get fusedDecoder(): boolean {
    if (this.config.decoder === 'luong') return false;
    const cell = this.decoder.cells[0][0] as unknown as { resetAfter?: boolean; projSize?: number };
    if (this.config.cell === 'gru') return cell.resetAfter === true;
    return this.config.cell === 'lstm' && !cell.projSize;
  }

  /** The fused decoder's weights, read from the model's layers. */
  private fusedWeights(): AttentionDecoderWeights {
    const att = this.attention;
    return {
      cell: this.config.cell as 'gru' | 'lstm',
      layers: this.decoder.cells.map(([c]) => {
        const cell = c as GRUCell | LSTMCell;
        return { kernel: cell.kernel!.read() as tf.Tensor2D, recurrentKernel: cell.recurrentKernel!.read() as tf.Tensor2D, bias: cell.bias ? cell.bias.read() : null };
      }),
      score: att.score,
      scale: att.scale,
      queryKernel: att.queryKernel ? (att.queryKernel.read() as tf.Tensor2D) : null,
      scoreVector: att.scoreVector ? (att.scoreVector.read() as tf.Tensor2D) : null,
      combine: this.combine.weights[0].read() as tf.Tensor2D,
    };
  }

  /** The keys in the fused decoder's layout: dot/general transposed [B, K, S] (cached per source when not recording gradients), additive as prepared. */
  scoreKeys(enc: Encoded): tf.Tensor3D {
    if (this.attention.score === 'additive') return enc.keys;
    if ((tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn()) return tf.transpose(enc.keys, [0, 2, 1]) as tf.Tensor3D;
    let k = KEYS_T.get(enc.keys);
    if (!k || k.isDisposed) {
      k = tf.keep(tf.transpose(enc.keys, [0, 2, 1]) as tf.Tensor3D);
      KEYS_T.set(enc.keys, k);
    }
    return k;
  }

  /** The fused decoder over embedded inputs x [B, T, E] from a state: f [B, T, H], the new state and the weights [B, T, S]. */
  private runFused(enc: Encoded, x: tf.Tensor3D, state: DecoderState): { f: tf.Tensor3D; weights: tf.Tensor3D; state: DecoderState } {
    const r = attentionDecoderSequence(
      { kind: this.config.decoder as 'input-feeding' | 'bahdanau', x, memory: enc.memory, keys: this.scoreKeys(enc), sourceMask: enc.mask, initialStates: state.states, feed: state.feed },
      this.fusedWeights(),
    );
    const [B, T, H] = r.y.shape;
    const feed = this.config.decoder === 'input-feeding' ? (tf.reshape(tf.slice(r.y, [0, T - 1, 0], [B, 1, H]), [B, H]) as tf.Tensor2D) : null;
    return { f: r.y, weights: r.weights, state: { states: r.states, feed } };
  }

  /** Runs the encoder and the bridge. */
  encode(src: tf.Tensor2D, lengths: number[], training: boolean): Encoded {
    return tf.tidy(() => {
      const x = this.srcDropout.apply(this.srcEmbedding.apply(src), { training }) as tf.Tensor3D;
      const [memory, ...finals] = this.encoder.apply(x, { lengths, training }) as tf.Tensor[];
      const S = src.shape[1];
      const mask = tf.cast(tf.less(tf.range(0, S, 1, 'int32').expandDims(0), tf.tensor1d(lengths, 'int32').expandDims(1)), 'float32') as tf.Tensor2D;
      const states = this.bridgeInputs(finals as tf.Tensor2D[]).map((pair, i) => affine(this.bridges[i], tf.concat(pair, 1), 'tanh'));
      return { memory: memory as tf.Tensor3D, keys: this.attention.prepareKeys(memory as tf.Tensor3D), mask, states };
    });
  }

  /** For each decoder state: the [forward, reverse] encoder final states it is bridged from. */
  bridgeInputs<T>(finals: T[]): [T, T][] {
    const n = this.decoder.cells[0][0].stateSizes.length; // states per cell (GRU 1, LSTM 2)
    const Le = this.config.encoderLayers;
    const Ld = this.config.decoderLayers;
    const pairs: [T, T][] = [];
    for (let k = 0; k < Ld; k++) {
      const ke = Math.min(Le - 1, Math.max(0, Le - Ld) + k); // top encoder layers feed the decoder layers
      for (let j = 0; j < n; j++) pairs.push([finals[(2 * ke) * n + j], finals[(2 * ke + 1) * n + j]]);
    }
    return pairs;
  }

  /** h~ and logits from decoder outputs h [B, (T,) H] and contexts. */
  private head(h: tf.Tensor, context: tf.Tensor, training: boolean): { attentional: tf.Tensor; logits: tf.Tensor } {
    // Dense layers see 2-D inputs: on [B, T, D] tfjs broadcasts the kernel over the batch, whose gradient is B× the work.
    const lead = h.shape.slice(0, -1);
    const flat = tf.reshape(tf.concat([h, context], -1), [-1, h.shape[h.rank - 1] + context.shape[context.rank - 1]]);
    const attentional = affine(this.combine, flat as tf.Tensor2D, 'tanh');
    const logits = outputLogits(this.output, this.outDropout.apply(attentional, { training }) as tf.Tensor2D);
    return { attentional: tf.reshape(attentional, [...lead, -1]), logits: tf.reshape(logits, [...lead, -1]) };
  }

  /**
   * Teacher-forced logits [B, T, V] for decoder inputs tgtIn [B, T]. 'luong' with
   * ratio 1: one fused decoder call and batched attention; otherwise the step loop.
   * Returns the attention weights [B, T, S] too.
   */
  forward(enc: Encoded, tgtIn: tf.Tensor2D, tgtLengths: number[], training: boolean, teacherForcing = 1): { logits: tf.Tensor3D; weights: tf.Tensor3D } {
    if (this.needsStepLoop(teacherForcing)) return this.forwardLoop(enc, tgtIn, training, teacherForcing);
    if (this.fusedDecoder) {
      return tf.tidy(() => {
        const x = this.tgtDropout.apply(this.tgtEmbedding.apply(tgtIn), { training }) as tf.Tensor3D;
        const [B, T] = tgtIn.shape;
        const init = this.initialState(enc);
        const r = this.runFused(enc, x, { states: init.states, feed: null });
        const flat = this.outDropout.apply(tf.reshape(r.f, [B * T, -1]), { training }) as tf.Tensor2D;
        const logits = tf.reshape(outputLogits(this.output, flat), [B, T, -1]) as tf.Tensor3D;
        return { logits, weights: r.weights };
      });
    }
    return tf.tidy(() => {
      const x = this.tgtDropout.apply(this.tgtEmbedding.apply(tgtIn), { training }) as tf.Tensor3D;
      const h = this.decoder.apply([x, ...enc.states], { lengths: tgtLengths, training }) as tf.Tensor3D; // [B, T, H]
      const { context, weights } = this.attention.attend(h, enc.keys, enc.memory, enc.mask);
      const { logits } = this.head(h, context, training);
      return { logits: logits as tf.Tensor3D, weights: weights as tf.Tensor3D };
    });
  }

  /**
   * The step loop over a known target. With teacher forcing 1 the target embeddings
   * are looked up once and the output layer runs once on all steps' h~ at the end;
   * with a ratio below 1 each step feeds, per sentence, the gold previous token with
   * that probability, else the model's own previous argmax.
   */
  private forwardLoop(enc: Encoded, tgtIn: tf.Tensor2D, training: boolean, teacherForcing: number): { logits: tf.Tensor3D; weights: tf.Tensor3D } {
    return tf.tidy(() => {
      const [B, T] = tgtIn.shape;
      let state = this.initialState(enc);
      const weights: tf.Tensor2D[] = [];
      if (teacherForcing >= 1) {
        const emb = tf.unstack(this.tgtDropout.apply(this.tgtEmbedding.apply(tgtIn), { training }) as tf.Tensor3D, 1) as tf.Tensor2D[];
        const attentional: tf.Tensor2D[] = [];
        for (let t = 0; t < T; t++) {
          const r = this.stepCore(enc, emb[t], state);
          const a = affine(this.combine, tf.concat([r.h, r.context], 1), 'tanh');
          attentional.push(a);
          weights.push(r.weights);
          state = { states: r.states, feed: this.config.decoder === 'input-feeding' ? a : null };
        }
        const flat = this.outDropout.apply(tf.concat(attentional, 0), { training }) as tf.Tensor2D; // [T·B, H], time-major
        const logits = tf.transpose(tf.reshape(outputLogits(this.output, flat), [T, B, -1]), [1, 0, 2]) as tf.Tensor3D;
        return { logits, weights: tf.stack(weights, 1) as tf.Tensor3D };
      }
      const gold = tf.unstack(tgtIn, 1) as tf.Tensor1D[];
      const rng = new SeededRandom(nextDropoutSeed());
      let prev = gold[0];
      const logits: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        if (t > 0) {
          const coins = Array.from({ length: B }, () => (rng.uniform() < teacherForcing ? 1 : 0));
          // The model's own previous choice, read back so no gradient flows into the ids.
          const own = tf.tensor1d(tf.argMax(logits[t - 1], 1).dataSync() as Int32Array, 'int32');
          prev = tf.where(tf.tensor1d(coins, 'bool'), gold[t], own) as tf.Tensor1D;
        }
        const out = this.step(enc, prev, state, training);
        logits.push(out.logits);
        weights.push(out.weights);
        state = out.state;
      }
      return { logits: tf.stack(logits, 1) as tf.Tensor3D, weights: tf.stack(weights, 1) as tf.Tensor3D };
    });
  }

  /** The state before the first step. */
  initialState(enc: Encoded): DecoderState {
    const B = enc.memory.shape[0];
    return {
      states: enc.states.map((s) => s.clone()),
      feed: this.config.decoder === 'input-feeding' ? (tf.zeros([B, this.config.hidden]) as tf.Tensor2D) : null,
    };
  }

  /** One decoder step from the embedded previous token e [B, E]: the new states, h [B, H], the context and the attention weights. */
  private stepCore(enc: Encoded, e: tf.Tensor2D, state: DecoderState): { h: tf.Tensor2D; context: tf.Tensor2D; weights: tf.Tensor2D; states: tf.Tensor2D[] } {
    let x: tf.Tensor2D = e;
    let att: { context: tf.Tensor; weights: tf.Tensor } | null = null;
    if (this.config.decoder === 'input-feeding') x = tf.concat([e, state.feed!], 1);
    if (this.config.decoder === 'bahdanau') {
      const top = state.states[state.states.length - this.decoder.cells[0][0].stateSizes.length]; // top layer's h
      att = this.attention.attend(top, enc.keys, enc.memory, enc.mask);
      x = tf.concat([e, att.context as tf.Tensor2D], 1);
    }
    const r = this.decoder.step(x, state.states);
    if (!att) att = this.attention.attend(r.output, enc.keys, enc.memory, enc.mask);
    return { h: r.output, context: att.context as tf.Tensor2D, weights: att.weights as tf.Tensor2D, states: r.states };
  }

  /** One decoder step from the previous tokens prev [B] (int32). The caller owns (and disposes) the returned tensors. */
  step(enc: Encoded, prev: tf.Tensor1D, state: DecoderState, training = false): StepOutput {
    return tidyObject(() => {
      const B = prev.shape[0];
      if (this.fusedDecoder) {
        // One fused step (batched over sentences × beams; the keys were prepared once per source).
        const x = this.tgtDropout.apply(this.tgtEmbedding.apply(tf.reshape(prev, [B, 1])), { training }) as tf.Tensor3D;
        const r = this.runFused(enc, x, state);
        const f = tf.reshape(r.f, [B, -1]) as tf.Tensor2D;
        const logits = outputLogits(this.output, this.outDropout.apply(f, { training }) as tf.Tensor2D);
        return { logits, weights: tf.reshape(r.weights, [B, -1]) as tf.Tensor2D, state: { states: r.state.states, feed: r.state.feed } };
      }
      const e = this.tgtDropout.apply(tf.reshape(this.tgtEmbedding.apply(tf.reshape(prev, [B, 1])) as tf.Tensor, [B, this.config.embeddingDim]), { training }) as tf.Tensor2D;
      const r = this.stepCore(enc, e, state);
      const { attentional, logits } = this.head(r.h, r.context, training);
      return {
        logits: logits as tf.Tensor2D,
        weights: r.weights,
        state: { states: r.states, feed: this.config.decoder === 'input-feeding' ? (attentional as tf.Tensor2D) : null },
      };
    });
  }

  /** Rows `index` of every tensor of the encoded source (beam search tiles and reorders with it). */
  static gatherEncoded(enc: Encoded, index: tf.Tensor1D): Encoded {
    const ids = index.dataSync() as Int32Array;
    return tf.tidy(() => ({
      memory: gatherFirstAxis(enc.memory, ids),
      keys: gatherFirstAxis(enc.keys, ids),
      mask: gatherFirstAxis(enc.mask, ids),
      states: enc.states.map((s) => gatherFirstAxis(s, ids)),
    }));
  }

  static gatherState(state: DecoderState, index: tf.Tensor1D): DecoderState {
    const ids = index.dataSync() as Int32Array;
    return tidyObject(() => ({
      states: state.states.map((s) => gatherFirstAxis(s, ids)),
      feed: state.feed ? gatherFirstAxis(state.feed, ids) : null,
    }));
  }

  static disposeEncoded(enc: Encoded): void {
    KEYS_T.get(enc.keys)?.dispose();
    KEYS_T.delete(enc.keys);
    tf.dispose([enc.memory, enc.keys, enc.mask, ...enc.states]);
  }

  static disposeState(state: DecoderState): void {
    tf.dispose([...state.states, ...(state.feed ? [state.feed] : [])]);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Builds the model (all layers in one tf.LayersModel, see the file comment). */
export function buildSeq2Seq(config: ModelConfig, srcVocab: number, tgtVocab: number): Seq2Seq {
  const { hidden: H, embeddingDim: E, seed } = config;
  const src = tf.input({ shape: [null], dtype: 'int32', name: 'source_ids' });
  const tgt = tf.input({ shape: [null], dtype: 'int32', name: 'target_ids' });
  const inputs = [src, tgt];
  const sym = <T = tf.SymbolicTensor>(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): T => layer.apply(x) as unknown as T;

  let xs = sym(embedding({ inputDim: srcVocab, outputDim: E, embeddingsInitializer: 'normal', initScale: 1, maskZero: true, seed, name: 'source_embedding' }), src);
  xs = sym(seededDropout({ rate: config.dropout, name: 'source_dropout' }), xs);
  const encoder = stacked({
    cell: config.cell, units: H, numLayers: config.encoderLayers, bidirectional: true, dropout: config.encoderLayers > 1 ? config.dropout : 0,
    returnSequences: true, returnState: true, seed: seed + 1, name: 'encoder',
  });
  const [memory, ...finals] = sym<tf.SymbolicTensor[]>(encoder, xs);

  const decoder = stacked({ cell: config.cell, units: H, numLayers: config.decoderLayers, dropout: config.decoderLayers > 1 ? config.dropout : 0, returnSequences: true, seed: seed + 2, name: 'decoder' });
  // The bridge: one tanh layer per decoder state, from that layer's [forward; reverse] encoder states.
  const perCell = config.cell === 'lstm' ? 2 : 1;
  const pairs: [tf.SymbolicTensor, tf.SymbolicTensor][] = [];
  for (let k = 0; k < config.decoderLayers; k++) {
    const ke = Math.min(config.encoderLayers - 1, Math.max(0, config.encoderLayers - config.decoderLayers) + k);
    for (let j = 0; j < perCell; j++) pairs.push([finals[2 * ke * perCell + j], finals[(2 * ke + 1) * perCell + j]]);
  }
  const init = pairs.map((p, i) =>
    sym(tf.layers.dense({ units: H, activation: 'tanh', name: `bridge_${i}`, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 + i }) }), sym(tf.layers.concatenate({ name: `bridge_concat_${i}` }), p)),
  );

  let xt = sym(embedding({ inputDim: tgtVocab, outputDim: E, embeddingsInitializer: 'normal', initScale: 1, maskZero: true, seed: seed + 3, name: 'target_embedding' }), tgt);
  xt = sym(seededDropout({ rate: config.dropout, name: 'target_dropout' }), xt);
  if (config.decoder !== 'luong') {
    // The fed vector (h~ or the context) exists only in the step loop; a model input stands for it in the graph.
    const feed = tf.input({ shape: [null, config.decoder === 'input-feeding' ? H : 2 * H], name: 'decoder_feed' });
    inputs.push(feed);
    xt = sym(tf.layers.concatenate({ name: 'decoder_input' }), [xt, feed]);
  }
  const h = sym(decoder, [xt, ...init]);
  const srcMask = sym(paddingMask({ name: 'source_mask' }), src);
  const [context] = sym<tf.SymbolicTensor[]>(attention({ score: config.score, scale: true, seed: seed + 4, name: 'attention' }), [h, memory, memory, srcMask]);
  let a = sym(tf.layers.concatenate({ name: 'combine_input' }), [h, context]);
  a = sym(tf.layers.dense({ units: H, activation: 'tanh', useBias: false, name: 'attention_combine', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }) }), a);
  a = sym(seededDropout({ rate: config.dropout, name: 'output_dropout' }), a);
  const logits = sym(tf.layers.dense({ units: tgtVocab, name: 'output', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 6 }) }), a);
  const model = tf.model({ inputs, outputs: logits, name: 'translator' });
  return new Seq2Seq(model, config);
}
