/**
 * The PyTorch twin of a task model (rnn-export --format torch, rnn-import --torch).
 *
 * `writeTorchTwin` fills a directory with a self-contained Python package:
 *
 *   models.py, data.py, train.py, forward.py, safetensors_io.py   (python/torch_twin/, shipped in the npm package)
 *   twin.json          the task, the model's shape (spec.model), train.py's defaults (spec.train)
 *   model.safetensors  the checkpoint's weights as a PyTorch state dict (modelStateDict's names)
 *   data/{train,dev,test}.json   the splits encoded with the checkpoint's vocabularies (the task's prepare)
 *   sample.json        a few dev examples as the model's input tensors (the --verify batch)
 *   checkpoint/        a copy of the rnnkit checkpoint (what rnn-import rebuilds from)
 *
 * train.py trains single-process or under `torchrun --nproc_per_node N` (DDP, gloo on
 * CPU, NCCL on GPU) and writes trained.safetensors; `importTorchTwin` loads those
 * weights into the copied checkpoint's model and writes a checkpoint that rnn-predict,
 * rnn-export and the browser read.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { loadModel, saveModel, writeFileAtomic } from '../io/fs_handler';
import { makeDirs } from '../io/output_paths';
import { packageRoot } from '../paths';
import type { TorchTwinParts } from '../task';
import { readSafetensors, writeSafetensors } from './safetensors';
import { loadModelStateDict } from './torch_model_weights';
import { modelStateDict } from './torch_state_dict';

/** The Python sources every twin has (python/torch_twin/). */
export const TWIN_SOURCES = ['models.py', 'data.py', 'train.py', 'forward.py', 'safetensors_io.py'] as const;

/** Format of twin.json. */
export const TWIN_FORMAT = 1;

/** Where the Python templates are in the installed package. */
export function twinTemplatesDir(): string {
  return path.join(packageRoot(), 'python', 'torch_twin');
}

/** The Python interpreter the twin's checks run (RNNKIT_PYTHON, default python3). */
export function pythonCommand(): string {
  return process.env.RNNKIT_PYTHON || 'python3';
}

/** The environment for Python: OpenBLAS core-type / cache overrides (set for tfjs-node builds on some hosts) crash Debian's torch, so they are dropped. */
export function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

const torchChecked = new Map<string, string | null>();

/** Whether `python` can import torch (null) or why not (a sentence); asked once per interpreter and process. */
export function torchUnavailable(python = pythonCommand()): string | null {
  if (!torchChecked.has(python)) torchChecked.set(python, checkTorch(python));
  return torchChecked.get(python) ?? null;
}

function checkTorch(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import torch'], { env: pythonEnv(), encoding: 'utf8' });
  if (r.error) return `${python} cannot be started (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (r.status !== 0) return `${python} cannot import torch (apt install python3-torch or pip install torch; RNNKIT_PYTHON=/path/to/python3 picks another interpreter)`;
  return null;
}

/** Options of writeTorchTwin. */
export interface WriteTwinOptions {
  /** The task's name (twin.json `task`; the class models.py builds). */
  task: string;
  /** The checkpoint directory the twin is made from. */
  checkpoint: string;
  /** The output directory (created; an earlier twin there is replaced file by file). */
  out: string;
}

/** Writes the twin package (see the file header). Returns the files written, relative to `out`. */
export async function writeTorchTwin(parts: TorchTwinParts, o: WriteTwinOptions): Promise<string[]> {
  const written: string[] = [];
  const put = (rel: string, data: string | Uint8Array): void => {
    const file = path.join(o.out, rel);
    makeDirs(path.dirname(file));
    writeFileAtomic(file, data);
    written.push(rel);
  };
  if (fs.existsSync(o.out) && fs.readdirSync(o.out).length && !fs.existsSync(path.join(o.out, 'twin.json'))) {
    throw new UserError(`${o.out}: the directory is not empty and holds no twin (twin.json); give a new directory`, 2);
  }
  for (const f of TWIN_SOURCES) put(f, fs.readFileSync(path.join(twinTemplatesDir(), f)));
  const model = await loadModel(o.checkpoint);
  const sd = modelStateDict(model);
  model.dispose();
  const sources = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.source]));
  put('model.safetensors', writeSafetensors(sd, { format: 'pt', 'rnnkit.sources': JSON.stringify(sources), 'rnnkit.twin': o.task }));
  put('twin.json', `${JSON.stringify({ format: TWIN_FORMAT, task: o.task, model: parts.model, train: parts.train, checkpoint: 'checkpoint' }, null, 1)}\n`);
  for (const [split, value] of Object.entries(parts.splits)) if (value !== undefined) put(path.join('data', `${split}.json`), JSON.stringify(value));
  put('sample.json', JSON.stringify(parts.sample));
  for (const f of fs.readdirSync(o.checkpoint)) {
    const file = path.join(o.checkpoint, f);
    if (fs.statSync(file).isFile()) put(path.join('checkpoint', f), fs.readFileSync(file));
  }
  return written;
}

/** Runs the twin's forward.py; returns its parsed JSON output. */
export function runTwinPython(dir: string, args: string[]): Record<string, unknown> {
  const python = pythonCommand();
  const r = spawnSync(python, [path.join(dir, 'forward.py'), ...args], { env: pythonEnv(), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw new UserError(`${python}: cannot run ${path.join(dir, 'forward.py')} (${r.error.message})`);
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    throw new UserError(`${path.join(dir, 'forward.py')} failed (exit ${r.status}): ${last}`);
  }
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The tfjs model's outputs on an input batch given by input name (int32 ids). */
export function tfjsForward(model: tf.LayersModel, inputs: Record<string, number[][]>): tf.Tensor {
  const names = model.inputNames;
  const xs = names.map((n) => {
    if (!inputs[n]) throw new Error(`the batch has no input '${n}' (it has ${Object.keys(inputs).join(', ')})`);
    return tf.tensor2d(inputs[n], undefined, 'int32');
  });
  // apply, not predict: predict would cut every input into batches along axis 0 (pos's char_ids has N rows, not B)
  const y = model.apply(xs.length === 1 ? xs[0] : xs, { training: false }) as tf.Tensor;
  tf.dispose(xs);
  return y;
}

/** Largest |PyTorch − tfjs| of the twin's forward on its sample batch (sample.json), with `weights` (default model.safetensors). */
export async function compareTwin(dir: string, weights?: string): Promise<{ worst: number; shape: number[] }> {
  const model = await loadModel(path.join(dir, 'checkpoint'));
  if (weights) loadModelStateDict(model, readSafetensors(fs.readFileSync(weights), { file: weights }).tensors, weights);
  const sample = JSON.parse(fs.readFileSync(path.join(dir, 'sample.json'), 'utf8')) as Record<string, number[][]>;
  const want = tfjsForward(model, sample);
  const got = runTwinPython(dir, ['--inputs', path.join(dir, 'sample.json'), ...(weights ? ['--weights', weights] : [])]).logits as unknown;
  const a = Float32Array.from((got as number[]).flat(3) as number[]);
  const b = want.dataSync();
  const shape = want.shape;
  want.dispose();
  model.dispose();
  if (a.length !== b.length) throw new UserError(`${dir}: the twin's output has ${a.length} values, the tfjs model's ${b.length} [${shape.join(', ')}]`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return { worst, shape };
}

/** What a twin directory holds (twin.json, checked). */
export function readTwin(dir: string): { task: string; spec: Record<string, unknown> } {
  const file = path.join(dir, 'twin.json');
  if (!fs.existsSync(dir)) throw new UserError(`${dir}: no such directory (expected the folder rnn-export --format torch wrote)`, 2);
  if (!fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: is a file, expected the folder rnn-export --format torch wrote`, 2);
  if (!fs.existsSync(file)) throw new UserError(`${dir}: not a PyTorch twin (no twin.json; expected a directory written by rnn-export --format torch)`, 2);
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (spec.format !== TWIN_FORMAT || typeof spec.task !== 'string') throw new UserError(`${file}: not a twin description of format ${TWIN_FORMAT} (a damaged file, or written by another rnnkit version)`);
  if (!fs.existsSync(path.join(dir, 'checkpoint', 'model.json'))) throw new UserError(`${dir}: the twin has no checkpoint/model.json (its copy of the rnnkit checkpoint); export it again`);
  return { task: spec.task, spec };
}

/**
 * Loads the twin's trained weights (`weights`, default DIR/trained.safetensors) into
 * its checkpoint copy's model and writes the result as a checkpoint in `out`
 * (the copy's artifacts, config and training state, and torch_import.json saying
 * where the weights came from). Returns the number of tensors loaded and the
 * training metadata train.py recorded.
 */
export async function importTorchTwin(dir: string, out: string, weights?: string): Promise<{ tensors: number; trained: Record<string, unknown> | null; weights: string }> {
  const { task } = readTwin(dir);
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || (fs.readdirSync(out).length && !fs.existsSync(path.join(out, 'torch_import.json'))))) {
    throw new UserError(`${out}: exists and is not an earlier rnn-import output; give a new directory`, 2);
  }
  const file = weights ?? path.join(dir, 'trained.safetensors');
  if (!fs.existsSync(file)) {
    throw new UserError(`${file}: no such file${weights ? '' : ` (train first: python3 ${path.join(dir, 'train.py')}, or torchrun --nproc_per_node 2 ${path.join(dir, 'train.py')}; or give --weights FILE)`}`, weights ? 2 : 1);
  }
  const st = readSafetensors(fs.readFileSync(file), { file });
  const model = await loadModel(path.join(dir, 'checkpoint'));
  let count: number;
  try {
    count = loadModelStateDict(model, st.tensors, file);
  } catch (e) {
    model.dispose();
    throw new UserError((e as Error).message);
  }
  const target = path.resolve(out);
  makeDirs(path.dirname(target));
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    for (const f of fs.readdirSync(path.join(dir, 'checkpoint'))) fs.copyFileSync(path.join(dir, 'checkpoint', f), path.join(tmp, f));
    await saveModel(model, tmp);
    let trained: Record<string, unknown> | null = null;
    try {
      trained = st.metadata['rnnkit.trained'] ? (JSON.parse(st.metadata['rnnkit.trained']) as Record<string, unknown>) : null;
    } catch {
      trained = null;
    }
    writeFileAtomic(path.join(tmp, 'torch_import.json'), `${JSON.stringify({ task, twin: path.resolve(dir), weights: path.resolve(file), tensors: count, trained }, null, 1)}\n`);
    if (fs.existsSync(target)) fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
    return { tensors: count, trained, weights: file };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    model.dispose();
  }
}
