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
 *   await saveModel(model, 'out/model');
 *   const m = await loadModel('out/model');                        // or:
 *   const m2 = await tf.loadLayersModel(fileSystem('out/model'));
 *   // in a browser / other tfjs project: tf.loadLayersModel('https://.../model.json')
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

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
  fs.mkdirSync(dir, { recursive: true });
  const wd = artifacts.weightData;
  const weights = concat(wd === undefined ? [] : Array.isArray(wd) ? wd : [wd]);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
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
  if (!fs.existsSync(jsonPath)) throw new Error(`${jsonPath}: no such file (expected a model directory holding model.json and its weights)`);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (e) {
    throw new Error(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`${jsonPath}: not a tfjs model.json (needs modelTopology and weightsManifest)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new Error(`${file}: weights file named in ${jsonPath} is missing`);
      const b = fs.readFileSync(file);
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    trainingConfig: modelJson.trainingConfig,
    userDefinedMetadata: modelJson.userDefinedMetadata,
    weightSpecs: specs,
    weightData: concat(buffers).buffer as ArrayBuffer,
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
  return tf.loadLayersModel(fileSystem(dir));
}
