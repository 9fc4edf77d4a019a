/**
 * Shared plumbing of the fused whole-sequence kernels.
 *
 * Every kernel works time-major: x [B, T, D] becomes X [T·B, D] so one matmul
 * projects all steps and a step is a cheap slice (tf.split) of rows. tf.customGrad
 * returns a single tensor, so the outputs are packed as
 *   [B, T·O + Σ stateSizes]  =  y [B, T, O] flattened, then every final state,
 * and unpacked by `unpack`. Matmuls with a transposed operand use an explicit
 * transpose: on wasm `matMul(a, b, true, false)` is 10–30× slower than
 * `matMul(transpose(a), b)`.
 */
import * as tf from '@tensorflow/tfjs';
import { concatFlat, splitFlat, splitRows } from './fast_split';
import { SequenceInputs, SequenceResult } from './types';

/** aᵀ·b with an explicit transpose (fast on wasm). */
export function matMulTN(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const at = tf.transpose(a);
  const out = tf.matMul(at, b) as tf.Tensor2D;
  at.dispose();
  return out;
}

/** a·bᵀ with an explicit transpose (fast on wasm). */
export function matMulNT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const bt = tf.transpose(b);
  const out = tf.matMul(a, bt) as tf.Tensor2D;
  bt.dispose();
  return out;
}

/** [B, T, F] → [T·B, F] (time-major rows). */
export function toTimeMajor(x: tf.Tensor3D): tf.Tensor2D {
  const [B, T, F] = x.shape;
  return tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, F]);
}

/** [T·B, F] → [B, T, F]. */
export function fromTimeMajor(x: tf.Tensor2D, B: number, T: number): tf.Tensor3D {
  return tf.transpose(tf.reshape(x, [T, B, x.shape[1]]), [1, 0, 2]);
}

/** The order in which steps are visited. */
export function stepOrder(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
}

/** A [B, T] 0/1 mask as per-step boolean [B] conditions (for tf.where) and its time-major float column [T·B, 1]. */
export interface StepMask {
  /** Per step t: [B, 1] bool, true where the step is real (broadcast by tf.where). */
  keep: tf.Tensor2D[];
  /** Per step t: [B, 1] float 0/1. */
  m: tf.Tensor2D[];
  /** Time-major [T·B, 1] float 0/1. */
  column: tf.Tensor2D;
}

export function prepareMask(mask: tf.Tensor2D, T: number): StepMask {
  const column = tf.reshape(tf.transpose(mask), [-1, 1]) as tf.Tensor2D; // [T·B, 1]
  const m = splitRows(column, T);
  const keep = m.map((mt) => tf.cast(mt, 'bool') as tf.Tensor2D);
  return { keep, m, column };
}

/**
 * Packs the time-major outputs Y [T·B, O] and the final states into one flat
 * tensor (1-D, so unpacking is contiguous slicing on every backend).
 */
export function pack(yTimeMajor: tf.Tensor2D, states: tf.Tensor2D[]): tf.Tensor1D {
  return concatFlat([yTimeMajor, ...states]);
}

/** Splits the packed gradient inside a kernel: dY [T·B, O] (time-major) and one gradient per state. */
export function unpackGrad(dPacked: tf.Tensor1D, T: number, B: number, O: number, stateSizes: number[]): { dY: tf.Tensor2D; dStates: tf.Tensor2D[] } {
  const parts = splitFlat(dPacked, [[T * B, O], ...stateSizes.map((n) => [B, n])]) as tf.Tensor2D[];
  return { dY: parts[0], dStates: parts.slice(1) };
}

/**
 * Runs a packed custom-gradient kernel: `inputs` are the differentiable tensors
 * (x, weights, initial states) plus the mask, which gets a zero gradient.
 */
export function runPacked(
  inp: SequenceInputs,
  weights: tf.Tensor[],
  outputSize: number,
  kernel: (x: tf.Tensor3D, weights: tf.Tensor[], states: tf.Tensor2D[], mask: tf.Tensor2D | null, save: tf.GradSaveFunc) => {
    value: tf.Tensor1D;
    gradFunc: (dPacked: tf.Tensor1D, saved: tf.Tensor[]) => tf.Tensor[];
  },
): SequenceResult {
  const { x, initialStates, mask } = inp;
  const T = x.shape[1];
  const nW = weights.length;
  const nS = initialStates.length;
  const inputs: tf.Tensor[] = [x, ...weights, ...initialStates, ...(mask ? [mask] : [])];
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const ts = args.slice(0, -1) as tf.Tensor[];
    const r = kernel(ts[0] as tf.Tensor3D, ts.slice(1, 1 + nW), ts.slice(1 + nW, 1 + nW + nS) as tf.Tensor2D[], mask ? (ts[1 + nW + nS] as tf.Tensor2D) : null, save);
    return {
      value: r.value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = r.gradFunc(dy as tf.Tensor1D, saved);
        return mask ? [...grads, tf.zerosLike(mask)] : grads;
      },
    };
  }) as never) as (...ts: tf.Tensor[]) => tf.Tensor1D;
  // Unpacking is taped (tf.split), so gradients flow back into the packed tensor.
  return tf.tidy(() => {
    const B = x.shape[0];
    const sizes = initialStates.map((s) => s.shape[1]);
    const parts = tf.split(f(...inputs), [T * B * outputSize, ...sizes.map((n) => B * n)]);
    const y = tf.transpose(tf.reshape(parts[0], [T, B, outputSize]), [1, 0, 2]) as tf.Tensor3D;
    return { y, states: parts.slice(1).map((p, i) => tf.reshape(p, [B, sizes[i]]) as tf.Tensor2D) };
  });
}
