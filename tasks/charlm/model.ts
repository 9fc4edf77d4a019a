/**
 * The language model: symbol ids → embedding → dropout → stacked LSTM/GRU →
 * dropout → linear logits over the vocabulary.
 *
 * Two ways through the same weights:
 *   forward(ids [B, T], states)  the fused whole-sequence layers with initial states
 *                                (training and evaluation; returns the final states
 *                                to carry into the next chunk)
 *   step(ids [B], states)        one symbol through the cells' single-step API
 *                                (generation: the state is kept, the prefix never re-run)
 *
 * The tf.LayersModel (ids → logits from zero states) owns the weights and is what
 * checkpoints save; a loaded one gives its layers back by name.
 *
 * Speed (wasm): for an LSTM and a small vocabulary the embedding is folded into the
 * first layer's input projection (rows of table·W + b are looked up: foldsEmbedding);
 * the output layer's backward pass and the embedding lookup are
 * written with explicit transposes (tf.matMul with transposeB runs ~10× slower
 * there than transpose + matMul), and for small vocabularies the lookup is a
 * one-hot matrix product instead of a gather/scatter.
 *
 * Next: loss.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { plainMatMul } from '../../layers/plain_matmul';
import { embedding, Embedding, embeddingLookup } from '../../layers/embedding';
import { seededDropout } from '../../layers/dropout';
import { RecurrentLayer, stacked } from '../../layers/recurrent_layer';
import type { CharLmConfig } from './config';

/** Vocabularies up to this size embed by one-hot matrix product (faster than gather + scatter on wasm). */
const ONE_HOT_MAX_VOCAB = 512;


/** Rows of `table` [V, E] for flat ids [N] as a one-hot product (gradient: onehotᵀ · dy). */
const oneHotLookup = tf.customGrad(((table: tf.Tensor2D, ids: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const oh = tf.oneHot(tf.cast(ids, 'int32'), table.shape[0]) as tf.Tensor2D; // [N, V]
  save([oh]);
  return {
    value: tf.matMul(oh, table), // [N, E]
    gradFunc: (dy: tf.Tensor2D, [ohs]: tf.Tensor[]) => [tf.matMul(tf.transpose(ohs), dy), tf.zerosLike(ids)],
  };
}) as never) as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor2D;

/** The layers of a language model, and its two ways of running. */
export class LmNet {
  readonly vocabSize: number;
  readonly hidden: number;

  constructor(
    readonly model: tf.LayersModel,
    readonly embedding: Embedding,
    readonly rnn: RecurrentLayer,
    readonly head: tf.layers.Layer,
    readonly dropoutRate: number,
  ) {
    this.vocabSize = embedding.inputDim;
    this.hidden = rnn.cellOutputSize;
  }

  /** The layers of a model built by buildLmModel (e.g. one loaded from a checkpoint). */
  static fromModel(model: tf.LayersModel): LmNet {
    const rnn = model.getLayer('rnn') as RecurrentLayer;
    const drop = model.getLayer('dropout_in') as unknown as { rate: number };
    return new LmNet(model, model.getLayer('embedding') as Embedding, rnn, model.getLayer('head'), drop.rate);
  }

  /** Zero states for B tracks (layer-major; LSTM h then c). */
  zeroStates(B: number): tf.Tensor2D[] {
    return this.rnn.zeroStates(B);
  }

  private embed(flatIds: tf.Tensor1D): tf.Tensor2D {
    const table = this.embedding.trainableWeights[0].read();
    return this.vocabSize <= ONE_HOT_MAX_VOCAB ? oneHotLookup(table, flatIds) : (embeddingLookup(table, flatIds) as tf.Tensor2D);
  }

  private logits(h: tf.Tensor2D): tf.Tensor2D {
    const [w, b] = this.head.trainableWeights.map((v) => v.read());
    return tf.add(plainMatMul(h, w), b) as tf.Tensor2D; // logits = h W + b
  }

  private dropout(x: tf.Tensor, training: boolean): tf.Tensor {
    // The model's own seeded dropout layers (seeded per step by the engine).
    return training && this.dropoutRate > 0 ? (this.model.getLayer('dropout_in').apply(x, { training: true }) as tf.Tensor) : x;
  }

  /**
   * A chunk through the fused layers: ids [B, T] from `states` → logits [B·T, V]
   * (row b·T + t) and the final states.
   */
  forward(ids: tf.Tensor2D, states: tf.Tensor[], training: boolean): { logits: tf.Tensor2D; states: tf.Tensor[] } {
    const [B, T] = ids.shape;
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    let seq: tf.Tensor;
    let final: tf.Tensor[];
    if (this.foldsEmbedding(B * T, training)) {
      // Rows of (table·W + b) for the ids: the same pre-activations as x·W + b on the
      // embedded ids, without the [B·T, E]·[E, 4H] matmul forward and backward.
      const projected = tf.reshape(embeddingLookup(this.rnn.projectInput(this.embedding.trainableWeights[0].read() as tf.Tensor2D), flat), [B, T, -1]);
      [seq, ...final] = this.rnn.apply(projected, { initialState: states, training, projectedInput: true }) as tf.Tensor[];
    } else {
      const x = this.dropout(tf.reshape(this.embed(flat), [B, T, -1]), training); // [B, T, E]
      [seq, ...final] = this.rnn.apply(x, { initialState: states, training }) as tf.Tensor[]; // [B, T, H]
    }
    const h = this.dropout(seq, training);
    return { logits: this.logits(tf.reshape(h, [B * T, this.hidden]) as tf.Tensor2D), states: final };
  }

  /**
   * Whether forward() folds the embedding into the first layer's input projection
   * (RecurrentLayer.projectInput): when no dropout sits between them and the
   * vocabulary is small next to the positions of a batch (the V·E·4H product then
   * costs less than the N·E·4H one it replaces).
   */
  foldsEmbedding(positions: number, training: boolean): boolean {
    return !(training && this.dropoutRate > 0) && this.vocabSize * 4 <= positions && this.rnn.projectionUnsupported === null;
  }

  /** One symbol per row: ids [B] from `states` → logits [B, V] and the next states (no dropout). */
  step(ids: tf.Tensor1D, states: tf.Tensor2D[]): { logits: tf.Tensor2D; states: tf.Tensor2D[] } {
    const r = this.rnn.step(this.embed(ids), states);
    return { logits: this.logits(r.output), states: r.states };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Builds the language model for a vocabulary of `vocabSize` symbols. */
export function buildLmModel(config: CharLmConfig, vocabSize: number): LmNet {
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'symbol_ids' });
  const emb = embedding({ inputDim: vocabSize, outputDim: config.embeddingDim, seed: config.seed, embeddingsInitializer: 'normal', initScale: 1, name: 'embedding' });
  let x = emb.apply(ids) as tf.SymbolicTensor;
  x = seededDropout({ rate: config.dropout, name: 'dropout_in' }).apply(x) as tf.SymbolicTensor;
  const rnn = stacked({
    cell: config.cell,
    units: config.hidden,
    numLayers: config.layers,
    dropout: config.layers > 1 ? config.dropout : 0,
    returnSequences: true,
    returnState: true,
    seed: config.seed + 1,
    name: 'rnn',
  });
  const [seq] = rnn.apply(x) as tf.SymbolicTensor[];
  const h = seededDropout({ rate: config.dropout, name: 'dropout_out' }).apply(seq) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: vocabSize, name: 'head', kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + 2 }) });
  const logits = head.apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: ids, outputs: logits, name: 'charlm' });
  return new LmNet(model, emb, rnn, head, config.dropout);
}
