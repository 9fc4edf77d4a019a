/** Matrix products with wasm-friendly gradients (browser-safe). */
import * as tf from '@tensorflow/tfjs';

/**
 * a · b for [M, K] · [K, N] (or batched [B, M, K] · [B, K, N]) whose gradients are
 * plain products of explicit transposes (da = dy · bᵀ, db = aᵀ · dy). On wasm only
 * the untransposed BatchMatMul runs on XNNPACK; the transposed forms that
 * tf.matMul's own gradient uses are many times slower.
 */
export const plainMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  const t = (x: tf.Tensor): tf.Tensor => tf.transpose(x, x.rank === 3 ? [0, 2, 1] : [1, 0]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor2D, t(sb) as tf.Tensor2D), tf.matMul(t(sa) as tf.Tensor2D, dy as tf.Tensor2D)];
    },
  };
}) as never) as <T extends tf.Tensor>(a: T, b: T) => T;
