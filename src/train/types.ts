/**
 * Contract of the training engine (src/train/). Task pipelines (tasks/*) build a
 * TrainSpec and call `train(spec, options)` (src/train/train.ts), with options
 * made from their config by engineOptions() (src/train/common.ts); the CLI
 * (cli/train.ts) builds that config from a task's options and draws what the
 * callbacks report.
 */
import type * as tf from '@tensorflow/tfjs';
import type { EpochHealthSummary, LayerHealth } from '../diagnostics/step_health';
import type { OptimizerName } from './optimizers';
import type { ScheduleOptions } from './schedules';

/** Metrics by name, e.g. { accuracy: 0.78, macroF1: 0.77, loss: 0.45 }. */
export type Metrics = Record<string, number>;

/** What a task hands to the engine: a model, a loss, and data. Generic in the batch type B. */
export interface TrainSpec<B> {
  /** The model whose trainable weights are optimized (also what checkpoints save). */
  model: tf.LayersModel;
  /**
   * Scalar loss for one batch, computed with the model's layers. Called inside
   * tf.variableGrads by the engine (so inside a tidy); `training` enables dropout.
   */
  loss: (batch: B, training: boolean) => tf.Scalar;
  /**
   * The training batches of one epoch, in order. Must be a pure function of
   * (epoch, seed) so that a resumed run sees exactly the batches an uninterrupted
   * run would; the engine skips the batches already done in the resumed epoch.
   * (`seededPermutation(n, seed, epoch)` from ./rng gives a suitable order.)
   */
  batches: (epoch: number, seed: number) => B[];
  /** Number of examples in a batch (for examples/s). */
  batchSize: (batch: B) => number;
  /** Dev-set evaluation, run after every epoch; returns metrics by name. */
  evaluate?: () => Metrics | Promise<Metrics>;
  /** Extra JSON-serializable state the task needs to predict (vocabulary, config, label names...), saved in every checkpoint. */
  artifacts?: Record<string, unknown>;
  /** JSON-serializable task/model configuration, saved with the training options as the checkpoint's config.json. */
  config?: Record<string, unknown>;
  /**
   * Tensors the task carries from one batch to the next (the recurrent states of
   * truncated BPTT over a long stream, see `CarriedStates` in ./tbptt). Saved in
   * checkpoints and restored on resume, so a resumed stream continues exactly.
   */
  carried?: CarriedTensors;
  /** Called after the last step of every epoch, e.g. to free the epoch's batch tensors or reset carried states. */
  onEpochDone?: (epoch: number, batches: B[]) => void;
  /**
   * Data-parallel training (TrainOptions.workers > 1): how a worker thread builds
   * its copy of the model and loss. The engine overwrites the replica's trainable
   * weights with the main model's before every step, so only the architecture
   * (trainable weights in the same order and shapes) must match, not the init.
   */
  replica?: ReplicaSource;
  /**
   * Data-parallel training: shard `i` of `n` of a batch (i = 0 runs on the main
   * thread with `loss`, the others in workers with the replica's loss, so shards
   * i ≥ 1 must be structured-cloneable: plain arrays and typed arrays, no tensors).
   * An empty shard (lossWeight 0) is skipped. `shardRows` in ./parallel splits
   * every per-example array field of a batch.
   */
  shard?: (batch: B, i: number, n: number) => B;
  /**
   * Data-parallel training: the denominator of the loss's mean over a (sharded)
   * batch, so shard gradients combine as Σ wᵢ·gᵢ with wᵢ = lossWeight(shardᵢ) /
   * Σ lossWeight (exactly the full-batch mean gradient). Default batchSize; a loss
   * averaged over tokens should return the shard's token count.
   */
  lossWeight?: (batch: B) => number;
  /**
   * Data-parallel training: the most threads `workers: 'auto'` picks for this
   * spec (default: no limit beyond the engine's cap). 1 for a model whose steps
   * are too small for a second thread to pay (bench/workers.js shows it: the
   * exchange costs more than the shard saves); an explicit count still runs.
   */
  autoWorkersCap?: number;
}

/**
 * A task's data-parallel part, what its replica.ts returns and its train.ts spreads
 * into the TrainSpec (`...translateParallel(args)`): any task, built in or plugged
 * in, gets workers by providing these three (docs/workers.md, "The contract").
 */
export type DataParallel<B> = Required<Pick<TrainSpec<B>, 'replica' | 'shard'>> & Pick<TrainSpec<B>, 'lossWeight' | 'autoWorkersCap'>;

/** Where a worker thread finds a task's replica builder: `require(module)[exportName](args)`. */
export interface ReplicaSource {
  /** Absolute path of a module the worker can require (typically the task's replica.ts/.js: pass `__filename` or a path.join(__dirname, ...)). */
  module: string;
  /** Name of the exported builder. Default 'buildReplica'. */
  exportName?: string;
  /** Structured-cloneable arguments for the builder (the task config, vocabulary size...). */
  args?: unknown;
}

/** What a replica builder returns (possibly as a Promise): the model and loss of one worker thread. */
export interface Replica<B> {
  model: tf.LayersModel;
  /** Same contract as TrainSpec.loss, on the shards this worker receives. */
  loss: (batch: B, training: boolean) => tf.Scalar;
  /**
   * With TrainSpec.carried: the replica's carried states, which its loss reads and
   * carries like the main thread's. Before each step the engine sets them to the
   * rows of this shard's tracks (the main thread's carried tensors split along
   * axis 0 with shardRange, so TrainSpec.shard must split tracks the same way) and
   * afterwards sends their final values back, where they are concatenated in shard
   * order: the main thread always holds every track's states (checkpoints, resume).
   */
  carried?: CarriedTensors;
}

/** Tensors a task carries between batches (see TrainSpec.carried). */
export interface CarriedTensors {
  /** The current tensors by name (the engine does not dispose them). */
  get(): tf.NamedTensorMap;
  /** Replace them with restored values (ownership passes to the task). */
  set(values: tf.NamedTensorMap): void;
}

/** Which direction of the selection metric is better. 'auto': min for names containing loss/error/perplexity/mse/mae/rmse, else max (as Keras does). */
export type MetricMode = 'max' | 'min' | 'auto';

/** Something that says when to stop: an AbortSignal, or the engine's StopSignal. */
export interface StopFlag {
  readonly aborted: boolean;
}

/** How the engine trains. Only `epochs` is required. */
export interface TrainOptions {
  /** Epochs to train (an upper bound when early stopping). The batch size is the task's (TrainSpec.batches). */
  epochs: number;
  /** Optimizer: 'adam' | 'sgd' | 'rmsprop' | 'adagrad'. Default 'adam'. */
  optimizer?: OptimizerName;
  /** Base learning rate. Default 1e-3. */
  lr?: number;
  /** Momentum: sgd (0 = plain SGD) and rmsprop. Default 0. */
  momentum?: number;
  /** Learning-rate schedule (constant, step, cosine, plateau; optional warm-up). Default constant. */
  schedule?: ScheduleOptions;
  /** Rescale gradients to this global L2 norm when above it; 0 disables. Default 0. */
  clipNorm?: number;
  /**
   * Weight averaging: keep an exponential moving average of the trainable weights
   * (this decay per step, warmed up as min(decay, (1+n)/(10+n)) after n updates);
   * 0 disables. At every evaluation the weights become the average, which is what
   * is evaluated and checkpointed, and training continues from it (lookahead-style).
   * The average is checkpointed, so a resumed run continues it exactly. Default 0.
   */
  ema?: number;
  /** Clamp every gradient element to ±clipValue (applied before clipNorm); 0 disables. Default 0. */
  clipValue?: number;
  /** Seed of all the run's randomness: batch order (passed to TrainSpec.batches) and dropout masks, mixed with (epoch, step). Default 1; on resume, the checkpoint's. */
  seed?: number;
  /** Dev metric selecting the best checkpoint and driving early stopping / plateau. Default the first metric evaluate() returns, or the training loss without evaluate. */
  metric?: string;
  /** Direction of `metric`. Default 'auto'. */
  mode?: MetricMode;
  /** Stop after this many epochs without dev improvement; 0 disables. Default 0. */
  patience?: number;
  /** Checkpoint directory: DIR/last (every epoch, and on stop) and DIR/best (best dev metric). Omit to keep nothing on disk. */
  checkpointDir?: string;
  /** Also save DIR/last every this many steps (long epochs); 0 = at epoch ends only. Default 0. */
  checkpointEvery?: number;
  /** Resume from this checkpoint directory (typically DIR/last): weights, optimizer slots, position, schedule, history. */
  resume?: string;
  /** Start from the weights of this PyTorch state dict (.safetensors with the model's names; src/interop/init_from.ts); ignored on resume. */
  initFrom?: string;
  /** Stop with TrainingDivergedError when a step's loss exceeds this multiple of the run's first loss (NaN/Inf always stop); 0 disables the ratio check. Default 100. */
  maxDivergenceRatio?: number;
  /** Cooperative stop: checked after every step; when set the loop finishes the step, saves DIR/last, and returns `stopped: 'interrupted'`. */
  signal?: StopFlag;
  /** Called after every step with its health numbers (cheap: no extra tensor work when omitted). */
  onStep?: (info: StepInfo) => void;
  /** Called after every epoch with its dev metrics. */
  onEpochEnd?: (info: EpochInfo) => void;
  /** Structured log records (one JSON line each for `--json` output). */
  onLog?: (record: LogRecord) => void;
  /**
   * Logging steps: every this many global steps and the last step of every epoch.
   * A 'step' log record is emitted on them (with onLog), and, when onStep, onLog or
   * onEpochEnd is given, the applied update ratio and the per-layer figures are measured on
   * them (StepInfo.updateRatio / .layers; a copy of the weights before the step,
   * on those steps only). Default 10.
   */
  logEvery?: number;
  /**
   * Data-parallel training over this many threads: every batch is split into
   * `workers` shards (TrainSpec.shard); the main thread computes shard 0 and
   * workers − 1 worker_threads (each holding a TrainSpec.replica) the others; the
   * gradients are combined exactly (shard-size weights, fixed order: bitwise
   * reproducible for a given worker count) and the main thread steps the
   * optimizer. Needs TrainSpec.replica and .shard (and Replica.carried with TrainSpec.carried). Default 1.
   *
   * 'auto': os.availableParallelism(), at most AUTO_WORKERS_CAP (./common) and the
   * examples of a batch, and 1 for runs under AUTO_WORKERS_MIN_STEPS steps or a spec
   * without a replica (with a note, never an error). On resume, 'auto' keeps the
   * checkpoint's count (training.json `workers`); an explicit different count is
   * allowed and noted (the float32 rounding then differs from the uninterrupted run).
   * The count used is in the 'start' log record and TrainResult.workers.
   */
  workers?: number | 'auto';
  /**
   * Training-time budget of this call, in seconds (0/absent: none). The loop
   * stops after the step that crosses it: DIR/last is saved at that position (so
   * resume continues the run exactly), the current weights are evaluated (the
   * weight average with `ema`) and saved as DIR/best when better than the best so
   * far; TrainResult.stopped is 'time-budget'. The budget counts from this call's
   * start, so a resumed run gets a fresh one. StepInfo.budgetLeftSec shows what is left.
   */
  timeBudget?: number;
  /** One-line notes for the user (the worker count chosen, a resumed run's worker count). */
  onNote?: (message: string) => void;

}

/** Health of one optimizer step. */
export interface StepInfo {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based step within the epoch. */
  step: number;
  stepsInEpoch: number;
  /** Optimizer steps taken so far (after this one). */
  globalStep: number;
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Whether global-norm clipping rescaled this step's gradients (gradNorm > clipNorm > 0). */
  clipped: boolean;
  /** Global L2 norm of the trainable weights after the step. */
  paramNorm: number;
  /** ‖g‖ / ‖θ‖ (char-rnn's health number). */
  gradParamRatio: number;
  /**
   * Logging steps only (TrainOptions.logEvery): the update the optimizer applied,
   * ‖θ_after − θ_before‖ / ‖θ_before‖ over all trainable weights, for any
   * optimizer (with Adam about lr per weight whatever the gradient; ~1e-3 is
   * healthy, below 1e-5 the weights barely move, above 1e-1 they thrash).
   * Undefined on the other steps.
   */
  updateRatio?: number;
  /**
   * Logging steps only: per weight group (embedding, each recurrent layer and
   * direction, attention, output...; see src/diagnostics/weight_groups), its
   * gradient norm (before norm clipping) and applied update ratio.
   */
  layers?: Record<string, LayerHealth>;
  lr: number;
  /** Training examples per second in this epoch so far. */
  examplesPerSec: number;
  /** Estimated seconds left in the run (all epochs), excluding evaluation. */
  etaSec: number;
  /** With TrainOptions.timeBudget: seconds of the budget left (≤ 0: the run stops after this step). */
  budgetLeftSec?: number;
}

/** Summary of one epoch. */
export interface EpochInfo {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's steps (this process's steps when resumed mid-epoch). */
  loss: number;
  dev: Metrics;
  /** Whether this epoch is the best so far (and DIR/best was written). */
  best: boolean;
  lr: number;
  seconds: number;
  /** Fraction of the epoch's steps where global-norm clipping fired (0 without clipNorm). */
  clipFraction: number;
  /** Per weight group over the epoch's logging steps (mean gradient norm, geometric-mean / min / max update ratio); absent when no step was measured. */
  layers?: EpochHealthSummary['layers'];
  /** Health warnings of the epoch (a layer's update ratio below 1e-5 or above 1e-1 all epoch, more than half the steps clipped), one line each. */
  warnings: string[];
}

/** One structured log line. */
export type LogRecord =
  | ({ type: 'step' } & StepInfo)
  | ({ type: 'epoch' } & EpochInfo)
  | { type: 'start'; backend: string; workers?: number; epochs: number; stepsPerEpoch: number; seed: number; resumedFrom?: string; epoch: number; step: number }
  | { type: 'checkpoint'; dir: string; kind: 'last' | 'best'; epoch: number; step: number; globalStep: number }
  | { type: 'budget'; epoch: number; step: number; dev: Metrics; best: boolean; seconds: number }
  | { type: 'stop'; reason: TrainResult['stopped']; epoch: number; step: number; globalStep: number }
  | { type: 'diverged'; message: string; epoch: number; step: number; loss: number; gradNorm: number }
  | { type: 'warning'; message: string; epoch: number };

/** What train() returns. */
export interface TrainResult {
  /** Why the loop ended ('interrupted': the stop signal fired, the CLI exits 130; 'time-budget': TrainOptions.timeBudget ran out). */
  stopped: 'completed' | 'early-stopping' | 'interrupted' | 'time-budget';
  /** Threads that computed each batch (TrainOptions.workers resolved: 'auto' → a count; absent from engines of their own, e.g. word2vec's). */
  workers?: number;
  /** Epochs completed. */
  epochs: number;
  /** Optimizer steps taken in total (including those before a resume). */
  globalStep: number;
  /** Best dev metrics (the best checkpoint's). */
  bestDev: Metrics;
  /** 0-based epoch of the best dev metric (-1 when no epoch completed). */
  bestEpoch: number;
  /** The selection metric's name and its best value. */
  metric: string;
  bestValue: number;
  /** Per-epoch log: { epoch (1-based), loss, lr, clipFraction, dev_<metric>... }. */
  history: Record<string, number>[];
  /** Checkpoint directories (when checkpointDir was given). */
  lastDir?: string;
  bestDir?: string;
}
