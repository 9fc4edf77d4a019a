/**
 * Checkpoints: a directory holding everything needed to predict and to resume.
 *
 *   CKPT/model.json, weights.bin   the model (standard tfjs layers format)
 *   CKPT/optimizer.json, .bin      optimizer slots (Adam moments, iteration, ...)
 *   CKPT/training.json             epoch, step, global step, best metric, schedule, history
 *   CKPT/artifacts.json            what the task needs to predict (vocabulary, labels, config)
 *
 * Writing is atomic at the directory level: everything goes into a temporary
 * sibling directory (files fsynced), the old checkpoint is renamed aside, the new
 * one renamed into place, and the old one removed. A crash at any moment leaves
 * either the new or the previous checkpoint loadable (`resolveCheckpoint` finds the
 * aside copy if the crash fell between the two renames).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { fileSystem, writeFileAtomic } from '../io/fs_handler';

/** Filesystem operations used for the directory swap (replaceable in fault-injection tests). */
export const swapOps = { rename: fs.renameSync };

/**
 * Scalar optimizer variables that tfjs' getWeights() omits but exact resumption
 * needs (Adam's running β powers; tfjs recomputes them with pow(), which differs
 * in the last bits from the product accumulated during training).
 */
const SCALAR_SLOTS = ['accBeta1', 'accBeta2'];

function optimizerScalars(opt: tf.Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of SCALAR_SLOTS) {
    const v = (opt as unknown as Record<string, tf.Tensor | undefined>)[k];
    if (v instanceof tf.Tensor) out[k] = v.dataSync()[0];
  }
  return out;
}

/** Restores optimizer slots saved by saveCheckpoint (moments, iterations, β powers). */
export async function restoreOptimizer(opt: tf.Optimizer, ck: Checkpoint): Promise<void> {
  if (ck.optimizerWeights.length) await opt.setWeights(ck.optimizerWeights);
  for (const [k, value] of Object.entries(ck.optimizerScalars)) {
    const v = (opt as unknown as Record<string, tf.Variable | undefined>)[k];
    if (v instanceof tf.Variable) v.assign(tf.scalar(value));
  }
}

/** Progress and bookkeeping saved with a checkpoint. */
export interface TrainingState {
  /** Epoch to run next (or the epoch in progress when `step` > 0). */
  epoch: number;
  /** Next batch index within `epoch`. */
  step: number;
  /** Optimizer steps taken so far. */
  globalStep: number;
  /** Best dev value of the selection metric so far (higher is better), and its epoch. */
  best: number;
  bestEpoch: number;
  /** Epochs since the best (early stopping). */
  bad: number;
  /** Learning-rate schedule state. */
  schedule: unknown;
  /** Per-epoch log. */
  history: Record<string, number>[];
  /** Seed of the run. */
  seed: number;
}

export interface Checkpoint {
  model: tf.LayersModel;
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
  optimizerScalars: Record<string, number>;
  training: TrainingState;
  artifacts: Record<string, unknown>;
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    // not supported on every platform
  }
}

/** Saves a checkpoint atomically into `dir` (replacing any previous one). */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer | null,
  training: TrainingState,
  artifacts: Record<string, unknown>,
): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${base}.tmp-${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp);
  await model.save(fileSystem(tmp));
  const slots = optimizer ? await optimizer.getWeights() : [];
  const { data, specs } = await tf.io.encodeWeights(slots);
  writeFileAtomic(path.join(tmp, 'optimizer.bin'), new Uint8Array(data));
  writeFileAtomic(path.join(tmp, 'optimizer.json'), JSON.stringify({ className: optimizer?.getClassName() ?? null, specs, scalars: optimizer ? optimizerScalars(optimizer) : {} }));
  writeFileAtomic(path.join(tmp, 'training.json'), JSON.stringify(training, null, 1));
  writeFileAtomic(path.join(tmp, 'artifacts.json'), JSON.stringify(artifacts));
  fsyncDir(tmp);
  const aside = path.join(parent, `.${base}.old-${process.pid}-${Date.now()}`);
  const target = path.join(parent, base);
  if (fs.existsSync(target)) swapOps.rename(target, aside);
  swapOps.rename(tmp, target);
  fsyncDir(parent);
  fs.rmSync(aside, { recursive: true, force: true });
}

/** The directory to load for `dir`: itself, or the aside copy left by a crash mid-swap. */
export function resolveCheckpoint(dir: string): string {
  if (fs.existsSync(path.join(dir, 'training.json'))) return dir;
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(dir);
  const aside = fs.existsSync(parent)
    ? fs.readdirSync(parent).filter((f) => f.startsWith(`.${base}.old-`)).sort().reverse()
    : [];
  for (const a of aside) if (fs.existsSync(path.join(parent, a, 'training.json'))) return path.join(parent, a);
  throw new Error(`${dir}: not a checkpoint (expected a directory written by rnn-train, holding model.json and training.json)`);
}

/** Loads a checkpoint written by saveCheckpoint. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const src = resolveCheckpoint(dir);
  const model = await tf.loadLayersModel(fileSystem(src));
  const optMeta = JSON.parse(fs.readFileSync(path.join(src, 'optimizer.json'), 'utf8')) as { specs: tf.io.WeightsManifestEntry[]; scalars?: Record<string, number> };
  const buf = fs.readFileSync(path.join(src, 'optimizer.bin'));
  const map = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, optMeta.specs);
  const optimizerWeights = optMeta.specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
  const training = JSON.parse(fs.readFileSync(path.join(src, 'training.json'), 'utf8')) as TrainingState;
  const artifacts = JSON.parse(fs.readFileSync(path.join(src, 'artifacts.json'), 'utf8')) as Record<string, unknown>;
  return { model, optimizerWeights, optimizerScalars: optMeta.scalars ?? {}, training, artifacts };
}

/** Reads only a checkpoint's artifacts (cheap: no model load). */
export function readArtifacts(dir: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(resolveCheckpoint(dir), 'artifacts.json'), 'utf8')) as Record<string, unknown>;
}
