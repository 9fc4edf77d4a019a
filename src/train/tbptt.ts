/**
 * Truncated backpropagation through time over long streams (char-rnn style).
 * The stream is cut into chunks of k steps; each chunk starts from the previous
 * chunk's final states, carried forward as constants, so the forward pass sees
 * the whole history while gradients flow back at most k steps (to the chunk's
 * first step) and never into an earlier chunk.
 *
 * Three pieces, from low to high level:
 *   tbpttChunks(T, k)         the [start, end) pairs of the chunks
 *   tbpttStep(vars, s0, fwd)  one chunk: loss, gradients, detached final states
 *   truncatedBptt({...})      a whole stream from a one-step function, updating after every chunk
 * and `CarriedStates`, which carries states between the batches of `train()`
 * (a language model's batches are consecutive chunks of B parallel streams).
 */
import * as tf from '@tensorflow/tfjs';
import { lossAndGrads } from './grads';
import type { CarriedTensors } from './types';

/** [start, end) index pairs of consecutive chunks of length k covering [0, T) (the last may be shorter). */
export function tbpttChunks(T: number, k: number): [number, number][] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`truncation length k must be a positive integer, got ${String(k)}`);
  if (!Number.isInteger(T) || T < 0) throw new Error(`stream length must be a non-negative integer, got ${String(T)}`);
  const out: [number, number][] = [];
  for (let s = 0; s < T; s += k) out.push([s, Math.min(T, s + k)]);
  return out;
}

/** Result of one truncated chunk. */
export interface TbpttStepResult {
  /** The chunk's loss. */
  loss: number;
  /** Gradients of the chunk's loss w.r.t. every one of `vars`, in order (zeros where it does not reach; the caller applies and disposes them). */
  grads: tf.NamedTensorMap;
  /** The chunk's final states, detached: feed them to the next chunk (the caller disposes them). */
  states: tf.Tensor[];
}

/**
 * Runs one chunk: `forward(initialStates)` returns the chunk's loss and final
 * states. The initial states enter as constants (they are not among the
 * differentiated variables and were made outside this tape), so no gradient
 * crosses the chunk boundary.
 */
export function tbpttStep(
  vars: tf.Variable[],
  initialStates: tf.Tensor[],
  forward: (initialStates: tf.Tensor[]) => { loss: tf.Scalar; states: tf.Tensor[] },
): TbpttStepResult {
  let carried: tf.Tensor[] = [];
  const { value, grads } = lossAndGrads(() => {
    const r = forward(initialStates);
    carried = r.states.map((s) => tf.keep(s.clone()));
    return r.loss;
  }, vars);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads, states: carried };
}

/** Where a chunk lies in the stream. */
export interface ChunkInfo {
  /** 0-based chunk index. */
  chunk: number;
  /** [start, end) time steps. */
  start: number;
  end: number;
  /** Mean per-step loss over the chunk. */
  loss: number;
}

export interface TruncatedBpttOptions {
  /** The variables to differentiate (model weights; add inputs to inspect ∂L/∂x). */
  vars: tf.Variable[];
  /** Stream length T (time steps). */
  length: number;
  /** Truncation length: gradients flow back at most k − 1 steps, within a chunk. */
  k: number;
  /** States before step 0 (not disposed). */
  initialStates: tf.Tensor[];
  /** One time step t from `states`: the step's scalar loss and the new states. */
  step: (t: number, states: tf.Tensor[]) => { loss: tf.Scalar; states: tf.Tensor[] };
  /** Receives every chunk's gradients, e.g. to clip them and call optimizer.applyGradients; they are disposed after it returns. */
  update?: (grads: tf.NamedTensorMap, info: ChunkInfo) => void;
}

/**
 * Truncated BPTT over a whole stream: for each chunk of k steps, unroll `step`
 * from the carried states, take the gradient of the chunk's mean loss, hand it to
 * `update`, and carry the final states (as constants) into the next chunk.
 * Returns each chunk's mean loss and the final states (the caller disposes them).
 */
export function truncatedBptt(o: TruncatedBpttOptions): { losses: number[]; states: tf.Tensor[] } {
  const losses: number[] = [];
  let states = o.initialStates;
  tbpttChunks(o.length, o.k).forEach(([start, end], chunk) => {
    const r = tbpttStep(o.vars, states, (init) => {
      let s = init;
      const stepLosses: tf.Scalar[] = [];
      for (let t = start; t < end; t++) {
        const out = o.step(t, s);
        stepLosses.push(out.loss);
        s = out.states;
      }
      return { loss: tf.div(tf.addN(stepLosses), end - start) as tf.Scalar, states: s };
    });
    if (states !== o.initialStates) tf.dispose(states);
    states = r.states;
    losses.push(r.loss);
    try {
      o.update?.(r.grads, { chunk, start, end, loss: r.loss });
    } finally {
      tf.dispose(Object.values(r.grads));
    }
  });
  if (states === o.initialStates) states = states.map((s) => s.clone());
  return { losses, states };
}

/**
 * Recurrent states carried from one training batch to the next (truncated BPTT
 * inside `train()`). In the task's loss:
 *
 *   const carried = new CarriedStates(() => layer.zeroStates(B));
 *   loss: (batch) => {
 *     const [y, ...final] = layer.apply(batch.x, { initialState: carried.current() });
 *     carried.carry(final);               // constants for the next batch
 *     return crossEntropy(y, batch.y);
 *   },
 *   carried,                              // TrainSpec.carried: saved in checkpoints
 *   onEpochDone: () => carried.reset(),   // streams restart each epoch
 *
 * The states handed out by current() were made by an earlier tape, so no gradient
 * crosses a batch boundary. Old states are disposed lazily (the tape that used
 * them may still need them until its gradients are computed).
 */
export class CarriedStates implements CarriedTensors {
  private states: tf.Tensor[] | null = null;
  private retired: tf.Tensor[] = [];

  /** @param init the states at the start of a stream (e.g. zeros of [B, H]); called after each reset. */
  constructor(private readonly init: () => tf.Tensor[]) {}

  /** The states to start the next batch from. */
  current(): tf.Tensor[] {
    tf.dispose(this.retired);
    this.retired = [];
    if (!this.states) this.states = tf.tidy(() => this.init().map((s) => s.clone()));
    this.states.forEach((s) => tf.keep(s));
    return this.states;
  }

  /** Record a batch's final states (call it inside the loss); they are detached copies. */
  carry(states: tf.Tensor[]): void {
    if (this.states) this.retired.push(...this.states);
    this.states = states.map((s) => tf.keep(s.clone()));
  }

  /** Forget the states: the next batch starts a new stream from init(). */
  reset(): void {
    if (this.states) this.retired.push(...this.states);
    this.states = null;
  }

  /** For checkpoints: the latest states by position ('0', '1', ...). */
  get(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    (this.states ?? []).forEach((s, i) => (out[String(i)] = s));
    return out;
  }

  /** Restore states saved by get() (takes ownership). */
  set(values: tf.NamedTensorMap): void {
    this.dispose();
    const keys = Object.keys(values).sort((a, b) => Number(a) - Number(b));
    this.states = keys.length ? keys.map((k) => tf.keep(values[k])) : null;
  }

  /** Frees every tensor held. */
  dispose(): void {
    tf.dispose(this.retired);
    this.retired = [];
    if (this.states) tf.dispose(this.states);
    this.states = null;
  }
}
