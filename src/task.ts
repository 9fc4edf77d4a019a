/**
 * The task contract: what every pipeline in tasks/ declares so that the CLI
 * (`rnn-train`, `rnn-predict`), the engine and the reports can run it without
 * knowing it by name. A task is one folder `tasks/<name>/` whose index.ts exports
 * a `Task`, plus one line in `tasks/index.ts` (the registry).
 *
 * Configuration is split in two: `CommonConfig` (src/train/common.ts) holds what
 * every task trains with (epochs, batch size, optimizer, lr schedule, clipping,
 * EMA, seed, output directory, resume, data path) and the engine owns; a task's
 * own config type holds only what is its own (cell, sizes, vocabulary...). A
 * task's full config is `TaskConfig<Own>` = both. The pieces every task shares
 * (artifacts with the task check, notes, best-or-last) are src/task_artifacts.ts;
 * a worked example is tasks/pos/.
 */
import type { CommonConfig, TaskHooks, TaskOption } from './train/common';
import type { Metrics, TrainResult } from './train/types';

// The option descriptor and the progress hooks are the engine's (src/train/common.ts).
export type { CommonConfig, TaskHooks, TaskOption } from './train/common';

/** A task's full configuration: the common training options plus its own. */
export type TaskConfig<Own> = CommonConfig & Own;

/** What a task's train() returns. */
export interface TaskResult {
  /** Metrics of the best checkpoint by split (dev always; test when the data has a test split). Names are the task's documented ones. */
  metrics: { dev: Metrics; test?: Metrics };
  /** The checkpoint to predict with (OUT/best, or OUT/last when no epoch completed). */
  modelDir: string;
  /** The engine's result (stopped, epochs, best epoch, history, checkpoint dirs). */
  training: TrainResult;
  /** Notes about the data and choices made (also sent through hooks.onNote). */
  notes: string[];
  /** The task's own human report, printed after the common summary (confusion matrix, per-tag table, samples, baselines...). */
  report: string[];
  /** Extra JSON-serializable fields for the summary line, beside `metrics` (e.g. baselines, confusion, samples). */
  summary?: Record<string, unknown>;
  /** A command to try next, printed last in the human output. */
  hint?: string;
  /**
   * The task's own pictures for `rnn-train --report` (confusion matrix, attention
   * heatmaps, forecast vs actuals, samples...), each a Vega-Lite spec with its
   * data inlined (`data: { values: [...] }`); the common curves (loss, metric, lr,
   * gradient norm) are drawn by the report itself from the training history.
   */
  figures?: TaskFigure[];
}

/** One picture of a task's report. */
export interface TaskFigure {
  /** Heading above the picture. */
  title: string;
  /** A Vega-Lite (v5) specification with inline data. */
  spec: Record<string, unknown>;
  /** A sentence under the picture (what to look at). */
  caption?: string;
}

/** Where rnn-predict's inputs come from and its outputs go (a task's predict reads and writes only through this). */
export interface PredictIO {
  /** Positional arguments after the options. */
  args: string[];
  /** All of standard input as text ('' when stdin is a terminal). */
  readStdin(): Promise<string>;
  /** Writes to standard output (add your own newlines). */
  write(text: string): void;
  /** A message for the user on standard error. */
  note(message: string): void;
  /** --json: one JSON object per line on stdout. */
  json: boolean;
}

/** A loaded model for predictions; tasks return their own typed predictor. */
export interface TaskPredictor {
  dispose(): void;
}

/** Everything the CLI and the engine need to know about a task. */
export interface Task<Own extends object = Record<string, unknown>, P extends TaskPredictor = TaskPredictor> {
  /** Name used by --task and stored in checkpoints (artifacts.json `task`). */
  name: string;
  /** One line for `rnn-train --help`. */
  description: string;
  /** What --data takes (formats), one or two lines. */
  dataHelp: string;
  /** The task's own options (the CLI adds the common ones). */
  options: TaskOption[];
  /**
   * Config keys of `options` that fix the model's shape or its inputs' meaning (cell,
   * sizes, layers, vocabulary units...): on `--resume`, a value the user gives must
   * equal the checkpoint's, else rnn-train refuses at start naming the option, the
   * checkpoint's value and the given one (cli/preflight.ts). Options not listed may
   * change between runs (lr, dropout, epochs...).
   */
  architectureOptions: readonly string[];
  /** Defaults of the task's own options and of every common option (as the task wants them). */
  defaults: TaskConfig<Own>;
  /** The dev metric shown on the progress bar and selecting the best checkpoint. */
  metric: string;
  /** Example command lines for the help text (without the leading `$ `). */
  examples: string[];
  /** Trains, evaluates the best checkpoint on dev/test, and reports. `config` is merged over `defaults`. */
  train(config: Partial<TaskConfig<Own>>, hooks?: TaskHooks): Promise<TaskResult>;
  /** Loads a checkpoint directory written by train() for predictions. */
  load(dir: string): Promise<P>;
  /** Options of `rnn-predict` for this task's models (beside --model, --backend, --json). */
  predictOptions: TaskOption[];
  /** What rnn-predict reads and writes for this task (shown in `rnn-predict --model DIR --help`). */
  predictHelp: string;
  /** Runs rnn-predict: reads inputs from `io`, writes outputs to it. `options` holds predictOptions' values (camelCase keys). */
  predict(predictor: P, io: PredictIO, options: Record<string, unknown>): Promise<void>;
  /**
   * Set when the task's predictor exports its own deployable ONNX graph instead of
   * its tf.LayersModel as it is (the predictor then has `exportOnnx(metadata)` and
   * `verifyOnnx(bytes)`): what that graph is, one line. rnn-export writes it.
   */
  onnxGraph?: string;
  /**
   * The task model's PyTorch twin, when it has one: `rnn-export --format torch`
   * writes a Python package (torch.nn modules with the model's weight names, the
   * weights as safetensors, the data encoded with the checkpoint's vocabularies, a
   * DDP training script; src/interop/torch_twin.ts) from what this gives.
   */
  torchTwin?: TorchTwin;
}

/** A task's side of `rnn-export --format torch` (tasks/<name>/torch_twin.ts). */
export interface TorchTwin {
  /** One line: the twin's modules (printed by rnn-export). */
  description: string;
  /**
   * The twin's parts for the checkpoint `dir`: the data are read from `options.data`
   * (else the run's --data, else the task's bundled set) and encoded with the
   * checkpoint's vocabularies, so ids keep their meaning.
   */
  prepare(dir: string, options: { data?: string }): Promise<TorchTwinParts>;
}

/** What a task hands the twin writer (all JSON-serializable). */
export interface TorchTwinParts {
  /** The Python model's shape (python/torch_twin/models.py reads spec.model). */
  model: Record<string, unknown>;
  /** Training defaults of train.py, from the checkpoint's config. */
  train: { epochs: number; batchSize: number; lr: number; clipNorm: number; wordDropout: number; seed: number };
  /** The encoded splits in python/torch_twin/data.py's format. */
  splits: { train: unknown; dev: unknown; test?: unknown };
  /** A few dev examples as the model's input tensors, by input name (the --verify batch). */
  sample: Record<string, number[][]>;
  /** What was read (for the user). */
  notes: string[];
}

/** Identity helper that keeps the task's own config type (`export const task = defineTask<PosConfig, PosTagger>({...})`). */
export function defineTask<Own extends object, P extends TaskPredictor>(task: Task<Own, P>): Task<Own, P> {
  return task;
}
