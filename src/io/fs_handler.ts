/**
 * Saving and loading tfjs models on Node's filesystem without @tensorflow/tfjs-node
 * (which is what provides `file://` handlers). Writes the standard layout any
 * tfjs project reads with tf.loadLayersModel:
 *
 *   DIR/model.json     topology + weightsManifest (paths relative to DIR)
 *   DIR/weights.bin    all weights, concatenated
 *
 * Both files are written to temporaries and renamed into place, so a crash never
 * leaves a half-written model.json next to old weights.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Writes `data` to `file` atomically (temporary file in the same directory, fsync, rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function toBuffer(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

/** An IOHandler that saves to / loads from a directory. */
export function fileSystem(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('saving binary model topologies is not supported');
      fs.mkdirSync(dir, { recursive: true });
      const weights = toBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined);
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
    },

    async load(): Promise<tf.io.ModelArtifacts> {
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
      const buffers: Uint8Array[] = [];
      for (const group of modelJson.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(dir, p);
          if (!fs.existsSync(file)) throw new Error(`${file}: weights file named in ${jsonPath} is missing`);
          buffers.push(fs.readFileSync(file));
        }
      }
      const weightData = toBuffer(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)).buffer as ArrayBuffer;
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
    },
  };
}

/** Saves a model to a directory (model.json + weights.bin). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystem(dir));
}

/** Loads a model saved by `saveModel` (or any tfjs layers model directory). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystem(dir));
}
