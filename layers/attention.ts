/**
 * Attention over a source sequence: additive (Bahdanau et al. 2015) and
 * multiplicative (Luong et al. 2015: dot and general) scores, a softmax masked
 * over source padding, and the weighted sum of the values (the context).
 *
 *   dot:       score(q, k) = q · k                       (needs Dq = Dk)
 *   general:   score(q, k) = q · (k W)                   W [Dk, Dq]
 *              (both divided by √Dq with `scale: true`)
 *   additive:  score(q, k) = v · tanh(q Wq + k Wk)       Wq [Dq, U], Wk [Dk, U], v [U]
 *   weights = softmax over source positions of the scores (padded positions get
 *             exactly 0); context = weights · values.
 *
 * Queries may be a whole sequence [B, T, Dq] (Luong attention on top of a decoder's
 * outputs: two batched matmuls for all target steps) or one step [B, Dq] (decoders
 * in a step loop). Decoders that attend many times over the same source call
 * `prepareKeys(keys)` once and `attend(query, prepared, values, mask)` per step.
 *
 * Call:  layer.apply([query, keys])  or  layer.apply([query, keys, values])
 *        (values default to the keys), or [query, keys, values, mask] with the
 *        source mask [B, S] as a tensor input (what a tf.LayersModel needs: tfjs'
 *        executor hands a layer only its first input's mask; see padding_mask.ts);
 *        kwargs: { mask?: Tensor [B, S] (1 = real source token) or
 *        [queryMask, keysMask], lengths?: number[] | Tensor1D (source lengths) }.
 * Output: [context [B, T, Dv] (or [B, Dv]), weights [B, T, S] (or [B, S])].
 *
 * Example:
 *   const att = attention({ score: 'general' });
 *   const [context, weights] = att.apply([decoderOutputs, encoderOutputs], { lengths }) as tf.Tensor[];
 */
import * as tf from '@tensorflow/tfjs';
import { plainMatMul } from './plain_matmul';
import { glorotUniformValues } from './initializers';
import { nextSeed } from './random';

type Kwargs = { [key: string]: unknown };

/** How a query and a key are scored. */
export type AttentionScore = 'dot' | 'general' | 'additive';
const SCORES: AttentionScore[] = ['dot', 'general', 'additive'];

export interface AttentionArgs {
  /** Score function. Default 'general'. */
  score?: AttentionScore;
  /** Divide dot/general scores by √Dq (scaled dot-product attention, Vaswani et al. 2017): keeps the softmax out of saturation when sizes are large. Default false (Luong's unscaled scores). */
  scale?: boolean;
  /** Additive attention's hidden size U. Default: the query size. */
  units?: number;
  /** Seed of the weight initializers (a fresh one when omitted). */
  seed?: number;
  /** Layer name. */
  name?: string;
  /** Whether the weights are trainable. Default true. */
  trainable?: boolean;
}

/** Large negative score for masked positions: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

/** Softmax over the last axis of scores [B, T, S] (or [B, S]) with source positions where mask [B, S] is 0 set to exactly 0. */
export function maskedSoftmax(scores: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    if (!mask) return tf.softmax(scores);
    const m = scores.rank === 3 ? tf.expandDims(mask, 1) : mask; // [B, 1, S]
    return tf.softmax(tf.add(scores, tf.mul(tf.sub(1, m), MASKED)));
  });
}

export class Attention extends tf.layers.Layer {
  static className = 'rnnkit.Attention';
  readonly score: AttentionScore;
  readonly units: number;
  readonly scale: boolean;
  readonly seed: number;
  kernel?: tf.LayerVariable; // general: W [Dk, Dq]
  queryKernel?: tf.LayerVariable; // additive: Wq [Dq, U]
  keyKernel?: tf.LayerVariable; // additive: Wk [Dk, U]
  scoreVector?: tf.LayerVariable; // additive: v [U, 1]

  constructor(args: AttentionArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.score = args.score ?? 'general';
    if (!SCORES.includes(this.score)) throw new Error(`${this.name}: score must be one of ${SCORES.join(', ')}; got '${String(this.score)}'`);
    this.units = args.units ?? 0;
    this.scale = args.scale ?? false;
    if (!Number.isInteger(this.units) || this.units < 0) throw new Error(`${this.name}: units must be a positive integer, got ${String(args.units)}`);
    this.seed = args.seed ?? nextSeed();
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length < 2 || shapes.length > 4) throw new Error(`${this.name}: expected inputs [query, keys], [query, keys, values] or [query, keys, values, mask]`);
    const Dq = shapes[0][shapes[0].length - 1];
    const Dk = shapes[1][shapes[1].length - 1];
    if (Dq == null || Dk == null) throw new Error(`${this.name}: the feature sizes of query and keys must be known`);
    const add = (name: string, shape: number[], seed: number): tf.LayerVariable =>
      this.addWeight(name, shape, 'float32', { apply: (s: number[]) => tf.tensor(glorotUniformValues(s, seed), s), getClassName: () => 'rnnkit.Initializer', getConfig: () => ({ seed }) } as never, undefined, true);
    if (this.score === 'dot' && Dq !== Dk) throw new Error(`${this.name}: dot attention needs query and keys of the same size, got ${Dq} and ${Dk} (use score 'general')`);
    if (this.score === 'general') this.kernel = add('kernel', [Dk, Dq], this.seed);
    if (this.score === 'additive') {
      const U = this.units || Dq;
      this.queryKernel = add('query_kernel', [Dq, U], this.seed);
      this.keyKernel = add('key_kernel', [Dk, U], this.seed + 1);
      this.scoreVector = add('score_vector', [U, 1], this.seed + 2);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const [q, k, v] = inputShape as tf.Shape[];
    const values = v ?? k;
    const Dv = values[values.length - 1];
    const S = k[1];
    return q.length === 3 ? [[q[0], q[1], Dv], [q[0], q[1], S]] : [[q[0], Dv], [q[0], S]];
  }

  override computeMask(): tf.Tensor[] {
    return [null, null] as unknown as tf.Tensor[];
  }

  /** The keys as the score needs them, computed once per source: dot: keys; general: keys·W [B, S, Dq]; additive: keys·Wk [B, S, U]. */
  prepareKeys(keys: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      if (this.score === 'dot') return keys.clone();
      const W = (this.score === 'general' ? this.kernel : this.keyKernel)!.read() as tf.Tensor2D;
      const [B, S, Dk] = keys.shape;
      return tf.reshape(plainMatMul(tf.reshape(keys, [B * S, Dk]) as tf.Tensor2D, W), [B, S, W.shape[1]]) as tf.Tensor3D;
    });
  }

  /**
   * Scores query [B, T, Dq] (or [B, Dq]) against prepared keys [B, S, ·], masks
   * (mask [B, S], 1 = real), and returns the context over values [B, S, Dv] and the weights.
   */
  attend(query: tf.Tensor, prepared: tf.Tensor3D, values: tf.Tensor3D, mask: tf.Tensor | null): { context: tf.Tensor; weights: tf.Tensor } {
    return tf.tidy(() => {
      const step = query.rank === 2;
      const q = (step ? tf.expandDims(query, 1) : query) as tf.Tensor3D; // [B, T, Dq]
      const [B, T, Dq] = q.shape;
      const S = prepared.shape[1];
      let scores: tf.Tensor3D; // [B, T, S]
      if (this.score === 'additive') {
        const Wq = this.queryKernel!.read() as tf.Tensor2D;
        const U = Wq.shape[1];
        const qp = tf.reshape(plainMatMul(tf.reshape(q, [B * T, Dq]) as tf.Tensor2D, Wq), [B, T, 1, U]);
        const hidden = tf.tanh(tf.add(qp, tf.expandDims(prepared, 1))); // [B, T, S, U]
        scores = tf.reshape(plainMatMul(tf.reshape(hidden, [B * T * S, U]) as tf.Tensor2D, this.scoreVector!.read() as tf.Tensor2D), [B, T, S]);
      } else {
        scores = plainMatMul(q, tf.transpose(prepared, [0, 2, 1]) as tf.Tensor3D); // [B, T, S]
        if (this.scale) scores = tf.mul(scores, 1 / Math.sqrt(Dq));
      }
      const weights = maskedSoftmax(scores, mask) as tf.Tensor3D;
      const context = plainMatMul(weights, values); // [B, T, Dv]
      return step ? { context: tf.squeeze(context, [1]), weights: tf.squeeze(weights, [1]) } : { context, weights };
    });
  }

  /** A float32 [B, S] mask from kwargs (mask, [queryMask, keysMask], or lengths), or null. */
  private sourceMask(kwargs: Kwargs, B: number, S: number): tf.Tensor | null {
    const lengths = kwargs.lengths as number[] | tf.Tensor | undefined;
    if (lengths != null) {
      const len = lengths instanceof tf.Tensor ? tf.cast(lengths, 'int32') : tf.tensor1d(lengths, 'int32');
      if (len.rank !== 1 || len.shape[0] !== B) throw new Error(`${this.name}: lengths must have one entry per batch row (${B}), got shape [${len.shape.join(', ')}]`);
      return tf.cast(tf.less(tf.range(0, S, 1, 'int32').expandDims(0), len.expandDims(1)), 'float32');
    }
    const raw = kwargs.mask as tf.Tensor | (tf.Tensor | null)[] | undefined | null;
    const m = Array.isArray(raw) ? raw[1] : raw;
    if (m == null) return null;
    if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== S) throw new Error(`${this.name}: the source mask must be [${B}, ${S}], got [${m.shape.join(', ')}]`);
    return tf.cast(m, 'float32');
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length < 2 || list.length > 4) throw new Error(`${this.name}: expected inputs [query, keys], [query, keys, values] or [query, keys, values, mask]`);
      const [query, keys, values = keys, given] = list as [tf.Tensor, tf.Tensor3D, tf.Tensor3D?, tf.Tensor?];
      if (keys.rank !== 3 || values.rank !== 3 || keys.shape[1] !== values.shape[1]) {
        throw new Error(`${this.name}: keys and values must be [batch, source, features] with the same source length`);
      }
      // A mask input wins over kwargs (which then hold the query's mask, from tfjs' executor).
      const mask = this.sourceMask(given ? { mask: given } : kwargs, keys.shape[0], keys.shape[1]);
      const { context, weights } = this.attend(query, this.prepareKeys(keys), values, mask);
      return [context, weights];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), score: this.score, units: this.units, scale: this.scale, seed: this.seed };
  }
}
tf.serialization.registerClass(Attention);

/** An attention layer (see the file comment). */
export function attention(args: AttentionArgs = {}): Attention {
  return new Attention(args);
}
