/**
 * The long-dependency experiment behind `rnn-diagnose gradients`: a sequence of T
 * random symbols whose class is its FIRST symbol; everything after it is noise.
 * Each cell kind (SimpleRNN, LSTM, GRU) gets the same model (one-hot input →
 * recurrent layer → dense softmax on the last hidden state), the same data and the
 * same brief training, and then gradientFlow measures ||dLoss/dh_t|| on a fresh
 * batch: a cell that carries information across T steps is one whose gradient
 * still reaches t = 0.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../layers/random';
import { RecurrentLayer, type CellKind } from '../../layers/recurrent_layer';
import { mixSeed } from '../train/rng';
import { clipByGlobalNorm } from '../train/clip';
import { gradientFlow, gradientReach, type GradientSeries } from './gradient_flow';

/** The experiment's settings (the same for every cell). */
export interface LongDependencyConfig {
  /** Sequence length T (the class is at t = 0, so the answer is T-1 steps before the end). */
  length: number;
  /** Alphabet size, also the number of classes (chance accuracy = 1/symbols). */
  symbols: number;
  /** Hidden size of the recurrent layer. */
  units: number;
  /** Sequences per training step and in the measured batch. */
  batchSize: number;
  /** Training steps before measuring (0 = measure at initialization). */
  steps: number;
  /**
   * Length of the first training sequences. Training starts on short sequences and
   * lengthens them by 25% each time the cell has learned the current length (mean
   * loss of the last 20 steps below 0.2), up to `length`: a curriculum, without which
   * no cell learns a 60-step dependency from random noise in a few hundred steps.
   * Set it to `length` to train on full-length sequences only.
   */
  startLength: number;
  /** Adam learning rate. */
  lr: number;
  /** Gradient clipping (global L2 norm) during training. */
  clipNorm: number;
  /**
   * Relative threshold of the reported reach (fraction of the last step's gradient
   * norm). 1e-6 by default: the last step's norm includes the direct path to the
   * head, and a trained LSTM's drops by 1e-4 to 1e-5 over the first few steps back
   * before it levels off, while a SimpleRNN's keeps falling by a constant factor.
   */
  threshold: number;
  /** Seed of the data and the weights. */
  seed: number;
}

export const LONG_DEPENDENCY_DEFAULTS: LongDependencyConfig = {
  length: 100,
  symbols: 4,
  units: 32,
  batchSize: 32,
  steps: 500,
  startLength: 10,
  lr: 0.01,
  clipNorm: 1,
  threshold: 1e-6,
  seed: 1,
};

/** One batch: x one-hot [B, T, V], y one-hot [B, V] (the class = the symbol at t = 0). */
export function longDependencyBatch(cfg: Pick<LongDependencyConfig, 'length' | 'symbols' | 'batchSize'>, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D; labels: number[] } {
  const { length: T, symbols: V, batchSize: B } = cfg;
  const rand = SeededRandom.fromState(seed); // the symbols' stream (unchanged since the diagnostic's first numbers)
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = rand.int(V);
  const labels = Array.from({ length: B }, (_, b) => ids[b * T]);
  return tf.tidy(() => ({
    x: tf.oneHot(tf.tensor2d(ids, [B, T], 'int32'), V).toFloat() as tf.Tensor3D,
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), V).toFloat() as tf.Tensor2D,
    labels,
  }));
}

/** One cell's outcome. */
export interface CellFlow {
  cell: CellKind;
  /** Accuracy on the measured batch after training (chance = 1/symbols). */
  accuracy: number;
  /** Loss on the measured batch. */
  loss: number;
  /** ||dLoss/dh_t|| by t (forward layer). */
  series: GradientSeries;
  /** Steps back from the end the norm stays above threshold × the last step's. */
  reach: number;
  /** norm at t = 0 divided by the norm at t = T-1. */
  firstOverLast: number;
  /** The smallest norm over all steps divided by the last step's (0: it underflowed to exactly zero somewhere). */
  floor: number;
  /** The longest training length the curriculum reached (`length` when the cell learned the full task). */
  trainedLength: number;
  /** Seconds of CPU time (this process, all threads) spent training and measuring. */
  cpuSeconds: number;
}

/** Trains one cell briefly on the long-dependency task and measures its gradient flow (disposes everything it makes). */
export function runLongDependency(cell: CellKind, cfg: LongDependencyConfig, onStep?: (step: number, loss: number, trainLength: number) => void): CellFlow {
  const cpu0 = process.cpuUsage();
  const layer = new RecurrentLayer({ cell, units: cfg.units, seed: mixSeed(cfg.seed, 11) });
  const head = tf.layers.dense({ units: cfg.symbols, kernelInitializer: tf.initializers.glorotUniform({ seed: mixSeed(cfg.seed, 12) }) });
  const optimizer = tf.train.adam(cfg.lr);
  try {
    tf.tidy(() => {
      const out = layer.apply(tf.zeros([1, cfg.length, cfg.symbols])) as tf.Tensor2D;
      head.apply(out);
    });
    const vars = [...layer.trainableWeights, ...head.trainableWeights].map((w) => w.read() as tf.Variable);
    let trainLength = Math.max(1, Math.min(cfg.startLength, cfg.length));
    let recent: number[] = [];
    for (let s = 0; s < cfg.steps; s++) {
      const { x, y } = longDependencyBatch({ ...cfg, length: trainLength }, mixSeed(cfg.seed, 100, s));
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, head.apply(layer.apply(x)) as tf.Tensor2D) as tf.Scalar,
          vars,
        );
        const clipped = cfg.clipNorm > 0 ? clipByGlobalNorm(grads, cfg.clipNorm).grads : grads;
        optimizer.applyGradients(clipped as tf.NamedTensorMap as never);
        return value.dataSync()[0];
      });
      tf.dispose([x, y]);
      onStep?.(s + 1, loss, trainLength);
      recent.push(loss);
      if (recent.length > 20) recent.shift();
      if (recent.length === 20 && trainLength < cfg.length && recent.reduce((a, b) => a + b, 0) / 20 < 0.2) {
        trainLength = Math.min(cfg.length, Math.ceil(trainLength * 1.25));
        recent = [];
      }
    }
    // measured on a batch no training step saw
    const { x, y, labels } = longDependencyBatch(cfg, mixSeed(cfg.seed, 999));
    try {
      const predicted = tf.tidy(() => tf.argMax(head.apply(layer.apply(x)) as tf.Tensor2D, 1));
      const pred = Array.from(predicted.dataSync());
      predicted.dispose();
      const accuracy = pred.filter((p, i) => p === labels[i]).length / labels.length;
      const flow = gradientFlow({ layer, x, loss: (_seq, last) => tf.losses.softmaxCrossEntropy(y, head.apply(last) as tf.Tensor2D) as tf.Scalar });
      const series = flow.series[0];
      const cpu = process.cpuUsage(cpu0);
      return {
        cell,
        accuracy,
        trainedLength: trainLength,
        loss: flow.loss,
        series,
        reach: gradientReach(series, cfg.threshold),
        firstOverLast: series.norms[0] / series.norms[series.norms.length - 1],
        floor: Math.min(...series.norms) / series.norms[series.norms.length - 1],
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
    } finally {
      tf.dispose([x, y]);
    }
  } finally {
    optimizer.dispose();
    layer.dispose();
    head.dispose();
  }
}
