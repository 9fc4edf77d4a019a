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
 *
 * Reading proves the checkpoint (one UserError line naming the file otherwise):
 * every file exists, each .bin has exactly the bytes its .json describes and the
 * SHA-256 written with it, every float is finite, the JSON files have the shape
 * this format writes. `verifyCheckpoint` runs all of it without building the model.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { checkFinite, fileSystem, oneLine, integrityOf, loadModel, manifestBytes, readModelArtifacts, writeFileAtomic } from '../io/fs_handler';
import { makeDirs } from '../io/output_paths';
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
  const bytes = new Uint8Array(data as ArrayBuffer);
  writeFileAtomic(path.join(dir, `${name}.bin`), bytes);
  writeFileAtomic(path.join(dir, `${name}.json`), JSON.stringify({ ...meta, specs, integrity: integrityOf(bytes) }));
}

/** Reads NAME.json + NAME.bin, proving the bytes (size from the specs, SHA-256, finite floats) before decoding. */
function readTensorBytes(dir: string, name: string): { meta: Record<string, unknown>; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const jsonFile = path.join(dir, `${name}.json`);
  const meta = readJson(jsonFile);
  if (!isObject(meta)) throw new UserError(`${jsonFile}: not the JSON object this checkpoint format writes (a damaged file)`);
  const expected = manifestBytes(meta.specs, jsonFile);
  const specs = meta.specs as tf.io.WeightsManifestEntry[];
  const binFile = path.join(dir, `${name}.bin`);
  if (!fs.existsSync(binFile)) throw new UserError(`${binFile}: missing from the checkpoint (${name}.json describes it)`);
  const buf = fs.readFileSync(binFile);
  const integrity = meta.integrity as { bytes?: unknown; sha256?: unknown } | undefined;
  if (expected !== null && buf.byteLength !== expected) {
    throw new UserError(`${binFile}: ${buf.byteLength} bytes, but ${name}.json describes ${expected} (${buf.byteLength < expected ? 'a truncated' : 'a damaged'} file)`);
  }
  if (isObject(integrity) && integrity.sha256 !== integrityOf(buf).sha256) throw new UserError(`${binFile}: its SHA-256 differs from the one ${name}.json was written with (a damaged file)`);
  const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  checkFinite(data, specs, binFile);
  return { meta, specs, data };
}

function readTensors(dir: string, name: string): { meta: Record<string, unknown>; tensors: { name: string; tensor: tf.Tensor }[] } {
  const { meta, specs, data } = readTensorBytes(dir, name);
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(data, specs);
  } catch (e) {
    throw new UserError(`${path.join(dir, `${name}.bin`)}: cannot be decoded with ${name}.json's entries (${oneLine((e as Error).message)})`);
  }
  return { meta, tensors: specs.map((s) => ({ name: s.name, tensor: map[s.name] })) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new UserError(`${file}: missing from the checkpoint`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${oneLine((e as Error).message)})`);
  }
}

/** Reads a JSON file of the checkpoint that must hold an object. */
function readObject(file: string): Record<string, unknown> {
  const v = readJson(file);
  if (!isObject(v)) throw new UserError(`${file}: expected a JSON object (a damaged file)`);
  return v;
}

/** training.json's fields and what they must be (a field failing its check is a damaged file). */
const TRAINING_FIELDS: [keyof TrainingState, (v: unknown) => boolean, string][] = [
  ['epoch', (v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  ['step', (v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  ['globalStep', (v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  ['seed', (v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  ['metric', (v) => v === null || typeof v === 'string', 'a metric name or null'],
  ['mode', (v) => v === 'max' || v === 'min', "'max' or 'min'"],
  ['best', (v) => v === null || typeof v === 'number', 'a number or null'],
  ['bestEpoch', (v) => Number.isInteger(v) && (v as number) >= -1, 'an integer ≥ -1'],
  ['bestDev', isObject, 'an object'],
  ['bad', (v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  ['referenceLoss', (v) => v === null || typeof v === 'number', 'a number or null'],
  ['epochLossSum', (v) => typeof v === 'number', 'a number'],
  ['epochSteps', (v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  ['schedule', isObject, 'an object'],
  ['history', (v) => Array.isArray(v) && v.every(isObject), 'a list of objects'],
];

/**
 * Test hook for kill -9 runs of the CLIs (test/cli/kill_resume.test.ts):
 * RNNKIT_CHECKPOINT_PAUSE=write:MS pauses every save MS milliseconds halfway through
 * writing the temporary directory (after the model, before the optimizer, carried
 * states and training.json); swap:MS between moving the old checkpoint aside and
 * renaming the new one into place. Unset in normal use.
 */
function pauseAt(stage: 'write' | 'swap'): Promise<void> | null {
  const m = /^(write|swap):(\d+)$/.exec(process.env.RNNKIT_CHECKPOINT_PAUSE ?? '');
  return m && m[1] === stage ? new Promise((resolve) => setTimeout(resolve, Number(m[2]))) : null;
}

/** Saves a checkpoint atomically into `dir`, replacing any previous one (see the layout above). */
export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  makeDirs(parent);
  const stamp = `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const tmp = path.join(parent, `.${base}.tmp-${stamp}`);
  fs.mkdirSync(tmp);
  try {
    await c.model.save(fileSystem(tmp));
    await pauseAt('write');
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
  if (fs.existsSync(target)) {
    swapOps.rename(target, aside);
    await pauseAt('swap');
  }
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
  if (!fs.existsSync(dir)) throw new UserError(`${dir}: not a checkpoint (no such directory)`);
  if (!fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: not a checkpoint (a file, not a directory)`);
  throw new UserError(`${dir}: not a checkpoint (expected a directory written by rnnkit's train(), holding model.json and training.json)`);
}

/** Reads a checkpoint's training.json (its fields checked). */
export function readTrainingState(dir: string): TrainingState {
  const file = path.join(resolveCheckpoint(dir), 'training.json');
  const st = readObject(file);
  for (const [key, ok, what] of TRAINING_FIELDS) {
    if (!ok(st[key])) throw new UserError(`${file}: '${key}' is not ${what} (a damaged file)`);
  }
  return st as unknown as TrainingState;
}

/** Reads only a checkpoint's artifacts (cheap: no model load). */
export function readArtifacts(dir: string): Record<string, unknown> {
  return readObject(path.join(resolveCheckpoint(dir), 'artifacts.json'));
}

/** Reads only a checkpoint's config.json. */
export function readConfig(dir: string): Record<string, unknown> {
  return readObject(path.join(resolveCheckpoint(dir), 'config.json'));
}

/**
 * Proves a whole checkpoint without building its model: model.json + weights
 * (bytes, SHA-256, finite), the optimizer, carried and averaged tensors, and the
 * JSON files. Returns the directory actually read. Throws a one-line UserError.
 */
export function verifyCheckpoint(dir: string): string {
  const src = resolveCheckpoint(dir);
  readModelArtifacts(src);
  readTensorBytes(src, 'optimizer');
  for (const name of ['carried', 'ema']) if (fs.existsSync(path.join(src, `${name}.json`))) readTensorBytes(src, name);
  readTrainingState(src);
  readArtifacts(src);
  readConfig(src);
  return src;
}

/** Loads a whole checkpoint (the model's custom layers must be registered: import rnnkit's layers first). */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const src = resolveCheckpoint(dir);
  const model = await loadModel(src);
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
    throw new CheckpointMismatchError(`${src}: the checkpoint holds ${specs.length} weights, this model has ${weights.length}: a different architecture (compare the options with ${path.join(src, 'config.json')})`);
  }
  const map = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, specs);
  try {
    weights.forEach((w, i) => {
      const t = map[specs[i].name];
      if (!t || !tf.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new CheckpointMismatchError(
          `${src}: weight ${i} (${specs[i].name}) has shape [${specs[i].shape.join(', ')}] but the model's ${w.originalName} is [${w.shape.join(', ')}]: a different architecture (compare the options with ${path.join(src, 'config.json')})`,
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

/** One option that must agree with a checkpoint: its config key and how the user spells it. */
export interface ResumeOption {
  /** Config key, e.g. 'hidden'. */
  key: string;
  /** The flag, e.g. '--hidden' (default: the key in kebab case). */
  flag?: string;
}

const kebabFlag = (key: string): string => `--${key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
const showValue = (v: unknown): string => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v) ?? 'unset');

/** A value as the CLI and a checkpoint may both spell it: list items and numbers typed as text ('16') compare as numbers. */
const comparable = (v: unknown): unknown => {
  const one = (x: unknown): unknown => (typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x.trim()) ? Number(x) : x);
  return Array.isArray(v) ? v.map(one) : one(v);
};

/**
 * Compares options that must agree with a checkpoint (architecture: cell, sizes,
 * layers...) at --resume start. `saved` is the checkpoint's config (e.g. its
 * artifacts' `config`), `given` this run's. Throws a CheckpointMismatchError (exit 2)
 * naming the option, the checkpoint's value and the given one; options the
 * checkpoint does not record are skipped.
 */
export function checkResumeOptions(dir: string, saved: Record<string, unknown> | undefined, given: Record<string, unknown>, options: readonly (string | ResumeOption)[]): void {
  if (!saved) return;
  for (const o of options) {
    const { key, flag } = typeof o === 'string' ? { key: o, flag: undefined } : o;
    if (!(key in saved) || saved[key] === undefined || given[key] === undefined) continue;
    if (JSON.stringify(comparable(saved[key])) !== JSON.stringify(comparable(given[key]))) {
      const f = flag ?? kebabFlag(key);
      throw new CheckpointMismatchError(
        `${f} ${showValue(given[key])} does not match the checkpoint ${dir}, trained with ${f} ${showValue(saved[key])}: resume with ${f} ${showValue(saved[key])}, or start a new run without --resume`,
      );
    }
  }
}

/**
 * A list stored in a checkpoint's artifacts (vocabulary, labels, tags), checked to be
 * a non-empty list of strings: a damaged or foreign artifacts.json is a UserError
 * naming the file and the entry.
 */
export function artifactList(dir: string, artifacts: Record<string, unknown>, key: string, what: string): string[] {
  const v = artifacts[key];
  const file = path.join(dir, 'artifacts.json');
  if (v === undefined) throw new UserError(`${file}: no '${key}' (the ${what}); the checkpoint is incomplete or was not written by this task`);
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) throw new UserError(`${file}: '${key}' (the ${what}) is not a non-empty list of strings (a damaged file)`);
  return v as string[];
}

/**
 * Checks that an artifact's size agrees with the model (e.g. the labels with the
 * output units, the vocabulary with the embedding rows); `got` null skips.
 */
export function expectArtifactSize(dir: string, what: string, size: number, modelPart: string, got: number | null | undefined): void {
  if (got === null || got === undefined || got === size) return;
  throw new UserError(`${path.join(dir, 'artifacts.json')}: the ${what} has ${size} entries but the model's ${modelPart} has ${got}: the artifacts and weights are from different runs`);
}

/** The size of the last axis of the model's output `i` (classes, tags, vocabulary...), or null when unknown. */
export function outputUnits(model: tf.LayersModel, i = 0): number | null {
  const shape = model.outputs[i]?.shape;
  const d = shape ? shape[shape.length - 1] : null;
  return typeof d === 'number' ? d : null;
}

const isEmbedding = (l: tf.layers.Layer): boolean => /(^|\.)Embedding$/.test(l.getClassName());

/** Input sizes (rows) of the model's embedding layers (tfjs' and rnnkit's), in layer order. */
export function embeddingRows(model: tf.LayersModel): number[] {
  const rows: number[] = [];
  for (const l of model.layers) {
    const c = l.getConfig() as { inputDim?: unknown };
    if (isEmbedding(l) && typeof c.inputDim === 'number') rows.push(c.inputDim);
  }
  return rows;
}

/** The rows (vocabulary size) of the embedding layer `name`, or null when the model has no such embedding. */
export function embeddingRowsOf(model: tf.LayersModel, name: string): number | null {
  const l = model.layers.find((x) => x.name === name);
  const d = l && isEmbedding(l) ? (l.getConfig() as { inputDim?: unknown }).inputDim : undefined;
  return typeof d === 'number' ? d : null;
}

/** Axis `axis` of the model's input `i` (e.g. 1 = time steps, -1 = channels; negative counts from the end), or null when unknown. */
export function inputSize(model: tf.LayersModel, axis: number, i = 0): number | null {
  const shape = model.inputs[i]?.shape;
  if (!shape) return null;
  const d = shape[axis < 0 ? shape.length + axis : axis];
  return typeof d === 'number' ? d : null;
}

/**
 * Like expectArtifactSize for a value that is not a list's length (a window, a
 * frame count, a channel count): one line naming artifacts.json, the field, and both values.
 */
export function expectArtifactValue(dir: string, what: string, value: number, modelPart: string, got: number | null | undefined): void {
  if (got === null || got === undefined || got === value) return;
  throw new UserError(`${path.join(dir, 'artifacts.json')}: the ${what} is ${value} but the model's ${modelPart} is ${got}: the artifacts and weights are from different runs`);
}
