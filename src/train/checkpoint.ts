/**
 * Checkpoints: a directory holding everything needed to predict and to resume.
 *
 *   CKPT/model.json        the model: topology + weightsManifest (standard tfjs layers
 *   CKPT/weights.bin         format: tf.loadLayersModel reads it with any IO handler)
 *   CKPT/optimizer.json    optimizer class, slot specs (Adam: iteration, moments), and
 *   CKPT/optimizer.bin       the scalars tfjs' getWeights() omits (Adam's β powers)
 *   CKPT/training.json     position (epoch, step within it, global step), selection
 *                            metric and best value, early-stopping counter, seed (the
 *                            RNG state: all randomness is a function of seed, epoch,
 *                            step), lr-schedule state, reference loss, per-epoch history
 *   CKPT/artifacts.json    TrainSpec.artifacts: what the task needs to predict
 *                            (vocabulary, label names, scalers...)
 *   CKPT/config.json       TrainSpec.config (task/model) + the training options
 *   CKPT/carried.json,     only when TrainSpec.carried is set: the tensors carried
 *   CKPT/carried.bin         between batches (truncated-BPTT states)
 *   CKPT/ema.json,         only with weight averaging (TrainOptions.ema): the shadow
 *   CKPT/ema.bin             (averaged) weights, in trainable-weight order
 *
 * `train()` keeps two: OUT/last (every epoch end, every `checkpointEvery` steps,
 * and on a stop request) and OUT/best (the best dev metric so far).
 *
 * Writing is atomic at the directory level: everything goes into a temporary
 * sibling directory `.NAME.tmp-*` (each file fsynced, then the directory), the
 * old checkpoint is renamed aside to `.NAME.old-*`, the new one renamed into
 * place, and the old one removed. A crash at any moment leaves either the new or
 * the previous checkpoint loadable: `resolveCheckpoint` finds the aside copy if
 * the crash fell between the two renames. Leftovers are removed by the next save.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { fileSystem, readModelArtifacts, writeFileAtomic } from '../io/fs_handler';
import { CheckpointMismatchError } from './errors';
import type { ScheduleState } from './schedules';
import type { Metrics } from './types';

/** Format version written into training.json. */
export const CHECKPOINT_FORMAT = 1;

/** Filesystem operations used for the directory swap (replaceable in fault-injection tests). */
export const swapOps = { rename: (from: string, to: string): void => fs.renameSync(from, to) };

/** Progress and bookkeeping saved with a checkpoint (training.json). */
export interface TrainingState {
  /** Epoch to run next, or the epoch in progress when `step` > 0 (0-based). */
  epoch: number;
  /** Next batch index within `epoch`. */
  step: number;
  /** Optimizer steps taken so far. */
  globalStep: number;
  /** Seed of the run: with (epoch, step) it determines every random choice. */
  seed: number;
  /** Selection metric (null: training loss) and its direction. */
  metric: string | null;
  mode: 'max' | 'min';
  /** Best value of the selection metric so far (null before the first epoch ends), its 0-based epoch, and that epoch's dev metrics. */
  best: number | null;
  bestEpoch: number;
  bestDev: Metrics;
  /** Epochs since the best (early stopping). */
  bad: number;
  /** The run's first loss, the reference of the divergence check (null before the first step). */
  referenceLoss: number | null;
  /** Loss sum, step count and examples of the epoch in progress (so a mid-epoch resume reports the same mean). */
  epochLossSum: number;
  epochSteps: number;
  /** Learning-rate schedule state. */
  schedule: ScheduleState;
  /** Per-epoch log. */
  history: Record<string, number>[];
  /** Weight averaging: updates folded into the shadow weights so far (its warm-up decay depends on it). */
  emaUpdates?: number;
}

/** What saveCheckpoint writes. */
export interface CheckpointContents {
  model: tf.LayersModel;
  /** Omit (or null) for a predict-only checkpoint. */
  optimizer?: tf.Optimizer | null;
  training: TrainingState;
  artifacts?: Record<string, unknown>;
  config?: Record<string, unknown>;
  carried?: tf.NamedTensorMap;
  /** Shadow weights of weight averaging, in trainable-weight order. */
  ema?: tf.Tensor[];
}

/** What loadCheckpoint returns (the caller owns every tensor). */
export interface Checkpoint {
  /** The directory actually read (the aside copy after a crash mid-swap). */
  dir: string;
  model: tf.LayersModel;
  optimizerClass: string | null;
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
  optimizerScalars: Record<string, number>;
  training: TrainingState;
  artifacts: Record<string, unknown>;
  config: Record<string, unknown>;
  carried: tf.NamedTensorMap | null;
}

/**
 * Scalar optimizer variables that tfjs' getWeights() omits but exact resumption
 * needs (Adam's running β powers; its setWeights recomputes them with pow(),
 * which differs in the last bits from the product accumulated during training).
 */
const SCALAR_SLOTS = ['accBeta1', 'accBeta2'];

function optimizerScalars(opt: tf.Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of SCALAR_SLOTS) {
    const v = (opt as unknown as Record<string, unknown>)[k];
    if (v instanceof tf.Tensor) out[k] = v.dataSync()[0];
  }
  return out;
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // directories cannot be fsynced on every platform (Windows)
  }
}

async function writeTensors(dir: string, name: string, tensors: { name: string; tensor: tf.Tensor }[], meta: Record<string, unknown>): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  writeFileAtomic(path.join(dir, `${name}.bin`), new Uint8Array(data as ArrayBuffer));
  writeFileAtomic(path.join(dir, `${name}.json`), JSON.stringify({ ...meta, specs }));
}

function readTensors(dir: string, name: string): { meta: Record<string, unknown>; tensors: { name: string; tensor: tf.Tensor }[] } {
  const meta = readJson(path.join(dir, `${name}.json`)) as { specs: tf.io.WeightsManifestEntry[] } & Record<string, unknown>;
  const buf = fs.readFileSync(path.join(dir, `${name}.bin`));
  const map = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, meta.specs);
  return { meta, tensors: meta.specs.map((s) => ({ name: s.name, tensor: map[s.name] })) };
}

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing from the checkpoint`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Saves a checkpoint atomically into `dir`, replacing any previous one (see the layout above). */
export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  fs.mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const tmp = path.join(parent, `.${base}.tmp-${stamp}`);
  fs.mkdirSync(tmp);
  try {
    await c.model.save(fileSystem(tmp));
    const opt = c.optimizer ?? null;
    const slots = opt ? await opt.getWeights() : [];
    await writeTensors(tmp, 'optimizer', slots, { className: opt?.getClassName() ?? null, scalars: opt ? optimizerScalars(opt) : {} });
    // getWeights() makes a fresh scalar for the iteration count; the rest are the optimizer's own variables.
    tf.dispose(slots.map((s) => s.tensor).filter((t) => !(t instanceof tf.Variable)));
    if (c.carried) await writeTensors(tmp, 'carried', Object.entries(c.carried).map(([name, tensor]) => ({ name, tensor })), {});
    if (c.ema) await writeTensors(tmp, 'ema', c.ema.map((tensor, i) => ({ name: `ema_${i}`, tensor })), {});
    writeFileAtomic(path.join(tmp, 'training.json'), JSON.stringify({ format: CHECKPOINT_FORMAT, ...c.training }, null, 1));
    writeFileAtomic(path.join(tmp, 'artifacts.json'), JSON.stringify(c.artifacts ?? {}));
    writeFileAtomic(path.join(tmp, 'config.json'), JSON.stringify(c.config ?? {}, null, 1));
    fsyncDir(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const aside = path.join(parent, `.${base}.old-${stamp}`);
  if (fs.existsSync(target)) swapOps.rename(target, aside);
  swapOps.rename(tmp, target);
  fsyncDir(parent);
  // The new checkpoint is in place: remove the old one and any leftovers of earlier crashes.
  for (const f of fs.readdirSync(parent)) {
    if (f.startsWith(`.${base}.old-`) || f.startsWith(`.${base}.tmp-`)) fs.rmSync(path.join(parent, f), { recursive: true, force: true });
  }
}

/** The directory to load for `dir`: itself, or the aside copy left by a crash between the two renames. */
export function resolveCheckpoint(dir: string): string {
  if (fs.existsSync(path.join(dir, 'training.json'))) return dir;
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const aside = fs.existsSync(parent)
    ? fs
        .readdirSync(parent)
        .filter((f) => f.startsWith(`.${base}.old-`))
        .sort((a, b) => fs.statSync(path.join(parent, b)).mtimeMs - fs.statSync(path.join(parent, a)).mtimeMs)
    : [];
  for (const a of aside) if (fs.existsSync(path.join(parent, a, 'training.json'))) return path.join(parent, a);
  throw new Error(`${dir}: not a checkpoint (expected a directory written by rnnkit's train(), holding model.json and training.json)`);
}

/** Reads a checkpoint's training.json. */
export function readTrainingState(dir: string): TrainingState {
  return readJson(path.join(resolveCheckpoint(dir), 'training.json')) as TrainingState;
}

/** Reads only a checkpoint's artifacts (cheap: no model load). */
export function readArtifacts(dir: string): Record<string, unknown> {
  return readJson(path.join(resolveCheckpoint(dir), 'artifacts.json')) as Record<string, unknown>;
}

/** Reads only a checkpoint's config.json. */
export function readConfig(dir: string): Record<string, unknown> {
  return readJson(path.join(resolveCheckpoint(dir), 'config.json')) as Record<string, unknown>;
}

/** Loads a whole checkpoint (the model's custom layers must be registered: import rnnkit's layers first). */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const src = resolveCheckpoint(dir);
  const model = await tf.loadLayersModel(fileSystem(src));
  const opt = readTensors(src, 'optimizer');
  const carried = fs.existsSync(path.join(src, 'carried.json'))
    ? Object.fromEntries(readTensors(src, 'carried').tensors.map((t) => [t.name, t.tensor]))
    : null;
  return {
    dir: src,
    model,
    optimizerClass: (opt.meta.className as string | null) ?? null,
    optimizerWeights: opt.tensors,
    optimizerScalars: (opt.meta.scalars as Record<string, number>) ?? {},
    training: readTrainingState(src),
    artifacts: readArtifacts(src),
    config: readConfig(src),
    carried,
  };
}

/**
 * Writes a checkpoint's weights into `model` (same architecture: same weights in
 * the same order and shapes; names may differ, e.g. auto-numbered layers).
 * Reads weights.bin directly: no second model is built.
 */
export async function restoreModelWeights(model: tf.LayersModel, dir: string): Promise<void> {
  const src = resolveCheckpoint(dir);
  const artifacts = readModelArtifacts(src);
  const specs = artifacts.weightSpecs ?? [];
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new CheckpointMismatchError(`${src}: checkpoint holds ${specs.length} weights, the model has ${weights.length} (a different architecture?)`);
  }
  const map = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, specs);
  try {
    weights.forEach((w, i) => {
      const t = map[specs[i].name];
      if (!t || !tf.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new CheckpointMismatchError(
          `${src}: weight ${i} (${specs[i].name}) has shape [${specs[i].shape.join(', ')}] but the model's ${w.originalName} is [${w.shape.join(', ')}]`,
        );
      }
    });
    weights.forEach((w, i) => w.write(map[specs[i].name]));
  } finally {
    tf.dispose(Object.values(map));
  }
}

/** Restores optimizer slots saved by saveCheckpoint (moments, iterations, β powers) into a fresh optimizer of the same class. */
export async function restoreOptimizer(opt: tf.Optimizer, dir: string): Promise<void> {
  const src = resolveCheckpoint(dir);
  const { meta, tensors } = readTensors(src, 'optimizer');
  if (meta.className && meta.className !== opt.getClassName()) {
    tf.dispose(tensors.map((t) => t.tensor));
    throw new CheckpointMismatchError(`${src}: the checkpoint was trained with ${String(meta.className)}, not ${opt.getClassName()} (resume with the same optimizer)`);
  }
  if (tensors.length) await opt.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor)); // setWeights copies them into new variables
  for (const [k, value] of Object.entries((meta.scalars as Record<string, number>) ?? {})) {
    const v = (opt as unknown as Record<string, unknown>)[k];
    if (v instanceof tf.Variable) tf.tidy(() => v.assign(tf.scalar(value)));
  }
}

/** Reads the carried tensors of a checkpoint (null when it has none; the caller owns them). */
export function readCarried(dir: string): tf.NamedTensorMap | null {
  const src = resolveCheckpoint(dir);
  if (!fs.existsSync(path.join(src, 'carried.json'))) return null;
  return Object.fromEntries(readTensors(src, 'carried').tensors.map((t) => [t.name, t.tensor]));
}

/** Reads the shadow weights of weight averaging (null when the checkpoint has none; the caller owns them). */
export function readEma(dir: string): tf.Tensor[] | null {
  const src = resolveCheckpoint(dir);
  if (!fs.existsSync(path.join(src, 'ema.json'))) return null;
  return readTensors(src, 'ema').tensors.map((t) => t.tensor);
}
