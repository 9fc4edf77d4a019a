/**
 * Gradient clipping: by global norm (rescale every gradient by
 * min(1, maxNorm / ‖g‖₂) over all of them together, as in
 * torch.nn.utils.clip_grad_norm_) and by value (elementwise clamp).
 */
import * as tf from '@tensorflow/tfjs';

/** The global L2 norm of a set of gradients. */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Rescales the gradients so their global norm is at most `maxNorm`. Returns new
 * tensors (the inputs are not disposed) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number } {
  const normT = globalNorm(grads);
  const norm = normT.dataSync()[0];
  normT.dispose();
  const scale = norm > maxNorm ? maxNorm / (norm + 1e-12) : 1;
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) out[k] = scale === 1 ? g.clone() : tf.mul(g, scale);
  return { grads: out, norm };
}

/** Clamps every gradient element to [−maxValue, maxValue]. Returns new tensors. */
export function clipByValue(grads: tf.NamedTensorMap, maxValue: number): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.clipByValue(g, -maxValue, maxValue);
  return out;
}
