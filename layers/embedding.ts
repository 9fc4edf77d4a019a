/**
 * Embedding layer whose gradient works on every backend.
 *
 * tf.gather's gradient needs the UnsortedSegmentSum kernel, which the wasm
 * backend of tfjs 4.22 lacks (rnnkit registers one: layers/kernels, so a
 * tfjs-layers Embedding trains there too once rnnkit is imported). This layer's
 * lookup is a tf.customGrad whose backward pass scatter-adds the incoming rows
 * into a [inputDim, outputDim] gradient with tf.scatterND (which sums duplicate
 * indices and exists on cpu, wasm, webgl and tensorflow).
 *
 * Call arguments: int32 ids [B, T] (any shape); output [..., outputDim]. With
 * maskZero, computeMask gives `ids != 0`, which tf.model / tf.sequential hand to
 * the next layers (the recurrent layers carry their state over masked steps).
 *
 * Example:
 *   embedding({ inputDim: 10000, outputDim: 64, maskZero: true })  // id 0 = padding
 */
import * as tf from '@tensorflow/tfjs';
import { Ops } from './fused/kernel_ops';
import { glorotUniformValues, WeightInitializer } from './initializers';
import { nextSeed, SeededRandom } from './random';

/** A tfjs initializer object (the class is not exported by name). */
type TfInitializer = ReturnType<typeof tf.initializers.constant>;

/** Named, seeded initial values of the embedding table. */
export type EmbeddingInitializerName = 'uniform' | 'normal' | 'glorotUniform' | 'zeros';
const INITIALIZERS: EmbeddingInitializerName[] = ['uniform', 'normal', 'glorotUniform', 'zeros'];

export interface EmbeddingArgs {
  /** Vocabulary size (ids are in [0, inputDim)). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Treat id 0 as padding: emit a mask that downstream recurrent layers use. Default false. */
  maskZero?: boolean;
  /**
   * How the table starts: 'uniform' in [−initScale, initScale] (Keras' default), 'normal' with
   * standard deviation initScale, 'glorotUniform', 'zeros', or any tfjs initializer object
   * (e.g. tf.initializers.constant, or one wrapping pretrained vectors). Named ones use `seed`.
   * Default 'uniform'.
   */
  embeddingsInitializer?: EmbeddingInitializerName | TfInitializer | WeightInitializer;
  /** Scale of the 'uniform' and 'normal' initializers. Default 0.05 (Keras' default). */
  initScale?: number;
  /** Seed of the initializer (a fresh one when omitted). */
  seed?: number;
  /** Keras-style input shape, e.g. [null] or [maxLen]. */
  inputShape?: (number | null)[];
  /** Keras-style batch input shape. */
  batchInputShape?: (number | null)[];
  /** Layer name. */
  name?: string;
  /** Whether the embeddings are trainable. Default true. */
  trainable?: boolean;
}

/** Rows ids of a float32 table [V, E] → [N, E] (no gradient): row copies on wasm and cpu (Ops.gatherRows), tf.gather elsewhere. */
function gatherRows(table: tf.Tensor, flatIds: tf.Tensor): tf.Tensor {
  const ops = new Ops();
  // Elsewhere (webgl, tensorflow) tf.gather, without reading the ids back to JavaScript.
  if (table.dtype !== 'float32' || !ops.direct) return tf.gather(table, flatIds);
  try {
    return ops.toTensor(ops.gatherRows(table, flatIds.dataSync() as Int32Array));
  } finally {
    ops.dispose();
  }
}

/** Row lookup W[ids] with a scatter-add gradient for W (ids get none). */
export function embeddingLookup(weights: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [V, E] = weights.shape as [number, number];
  const lookup = tf.customGrad(((w: tf.Tensor2D, idx: tf.Tensor, save: tf.GradSaveFunc) => {
    const flat = tf.reshape(tf.cast(idx, 'int32'), [-1]);
    save([flat]);
    const value = tf.reshape(gatherRows(w, flat), [...idx.shape, E]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedIds] = saved;
        const dW = tf.scatterND(tf.reshape(savedIds, [-1, 1]), tf.reshape(dy, [-1, E]), [V, E]);
        return [dW, tf.zerosLike(idx)];
      },
    };
  }) as never) as (w: tf.Tensor, idx: tf.Tensor) => tf.Tensor;
  return lookup(weights, ids);
}

export class Embedding extends tf.layers.Layer {
  static className = 'rnnkit.Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly initScale: number;
  readonly seed: number;
  /** The initializer's name ('custom' for an initializer object, which is not serialized). */
  readonly embeddingsInitializer: EmbeddingInitializerName | 'custom';
  private readonly customInitializer?: TfInitializer | WeightInitializer;
  embeddings?: tf.LayerVariable;

  constructor(args: EmbeddingArgs) {
    super({
      name: args.name,
      inputShape: args.inputShape as number[] | undefined,
      batchInputShape: args.batchInputShape as number[] | undefined,
      trainable: args.trainable,
      dtype: 'int32',
    });
    const fail = (msg: string): never => {
      throw new Error(`${this.name}: ${msg}`);
    };
    if (!Number.isInteger(args.inputDim) || args.inputDim <= 0) fail(`inputDim must be a positive integer, got ${String(args.inputDim)}`);
    if (!Number.isInteger(args.outputDim) || args.outputDim <= 0) fail(`outputDim must be a positive integer, got ${String(args.outputDim)}`);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    this.initScale = args.initScale ?? 0.05;
    this.seed = args.seed ?? nextSeed();
    const init = args.embeddingsInitializer ?? 'uniform';
    if (typeof init === 'string') {
      // 'custom' comes back from a saved config: the weights file supplies the values.
      if (!INITIALIZERS.includes(init as EmbeddingInitializerName) && (init as string) !== 'custom') {
        fail(`unknown embeddingsInitializer '${init}': expected one of ${INITIALIZERS.join(', ')} or an initializer object`);
      }
      this.embeddingsInitializer = init as EmbeddingInitializerName;
    } else {
      this.embeddingsInitializer = 'custom';
      this.customInitializer = init;
    }
    this.supportsMasking = true;
  }

  override build(_inputShape?: tf.Shape | tf.Shape[]): void {
    const { inputDim, outputDim, initScale, seed } = this;
    const kind = this.embeddingsInitializer;
    const values = (shape: number[]): tf.Tensor => {
      if (kind === 'glorotUniform') return tf.tensor(glorotUniformValues(shape, seed), shape);
      const v = new Float32Array(inputDim * outputDim);
      if (kind === 'zeros') return tf.tensor(v, shape);
      const rng = new SeededRandom(seed);
      if (kind === 'normal') for (let i = 0; i < v.length; i++) v[i] = rng.normal() * initScale;
      else for (let i = 0; i < v.length; i++) v[i] = (rng.uniform() * 2 - 1) * initScale; // 'uniform', 'custom' from a config
      return tf.tensor(v, shape);
    };
    const init = this.customInitializer ?? {
      apply: values,
      getConfig: () => ({ seed, kind }),
      getClassName: () => 'rnnkit.Initializer',
    };
    this.embeddings = this.addWeight('embeddings', [inputDim, outputDim], 'float32', init as never, undefined, true);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [...inputShape, this.outputDim];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!this.maskZero) return null as unknown as tf.Tensor; // tfjs treats null as "no mask"
    const ids = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.notEqual(ids, 0));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = Array.isArray(inputs) ? inputs[0] : inputs;
      return embeddingLookup(this.embeddings!.read() as tf.Tensor2D, ids);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      maskZero: this.maskZero,
      embeddingsInitializer: this.embeddingsInitializer,
      initScale: this.initScale,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(Embedding);

export function embedding(args: EmbeddingArgs): Embedding {
  return new Embedding(args);
}
