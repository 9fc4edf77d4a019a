/** Tiny training problems for the engine's tests (tf.sequential simpleRNN/dense models). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../layers/random';
import { seededPermutation } from '../../src/train/rng';
import type { TrainSpec } from '../../src/train/types';

export type XY = { x: tf.Tensor; y: tf.Tensor };

export const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-train-'));

/** Weights of a model as plain arrays (for exact comparison). */
export const weightsOf = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

/**
 * Predict the sum of a [T=5, 2] sequence with a simpleRNN(6) → dense(1) model.
 * 48 examples, batches of 8 in a seeded order per epoch; batch tensors are freed
 * at the end of each epoch. `layers` replaces the model's layers (same input shape).
 */
export function sumProblem(opts: { initSeed?: number; dataSeed?: number; layers?: () => tf.layers.Layer[] } = {}): TrainSpec<XY> {
  const initSeed = opts.initSeed ?? 3;
  const model = tf.sequential({
    layers: opts.layers
      ? opts.layers()
      : [
          tf.layers.simpleRNN({ units: 6, inputShape: [5, 2], kernelInitializer: tf.initializers.glorotUniform({ seed: initSeed }), recurrentInitializer: tf.initializers.orthogonal({ seed: initSeed + 1 }) }),
          tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: initSeed + 2 }) }),
        ],
  });
  const rng = new SeededRandom(opts.dataSeed ?? 3);
  const n = 48;
  const data = Array.from({ length: n }, () => Array.from({ length: 5 }, () => [rng.normal(), rng.normal()]));
  const xAll = tf.tensor3d(data);
  const yAll = tf.tidy(() => tf.sum(xAll, [1, 2]).reshape([n, 1]).div(3));
  return {
    model,
    loss: (b, training) => tf.losses.meanSquaredError(b.y, model.apply(b.x, { training }) as tf.Tensor) as tf.Scalar,
    batches: (epoch, seed) => {
      const idx = seededPermutation(n, seed, epoch);
      return Array.from({ length: n / 8 }, (_, k) =>
        tf.tidy(() => {
          const ids = tf.tensor1d(idx.slice(8 * k, 8 * k + 8), 'int32');
          return { x: tf.gather(xAll, ids), y: tf.gather(yAll, ids) };
        }),
      );
    },
    batchSize: (b) => b.x.shape[0],
    evaluate: () => ({ mse: tf.tidy(() => tf.losses.meanSquaredError(yAll, model.predict(xAll) as tf.Tensor).dataSync()[0]) }),
    onEpochDone: (_e, batches) => batches.forEach((b) => tf.dispose([b.x, b.y])),
    artifacts: { vocabulary: ['a', 'b'] },
    config: { units: 6 },
  };
}
