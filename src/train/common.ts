/**
 * The training options every task shares, owned by the engine: a task's config
 * is `CommonConfig & Own` (see src/task.ts), and `engineOptions()` turns the
 * common part plus the task's hooks into the engine's TrainOptions, so no task
 * copies them field by field.
 */
import { availableParallelism } from 'os';
import { OPTIMIZERS, OptimizerName } from './optimizers';
import { SCHEDULES, ScheduleName } from './schedules';
import type { EpochInfo, StepInfo, StopFlag, TrainOptions } from './types';

/** One command-line option of a task (its flag is derived from `key`: labelColumn → --label-column). */
export interface TaskOption {
  /** The config field it sets, camelCase. */
  key: string;
  /**
   * Value kind: 'int' (integer ≥ min, default min 1), 'number' (within [min, max]),
   * 'string', 'choice' (one of `choices`), 'boolean' (--x and --no-x),
   * 'column' (a header name, or a 1-based column number), 'list' (comma-separated strings).
   */
  type: 'int' | 'number' | 'string' | 'choice' | 'boolean' | 'column' | 'list';
  /** One line of help (the CLI appends the task's default). */
  help: string;
  /** Allowed values of a 'choice' option. */
  choices?: readonly string[];
  /** Bounds of 'int' / 'number' options (inclusive). */
  min?: number;
  max?: number;
  /** Placeholder in the help, e.g. 'n' or 'file'. Default from the type. */
  valueName?: string;
  /** A single-letter alias, e.g. 'n' → -n (predict options mostly). */
  short?: string;
  /**
   * Own parser of a 'string' option's value (e.g. a duration or "auto | n"):
   * returns the config value, throws an Error whose message says what was
   * expected (the CLI prefixes the flag). Default: the value as typed.
   */
  parse?: (value: string) => unknown;
}

/** Progress callbacks a task forwards to the engine (the CLI draws bars / JSON lines with them). */
export interface TaskHooks {
  onNote?: (message: string) => void;
  onStep?: (info: StepInfo) => void;
  onEpochEnd?: (info: EpochInfo) => void;
  /** Cooperative stop: the run saves OUT/last and returns with training.stopped 'interrupted'. */
  signal?: StopFlag;
}

/** --workers: a thread count, or 'auto' (see autoWorkers). */
export type WorkerCount = number | 'auto';

export interface CommonConfig {
  /** Input data: a file or directory in the task's formats (see the task's dataHelp). Default: the task's bundled data set. */
  data?: string;
  /** Upper bound on epochs (early stopping usually ends sooner). */
  epochs: number;
  /** Stop after this many epochs without a better dev metric (0: never). */
  patience: number;
  /** Examples (sentences, tracks, windows...) per batch. */
  batchSize: number;
  /** Base learning rate. */
  lr: number;
  /** Optimizer. */
  optimizer: OptimizerName;
  /** Learning-rate schedule: constant, step (×0.5 every epoch), cosine (to 0 over the run), plateau (×0.5 after an epoch without dev improvement). */
  schedule: ScheduleName;
  /** Linear learning-rate warm-up over this many steps (0: none). */
  warmup: number;
  /** Rescale gradients to this global L2 norm when above it (0: off). */
  clipNorm: number;
  /**
   * Weight averaging: evaluate and checkpoint an exponential moving average of the
   * weights with this decay per step (0: off). Training continues from the averaged
   * weights after each evaluation (lookahead-style). Checkpointed, so resume is exact.
   */
  ema: number;
  /** Seed of initialization, batch order and dropout. */
  seed: number;
  /** Checkpoint directory: OUT/best (best dev metric) and OUT/last. */
  out: string;
  /** Resume from a checkpoint directory (e.g. OUT/last). */
  resume?: string;
  /** Start from the weights of a .safetensors state dict with the model's names (written by the PyTorch twin or rnn-export --format safetensors). */
  initFrom?: string;
  /**
   * Threads computing each batch (data-parallel: the main thread and workers − 1
   * worker threads each take a shard; same result as 1 within float32 rounding,
   * bitwise the same for a given count). 'auto': the machine's cores, capped
   * (see autoWorkers); a task without a replica (TrainSpec.replica) then runs on 1.
   * On resume, 'auto' keeps the checkpoint's count. 1 = the same run on every machine.
   */
  workers: WorkerCount;
  /**
   * Training-time budget of this invocation, in seconds (0 or absent: none): the
   * run stops after the step that crosses it, evaluates and saves like an early
   * stop (training.stopped 'time-budget'); --resume continues with the rest.
   */
  timeBudget?: number;
}

/** Engine defaults; each task overrides what suits it in its `defaults`. */
export const COMMON_DEFAULTS: CommonConfig = {
  epochs: 10,
  patience: 3,
  batchSize: 32,
  lr: 1e-3,
  optimizer: 'adam',
  schedule: 'constant',
  warmup: 0,
  clipNorm: 5,
  ema: 0,
  seed: 1,
  out: 'runs/model',
  workers: 'auto',
  timeBudget: 0,
};

/** 'auto' never uses more threads than this: the LSTM benchmark gains nothing past 2 on this 2-core machine (docs/workers.md). */
export const AUTO_WORKERS_CAP = 4;
/** 'auto' stays on 1 thread for runs shorter than this many steps: starting worker threads (1–5 s each here) would not pay. */
export const AUTO_WORKERS_MIN_STEPS = 100;

/** The thread count 'auto' picks on this machine for a run of `steps` steps whose batches hold at least `rows` examples. */
export function autoWorkers(steps = Infinity, rows = Infinity): number {
  if (steps < AUTO_WORKERS_MIN_STEPS) return 1;
  return Math.max(1, Math.min(availableParallelism(), AUTO_WORKERS_CAP, rows));
}

/** Parses --workers: 'auto' or an integer 1…64. */
export function parseWorkers(value: string): WorkerCount {
  const v = value.trim().toLowerCase();
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 64) throw new Error(`must be 'auto' or an integer from 1 to 64, got '${value}'`);
  return n;
}

/**
 * Parses a duration: '90s', '30m', '2h', '1h30m', '500ms', or a bare number of
 * seconds; '0' means no budget. Returns seconds.
 */
export function parseDuration(value: string): number {
  const v = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const units: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== v.length) throw new Error(`must be a duration such as 90s, 30m, 2h or 1h30m, got '${value}'`);
  return total;
}

/** The common options as the CLI offers them for every task (help text; defaults come from the task). */
export const COMMON_OPTIONS: TaskOption[] = [
  { key: 'data', type: 'string', valueName: 'path', help: 'training data (file or directory); default: the bundled data set' },
  { key: 'epochs', type: 'int', help: 'maximum epochs' },
  { key: 'patience', type: 'int', min: 0, help: 'early stopping: epochs without dev improvement (0 = off)' },
  { key: 'batchSize', type: 'int', help: 'examples per batch' },
  { key: 'lr', type: 'number', min: 1e-8, max: 10, valueName: 'rate', help: 'learning rate' },
  { key: 'optimizer', type: 'choice', choices: OPTIMIZERS, help: 'optimizer' },
  { key: 'schedule', type: 'choice', choices: SCHEDULES, help: 'learning-rate schedule' },
  { key: 'warmup', type: 'int', min: 0, valueName: 'steps', help: 'linear learning-rate warm-up steps' },
  { key: 'clipNorm', type: 'number', min: 0, valueName: 'x', help: 'clip gradients to this global norm (0 = off)' },
  { key: 'ema', type: 'number', min: 0, max: 0.99999, valueName: 'decay', help: 'evaluate and checkpoint a moving average of the weights (0 = off)' },
  { key: 'seed', type: 'int', min: 0, help: 'random seed (initialization, batch order, dropout)' },
  { key: 'out', type: 'string', valueName: 'dir', help: 'checkpoint directory (OUT/best, OUT/last)' },
  { key: 'resume', type: 'string', valueName: 'dir', help: 'continue training from a checkpoint (e.g. OUT/last)' },
  { key: 'initFrom', type: 'string', valueName: 'file', help: "start from the weights of a .safetensors state dict with the model's names (the PyTorch twin's train.py, rnn-export --format safetensors)" },
  {
    key: 'workers', type: 'string', valueName: 'n|auto', parse: parseWorkers,
    help: `threads splitting every batch (data-parallel; auto = the cores, at most ${AUTO_WORKERS_CAP}, 1 for runs under ${AUTO_WORKERS_MIN_STEPS} steps or tasks without a replica; on --resume auto keeps the checkpoint's count; 1 gives the same run on every machine)`,
  },
  {
    key: 'timeBudget', type: 'string', valueName: 'duration', parse: parseDuration,
    help: 'stop training after the step that crosses this time (90s, 30m, 2h; 0 = none), evaluate and save as on early stopping; counted per invocation (--resume gets a new budget and continues the run)',
  },
];

/**
 * The engine options for a task's run: the common config, the task's hooks, and
 * what only the task knows (its selection metric and direction, extra options).
 */
export function engineOptions(config: CommonConfig, hooks: TaskHooks, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    epochs: config.epochs,
    optimizer: config.optimizer,
    lr: config.lr,
    schedule: { name: config.schedule, warmupSteps: config.warmup },
    clipNorm: config.clipNorm,
    ema: config.ema,
    seed: config.seed,
    patience: config.patience,
    checkpointDir: config.out,
    resume: config.resume,
    ...(config.initFrom ? { initFrom: config.initFrom } : {}),
    workers: config.workers ?? 'auto',
    ...(config.timeBudget ? { timeBudget: config.timeBudget } : {}),
    onNote: hooks.onNote,
    onStep: hooks.onStep,
    onEpochEnd: hooks.onEpochEnd,
    signal: hooks.signal,
    ...extra,
  };
}
