/**
 * Truncated backpropagation through time over long streams (char-rnn style):
 * the stream is cut into chunks of k steps; each chunk starts from the previous
 * chunk's final states, carried forward as plain values, so the forward pass sees
 * the whole history while gradients flow back at most k steps.
 */
import * as tf from '@tensorflow/tfjs';

/** [start, end) index pairs of consecutive chunks of length k covering [0, T). */
export function tbpttChunks(T: number, k: number): [number, number][] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`truncation length k must be a positive integer, got ${String(k)}`);
  const out: [number, number][] = [];
  for (let s = 0; s < T; s += k) out.push([s, Math.min(T, s + k)]);
  return out;
}

/** Result of one truncated step. */
export interface TbpttStepResult {
  /** The chunk's loss. */
  loss: number;
  /** Gradients of the chunk's loss w.r.t. `vars` (caller disposes or applies them). */
  grads: tf.NamedTensorMap;
  /** The chunk's final states, detached: feed them to the next chunk (caller disposes). */
  states: tf.Tensor[];
}

/**
 * Runs one chunk: `forward(initialStates)` returns the chunk's loss and final
 * states. The initial states enter as constants, so no gradient crosses the chunk
 * boundary.
 */
export function tbpttStep(
  vars: tf.Variable[],
  initialStates: tf.Tensor[],
  forward: (initialStates: tf.Tensor[]) => { loss: tf.Scalar; states: tf.Tensor[] },
): TbpttStepResult {
  let carried: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const r = forward(initialStates);
    carried = r.states.map((s) => tf.keep(s.clone()));
    return r.loss;
  }, vars);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads, states: carried };
}
