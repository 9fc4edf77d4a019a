/**
 * Loss and gradients for a fixed list of variables.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Like tf.variableGrads(f, vars), but with a gradient for every variable, in
 * `vars` order: a variable the loss did not reach gets zeros. tfjs' optimizers
 * keep their slots by position in the gradient map, so a gradient missing from
 * one step (a branch unused by a batch, inputs outside a truncated-BPTT chunk)
 * would shift every later variable onto another's moments.
 */
export function lossAndGrads(f: () => tf.Scalar, vars: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const { value, grads } = tf.variableGrads(f, vars);
  const out: tf.NamedTensorMap = {};
  for (const v of vars) out[v.name] = grads[v.name] ?? tf.zerosLike(v);
  return { value, grads: out };
}
