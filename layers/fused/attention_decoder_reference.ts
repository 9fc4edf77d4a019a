/**
 * The reference of ./attention_decoder.ts: the same decoder as a step loop of
 * plain tf ops, differentiated by tfjs autodiff. Slow; tests compare the fused
 * kernel's values and gradients against it (same inputs, same weights).
 */
import * as tf from '@tensorflow/tfjs';
import type { AttentionDecoderInputs, AttentionDecoderResult, AttentionDecoderWeights } from './attention_decoder';

function gruStep(x: tf.Tensor2D, h: tf.Tensor2D, W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor | null): tf.Tensor2D {
  let xz = tf.matMul(x, W);
  let hz = tf.matMul(h, U);
  if (b) {
    const [bi, br] = tf.unstack(b);
    xz = tf.add(xz, bi);
    hz = tf.add(hz, br);
  }
  const [xzz, xzr, xzh] = tf.split(xz, 3, 1);
  const [hzz, hzr, hzh] = tf.split(hz, 3, 1);
  const z = tf.sigmoid(tf.add(xzz, hzz));
  const r = tf.sigmoid(tf.add(xzr, hzr));
  const n = tf.tanh(tf.add(xzh, tf.mul(r, hzh)));
  return tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n)) as tf.Tensor2D;
}

function lstmStep(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor | null): [tf.Tensor2D, tf.Tensor2D] {
  let z = tf.add(tf.matMul(x, W), tf.matMul(h, U));
  if (b) z = tf.add(z, b);
  const [zi, zf, zc, zo] = tf.split(z, 4, 1);
  const cN = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc))) as tf.Tensor2D;
  return [tf.mul(tf.sigmoid(zo), tf.tanh(cN)) as tf.Tensor2D, cN];
}

/** The step-loop decoder (see the file comment). */
export function attentionDecoderReference(inp: AttentionDecoderInputs, w: AttentionDecoderWeights): AttentionDecoderResult {
  return tf.tidy(() => {
    const { kind, x, memory, keys, sourceMask } = inp;
    const [B, T] = x.shape;
    const H = w.combine.shape[1];
    const nS = w.cell === 'gru' ? 1 : 2;
    const L = w.layers.length;
    const additive = w.score === 'additive';
    const s = !additive && w.scale ? 1 / Math.sqrt(H) : 1;
    const bias = sourceMask ? tf.mul(tf.sub(1, sourceMask), -1e9) : null; // [B, S]
    const attend = (q: tf.Tensor2D): { a: tf.Tensor2D; c: tf.Tensor2D } => {
      let sc: tf.Tensor2D;
      if (additive) {
        const qp = tf.expandDims(tf.matMul(q, w.queryKernel!), 1); // [B, 1, U]
        const hid = tf.tanh(tf.add(qp, keys)); // [B, S, U]
        const [, S, U] = hid.shape;
        sc = tf.reshape(tf.matMul(tf.reshape(hid, [B * S, U]), w.scoreVector!), [B, S]);
      } else {
        sc = tf.mul(tf.squeeze(tf.matMul(tf.expandDims(q, 1), keys), [1]), s);
      }
      if (bias) sc = tf.add(sc, bias);
      const a = tf.softmax(sc) as tf.Tensor2D;
      return { a, c: tf.squeeze(tf.matMul(tf.expandDims(a, 1), memory), [1]) as tf.Tensor2D };
    };
    const es = tf.unstack(x, 1) as tf.Tensor2D[];
    let states = inp.initialStates;
    let feed: tf.Tensor2D = inp.feed ?? (tf.zeros([B, H]) as tf.Tensor2D);
    const ys: tf.Tensor2D[] = [];
    const as: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      let att: { a: tf.Tensor2D; c: tf.Tensor2D } | null = null;
      let input: tf.Tensor2D;
      if (kind === 'bahdanau') {
        att = attend(states[(L - 1) * nS]);
        input = tf.concat([es[t], att.c], 1);
      } else input = tf.concat([es[t], feed], 1);
      const next: tf.Tensor2D[] = [];
      for (let l = 0; l < L; l++) {
        const { kernel, recurrentKernel, bias: b } = w.layers[l];
        if (w.cell === 'gru') next.push(gruStep(input, states[l], kernel, recurrentKernel, b));
        else next.push(...lstmStep(input, states[2 * l], states[2 * l + 1], kernel, recurrentKernel, b));
        input = next[l * nS];
      }
      states = next;
      if (!att) att = attend(input);
      const f = tf.tanh(tf.matMul(tf.concat([input, att.c], 1), w.combine)) as tf.Tensor2D;
      ys.push(f);
      as.push(att.a);
      feed = f;
    }
    return { y: tf.stack(ys, 1) as tf.Tensor3D, states, weights: tf.stack(as, 1) as tf.Tensor3D };
  });
}
