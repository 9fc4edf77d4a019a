/**
 * Runs a fused sequence kernel as one differentiable tfjs op with several
 * outputs (y and every final state) and lazily evaluated input gradients.
 *
 * Compared with tf.customGrad (one output, every gradient computed eagerly)
 * this (1) needs no packing of y and the states into one tensor, and (2) lets
 * the engine skip gradients nobody asked for: the engine only evaluates the
 * gradient thunks of inputs on the path to the requested variables, so the
 * first layer's dX = dZ·Wᵀ (as large as a weight gradient) is never formed
 * when x is data. The op goes through `engine.runKernelFunc`, the same entry
 * point tf.customGrad uses.
 *
 * The kernel itself works on TensorInfos through an `Ops` (kernel_ops.ts):
 * forward returns y, the final states, the activations to save and a backward
 * closure; backward returns one gradient per differentiable input (x, weights,
 * initial states), either computed or as a thunk `(ops) => info`.
 */
import * as tf from '@tensorflow/tfjs';
import { Ops, TI } from './kernel_ops';
import { SequenceInputs, SequenceResult } from './types';

/** A gradient: computed, or deferred until the engine asks for it. */
export type GradOut = TI | ((ops: Ops) => TI);

export interface KernelRun {
  /** Outputs [B, T, O] (zeros at masked steps). */
  y: TI;
  /** Final states. */
  states: TI[];
  /** What backward needs (only when gradients are recorded); handed to the engine's save. */
  saved: TI[];
  /** dy [B, T, O], one gradient per final state, the saved tensors → one gradient per x, weight, initial state. */
  backward: (ops: Ops, dy: TI, dStates: TI[], saved: tf.Tensor[]) => GradOut[];
}

/** The mask as the kernels use it. */
export interface StepMask {
  /** keep[t][b]: step t of sequence b is real. */
  keep: boolean[][];
  /** Per step t: [B, 1] float 0/1 and 1 − that (engine-mode arithmetic). */
  m: TI[];
  notM: TI[];
  /** Time-major [T·B, 1] float 0/1. */
  column: TI;
}

export function stepMask(ops: Ops, mask: TI & { dataSync?: () => tf.TypedArray }, B: number, T: number): StepMask {
  const v = (mask as tf.Tensor).dataSync();
  const keep = Array.from({ length: T }, (_, t) => Array.from({ length: B }, (_, b) => v[b * T + t] !== 0));
  const col = new Float32Array(T * B);
  keep.forEach((row, t) => row.forEach((k, b) => (col[t * B + b] = k ? 1 : 0)));
  const m = keep.map((_, t) => ops.constant(col.subarray(t * B, (t + 1) * B), [B, 1]));
  const notM = keep.map((row) => ops.constant(Float32Array.from(row, (k) => (k ? 0 : 1)), [B, 1]));
  return { keep, m, notM, column: ops.constant(col, [T * B, 1]) };
}

export type SequenceKernel = (ops: Ops, x: tf.Tensor3D, weights: tf.Tensor[], states: tf.Tensor2D[], mask: StepMask | null, needGrad: boolean) => KernelRun;

/** The slice of tfjs' engine the fused kernels use (a custom op with its own gradient). */
export type Engine = {
  isTapeOn(): boolean;
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (ts: tf.Tensor[]) => void) => tf.Tensor | tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor | tf.Tensor[];
};

/** Runs `fn` with a fresh Ops and frees its scratch tensors afterwards. */
export function withOps<T>(fn: (ops: Ops) => T): T {
  const ops = new Ops();
  try {
    return fn(ops);
  } finally {
    ops.dispose();
  }
}

export function runSequence(inp: SequenceInputs, weights: tf.Tensor[], kernel: SequenceKernel): SequenceResult {
  const engine = tf.engine() as unknown as Engine;
  const { x, initialStates, mask } = inp;
  const [B, T] = x.shape;
  if (mask && (mask.shape[0] !== B || mask.shape[1] !== T)) throw new Error(`mask must be [${B}, ${T}], got [${mask.shape.join(', ')}]`);
  const diff: tf.Tensor[] = [x, ...weights, ...initialStates];
  const inputs: Record<string, tf.Tensor> = {};
  [...diff, ...(mask ? [mask] : [])].forEach((t, i) => (inputs[i] = t));
  // Read before running: inside the kernel the engine reports the tape as off.
  const needGrad = engine.isTapeOn();
  let run: KernelRun | null = null;

  const outs = engine.runKernelFunc({
    inputs,
    forwardFunc: (_backend, save) =>
      withOps((ops) => {
        const m = mask ? stepMask(ops, mask, B, T) : null;
        const r = kernel(ops, x, weights, initialStates, m, needGrad);
        run = r;
        const outTensors = [ops.toTensor(r.y), ...r.states.map((s) => ops.toTensor(s))];
        if (needGrad) save([...r.saved.map((s) => ops.toTensor(s)), ...(mask ? [mask] : [])]);
        return outTensors;
      }),
    backwardsFunc: (dys, saved) => {
      const list = Array.isArray(dys) ? dys : [dys];
      const grads = withOps((ops) => run!.backward(ops, list[0], list.slice(1), saved).map((g) => (typeof g === 'function' ? g : ops.toTensor(g))));
      const map: Record<string, () => tf.Tensor> = {};
      grads.forEach((g, i) => {
        map[i] = typeof g === 'function' ? () => withOps((ops) => ops.toTensor(g(ops))) : () => g;
      });
      if (mask) map[diff.length] = () => tf.zerosLike(mask);
      return map;
    },
  }) as tf.Tensor[];
  return { y: outs[0] as tf.Tensor3D, states: outs.slice(1) as tf.Tensor2D[] };
}

/** The order in which steps are visited. */
export function visitOrder(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
}

/**
 * The input pre-activations of every step, time-major [T·B, G·H], with the gate
 * columns scaled by `scale` [G·H] (the kernels' tanh-as-sigmoid trick):
 * X·(K ⊙ scale) + b ⊙ scale, or, for a projected input (K null: X is already
 * x·K + b), X ⊙ scale. X is time-major [T·B, D]; frees what it makes.
 */
export function inputPreActivations(ops: Ops, X: TI, K: TI | null, bias: TI | null, scale: TI): TI {
  if (!K) return ops.mul(X, scale);
  const Ks = ops.mul(K, scale);
  const bs = bias ? ops.mul(bias, scale) : null;
  const out = bs ? ops.matMulBias(X, Ks, bs) : ops.matMul(X, Ks);
  ops.free(Ks, bs);
  return out;
}
