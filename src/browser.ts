/**
 * rnnkit/browser: what a web page needs, with no Node built-ins (no fs, path,
 * os, worker_threads...): every layer of layers/ (the fused kernels included,
 * and the wasm gradient kernels registered on import), model loading from URLs
 * (tf.loadLayersModel of an rnn-train checkpoint's model.json), and the
 * sentiment predictor that classifies a sentence exactly as `rnn-predict` does
 * (the checkpoint's artifacts.json: vocabulary, labels, maxLen; the same
 * tokenizer and the same length-sorted batches).
 *
 * Built by scripts/build-browser.js into dist/browser/rnnkit.esm.js (package
 * export `rnnkit/browser`; `@tensorflow/tfjs` stays an import) and
 * dist/browser/rnnkit.js (script tag: global `rnnkit`, reads the global `tf`).
 * test/package/browser_bundle.test.ts checks that the bundle imports nothing
 * but @tensorflow/tfjs; docs/deploying.md shows both pages.
 */
import * as tf from '@tensorflow/tfjs';
import { bucketedBatches } from './data/batching';
import { tokenize } from './data/tokenizer';
import { Vocabulary } from './data/vocabulary';

export * from '../layers';
export { tokenize } from './data/tokenizer';
export { Vocabulary, PAD, UNK, SOS, EOS } from './data/vocabulary';

/** Joins a checkpoint folder's URL and a file name ('runs/best' + 'model.json' → 'runs/best/model.json'). */
export function checkpointUrl(base: string, file: string): string {
  return `${base.replace(/\/+$/, '')}/${file}`;
}

/**
 * Loads a tfjs LayersModel from a URL (a checkpoint folder, or its model.json),
 * or from any tf.io handler. The weights are fetched relative to model.json, as
 * tf.loadLayersModel does; rnnkit's layer classes are registered by this module.
 */
export async function loadModel(source: string | tf.io.IOHandler): Promise<tf.LayersModel> {
  if (typeof source !== 'string') return tf.loadLayersModel(source);
  const url = /\.json(\?.*)?$/.test(source) ? source : checkpointUrl(source, 'model.json');
  try {
    return await tf.loadLayersModel(url);
  } catch (e) {
    throw new Error(`rnnkit: cannot load the model ${url}: ${(e as Error).message}`);
  }
}

/** Options of the checkpoint readers. */
export interface FetchOptions {
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

/** Fetches and parses a JSON file, with an error naming the URL. */
export async function fetchJson<T = unknown>(url: string, options: FetchOptions = {}): Promise<T> {
  const f = options.fetch ?? globalThis.fetch;
  const res = await f(url);
  if (!res.ok) throw new Error(`rnnkit: ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  try {
    return (await res.json()) as T;
  } catch (e) {
    throw new Error(`rnnkit: ${url}: not JSON (${(e as Error).message})`);
  }
}

/** A checkpoint loaded from a URL: its model and its artifacts.json (what the task saved to predict). */
export interface BrowserCheckpoint {
  model: tf.LayersModel;
  artifacts: Record<string, unknown> & { task?: string };
}

/** Loads an rnn-train checkpoint folder served over HTTP: model.json + weights and artifacts.json. */
export async function loadCheckpoint(base: string, options: FetchOptions = {}): Promise<BrowserCheckpoint> {
  const artifacts = await fetchJson<BrowserCheckpoint['artifacts']>(checkpointUrl(base, 'artifacts.json'), options);
  if (artifacts === null || typeof artifacts !== 'object') throw new Error(`rnnkit: ${checkpointUrl(base, 'artifacts.json')}: not an object`);
  return { model: await loadModel(base), artifacts };
}

function stringList(artifacts: Record<string, unknown>, key: string, url: string): string[] {
  const v = artifacts[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) throw new Error(`rnnkit: ${url}: '${key}' is not a non-empty list of strings`);
  return v as string[];
}

/** Batches for prediction: src/data/batching.ts's bucketedBatches in input order (no shuffle), without labels. */
export function predictionBatches(seqs: number[][], batchSize: number, maxLen: number): { ids: number[][]; index: number[] }[] {
  return bucketedBatches(seqs, new Array<number>(seqs.length).fill(0), batchSize, { shuffle: false, maxLen }).map(({ ids, index }) => ({ ids, index }));
}

/** One classified text, as `rnn-predict --json` prints it. */
export interface SentimentPrediction {
  text: string;
  label: string;
  probabilities: Record<string, number>;
}

/**
 * A sentiment checkpoint (rnn-train --task sentiment) loaded from a URL: predicts
 * as tasks/sentiment/predict.ts's SentimentClassifier does in Node (tokenize →
 * vocabulary ids cut to maxLen → length-sorted batches of 4·batchSize → softmax).
 */
export class SentimentPredictor {
  private constructor(
    readonly model: tf.LayersModel,
    readonly vocab: Vocabulary,
    readonly labels: string[],
    readonly maxLen: number,
    readonly batchSize: number,
  ) {}

  /** Loads OUT/best (or any sentiment checkpoint folder) served at `base`. */
  static async load(base: string, options: FetchOptions = {}): Promise<SentimentPredictor> {
    const url = checkpointUrl(base, 'artifacts.json');
    const { model, artifacts } = await loadCheckpoint(base, options);
    if (artifacts.task !== 'sentiment') {
      model.dispose();
      throw new Error(`rnnkit: ${url}: this checkpoint is for task '${String(artifacts.task)}', not sentiment`);
    }
    const vocabulary = stringList(artifacts, 'vocabulary', url);
    const labels = stringList(artifacts, 'labels', url);
    const config = (artifacts.config ?? {}) as { maxLen?: number; batchSize?: number };
    const shape = model.outputs[0]?.shape;
    const units = shape ? shape[shape.length - 1] : null;
    if (typeof units === 'number' && units !== labels.length) {
      model.dispose();
      throw new Error(`rnnkit: ${url}: ${labels.length} labels but the model has ${units} outputs: the artifacts and weights are from different runs`);
    }
    return new SentimentPredictor(model, Vocabulary.fromJSON(vocabulary), labels, config.maxLen ?? Infinity, config.batchSize ?? 32);
  }

  /** Token ids of a text (unknown words → 1), cut to maxLen; an empty text is [<unk>]. */
  encode(text: string): number[] {
    const ids = this.vocab.encode(tokenize(text)).slice(0, this.maxLen);
    return ids.length ? ids : [1];
  }

  /** Class probabilities [texts][labels], in input order. */
  probabilities(texts: string[]): number[][] {
    const seqs = texts.map((t) => this.encode(t));
    const out: number[][] = new Array(seqs.length);
    for (const b of predictionBatches(seqs, this.batchSize * 4, this.maxLen)) {
      const probs = tf.tidy(() => tf.softmax(this.model.predict(tf.tensor2d(b.ids, undefined, 'int32')) as tf.Tensor2D)); // [B, K]
      const rows = probs.arraySync() as number[][];
      probs.dispose();
      b.index.forEach((j, r) => (out[j] = rows[r]));
    }
    return out;
  }

  /** Label and class probabilities for each text (what rnn-predict --json prints). */
  predict(texts: string[]): SentimentPrediction[] {
    const probs = this.probabilities(texts);
    return texts.map((text, i) => {
      const best = probs[i].reduce((b, v, j) => (v > probs[i][b] ? j : b), 0);
      return { text, label: this.labels[best], probabilities: Object.fromEntries(this.labels.map((l, j) => [l, probs[i][j]])) };
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Shorthand for SentimentPredictor.load. */
export const loadSentiment = (base: string, options: FetchOptions = {}): Promise<SentimentPredictor> => SentimentPredictor.load(base, options);
