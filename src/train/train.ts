/**
 * The training loop: one short flat loop in a fixed order, for any model, loss
 * and batches (see TrainSpec and TrainOptions in ./types):
 *
 *   per step:  lr → seed dropout → loss & grads (tf.variableGrads over the trainable
 *              weights: BPTT through the recurrent layers) → clip (measures the norm)
 *              → health check → optimizer.applyGradients → dispose → log → stop?
 *              (on logging steps the weights are kept before the step, to report
 *              the update actually applied, per layer: src/diagnostics/step_health)
 *   per epoch: dev evaluation → selection & schedule → health warnings
 *              → checkpoints (best, last) → early stopping / stop / time budget?
 *
 * A time budget (TrainOptions.timeBudget) that runs out mid-epoch ends the loop
 * like a stop request, then evaluates and keeps the better weights (budgetStop).
 *
 * Every random choice is a function of (seed, epoch, step), and the whole loop
 * state lives in `st` (saved as training.json), so a run stopped and resumed from
 * its checkpoint ends with bit-identical weights to an uninterrupted one.
 *
 * With `workers` > 1 only "loss & grads" changes: the batch is sharded over the
 * main thread and worker threads (./parallel) and the combined gradients come back;
 * everything else (clipping, optimizer, checkpoints) stays on the main thread.
 */
import * as fs from 'fs';
import { availableParallelism } from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initFromSafetensors } from '../interop/init_from';
import { seedDropout } from '../../layers/random';
import { EpochHealth, UpdateProbe, type UpdateMeasure } from '../diagnostics/step_health';
import { trainableNames } from '../diagnostics/weight_groups';
import { clipByGlobalNorm, clipByValue, globalNorm } from './clip';
import { readCarried, readEma, readTrainingState, restoreModelWeights, restoreOptimizer, saveCheckpoint, TrainingState } from './checkpoint';
import { CheckpointMismatchError, TrainingDivergedError, WorkerCrashedError } from './errors';
import { lossAndGrads } from './grads';
import { ReplicaPool } from './parallel';
import { makeOptimizer, setLearningRate } from './optimizers';
import { stepSeed } from './rng';
import { LrSchedule } from './schedules';
import { UserError } from '../errors';
import { makeDirs } from '../io/output_paths';
import { AUTO_WORKERS_CAP, AUTO_WORKERS_MIN_STEPS, autoWorkers } from './common';
import type { EpochInfo, LogRecord, MetricMode, Metrics, StepInfo, TrainOptions, TrainResult, TrainSpec } from './types';

// Also importable from here (the CLI and tasks did before ./index existed); prefer './index'.
export { TrainingDivergedError } from './errors';
export { mixSeed } from './rng';
export type { EpochInfo, LogRecord, StepInfo, TrainOptions, TrainResult } from './types';

/** The options with defaults applied. */
function resolveOptions(options: TrainOptions) {
  const o = {
    optimizer: 'adam' as const,
    lr: 1e-3,
    momentum: 0,
    clipNorm: 0,
    clipValue: 0,
    ema: 0,
    patience: 0,
    checkpointEvery: 0,
    logEvery: 10,
    workers: 1,
    ...options,
    mode: options.mode ?? 'auto',
    maxDivergenceRatio: options.maxDivergenceRatio ?? 100,
  };
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) throw new Error(`epochs must be a non-negative integer, got ${String(o.epochs)}`);
  if (!(Number.isInteger(o.patience) && o.patience >= 0)) throw new Error(`patience must be a non-negative integer, got ${String(o.patience)}`);
  if (!(o.clipNorm >= 0) || !(o.clipValue >= 0)) throw new Error(`clipNorm and clipValue must be ≥ 0 (0 disables), got ${o.clipNorm}, ${o.clipValue}`);
  if (!(o.ema >= 0 && o.ema < 1)) throw new Error(`ema must be in [0, 1) (0 disables), got ${o.ema}`);
  if (!(o.maxDivergenceRatio >= 0)) throw new Error(`maxDivergenceRatio must be ≥ 0 (0 disables), got ${o.maxDivergenceRatio}`);
  if (o.workers !== 'auto' && !(Number.isInteger(o.workers) && o.workers >= 1)) throw new Error(`workers must be a positive integer or 'auto', got ${String(o.workers)}`);
  if (o.timeBudget !== undefined && !(o.timeBudget >= 0)) throw new Error(`timeBudget must be ≥ 0 seconds (0 disables), got ${String(o.timeBudget)}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new Error(`seed must be an integer, got ${String(options.seed)}`);
  const signal = options.signal;
  const stopRequested = (): boolean => Boolean(signal?.aborted);
  return { ...o, stopRequested };
}

/** Keras' rule for mode 'auto': lower is better for losses and errors. */
function resolveMode(mode: MetricMode, metric: string | null): 'max' | 'min' {
  if (mode !== 'auto') return mode;
  return metric === null || /loss|err|perplexity|ppl|mse|mae|rmse|wer|cer/i.test(metric) ? 'min' : 'max';
}

/**
 * The loop state: what checkpoints save, plus the clipped steps of the epoch in
 * progress (so a mid-epoch resume reports the same clip fraction) and the worker
 * count of the run (so a resumed 'auto' run keeps the rounding it had).
 */
type LoopState = TrainingState & { epochClipped?: number; workers?: number };

function freshState(seed: number, metric: string | null, mode: MetricMode, schedule: LrSchedule): LoopState {
  return {
    epoch: 0, step: 0, globalStep: 0, seed,
    metric, mode: resolveMode(mode, metric), best: null, bestEpoch: -1, bestDev: {}, bad: 0,
    referenceLoss: null, epochLossSum: 0, epochSteps: 0, epochClipped: 0,
    schedule: schedule.state, history: [],
  };
}

/** Train `spec.model` on `spec`'s batches. Throws TrainingDivergedError on NaN/Inf or an exploding loss. */
export async function train<B>(spec: TrainSpec<B>, options: TrainOptions): Promise<TrainResult> {
  const o = resolveOptions(options);
  const startedAt = Date.now();
  const budgetMs = o.timeBudget !== undefined && o.timeBudget > 0 ? o.timeBudget * 1000 : Infinity;
  const overBudget = (): boolean => Date.now() - startedAt >= budgetMs;
  const budgetLeftSec = (): number | undefined => (budgetMs < Infinity ? (budgetMs - (Date.now() - startedAt)) / 1000 : undefined);
  const model = spec.model;
  const optimizer = makeOptimizer({ name: o.optimizer, lr: o.lr, momentum: o.momentum });
  const schedule = new LrSchedule(o.lr, o.schedule);
  let st = freshState(o.seed ?? 1, o.metric ?? null, o.mode, schedule);
  if (o.resume) st = await resume(spec, optimizer, schedule, o.resume, o.seed, o.metric, o.optimizer);
  else if (o.initFrom) {
    const loaded = initFromSafetensors(model, o.initFrom);
    o.onNote?.(`--init-from ${o.initFrom}: ${loaded} tensors loaded`);
  }
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // Applied-update measurement on logging steps, when anyone listens (the epoch's warnings need it too).
  const probe = o.onStep || o.onLog || o.onEpochEnd ? new UpdateProbe(vars, trainableNames(model.trainableWeights)) : null;
  const health = new EpochHealth();
  const ema = o.ema > 0 ? new WeightAverage(vars, o.ema, o.resume ? readEma(o.resume) : null, st.emaUpdates ?? 0) : null;
  const lastDir = o.checkpointDir ? path.join(o.checkpointDir, 'last') : undefined;
  const bestDir = o.checkpointDir ? path.join(o.checkpointDir, 'best') : undefined;
  if (o.resume && bestDir && st.bestEpoch >= 0) carryBest(path.join(path.dirname(path.resolve(o.resume)), 'best'), bestDir);
  const log = (r: LogRecord): void => o.onLog?.(r);
  const config = {
    task: spec.config ?? {},
    training: JSON.parse(JSON.stringify({ ...options, resume: undefined, signal: undefined })) as Record<string, unknown>,
    backend: tf.getBackend(),
    tfjs: tf.version.tfjs,
  };
  const save = async (kind: 'last' | 'best'): Promise<void> => {
    const dir = kind === 'last' ? lastDir : bestDir;
    if (!dir) return;
    const training = { ...st, schedule: schedule.state, ...(ema ? { emaUpdates: ema.updates } : {}) };
    await saveCheckpoint(dir, { model, optimizer, training, artifacts: spec.artifacts, config, carried: spec.carried?.get(), ema: ema?.shadow });
    log({ type: 'checkpoint', dir, kind, epoch: st.epoch, step: st.step, globalStep: st.globalStep });
  };
  let stopped: TrainResult['stopped'] = 'completed';
  let started = false;
  let pool: ReplicaPool | null = null;
  let workers = 1;

  try {
    while (st.epoch < o.epochs && stopped === 'completed') {
      let epochStart = Date.now();
      const batches = spec.batches(st.epoch, st.seed);
      if (!batches.length) throw new Error(`TrainSpec.batches returned no batches for epoch ${st.epoch + 1}`);
      const totalSteps = o.epochs * batches.length;
      const firstStep = st.step;
      let examples = 0;
      health.restoreCounts(st.epochSteps, st.epochClipped ?? 0);
      let lastLr = o.lr;
      if (!started) {
        workers = chooseWorkers(spec, o.workers, st.workers, o.epochs * batches.length - st.globalStep, spec.batchSize(batches[0]), o.onNote);
        st.workers = workers;
        if (workers > 1) pool = await startWorkers(spec, workers, vars);
        epochStart = Date.now(); // examples/s and the ETA leave out the threads' start-up
      }
      if (!started) log({ type: 'start', backend: tf.getBackend(), workers, epochs: o.epochs, stepsPerEpoch: batches.length, seed: st.seed, resumedFrom: o.resume, epoch: st.epoch, step: st.step });
      started = true;

      while (st.step < batches.length) {
        const batch = batches[st.step];
        // 1. learning rate
        const lr = schedule.lr(st.epoch, st.globalStep, totalSteps);
        setLearningRate(optimizer, lr);
        lastLr = lr;
        const logging = (st.globalStep + 1) % Math.max(1, o.logEvery) === 0 || st.step + 1 === batches.length;
        // 2. forward + backward (on one thread, or sharded over the workers)
        const { loss, grads } = pool ? await parallelStep(pool, spec, batch, st, save, lastDir) : localStep(spec, batch, st, vars);
        // 3. clip (by value, then by global norm; the norm is measured either way)
        const byValue = o.clipValue > 0 ? clipByValue(grads, o.clipValue) : grads;
        const { grads: clipped, norm } = clipByGlobalNorm(byValue, o.clipNorm > 0 ? o.clipNorm : Infinity);
        const wasClipped = o.clipNorm > 0 && norm > o.clipNorm;
        if (probe && logging) probe.begin(byValue);
        tf.dispose(Object.values(grads));
        if (byValue !== grads) tf.dispose(Object.values(byValue));
        // 4. health: never apply a NaN/Inf or exploding step
        st.referenceLoss ??= Number.isFinite(loss) ? loss : null;
        const ref = st.referenceLoss;
        const exploded = o.maxDivergenceRatio > 0 && ref !== null && ref > 0 && loss > o.maxDivergenceRatio * ref;
        if (!Number.isFinite(loss) || !Number.isFinite(norm) || exploded) {
          tf.dispose(Object.values(clipped));
          probe?.release();
          const message =
            `training diverged at epoch ${st.epoch + 1}, step ${st.step + 1}: loss ${loss}, gradient norm ${norm}` +
            (exploded ? ` (more than ${o.maxDivergenceRatio}× the first loss ${ref})` : '') +
            (lastDir ? `; the last good checkpoint is ${lastDir}` : '') +
            ' (try a lower lr, or clipNorm)';
          log({ type: 'diverged', message, epoch: st.epoch, step: st.step, loss, gradNorm: norm });
          throw new TrainingDivergedError(message, st.epoch, st.step, loss, norm, lastDir);
        }
        // 5. optimizer step
        optimizer.applyGradients(clipped);
        tf.dispose(Object.values(clipped));
        const measured = probe && logging ? probe.end() : undefined;
        health.step(wasClipped, measured);
        if (wasClipped) st.epochClipped = (st.epochClipped ?? 0) + 1;
        ema?.update();
        st.step++;
        st.globalStep++;
        st.epochLossSum += loss;
        st.epochSteps++;
        examples += spec.batchSize(batch);
        // 6. log
        const logThis = o.onLog !== undefined && logging;
        if (o.onStep || logThis) {
          const info = stepInfo(st, batches.length, o.epochs, loss, norm, wasClipped, lr, vars, measured, examples, epochStart, st.step - firstStep, budgetLeftSec());
          o.onStep?.(info);
          if (logThis) log({ type: 'step', ...info });
        }
        // 7. stop request (let signal handlers run first) / periodic checkpoint
        await yieldToEventLoop();
        if (o.stopRequested()) {
          stopped = 'interrupted';
          break;
        }
        // (a budget crossed on the epoch's last step ends the epoch normally first, below)
        if (st.step < batches.length && overBudget()) {
          stopped = 'time-budget';
          break;
        }
        if (o.checkpointEvery > 0 && st.globalStep % o.checkpointEvery === 0 && st.step < batches.length) await save('last');
      }
      if (stopped === 'interrupted') {
        await save('last');
        break;
      }
      if (stopped === 'time-budget') {
        await budgetStop();
        break;
      }

      // End of epoch: evaluate, select, schedule, checkpoint.
      spec.onEpochDone?.(st.epoch, batches);
      const meanLoss = st.epochLossSum / Math.max(st.epochSteps, 1);
      await yieldToEventLoop();
      ema?.applyToWeights();
      const dev: Metrics = spec.evaluate ? await spec.evaluate() : {};
      st.metric ??= Object.keys(dev)[0] ?? null;
      st.mode = resolveMode(o.mode, st.metric);
      const value = selectionValue(st.metric, dev, meanLoss, spec.evaluate !== undefined);
      schedule.observe(st.mode === 'max' ? value : -value);
      const isBest = Number.isFinite(value) && (st.best === null || (st.mode === 'max' ? value > st.best : value < st.best));
      if (isBest) {
        st.best = value;
        st.bestEpoch = st.epoch;
        st.bestDev = dev;
        st.bad = 0;
      } else st.bad++;
      const lr = schedule.lr(st.epoch + 1, st.globalStep, totalSteps);
      const h = health.summary(st.epoch, lastLr, o.clipNorm);
      health.reset();
      const entry = { epoch: st.epoch + 1, loss: meanLoss, lr, clipFraction: h.clipFraction, ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [`dev_${k}`, v])) };
      st.history.push(entry);
      const info: EpochInfo = {
        epoch: st.epoch, loss: meanLoss, dev, best: isBest, lr, seconds: (Date.now() - epochStart) / 1000,
        clipFraction: h.clipFraction, ...(Object.keys(h.layers).length > 0 ? { layers: h.layers } : {}), warnings: h.warnings,
      };
      // The checkpoint records the position to continue from: the next epoch's first step.
      st.epoch++;
      st.step = 0;
      st.epochLossSum = 0;
      st.epochSteps = 0;
      st.epochClipped = 0;
      if (isBest) await save('best');
      await save('last');
      o.onEpochEnd?.(info);
      log({ type: 'epoch', ...info });
      for (const message of info.warnings) log({ type: 'warning', message, epoch: info.epoch });
      if (o.patience > 0 && st.bad >= o.patience) stopped = 'early-stopping';
      else if (o.stopRequested() && st.epoch < o.epochs) stopped = 'interrupted';
      else if (overBudget() && st.epoch < o.epochs) stopped = 'time-budget';
    }
  } finally {
    probe?.release();
    optimizer.dispose();
    ema?.dispose();
    await pool?.close();
  }
  log({ type: 'stop', reason: stopped, epoch: st.epoch, step: st.step, globalStep: st.globalStep });
  return {
    stopped,
    epochs: st.epoch,
    globalStep: st.globalStep,
    bestDev: st.bestDev,
    bestEpoch: st.bestEpoch,
    metric: st.metric ?? 'loss',
    bestValue: st.best ?? NaN,
    history: st.history,
    workers,
    lastDir,
    bestDir,
  };

  /**
   * The time budget ran out mid-epoch: DIR/last at this position first (the
   * training weights, so --resume continues exactly), then the evaluation an epoch
   * end would do (on the weight average with ema) and DIR/best when it beats the
   * best so far. That best is recorded in DIR/last too (a resumed run never
   * replaces it with a worse one); epochs-without-improvement and the plateau
   * schedule see only epoch ends.
   */
  async function budgetStop(): Promise<void> {
    await save('last');
    if (!spec.evaluate && !bestDir) return;
    const kept = ema ? vars.map((v) => v.clone()) : null;
    ema?.applyToWeights();
    const dev: Metrics = spec.evaluate ? await spec.evaluate() : {};
    st.metric ??= Object.keys(dev)[0] ?? null;
    st.mode = resolveMode(o.mode, st.metric);
    const value = selectionValue(st.metric, dev, st.epochLossSum / Math.max(st.epochSteps, 1), spec.evaluate !== undefined);
    const isBest = Number.isFinite(value) && (st.best === null || (st.mode === 'max' ? value > st.best : value < st.best));
    if (isBest) {
      st.best = value;
      st.bestEpoch = st.epoch;
      st.bestDev = dev;
      await save('best');
    }
    if (kept) {
      vars.forEach((v, i) => v.assign(kept[i]));
      tf.dispose(kept);
    }
    if (isBest) await save('last');
    log({ type: 'budget', epoch: st.epoch, step: st.step, dev, best: isBest, seconds: (Date.now() - startedAt) / 1000 });
  }
}

/**
 * The thread count of a run. 'auto': the checkpoint's count on resume, else the
 * cores (capped), and 1 with a note when the spec has no replica, carries states,
 * or the run is too short to repay starting threads. A number is taken as given
 * (startWorkers refuses it when the spec cannot run it).
 */
function chooseWorkers<B>(
  spec: TrainSpec<B>, requested: number | 'auto', resumed: number | undefined, stepsLeft: number, rows: number, note?: (m: string) => void,
): number {
  const task = typeof spec.artifacts?.task === 'string' ? `task '${spec.artifacts.task}'` : 'this TrainSpec';
  const parallel = Boolean(spec.replica && spec.shard);
  if (requested !== 'auto') {
    if (resumed !== undefined && resumed !== requested) {
      note?.(`workers ${requested} (the checkpoint ran with ${resumed}): the float32 rounding will differ from an uninterrupted run`);
    } else if (requested > 1) note?.(`workers ${requested}`);
    return requested;
  }
  if (!parallel) {
    note?.(`workers 1 (auto: ${task} has no data-parallel replica)`);
    return 1;
  }
  if (resumed !== undefined) {
    note?.(`workers ${resumed} (auto on resume: the checkpoint's count, so the rounding continues; --workers n to change it)`);
    return resumed;
  }
  if (spec.autoWorkersCap === 1) {
    note?.(`workers 1 (auto: the steps of ${task} are too short for a second thread to pay; --workers 2 runs it anyway)`);
    return 1;
  }
  const cores = availableParallelism();
  const n = Math.min(autoWorkers(stepsLeft, rows), spec.autoWorkersCap ?? Infinity);
  const why = stepsLeft < AUTO_WORKERS_MIN_STEPS ? `a ${stepsLeft}-step run does not repay starting threads` : `${cores} cores${cores > AUTO_WORKERS_CAP ? `, at most ${AUTO_WORKERS_CAP}` : ''}`;
  note?.(`workers ${n} (auto: ${why}; --workers 1 gives the same run on every machine)`);
  return n;
}

/** Loss and gradients of a batch on this thread. */
function localStep<B>(spec: TrainSpec<B>, batch: B, st: TrainingState, vars: tf.Variable[]): { loss: number; grads: tf.NamedTensorMap } {
  seedDropout(stepSeed(st.seed, st.epoch, st.step));
  const { value, grads } = lossAndGrads(() => spec.loss(batch, true), vars);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads };
}

/** Starts the data-parallel workers (TrainOptions.workers > 1) after checking the spec supports them. */
async function startWorkers<B>(spec: TrainSpec<B>, workers: number, vars: tf.Variable[]): Promise<ReplicaPool> {
  const task = typeof spec.artifacts?.task === 'string' ? `task '${spec.artifacts.task}'` : 'this TrainSpec';
  if (!spec.replica || !spec.shard) {
    throw new UserError(`workers ${workers}: ${task} does not support data-parallel training (it needs TrainSpec.replica and TrainSpec.shard); use workers 1`, 2);
  }
  return ReplicaPool.start(workers - 1, spec.replica, vars);
}

/**
 * Loss and gradients of a batch over the workers. A failed worker ends the run:
 * nothing of the step was applied, so DIR/last is saved at the step's start
 * (resuming from it loses nothing) and the error says where.
 */
async function parallelStep<B>(
  pool: ReplicaPool, spec: TrainSpec<B>, batch: B, st: TrainingState, save: (kind: 'last') => Promise<void>, lastDir: string | undefined,
): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
  pool.position = ` at epoch ${st.epoch + 1}, step ${st.step + 1}`;
  try {
    return await pool.lossAndGrads(spec, batch, stepSeed(st.seed, st.epoch, st.step));
  } catch (e) {
    if (!(e instanceof WorkerCrashedError)) throw e;
    let where = '';
    if (lastDir) {
      try {
        await save('last');
        where = `; the state before this step is saved in ${lastDir} (resume from it)`;
      } catch (saveError) {
        where = `; saving ${lastDir} also failed (${(saveError as Error).message}), the last good checkpoint there is kept`;
      }
    }
    throw new WorkerCrashedError(`${e.message}${where}`, e.worker, lastDir);
  }
}

/** Exponential moving average of the trainable weights (TrainOptions.ema). */
class WeightAverage {
  readonly shadow: tf.Variable[];
  constructor(private readonly vars: tf.Variable[], private readonly decay: number, restored: tf.Tensor[] | null, public updates: number) {
    if (restored && restored.length !== vars.length) {
      tf.dispose(restored);
      throw new CheckpointMismatchError(`the checkpoint's weight average has ${restored.length} tensors, the model ${vars.length} trainable weights`);
    }
    const init = restored ?? vars.map((v) => v.clone());
    this.shadow = init.map((t) => tf.variable(t, false));
    tf.dispose(init);
  }
  /** Folds the current weights into the average. */
  update(): void {
    const d = Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
    this.updates++;
    tf.tidy(() => this.shadow.forEach((s, i) => s.assign(tf.add(tf.mul(s, d), tf.mul(this.vars[i], 1 - d)))));
  }
  /** The weights become the average (before evaluation and checkpoints). */
  applyToWeights(): void {
    this.vars.forEach((v, i) => v.assign(this.shadow[i]));
  }
  dispose(): void {
    tf.dispose(this.shadow);
  }
}

/**
 * Lets queued macrotasks run: process signal handlers (the CLI's SIGINT), timers,
 * progress-bar redraws. A step is synchronous tf work, so without this a Ctrl-C
 * would only be seen after the whole run.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** The value of the selection metric for an epoch (the training loss when there is none). */
function selectionValue(metric: string | null, dev: Metrics, meanLoss: number, evaluated: boolean): number {
  if (metric === null || (metric === 'loss' && !evaluated)) return meanLoss;
  if (!(metric in dev)) {
    throw new Error(`selection metric '${metric}' is not among the dev metrics (${Object.keys(dev).join(', ') || 'none: the task has no evaluate()'})`);
  }
  return dev[metric];
}

/** The health numbers of a step (one extra reduction over the weights, unless the step was measured). */
function stepInfo(
  st: TrainingState, stepsInEpoch: number, epochs: number, loss: number, norm: number, clipped: boolean, lr: number,
  vars: tf.Variable[], measured: UpdateMeasure | undefined, examples: number, epochStart: number, stepsDone: number,
  budgetLeftSec: number | undefined,
): StepInfo {
  let paramNorm: number;
  if (measured) paramNorm = measured.paramNorm;
  else {
    const pn = globalNorm(vars);
    paramNorm = pn.dataSync()[0];
    pn.dispose();
  }
  const elapsed = Math.max((Date.now() - epochStart) / 1000, 1e-3);
  const stepsLeft = stepsInEpoch - st.step + (epochs - st.epoch - 1) * stepsInEpoch;
  return {
    epoch: st.epoch,
    step: st.step - 1,
    stepsInEpoch,
    globalStep: st.globalStep,
    loss,
    gradNorm: norm,
    clipped,
    paramNorm,
    gradParamRatio: norm / Math.max(paramNorm, 1e-12),
    ...(measured ? { updateRatio: measured.updateRatio, layers: measured.layers } : {}),
    lr,
    examplesPerSec: examples / elapsed,
    etaSec: (stepsLeft * elapsed) / Math.max(stepsDone, 1),
    ...(budgetLeftSec !== undefined ? { budgetLeftSec } : {}),
  };
}

/**
 * A run resumed from OLD/last into a new --out keeps the best checkpoint it had: OLD/best
 * is copied to OUT/best (through a temporary folder and a rename, so a crash leaves no
 * half copy) when OUT has none, so "predict with OUT/best" holds after any resume.
 */
function carryBest(from: string, to: string): void {
  if (path.resolve(from) === path.resolve(to) || fs.existsSync(to) || !fs.existsSync(from)) return;
  const tmp = `${to}.tmp-${process.pid}`;
  makeDirs(path.dirname(to));
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(from, tmp, { recursive: true });
  fs.renameSync(tmp, to);
}

/** Restores weights, optimizer slots, carried tensors and loop state from a checkpoint; returns the loop state. */
async function resume<B>(
  spec: TrainSpec<B>, optimizer: tf.Optimizer, schedule: LrSchedule, dir: string,
  seed: number | undefined, metric: string | undefined, optimizerName: string,
): Promise<LoopState> {
  const st: LoopState = readTrainingState(dir);
  if (metric !== undefined && st.metric !== null && metric !== st.metric) {
    throw new CheckpointMismatchError(`${dir}: the checkpoint's run selects on '${st.metric}', not '${metric}' (its best value would not compare)`);
  }
  if (seed !== undefined && seed !== st.seed) {
    throw new CheckpointMismatchError(`${dir}: the checkpoint's run used seed ${st.seed}, not ${seed} (resume with the same seed, or omit it)`);
  }
  await restoreModelWeights(spec.model, dir);
  try {
    await restoreOptimizer(optimizer, dir);
  } catch (e) {
    if (e instanceof CheckpointMismatchError) throw new CheckpointMismatchError(`${e.message}; this run asked for '${optimizerName}'`);
    throw e;
  }
  const carried = readCarried(dir);
  if (carried) {
    if (!spec.carried) throw new CheckpointMismatchError(`${dir}: the checkpoint carries states between batches but this task does not (TrainSpec.carried)`);
    spec.carried.set(carried);
  }
  schedule.state = st.schedule;
  return st;
}
