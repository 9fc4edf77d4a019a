/**
 * Gradient flow through time: for a recurrent layer of the project and a batch,
 * the norm of dLoss/dh_t at every time step t, for every stacked layer and
 * direction. This is the vanishing-gradient picture: how much of the loss's signal
 * reaches the hidden state t steps before the end.
 *
 * How: the layer's cells are unrolled step by step (their own `step`), and a zero
 * "probe" tensor is added to each of a step's states before they go on (to the
 * next step, the next layer and the head). The loss does not change (the probes
 * are 0), and dLoss/dprobe is exactly the total derivative dLoss/ds_t, which
 * tf.valueAndGrads returns for all probes in one backward pass.
 *
 * The state s_t is the cell's whole recurrent state: h_t for SimpleRNN and GRU,
 * (h_t, c_t) for LSTM, whose memory runs through c (the "constant error
 * carousel"); probing h alone would miss the path the LSTM is built around.
 *
 *   const flow = gradientFlow({ layer, x, loss: (seq, last) => tf.losses.softmaxCrossEntropy(yOneHot, head.apply(last)) });
 *   flow.series[0].norms;            // [T] mean over the batch of ||dLoss/dh_t||
 *   gradientReach(flow.series[0]);   // how many steps back it stays above 1e-3 of the last step's
 */
import * as tf from '@tensorflow/tfjs';
import type { RecurrentLayer } from '../../layers/recurrent_layer';
import { mergeDirections } from '../../layers/merge_directions';

/** What gradientFlow measures. */
export interface GradientFlowInput {
  /** A recurrent layer of the project (any cell, stacked, bidirectional); built on first use. */
  layer: RecurrentLayer;
  /** The layer's input batch [B, T, D] (already embedded). */
  x: tf.Tensor3D;
  /**
   * The loss on the layer's outputs: `sequence` [B, T, O'] (the last layer's merged
   * outputs at every step) and `last` [B, O'] (its merged final hidden states).
   * Typically a head and a cross-entropy; must return a scalar.
   */
  loss: (sequence: tf.Tensor3D, last: tf.Tensor2D) => tf.Scalar;
  /** Optional [B, T] 0/1 mask: masked steps carry the states (as the layer does). */
  mask?: tf.Tensor2D;
}

/** The gradient norms of one cell (one layer, one direction). */
export interface GradientSeries {
  /** 0-based stacked layer. */
  layer: number;
  /** Which direction of that layer. */
  direction: 'forward' | 'reverse';
  /** norms[t]: mean over the batch of the L2 norm of dLoss/ds_t (s_t = all the cell's states: h, and c for LSTM), t on the input time axis. */
  norms: number[];
}

/** gradientFlow's result. */
export interface GradientFlowResult {
  /** The loss value at the batch. */
  loss: number;
  /** One series per layer and direction (layer-major, forward first). */
  series: GradientSeries[];
}

/** Merges the two directions' tensors as the layer does ('none' concatenates). */
function merge(layer: RecurrentLayer, parts: tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return parts[0];
  const merged = mergeDirections(layer.args.mergeMode, parts[0], parts[1]);
  return merged.length === 1 ? merged[0] : tf.concat(merged, -1);
}

/** Measures ||dLoss/ds_t|| (s_t = h_t, and c_t for LSTM) at every step of every cell of `layer` (no dropout: evaluation mode). */
export function gradientFlow(input: GradientFlowInput): GradientFlowResult {
  const { layer, x, mask } = input;
  if (x.rank !== 3) throw new Error(`gradientFlow: expected x [batch, time, features], got [${x.shape.join(', ')}]`);
  const [B, T] = x.shape;
  if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
    throw new Error(`gradientFlow: mask must be [${B}, ${T}], got [${mask.shape.join(', ')}]`);
  }
  if (!layer.built) {
    tf.tidy(() => {
      layer.apply(tf.zeros([1, 1, x.shape[2]])); // creates the weights (under the layer's name scope)
    });
  }
  const cells = layer.cells.flatMap((row, k) => row.map((cell, d) => ({ cell, k, d })));

  return tf.tidy(() => {
    const xs = tf.unstack(x, 1) as tf.Tensor2D[];
    const ms = mask ? (tf.unstack(tf.expandDims(tf.cast(mask, 'float32'), 2), 1) as tf.Tensor2D[]) : null;
    // probes[c][t][j]: cell c, step t, state j (LSTM h and c; GRU / SimpleRNN h)
    const probes = cells.map(({ cell }) => Array.from({ length: T }, () => cell.stateSizes.map((n) => tf.zeros([B, n]) as tf.Tensor2D)));
    const flat = probes.flat(2);

    const forward = (...ps: tf.Tensor[]): tf.Scalar => {
      let inputs = xs;
      let sequence: tf.Tensor3D | undefined;
      let last: tf.Tensor2D | undefined;
      let offset = 0;
      layer.cells.forEach((row, k) => {
        const outs: tf.Tensor2D[][] = [];
        const finals: tf.Tensor2D[] = [];
        row.forEach((cell, d) => {
          const reverse = d === 1 || layer.args.reverse;
          const n = cell.stateSizes.length;
          const base = offset;
          offset += T * n;
          let states = cell.zeroStates(B);
          const out: tf.Tensor2D[] = new Array(T);
          for (let i = 0; i < T; i++) {
            const t = reverse ? T - 1 - i : i;
            const r = cell.step(inputs[t], states);
            // the probes: dLoss/dp = dLoss/ds_t for every state s (the output is states[0], h)
            const next = r.states.map((s, j) => tf.add(s, ps[base + t * n + j]) as tf.Tensor2D);
            if (ms) {
              const m = ms[t];
              const keep = tf.sub(1, m);
              states = next.map((s, j) => tf.add(tf.mul(s, m), tf.mul(states[j], keep)) as tf.Tensor2D);
              out[t] = tf.mul(next[0], m) as tf.Tensor2D;
            } else {
              states = next;
              out[t] = next[0];
            }
          }
          outs.push(out);
          finals.push(states[0]);
        });
        inputs = Array.from({ length: T }, (_, t) => (outs.length === 1 ? outs[0][t] : (tf.concat(outs.map((o) => o[t]), 1) as tf.Tensor2D)));
        if (k === layer.cells.length - 1) {
          sequence = tf.stack(Array.from({ length: T }, (_, t) => merge(layer, outs.map((o) => o[t]))), 1) as tf.Tensor3D;
          last = merge(layer, finals) as tf.Tensor2D;
        }
      });
      const l = input.loss(sequence!, last!);
      if (l.rank !== 0) throw new Error(`gradientFlow: the loss must be a scalar, got shape [${l.shape.join(', ')}]`);
      // 0 · Σ probes: every probe is on a path to the loss (the last step's c feeds
      // nothing, and tf.grads refuses inputs without one), its gradient is then 0
      return tf.add(l, tf.mul(0, tf.addN(ps.map((p) => tf.sum(p))))) as tf.Scalar;
    };

    const { value, grads } = tf.valueAndGrads(forward)(flat);
    // per cell and step: mean over the batch of sqrt(sum over states of ||g||^2)
    let g = 0;
    const perStep: tf.Tensor[] = [];
    for (const { cell } of cells) {
      const n = cell.stateSizes.length;
      for (let t = 0; t < T; t++) {
        const sq = grads.slice(g, g + n).map((gr) => tf.sum(tf.square(gr), 1));
        g += n;
        perStep.push(tf.mean(tf.sqrt(sq.length === 1 ? sq[0] : tf.addN(sq))));
      }
    }
    const norms = tf.stack(perStep).dataSync();
    return {
      loss: value.dataSync()[0],
      series: cells.map(({ k, d }, i) => ({
        layer: k,
        direction: d === 1 || layer.args.reverse ? ('reverse' as const) : ('forward' as const),
        norms: Array.from(norms.subarray(i * T, (i + 1) * T)),
      })),
    };
  });
}

/**
 * A series' norms by distance from its end (the step that reads the last input:
 * t = T-1 forward, t = 0 reverse): byDistance[0] is the last step's.
 */
export function byDistance(series: GradientSeries): number[] {
  return series.direction === 'forward' ? [...series.norms].reverse() : [...series.norms];
}

/**
 * How far back the gradient stays above `relative` times the last step's norm: the
 * largest distance d from the end such that every step at distance 0..d is above
 * the threshold (T-1 when it never falls below).
 */
export function gradientReach(series: GradientSeries, relative = 1e-6): number {
  const n = byDistance(series);
  const threshold = relative * n[0];
  let d = 0;
  while (d + 1 < n.length && n[d + 1] >= threshold) d++;
  return d;
}
