/**
 * Weight initializers for the recurrent layers, seedable and fast.
 *
 * - `glorotUniform`: U(-l, l), l = sqrt(6 / (fanIn + fanOut)) (Keras default for kernels).
 * - `orthogonal`: a (semi-)orthogonal matrix from the QR decomposition of a Gaussian
 *   matrix, computed in float64 with Householder reflections in plain JS. tfjs-layers'
 *   orthogonal goes through tf.linalg.qr and stalls for seconds on large recurrent
 *   kernels (tensorflow/tfjs#245); this takes milliseconds for [256, 1024].
 * - `zeros`, `unitForgetBias` (LSTM bias with the forget-gate block set to 1).
 *
 * Each returns an object with `apply(shape)` usable as a tfjs initializer.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from './random';

/** Names accepted wherever a layer config takes an initializer. */
export type InitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'unitForgetBias';

/** Minimal initializer shape that tfjs' Layer.addWeight calls. */
export interface WeightInitializer {
  apply(shape: number[], dtype?: tf.DataType): tf.Tensor;
  getConfig(): { [key: string]: unknown };
  getClassName(): string;
}

/** Fills a Float32Array with a Glorot-uniform sample. */
export function glorotUniformValues(shape: number[], seed: number): Float32Array {
  const [fanIn, fanOut] = shape.length === 2 ? shape : [shape[0], shape[0]];
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const rng = new SeededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  return out;
}

/**
 * Row-major values of a [rows, cols] matrix with orthonormal rows (rows <= cols)
 * or orthonormal columns (rows > cols), times `gain`.
 */
export function orthogonalValues(rows: number, cols: number, seed: number, gain = 1): Float32Array {
  const rng = new SeededRandom(seed);
  // Factor a tall m x n Gaussian matrix A (m >= n): A = QR, keep Q [m, n].
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // Column-major storage: a[j * m + i] = A[i][j].
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  const vs: Float64Array[] = [];
  const rDiagSign = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Householder vector for column k below the diagonal.
    const colK = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[colK + i] * a[colK + i];
    norm = Math.sqrt(norm);
    const alpha = a[colK + k] >= 0 ? -norm : norm;
    rDiagSign[k] = alpha >= 0 ? 1 : -1;
    const v = new Float64Array(m - k);
    v[0] = a[colK + k] - alpha;
    for (let i = k + 1; i < m; i++) v[i - k] = a[colK + i];
    let vnorm2 = 0;
    for (let i = 0; i < v.length; i++) vnorm2 += v[i] * v[i];
    if (vnorm2 > 0) {
      // Apply H = I - 2 v vᵀ / (vᵀv) to the remaining columns.
      for (let j = k; j < n; j++) {
        const colJ = j * m;
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i - k] * a[colJ + i];
        const s = (2 * dot) / vnorm2;
        for (let i = k; i < m; i++) a[colJ + i] -= s * v[i - k];
      }
    }
    vs.push(vnorm2 > 0 ? v : new Float64Array(0));
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    if (v.length === 0) continue;
    let vnorm2 = 0;
    for (let i = 0; i < v.length; i++) vnorm2 += v[i] * v[i];
    for (let j = 0; j < n; j++) {
      const colJ = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * q[colJ + i];
      const s = (2 * dot) / vnorm2;
      for (let i = k; i < m; i++) q[colJ + i] -= s * v[i - k];
    }
  }
  // Make the decomposition unique (R with a positive diagonal), as numpy-based Keras does.
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const value = q[j * m + i] * rDiagSign[j] * gain;
      // Q is [m, n]; the result is Q itself when rows >= cols, else Qᵀ.
      if (rows >= cols) out[i * cols + j] = value;
      else out[j * cols + i] = value;
    }
  }
  return out;
}

/** Builds the named initializer; `seed` makes it reproducible. */
export function makeInitializer(name: InitializerName, seed: number, units = 0): WeightInitializer {
  return {
    apply(shape: number[]): tf.Tensor {
      const size = shape.reduce((a, b) => a * b, 1);
      switch (name) {
        case 'glorotUniform':
          return tf.tensor(glorotUniformValues(shape, seed), shape, 'float32');
        case 'orthogonal': {
          const rows = shape[0];
          const cols = size / rows;
          return tf.tensor(orthogonalValues(rows, cols, seed), shape, 'float32');
        }
        case 'zeros':
          return tf.zeros(shape, 'float32');
        case 'unitForgetBias': {
          // Keras LSTM: bias blocks (i, f, c, o); the forget block starts at 1.
          const values = new Float32Array(size);
          for (let i = units; i < 2 * units; i++) values[i] = 1;
          return tf.tensor(values, shape, 'float32');
        }
        default:
          throw new Error(`unknown initializer '${name as string}'`);
      }
    },
    getConfig: () => ({ name, seed }),
    getClassName: () => 'rnnkit.Initializer',
  };
}
