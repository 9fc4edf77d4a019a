/**
 * Gradient clipping: by global norm (rescale every gradient by
 * min(1, maxNorm / ‖g‖₂) over all of them together, as in
 * torch.nn.utils.clip_grad_norm_) and by value (elementwise clamp).
 * Both return new tensors and leave their inputs to the caller.
 */
import * as tf from '@tensorflow/tfjs';

/** The global L2 norm √(Σ‖gᵢ‖²) of a set of tensors (0 for none). */
export function globalNorm(tensors: tf.NamedTensorMap | tf.Tensor[]): tf.Scalar {
  const list = Array.isArray(tensors) ? tensors : Object.values(tensors);
  return tf.tidy(() => (list.length ? tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))) : tf.scalar(0)) as tf.Scalar);
}

/**
 * Rescales the gradients so their global norm is at most `maxNorm` (Infinity:
 * no clipping, norm only). Returns new tensors (the inputs are not disposed) and
 * the norm before clipping.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number } {
  if (!(maxNorm > 0)) throw new Error(`clip norm must be positive, got ${maxNorm}`);
  const normT = globalNorm(grads);
  const norm = normT.dataSync()[0];
  normT.dispose();
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) out[k] = scale === 1 ? g.clone() : tf.mul(g, scale);
  return { grads: out, norm };
}

/** Clamps every gradient element to [−maxValue, maxValue]. Returns new tensors. */
export function clipByValue(grads: tf.NamedTensorMap, maxValue: number): tf.NamedTensorMap {
  if (!(maxValue > 0)) throw new Error(`clip value must be positive, got ${maxValue}`);
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.clipByValue(g, -maxValue, maxValue);
  return out;
}
