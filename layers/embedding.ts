/**
 * Embedding layer whose gradient works on every backend.
 *
 * tf.gather's gradient needs the UnsortedSegmentSum kernel, which the wasm
 * backend lacks, so training a tfjs-layers Embedding fails there. This layer's
 * lookup is a tf.customGrad whose backward pass scatter-adds the incoming rows
 * into a [inputDim, outputDim] gradient with tf.scatterND (which sums duplicate
 * indices and exists on cpu, wasm, webgl and tensorflow).
 *
 * Example:
 *   embedding({ inputDim: 10000, outputDim: 64, maskZero: true })  // id 0 = padding
 */
import * as tf from '@tensorflow/tfjs';
import { nextSeed, SeededRandom } from './random';

export interface EmbeddingArgs {
  /** Vocabulary size (ids are in [0, inputDim)). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Treat id 0 as padding: emit a mask that downstream recurrent layers use. Default false. */
  maskZero?: boolean;
  /** Initial values are uniform in [−initScale, initScale]. Default 0.05 (Keras' default). */
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

/** Row lookup W[ids] with a scatter-add gradient for W (ids get none). */
export function embeddingLookup(weights: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [V, E] = weights.shape as [number, number];
  const lookup = tf.customGrad(((w: tf.Tensor2D, idx: tf.Tensor, save: tf.GradSaveFunc) => {
    const flat = tf.reshape(tf.cast(idx, 'int32'), [-1]);
    save([flat]);
    const value = tf.reshape(tf.gather(w, flat), [...idx.shape, E]);
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
    this.supportsMasking = true;
  }

  override build(): void {
    const { inputDim, outputDim, initScale, seed } = this;
    const init = {
      apply: (shape: number[]) => {
        const rng = new SeededRandom(seed);
        const v = new Float32Array(inputDim * outputDim);
        for (let i = 0; i < v.length; i++) v[i] = (rng.uniform() * 2 - 1) * initScale;
        return tf.tensor(v, shape);
      },
      getConfig: () => ({ seed }),
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
      initScale: this.initScale,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(Embedding);

export function embedding(args: EmbeddingArgs): Embedding {
  return new Embedding(args);
}
