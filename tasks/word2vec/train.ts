/**
 * word2vec, end to end: count the corpus (one pass) → vocabulary → shared
 * tables (one WebAssembly.Memory) → `workers` threads train every epoch on
 * their slices of the corpus, lock-free → after each epoch: similarity and
 * analogy evaluation, OUT/last (and OUT/best) checkpoints → vector files.
 * Progress (words/s, ETA) is read from shared counters while the threads run,
 * so the main thread stays free for the progress bar and Ctrl-C. No argv here.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { evaluateAnalogies, evaluateSimilarity, readAnalogyFile, readSimilarityFile } from '../../src/embeddings/evaluate';
import type { AnalogyQuestion, AnalogyResult, SimilarityPair, SimilarityResult } from '../../src/embeddings/evaluate';
import { writeVectors } from '../../src/embeddings/formats';
import { WordVectors } from '../../src/embeddings/word_vectors';
import { UserError } from '../../src/errors';
import { makeDirs } from '../../src/io/output_paths';
import { bundledData } from '../../src/paths';
import type { TaskHooks } from '../../src/task';
import { loadCheckpoint, mixSeed, saveCheckpoint, startScriptWorker, workerScript } from '../../src/train';
import type { Metrics, TrainingState, TrainResult } from '../../src/train';
import { DEFAULT_LR, WORD2VEC_DEFAULTS, Word2VecTaskConfig } from './config';
import { buildVocab, countCorpus, removeCorpus, Vocab } from './data';
import { buildEmbeddingModel, embeddingTable } from './model';
import { fillUnigramTable, keepThresholds, sigmoidTables } from './sgns';
import { wasmKernelAvailable } from './wasm_kernel';
import type { Layout, WorkerInit } from './worker';

/** What a checkpoint carries besides the embedding model. */
export interface Word2VecArtifacts {
  task: 'word2vec';
  words: string[];
  counts: number[];
  /** Whether the vocabulary is lowercased (tokenize 'words'): queries are lowercased too. */
  lowercase: boolean;
  config: Word2VecTaskConfig;
}

/** Settings for the bundled default corpus when the user gives no --data (each overridable). */
export const BUNDLED_PRESET: Partial<Word2VecTaskConfig> = { sample: 1e-3, epochs: 10, lr: 0.05 };

export interface EpochEval {
  epoch: number;
  loss: number;
  wordsPerSec: number;
  similarity?: SimilarityResult;
  analogies?: AnalogyResult;
}

export interface Word2VecRun {
  vectors: WordVectors;
  modelDir: string;
  training: TrainResult;
  notes: string[];
  epochs: EpochEval[];
  counts: { tokens: number; lines: number; types: number; vocab: number; trainWords: number };
  speed: { wordsPerSec: number; wordsPerSecPerThread: number; trainSeconds: number; threads: number; kernel: 'wasm' | 'js' };
  files: string[];
  dev: Metrics;
}

/** Unigram table entries: 256 per word, at least 2^16, at most 2^23 (word2vec.c: 1e8; fastText: 1e7). */
const tableSize = (V: number): number => Math.min(1 << 23, Math.max(1 << 16, 2 ** Math.ceil(Math.log2(V * 256))));

/** Lays the tables out in one shared memory (rows padded to 4 floats, 16-byte aligned). */
function layoutFor(V: number, rowFloats: number, threads: number): Layout {
  const align = (x: number): number => Math.ceil(x / 16) * 16;
  const rowBytes = rowFloats * 4;
  let off = 0;
  const take = (bytes: number): number => {
    const at = off;
    off = align(off + bytes);
    return at;
  };
  const syn0 = take(V * rowBytes);
  const syn1 = take(V * rowBytes);
  const tableN = tableSize(V);
  const table = take(tableN * 4);
  const sig = take(1001 * 4);
  const nlogSig = take(1001 * 4);
  const nlogOneMinus = take(1001 * 4);
  const scratch = take(threads * 2 * rowBytes);
  return { syn0, syn1, table, tableN, sig, nlogSig, nlogOneMinus, scratch, bytes: off };
}

/** The worker script: compiled JavaScript in dist/, TypeScript from the sources (tests), compiled on load as src/train/parallel.ts does. */

/** Threads with their message queue: run an epoch on all and wait. */
class Pool {
  private waiting: ((e?: Error) => void)[] = [];
  private pending = 0;
  private failure: Error | null = null;
  constructor(private readonly workers: Worker[]) {
    workers.forEach((w, k) => {
      w.on('message', (m: { type: string; message?: string }) => {
        if (m.type === 'error') this.fail(new Error(`word2vec thread ${k + 1}: ${m.message}`));
        else this.settle();
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => code !== 0 && this.fail(new Error(`word2vec thread ${k + 1} exited with code ${code}`)));
    });
  }
  private settle(): void {
    if (--this.pending === 0) this.waiting.splice(0).forEach((f) => f());
  }
  private fail(e: Error): void {
    this.failure = this.failure ?? e;
    this.pending = 0;
    this.waiting.splice(0).forEach((f) => f(this.failure as Error));
  }
  /** Resolves when every thread has posted one message. */
  all(send?: unknown): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.pending = this.workers.length;
    const p = new Promise<void>((resolve, reject) => this.waiting.push((e) => (e ? reject(e) : resolve())));
    if (send !== undefined) this.workers.forEach((w) => w.postMessage(send));
    return p;
  }
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function seededUniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** The vectors in the shared memory, unpadded. */
function readVectors(mem: Float32Array, layout: Layout, words: string[], dim: number, rowFloats: number): WordVectors {
  const V = words.length;
  const out = new Float32Array(V * dim);
  const base = layout.syn0 / 4;
  for (let i = 0; i < V; i++) out.set(mem.subarray(base + i * rowFloats, base + i * rowFloats + dim), i * dim);
  return new WordVectors(words, dim, out);
}

export async function trainWord2Vec(overrides: Partial<Word2VecTaskConfig> = {}, hooks: TaskHooks = {}): Promise<Word2VecRun> {
  const notes: string[] = [];
  const note = (m: string): void => {
    notes.push(m);
    hooks.onNote?.(m);
  };
  // The bundled Brown sample (0.55 M words) is small for the defaults: subsample less, train longer, faster.
  const preset: Partial<Word2VecTaskConfig> = {};
  if (overrides.data === undefined) {
    for (const [k, v] of Object.entries(BUNDLED_PRESET) as [keyof Word2VecTaskConfig, never][]) if (overrides[k] === undefined) (preset as Record<string, unknown>)[k] = v;
    if (Object.keys(preset).length) note(`bundled Brown sample: ${Object.entries(preset).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(v)}`).join(' ')} (a small corpus; give options to change)`);
  }
  const config: Word2VecTaskConfig = { ...WORD2VEC_DEFAULTS, ...preset, ...overrides };
  if (overrides.lr === undefined && preset.lr === undefined) config.lr = DEFAULT_LR[config.model];
  const file = config.data ?? bundledData('word2vec', 'brown.txt.gz');
  const lowercase = config.tokenize === 'words';
  // Evaluation files are read first: a bad one fails before the training does.
  const pairs: SimilarityPair[] | null = config.evalSimilarity ? readSimilarityFile(config.evalSimilarity) : null;
  const questions: AnalogyQuestion[] | null = config.evalAnalogies ? readAnalogyFile(config.evalAnalogies) : null;

  const resumed = config.resume ? await loadCheckpoint(config.resume) : null;
  const resumedArt = resumed ? (resumed.artifacts as unknown as Word2VecArtifacts) : null;
  if (resumedArt && resumedArt.task !== 'word2vec') throw new UserError(`${config.resume}: this checkpoint is for task '${String(resumedArt.task)}', not word2vec`);

  const t0 = Date.now();
  const corpus = countCorpus(file, config.tokenize);
  let pool: Pool | null = null;
  try {
    const vocab: Vocab = buildVocab(corpus, config.minCount, config.maxVocab, resumedArt ? { words: resumedArt.words, counts: resumedArt.counts } : undefined);
    const V = vocab.words.length;
    const D = config.dim;
    note(
      `corpus: ${corpus.tokens} tokens in ${corpus.lines} lines, ${corpus.types.length} distinct; vocabulary ${V} words (min count ${config.minCount}` +
        `${config.maxVocab ? `, max ${config.maxVocab}` : ''}), ${vocab.trainWords} training words per epoch; counted in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const kernel: 'wasm' | 'js' = config.kernel === 'js' ? 'js' : wasmKernelAvailable() ? 'wasm' : 'js';
    if (config.kernel === 'wasm' && kernel !== 'wasm') throw new UserError('--kernel wasm: this runtime has no WebAssembly SIMD; use --kernel js');
    // 'auto': one thread per core, at most 4 (as the engine's autoWorkers for long runs).
    const threads = config.workers === 'auto' || config.workers === undefined ? Math.max(1, Math.min(4, os.availableParallelism())) : config.workers;
    const rowFloats = Math.ceil(D / 4) * 4;
    const layout = layoutFor(V, rowFloats, threads);
    const pages = Math.ceil(layout.bytes / 65536);
    if (pages > 65536) throw new UserError(`--dim ${D} with ${V} words needs ${(layout.bytes / 2 ** 30).toFixed(1)} GB of tables (over the 4 GB a WebAssembly memory holds); lower --max-vocab or --dim`);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const f32 = new Float32Array(memory.buffer);
    const i32 = new Int32Array(memory.buffer);
    // word2vec.c's init: input vectors uniform in ±0.5/D, output vectors zero.
    const rand = seededUniform(mixSeed(config.seed, 0x3e3));
    const s0 = layout.syn0 / 4;
    if (resumed) {
      const t = embeddingTable(resumed.model);
      const syn1 = resumed.carried?.syn1?.dataSync() as Float32Array | undefined;
      if (t.vocabSize !== V || t.dim !== D || !syn1) throw new UserError(`${config.resume}: the checkpoint's table is ${t.vocabSize}×${t.dim}, the run asks ${V}×${D} (resume with the same --dim)`);
      for (let i = 0; i < V; i++) {
        f32.set(t.data.subarray(i * D, (i + 1) * D), s0 + i * rowFloats);
        f32.set(syn1.subarray(i * D, (i + 1) * D), layout.syn1 / 4 + i * rowFloats);
      }
      resumed.model.dispose();
      tf.dispose(Object.values(resumed.carried ?? {}));
    } else {
      for (let i = 0; i < V; i++) for (let d = 0; d < D; d++) f32[s0 + i * rowFloats + d] = (rand() - 0.5) / D;
    }
    fillUnigramTable(i32.subarray(layout.table / 4, layout.table / 4 + layout.tableN), vocab.counts, 0.75, mixSeed(config.seed, 0x7ab));
    const tabs = sigmoidTables();
    f32.set(tabs.sig, layout.sig / 4);
    f32.set(tabs.nlogSig, layout.nlogSig / 4);
    f32.set(tabs.nlogOneMinus, layout.nlogOneMinus / 4);

    const share = <T extends Int32Array | Float64Array>(src: T): SharedArrayBuffer => {
      const sab = new SharedArrayBuffer(src.byteLength);
      new (src.constructor as new (b: SharedArrayBuffer) => T)(sab).set(src);
      return sab;
    };
    const remap = share(vocab.remap);
    const keep = share(keepThresholds(vocab.counts, vocab.trainWords, config.sample));
    const progress = new SharedArrayBuffer(8 * 4 * threads);
    const control = new SharedArrayBuffer(4);
    const prog = new Float64Array(progress);
    const ctl = new Int32Array(control);

    const startEpoch = resumed ? resumed.training.epoch : 0;
    const baseWords = startEpoch * vocab.trainWords;
    const totalWords = config.epochs * vocab.trainWords;
    const entry = workerScript(__dirname, 'worker', 'word2vec');
    const workers = Array.from({ length: threads }, (_, k) => {
      const init: WorkerInit = {
        index: k, threads, memory, layout, vocabSize: V, rowFloats, kernel, model: config.model, window: config.window, negative: config.negative,
        idsFile: corpus.idsFile, start: Math.floor((corpus.idsLength * k) / threads), end: Math.floor((corpus.idsLength * (k + 1)) / threads),
        remap, keep, progress, control, lr: config.lr, totalWords, baseWords, seed: config.seed,
      };
      return startScriptWorker(entry, { word2vec: init });
    });
    pool = new Pool(workers);
    await pool.all();
    note(`training: ${config.model}, ${D} dimensions, window ${config.window}, ${config.negative} negatives, sample ${config.sample}, lr ${config.lr}; ${threads} thread${threads > 1 ? 's' : ''}, ${kernel} kernel (progress: ex/s = words/s)`);

    const history: Record<string, number>[] = resumed ? [...resumed.training.history] : [];
    const epochs: EpochEval[] = [];
    const metricName = questions ? 'analogy' : pairs ? 'similarity' : 'loss';
    const mode: 'max' | 'min' = metricName === 'loss' ? 'min' : 'max';
    let best: number | null = resumed ? resumed.training.best : null;
    let bestEpoch = resumed ? resumed.training.bestEpoch : -1;
    let bestDev: Metrics = resumed ? resumed.training.bestDev : {};
    let stopped: TrainResult['stopped'] = 'completed';
    let trainSeconds = 0;
    let trainedWords = 0;
    const lastDir = path.join(config.out, 'last');
    const bestDir = path.join(config.out, 'best');
    let lastVectors: WordVectors | null = null;
    const artifacts: Word2VecArtifacts = { task: 'word2vec', words: vocab.words, counts: vocab.counts, lowercase, config };

    const wordsDone = (): number => {
      let s = 0;
      for (let k = 0; k < threads; k++) s += prog[4 * k];
      return s;
    };
    const lossNow = (): { sum: number; n: number } => {
      let sum = 0;
      let n = 0;
      for (let k = 0; k < threads; k++) {
        sum += prog[4 * k + 1];
        n += prog[4 * k + 2];
      }
      return { sum, n };
    };

    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const e0 = Date.now();
      const w0 = wordsDone();
      const l0 = lossNow();
      let lPrev = l0;
      const done = pool.all({ epoch });
      let finished = false;
      void done.then(() => (finished = true), () => (finished = true));
      let step = 0;
      while (!finished) {
        await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
        if (hooks.signal?.aborted) Atomics.store(ctl, 0, 1);
        const w = wordsDone() - w0;
        const secs = (Date.now() - e0) / 1000;
        const rate = w / Math.max(secs, 1e-3);
        const l = lossNow();
        const dl = l.n > lPrev.n ? (l.sum - lPrev.sum) / (l.n - lPrev.n) : NaN;
        lPrev = l;
        const frac = Math.min(1, w / vocab.trainWords);
        const doneAll = baseWords + wordsDone();
        const lr = Math.max(config.lr * 1e-4, config.lr * (1 - doneAll / (totalWords + 1)));
        if (!Number.isNaN(dl)) {
          step = Math.min(99, Math.floor(frac * 100));
          hooks.onStep?.({
            epoch, step, stepsInEpoch: 100, globalStep: epoch * 100 + step + 1, loss: dl, gradNorm: 0, paramNorm: 0, gradParamRatio: 0, updateRatio: 0, lr,
            examplesPerSec: rate, etaSec: (totalWords - doneAll) / Math.max(rate, 1), clipped: false,
          });
        }
      }
      await done;
      const secs = (Date.now() - e0) / 1000;
      const words = wordsDone() - w0;
      trainSeconds += secs;
      trainedWords += words;
      const l = lossNow();
      const loss = l.n > l0.n ? (l.sum - l0.sum) / (l.n - l0.n) : NaN;
      if (Atomics.load(ctl, 0) !== 0) {
        stopped = 'interrupted';
        lastVectors = readVectors(f32, layout, vocab.words, D, rowFloats);
        await save(lastDir, lastVectors, epoch, history);
        break;
      }
      // Evaluate the epoch's vectors.
      const vectors = readVectors(f32, layout, vocab.words, D, rowFloats);
      lastVectors = vectors;
      const ev: EpochEval = { epoch, loss, wordsPerSec: words / secs };
      const dev: Metrics = { loss };
      if (pairs) {
        ev.similarity = evaluateSimilarity(vectors, pairs, lowercase);
        dev.similarity = ev.similarity.spearman;
        dev.similarityCoverage = ev.similarity.covered / ev.similarity.total;
      }
      if (questions) {
        ev.analogies = evaluateAnalogies(vectors, questions, { restrict: config.analogyVocab, lowercase });
        dev.analogy = ev.analogies.accuracy;
        dev.analogyCoverage = ev.analogies.covered / ev.analogies.total;
      }
      dev.wordsPerSec = words / secs;
      epochs.push(ev);
      const value = dev[metricName];
      // Without evaluation files the latest vectors are the result (the learning rate has decayed further), not the lowest training loss.
      const isBest = metricName === 'loss' || best === null || Number.isNaN(best) || (mode === 'max' ? value > best : value < best);
      if (isBest) {
        best = value;
        bestEpoch = epoch;
        bestDev = dev;
      }
      history.push({ epoch: epoch + 1, loss, lr: config.lr, ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [`dev_${k}`, v])) });
      await save(lastDir, vectors, epoch + 1, history);
      if (isBest) await save(bestDir, vectors, epoch + 1, history);
      hooks.onEpochEnd?.({ epoch, loss, dev, best: isBest, lr: config.lr * Math.max(1e-4, 1 - (baseWords + wordsDone()) / (totalWords + 1)), seconds: secs, clipFraction: 0, warnings: [] });
    }

    async function save(dir: string, vectors: WordVectors, nextEpoch: number, hist: Record<string, number>[]): Promise<void> {
      const model = buildEmbeddingModel(vectors.data, V, D);
      const syn1 = new Float32Array(V * D);
      for (let i = 0; i < V; i++) syn1.set(f32.subarray(layout.syn1 / 4 + i * rowFloats, layout.syn1 / 4 + i * rowFloats + D), i * D);
      const syn1T = tf.tensor2d(syn1, [V, D]);
      const training: TrainingState = {
        epoch: nextEpoch, step: 0, globalStep: Math.round(baseWords + wordsDone()), seed: config.seed, metric: metricName, mode, best, bestEpoch, bestDev,
        bad: 0, referenceLoss: null, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 }, history: hist,
      };
      try {
        await saveCheckpoint(dir, { model, training, artifacts: artifacts as unknown as Record<string, unknown>, config: config as unknown as Record<string, unknown>, carried: { syn1: syn1T } });
      } finally {
        model.dispose();
        syn1T.dispose();
      }
    }

    const vectors = lastVectors ?? readVectors(f32, layout, vocab.words, D, rowFloats);
    const files: string[] = [];
    if (stopped === 'completed') {
      makeDirs(config.out);
      if (config.save === 'vec' || config.save === 'both') files.push(path.join(config.out, 'vectors.vec'));
      if (config.save === 'bin' || config.save === 'both') files.push(path.join(config.out, 'vectors.bin'));
      for (const f of files) writeVectors(f, vectors);
      if (files.length) note(`vectors written: ${files.join(', ')}`);
    }
    const modelDir = bestEpoch >= 0 && stopped !== 'interrupted' ? bestDir : lastDir;
    const training: TrainResult = {
      stopped, workers: threads, epochs: history.length, globalStep: Math.round(baseWords + wordsDone()), bestDev, bestEpoch, metric: metricName, bestValue: best ?? NaN, history, lastDir, bestDir,
    };
    return {
      vectors, modelDir, training, notes, epochs,
      counts: { tokens: corpus.tokens, lines: corpus.lines, types: corpus.types.length, vocab: V, trainWords: vocab.trainWords },
      speed: { wordsPerSec: trainedWords / Math.max(trainSeconds, 1e-9), wordsPerSecPerThread: trainedWords / Math.max(trainSeconds, 1e-9) / threads, trainSeconds, threads, kernel },
      files,
      dev: bestDev,
    };
  } finally {
    if (pool) await pool.close();
    removeCorpus(corpus);
  }
}
