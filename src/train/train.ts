/**
 * The training loop: one short flat loop in a fixed order, for any model, loss
 * and batches (see TrainSpec in ./types):
 *
 *   per step:  lr → seed dropout → loss & grads (tf.variableGrads: BPTT through the
 *              recurrent layers) → health check → clip → optimizer step → dispose → log
 *   per epoch: dev evaluation → schedule → early stopping → checkpoints (last, best)
 *
 * Every random choice is a function of (seed, epoch, step), so a run stopped and
 * resumed from its checkpoint ends with the same weights as an uninterrupted one.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { seedDropout } from '../../layers/recurrent_layer';
import { clipByGlobalNorm, clipByValue } from './clip';
import { loadCheckpoint, restoreOptimizer, saveCheckpoint, TrainingState } from './checkpoint';
import { makeOptimizer, OptimizerName, setLearningRate } from './optimizers';
import { LrSchedule, ScheduleOptions } from './schedules';
import { Metrics, TrainSpec } from './types';

export interface TrainOptions {
  /** Epochs to train (an upper bound when early stopping). */
  epochs: number;
  /** Optimizer. Default 'adam'. */
  optimizer?: OptimizerName;
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** Momentum (sgd, rmsprop). Default 0. */
  momentum?: number;
  /** Learning-rate schedule. Default constant. */
  schedule?: ScheduleOptions;
  /** Clip gradients to this global L2 norm; 0 disables. Default 0. */
  clipNorm?: number;
  /** Clamp gradient elements to ±clipValue; 0 disables. Default 0. */
  clipValue?: number;
  /** Seed of batch order and dropout. Default 1. */
  seed?: number;
  /** Dev metric that selects the best checkpoint and drives early stopping (higher is better unless `minimize`). Default the first metric evaluate() returns. */
  metric?: string;
  /** The selection metric is better when lower (e.g. loss, rmse). Default false. */
  minimize?: boolean;
  /** Stop after this many epochs without dev improvement; 0 disables. Default 0. */
  patience?: number;
  /** Directory for checkpoints: OUT/last and OUT/best. Omit to keep nothing on disk. */
  outDir?: string;
  /** Resume from this checkpoint directory (typically OUT/last). */
  resume?: string;
  /** Stop when the loss exceeds this multiple of the first epoch's mean loss (or is NaN/Inf). Default 1e3. */
  divergenceRatio?: number;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Called after every epoch, with its dev metrics. */
  onEpoch?: (info: EpochInfo) => void;
  /** Checked after every step; when it returns true the loop saves and returns `interrupted`. */
  shouldStop?: () => boolean;
}

export interface StepInfo {
  epoch: number;
  step: number;
  stepsInEpoch: number;
  globalStep: number;
  loss: number;
  gradNorm: number;
  /** ‖Δθ‖ / ‖θ‖ would need a copy; this is ‖g‖·lr / ‖θ‖, the usual proxy (char-rnn logs it). */
  updateRatio: number;
  lr: number;
  examplesPerSec: number;
  /** Estimated seconds left in the run (all epochs). */
  etaSec: number;
}

export interface EpochInfo {
  epoch: number;
  loss: number;
  dev: Metrics;
  best: boolean;
  lr: number;
  seconds: number;
}

export interface TrainResult {
  /** Why the loop ended. */
  stopped: 'completed' | 'early-stopping' | 'interrupted';
  /** Epochs completed. */
  epochs: number;
  /** Best dev metrics (the best checkpoint's). */
  bestDev: Metrics;
  /** Epoch of the best dev metric (-1 without evaluation). */
  bestEpoch: number;
  /** Per-epoch log. */
  history: Record<string, number>[];
  /** Checkpoint directories (when outDir was given). */
  lastDir?: string;
  bestDir?: string;
}

/** The loss became NaN/Inf or exploded; the last good checkpoint is kept. */
export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** A 31-bit integer mixed from the run seed and counters (splitmix-style). */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x9e3779b1);
    h ^= h >>> 15;
  }
  return (h >>> 0) % 2147483647;
}

export async function train<B>(spec: TrainSpec<B>, options: TrainOptions): Promise<TrainResult> {
  const o = {
    optimizer: 'adam' as OptimizerName,
    lr: 1e-3,
    momentum: 0,
    clipNorm: 0,
    clipValue: 0,
    seed: 1,
    minimize: false,
    patience: 0,
    divergenceRatio: 1e3,
    ...options,
  };
  const model = spec.model;
  const optimizer = makeOptimizer({ name: o.optimizer, lr: o.lr, momentum: o.momentum });
  const schedule = new LrSchedule(o.lr, o.schedule);
  const sign = o.minimize ? -1 : 1;
  let st: TrainingState = { epoch: 0, step: 0, globalStep: 0, best: -Infinity, bestEpoch: -1, bad: 0, schedule: schedule.state, history: [], seed: o.seed };
  let bestDev: Metrics = {};

  if (o.resume) {
    const ck = await loadCheckpoint(o.resume);
    const byName = new Map(ck.model.weights.map((w) => [w.originalName, w]));
    model.weights.forEach((w, i) => {
      const src = byName.get(w.originalName) ?? ck.model.weights[i];
      if (!src || !tf.util.arraysEqual(src.shape as number[], w.shape as number[])) {
        throw new Error(`${o.resume}: checkpoint does not match the model (weight ${w.originalName})`);
      }
      w.write(src.read());
    });
    await restoreOptimizer(optimizer, ck);
    st = ck.training;
    schedule.state = st.schedule as LrSchedule['state'];
    bestDev = (ck.artifacts.__bestDev as Metrics) ?? {};
    ck.model.weights.forEach((w) => w.read().dispose());
  }

  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const lastDir = o.outDir ? path.join(o.outDir, 'last') : undefined;
  const bestDir = o.outDir ? path.join(o.outDir, 'best') : undefined;
  const artifacts = (): Record<string, unknown> => ({ ...(spec.artifacts ?? {}), __bestDev: bestDev });
  const checkpoint = async (dir: string | undefined): Promise<void> => {
    if (dir) await saveCheckpoint(dir, model, optimizer, { ...st, schedule: schedule.state }, artifacts());
  };
  let referenceLoss = NaN; // mean loss of the first epoch, for the explosion check
  let stopped: TrainResult['stopped'] = 'completed';

  for (; st.epoch < o.epochs; st.epoch++, st.step = 0) {
    const epochStart = Date.now();
    const batches = spec.batches(st.epoch, o.seed);
    const totalSteps = o.epochs * batches.length;
    let lossSum = 0;
    let lossCount = 0;
    let examples = 0;
    for (; st.step < batches.length; st.step++) {
      const batch = batches[st.step];
      const lr = schedule.lr(st.epoch, st.globalStep, totalSteps);
      setLearningRate(optimizer, lr);
      seedDropout(mixSeed(o.seed, st.globalStep));
      const { value, grads } = tf.variableGrads(() => spec.loss(batch, true), vars);
      const loss = value.dataSync()[0];
      value.dispose();
      if (!Number.isFinite(loss) || (Number.isFinite(referenceLoss) && loss > o.divergenceRatio * referenceLoss)) {
        tf.dispose(Object.values(grads));
        throw new TrainingDivergedError(
          `training diverged at epoch ${st.epoch + 1}, step ${st.step + 1}: loss ${loss}` +
            (lastDir ? `; the last good checkpoint is ${lastDir}` : '') +
            ' (try a lower --lr or --clip-norm)',
        );
      }
      let clipped = o.clipValue > 0 ? clipByValue(grads, o.clipValue) : grads;
      const { grads: normed, norm } = clipByGlobalNorm(clipped, o.clipNorm > 0 ? o.clipNorm : Infinity);
      if (clipped !== grads) tf.dispose(Object.values(clipped));
      tf.dispose(Object.values(grads));
      clipped = normed;
      optimizer.applyGradients(clipped);
      tf.dispose(Object.values(clipped));
      st.globalStep++;
      lossSum += loss;
      lossCount++;
      const n = spec.batchSize(batch);
      examples += n;
      if (o.onStep) {
        const elapsed = (Date.now() - epochStart) / 1000;
        const eps = examples / Math.max(elapsed, 1e-3);
        const stepsLeft = batches.length - st.step - 1 + (o.epochs - st.epoch - 1) * batches.length;
        const paramNorm = Math.sqrt(vars.reduce((a, v) => a + tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]), 0));
        o.onStep({
          epoch: st.epoch,
          step: st.step,
          stepsInEpoch: batches.length,
          globalStep: st.globalStep,
          loss,
          gradNorm: norm,
          updateRatio: (lr * Math.min(norm, o.clipNorm > 0 ? o.clipNorm : Infinity)) / Math.max(paramNorm, 1e-12),
          lr,
          examplesPerSec: eps,
          etaSec: (stepsLeft * elapsed) / (st.step + 1),
        });
      }
      if (o.shouldStop?.()) {
        st.step++;
        await checkpoint(lastDir);
        stopped = 'interrupted';
        break;
      }
    }
    if (stopped === 'interrupted') break;
    const meanLoss = lossSum / Math.max(lossCount, 1);
    if (!Number.isFinite(referenceLoss)) referenceLoss = meanLoss;
    const dev = spec.evaluate ? await spec.evaluate() : {};
    const metricName = o.metric ?? Object.keys(dev)[0];
    const value = metricName !== undefined && dev[metricName] !== undefined ? sign * dev[metricName] : -meanLoss;
    schedule.observe(value);
    const isBest = value > st.best;
    if (isBest) {
      st.best = value;
      st.bestEpoch = st.epoch;
      st.bad = 0;
      bestDev = dev;
    } else st.bad++;
    const lr = schedule.lr(st.epoch, st.globalStep, o.epochs * batches.length);
    st.history.push({ epoch: st.epoch + 1, loss: meanLoss, lr, ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [`dev_${k}`, v])) });
    const earlyStop = o.patience > 0 && st.bad >= o.patience;
    // Checkpoints record the epoch to run next.
    st.epoch++;
    st.step = 0;
    if (isBest) await checkpoint(bestDir);
    await checkpoint(lastDir);
    st.epoch--;
    o.onEpoch?.({ epoch: st.epoch, loss: meanLoss, dev, best: isBest, lr, seconds: (Date.now() - epochStart) / 1000 });
    if (earlyStop) {
      stopped = 'early-stopping';
      st.epoch++;
      break;
    }
  }
  return { stopped, epochs: st.epoch, bestDev, bestEpoch: st.bestEpoch, history: st.history, lastDir, bestDir };
}
