/**
 * Saving and loading tfjs models on Node's filesystem without @tensorflow/tfjs-node
 * (which is what provides `file://` handlers). Writes the standard layout any
 * tfjs project reads with tf.loadLayersModel:
 *
 *   DIR/model.json     topology + weightsManifest (paths relative to DIR: "./weights.bin")
 *   DIR/weights.bin    all weights, concatenated in manifest order
 *
 * Each file is written to a temporary in the same directory, fsynced and renamed
 * into place (weights first, then model.json), so a crash never leaves a truncated
 * file. For all-or-nothing replacement of a whole directory use the checkpoints
 * of src/train/checkpoint.ts, which swap directories.
 *
 * Reading proves the files: model.json is a tfjs model.json, every weights file it
 * names exists and holds exactly the bytes its manifest describes, the bytes match
 * the SHA-256 written with them (model.json `weightsIntegrity`, an extra key other
 * tfjs loaders ignore; model.json is renamed into place after the weights, so it
 * always describes the weights it was written with), and every float weight is
 * finite. Each failure is a one-line UserError naming the file.
 *
 *   await saveModel(model, 'out/model');
 *   const m = await loadModel('out/model');                        // or:
 *   const m2 = await tf.loadLayersModel(fileSystem('out/model'));
 *   // in a browser / other tfjs project: tf.loadLayersModel('https://.../model.json')
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { makeDirs } from './output_paths';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Writes `data` to `file` atomically (temporary file in the same directory, fsync, rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function concat(parts: ArrayBuffer[]): Uint8Array {
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

/** A parser's message on one short line (JSON.parse quotes the input, newlines included). */
export function oneLine(message: string, max = 120): string {
  const m = message.replace(/\s+/g, ' ').trim();
  return m.length > max ? `${m.slice(0, max - 1)}…` : m;
}

/** Size and SHA-256 of a weights file, as model.json's `weightsIntegrity` records them (by manifest path). */
export interface FileIntegrity {
  bytes: number;
  sha256: string;
}

/** The size and SHA-256 of some bytes. */
export function integrityOf(data: Uint8Array): FileIntegrity {
  return { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Bytes per element of a manifest entry as stored (quantized entries store their quantized dtype); null when not fixed (strings). */
function bytesPerElement(spec: tf.io.WeightsManifestEntry): number | null {
  const q = spec.quantization?.dtype;
  if (q) return q === 'uint8' ? 1 : 2;
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    default:
      return null;
  }
}

const DTYPES = new Set(['float32', 'int32', 'bool', 'string', 'complex64']);

/**
 * Checks a weights manifest's entries (names, shapes, dtypes) and returns the bytes
 * they describe (null when a string tensor makes it variable). `file` names the
 * JSON file holding them in messages.
 */
export function manifestBytes(specs: unknown, file: string): number | null {
  if (!Array.isArray(specs)) throw new UserError(`${file}: the weights manifest is not a list (a damaged file)`);
  let total: number | null = 0;
  specs.forEach((s: unknown, i) => {
    const e = s as tf.io.WeightsManifestEntry;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string') throw new UserError(`${file}: weight entry ${i + 1} has no name (a damaged file)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 31)) {
      throw new UserError(`${file}: weight '${e.name}' has no valid shape (a damaged file)`);
    }
    if (!DTYPES.has(e.dtype)) throw new UserError(`${file}: weight '${e.name}' has an unknown dtype '${String(e.dtype)}' (a damaged file)`);
    const per = bytesPerElement(e);
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (size > 2 ** 31) throw new UserError(`${file}: weight '${e.name}' has an impossible shape [${e.shape.join(', ')}] (a damaged file)`);
    total = per === null || total === null ? null : total + per * size;
  });
  return total;
}

/**
 * Refuses non-finite values in the float32 entries of concatenated weight data
 * (`file` names the data in the message).
 */
export function checkFinite(data: ArrayBuffer, specs: tf.io.WeightsManifestEntry[], file: string): void {
  let offset = 0;
  for (const s of specs) {
    const per = bytesPerElement(s) ?? 0;
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype === 'float32' && !s.quantization) {
      const v = offset % 4 === 0 ? new Float32Array(data, offset, n) : new Float32Array(data.slice(offset, offset + 4 * n));
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(v[i])) {
          throw new UserError(`${file}: weight '${s.name}' holds ${Number.isNaN(v[i]) ? 'NaN' : v[i] > 0 ? '+Infinity' : '-Infinity'} (element ${i + 1} of ${n}); the model is damaged or came from a diverged run`);
        }
      }
    }
    offset += per * n;
  }
}

/** `file://x` (tfjs-node's spelling) and `x` both mean the directory x. */
function toDir(dirOrUrl: string): string {
  return dirOrUrl.startsWith('file://') ? dirOrUrl.slice('file://'.length) : dirOrUrl;
}

/** An IOHandler that saves to / loads from a directory: `model.save(fileSystem(dir))`, `tf.loadLayersModel(fileSystem(dir))`. */
export function fileSystem(dirOrUrl: string): tf.io.IOHandler {
  const dir = toDir(dirOrUrl);
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => writeModelArtifacts(dir, artifacts),
    load: async (): Promise<tf.io.ModelArtifacts> => readModelArtifacts(dir),
  };
}

/** Writes ModelArtifacts (what LayersModel.save hands an IOHandler) as DIR/model.json + DIR/weights.bin. */
export function writeModelArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): tf.io.SaveResult {
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('saving binary model topologies is not supported (layers models save JSON)');
  makeDirs(dir);
  const wd = artifacts.weightData;
  const weights = concat(wd === undefined ? [] : Array.isArray(wd) ? wd : [wd]);
  const modelJson: tf.io.ModelJSON & { weightsIntegrity: Record<string, FileIntegrity> } = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    weightsIntegrity: { [`./${WEIGHTS_BIN}`]: integrityOf(weights) },
  };
  writeFileAtomic(path.join(dir, WEIGHTS_BIN), weights);
  writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: JSON.stringify(modelJson.modelTopology).length,
      weightSpecsBytes: JSON.stringify(modelJson.weightsManifest).length,
      weightDataBytes: weights.byteLength,
    },
  };
}

/**
 * Reads DIR/model.json and the weight files it names (paths relative to DIR) into
 * ModelArtifacts: what tf.loadLayersModel and tf.io.fromMemory take.
 */
export function readModelArtifacts(dirOrUrl: string): tf.io.ModelArtifacts {
  const dir = toDir(dirOrUrl);
  const jsonPath = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(dir)) throw new UserError(`${dir}: no such model directory`);
  if (!fs.existsSync(jsonPath)) throw new UserError(`${jsonPath}: no such file (expected a model directory holding model.json and its weights)`);
  let modelJson: tf.io.ModelJSON & { weightsIntegrity?: Record<string, FileIntegrity> };
  try {
    modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as typeof modelJson;
  } catch (e) {
    throw new UserError(`${jsonPath}: not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology || typeof modelJson.modelTopology !== 'object' || !Array.isArray(modelJson.weightsManifest)) {
    throw new UserError(`${jsonPath}: not a tfjs model.json (needs modelTopology and weightsManifest)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest as unknown[]) {
    const g = group as tf.io.WeightsManifestConfig[number];
    if (!g || !Array.isArray(g.paths) || !g.paths.every((p: unknown) => typeof p === 'string')) throw new UserError(`${jsonPath}: a weightsManifest group has no list of paths (a damaged file)`);
    const expected = manifestBytes(g.weights, jsonPath);
    specs.push(...g.weights);
    let got = 0;
    const files: string[] = [];
    for (const p of g.paths) {
      const file = path.join(dir, p);
      files.push(file);
      if (!fs.existsSync(file)) throw new UserError(`${file}: weights file named in ${jsonPath} is missing (the model directory is incomplete)`);
      const b = fs.readFileSync(file);
      const want = modelJson.weightsIntegrity?.[p];
      if (want && typeof want === 'object') {
        if (b.byteLength !== want.bytes) throw new UserError(`${file}: ${b.byteLength} bytes, but ${MODEL_JSON} was written with ${want.bytes} (a truncated or damaged file)`);
        if (integrityOf(b).sha256 !== want.sha256) throw new UserError(`${file}: its SHA-256 differs from the one ${MODEL_JSON} was written with (a damaged file)`);
      }
      got += b.byteLength;
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
    if (expected !== null && got !== expected) {
      throw new UserError(`${files.join(' + ')}: ${got} bytes, but ${jsonPath} describes ${expected} (${got < expected ? 'a truncated' : 'a damaged'} file, or weights of another model)`);
    }
  }
  const weightData = concat(buffers).buffer as ArrayBuffer;
  checkFinite(weightData, specs, path.join(dir, WEIGHTS_BIN));
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    trainingConfig: modelJson.trainingConfig,
    userDefinedMetadata: modelJson.userDefinedMetadata,
    weightSpecs: specs,
    weightData,
  };
}

let routerRegistered = false;

/**
 * Lets `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')`
 * (tfjs-node's spelling) work without tfjs-node. Idempotent, and a no-op when
 * another handler (tfjs-node's) already serves file:// URLs, since tfjs refuses
 * a URL two handlers claim.
 */
export function registerFileSystemRouter(): void {
  if (routerRegistered || tf.io.getSaveHandlers('file://probe').length > 0) return;
  routerRegistered = true;
  // tfjs routers return null for URLs they do not serve (the IORouter typing omits it).
  const route = ((url: string | string[]): tf.io.IOHandler | null => {
    if (Array.isArray(url) || !url.startsWith('file://')) return null;
    const p = toDir(url);
    return fileSystem(path.basename(p) === MODEL_JSON ? path.dirname(p) : p);
  }) as Parameters<typeof tf.io.registerSaveRouter>[0];
  tf.io.registerSaveRouter(route);
  tf.io.registerLoadRouter(route);
}

/** Saves a model to a directory (model.json + weights.bin). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystem(dir));
}

/** Loads a model saved by `saveModel` (or any tfjs layers model directory). Custom layers must be registered (import rnnkit's layers). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return buildModel(dir, readModelArtifacts(dir));
}

/**
 * Builds a LayersModel from artifacts read from `dir`; a topology tfjs cannot build
 * (an edited or foreign model.json) is a UserError naming the file.
 */
export async function buildModel(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    if (e instanceof UserError) throw e;
    const msg = oneLine(String((e as Error)?.message ?? e));
    throw new UserError(`${path.join(toDir(dir), MODEL_JSON)}: cannot build the model it describes (${msg}); the file is damaged or needs layers this program does not register`);
  }
}
