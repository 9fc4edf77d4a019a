/**
 * The forecaster: a window of standardized inputs [W, C] → recurrent stack → its
 * last state → dense [H], plus (by default) a linear autoregressive path
 * flatten [W·C] → dense [H] added to it (LSTNet's highway, Lai et al. 2018: it
 * keeps the output on the input's scale, which a saturating network alone does not).
 *
 * The linear path starts from the ridge least-squares fit on the training windows
 * and the recurrent head from near zero, so training starts at the linear
 * autoregression's forecasts and the network learns the residual structure.
 *
 * Next: loss.ts, then train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { stacked, type CellKind } from '../../layers/recurrent_layer';

export interface ForecasterShape {
  cell: CellKind;
  hidden: number;
  layers: number;
  dropout: number;
  /** Input steps W. */
  window: number;
  /** Input channels C (the target, then the features). */
  channels: number;
  /** Outputs H (the horizon for direct forecasts, 1 for recursive). */
  outputs: number;
  linear: boolean;
  seed: number;
}

export function buildForecaster(s: ForecasterShape): tf.LayersModel {
  const x = tf.input({ shape: [s.window, s.channels], name: 'window' });
  const h = stacked({
    cell: s.cell,
    units: s.hidden,
    numLayers: s.layers,
    dropout: s.layers > 1 ? s.dropout : 0,
    seed: s.seed,
    name: 'encoder',
  }).apply(x) as tf.SymbolicTensor; // [B, hidden]
  let out = tf.layers
    .dense({ units: s.outputs, name: 'rnn_head', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: s.seed + 1 }) })
    .apply(h) as tf.SymbolicTensor; // [B, H]
  if (s.linear) {
    const flat = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor; // [B, W·C]
    const ar = tf.layers.dense({ units: s.outputs, name: 'linear', kernelInitializer: 'zeros' }).apply(flat) as tf.SymbolicTensor;
    out = tf.layers.add({ name: 'forecast' }).apply([out, ar]) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: x, outputs: out, name: 'forecaster' });
}

/** The centered normal equations of a least-squares problem, reusable for several ridge penalties. */
export interface Gram {
  /** Σ (x − x̄)ᵀ(x − x̄), [d][d]. */
  xx: number[][];
  /** Σ (x − x̄)ᵀ(y − ȳ), [d][H]. */
  xy: number[][];
  xm: number[];
  ym: number[];
}

export function gram(x: number[][], y: number[][]): Gram {
  const n = x.length;
  const d = x[0].length;
  const H = y[0].length;
  // Centered, so the intercept drops out: b = ȳ − x̄·w.
  const xm = new Array<number>(d).fill(0);
  const ym = new Array<number>(H).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xm[j] += x[i][j] / n;
    for (let k = 0; k < H; k++) ym[k] += y[i][k] / n;
  }
  const xx = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const xy = Array.from({ length: d }, () => new Array<number>(H).fill(0));
  for (let i = 0; i < n; i++) {
    const xc = x[i].map((v, j) => v - xm[j]);
    for (let j = 0; j < d; j++) {
      const a = xx[j];
      for (let l = j; l < d; l++) a[l] += xc[j] * xc[l];
      for (let k = 0; k < H; k++) xy[j][k] += xc[j] * (y[i][k] - ym[k]);
    }
  }
  for (let j = 0; j < d; j++) for (let l = 0; l < j; l++) xx[j][l] = xx[l][j];
  return { xx, xy, xm, ym };
}

/** A linear fit: weights [d][H] and intercepts [H]. */
export interface LinearFit {
  weights: number[][];
  bias: number[];
}

/** The ridge solution for penalty λ (the intercept unpenalized). */
export function ridgeSolve(g: Gram, lambda: number): LinearFit {
  const A = g.xx.map((row, j) => row.map((v, l) => (j === l ? v + lambda : v)));
  const w = solve(A, g.xy);
  const bias = g.ym.map((m, k) => m - g.xm.reduce((a, v, j) => a + v * w[j][k], 0));
  return { weights: w, bias };
}

/** Ridge least squares: minimizes Σ(y − Xw − b)² + λ‖w‖² (the intercept unpenalized). */
export function ridgeFit(x: number[][], y: number[][], lambda: number): LinearFit {
  return ridgeSolve(gram(x, y), lambda);
}

/** Solves A·X = B (A symmetric positive definite) by Cholesky decomposition. */
function solve(A: number[][], B: number[][]): number[][] {
  const d = A.length;
  const L = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j];
    }
  }
  const H = B[0].length;
  const X = Array.from({ length: d }, () => new Array<number>(H).fill(0));
  for (let k = 0; k < H; k++) {
    const z = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) {
      let s = B[i][k];
      for (let j = 0; j < i; j++) s -= L[i][j] * z[j];
      z[i] = s / L[i][i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = z[i];
      for (let j = i + 1; j < d; j++) s -= L[j][i] * X[j][k];
      X[i][k] = s / L[i][i];
    }
  }
  return X;
}

/** Predictions of a linear fit for rows of x. */
export function ridgePredict(fit: LinearFit, x: number[][]): number[][] {
  return x.map((row) => fit.bias.map((b, k) => row.reduce((a, v, j) => a + v * fit.weights[j][k], b)));
}

/** Writes a ridge fit into the model's linear path. */
export function setLinearWeights(model: tf.LayersModel, fit: LinearFit): void {
  const layer = model.getLayer('linear');
  const [d, H] = [fit.weights.length, fit.bias.length];
  const w = tf.tensor2d(fit.weights.flat(), [d, H]);
  const b = tf.tensor1d(fit.bias);
  layer.setWeights([w, b]);
  tf.dispose([w, b]);
}
