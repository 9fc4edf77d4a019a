/**
 * Character (or word) language modelling, end to end: read text → symbols →
 * vocabulary → id streams → truncated-BPTT batches (B parallel tracks, states
 * carried across batches by CarriedStates) → stacked LSTM/GRU → train (src/train)
 * → validation loss in nats and bits per symbol, samples every epoch → best
 * checkpoint → report. Generation keeps the recurrent state (single-step API).
 * No argv here: the CLI maps options onto CharLmConfig.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import { bundledData } from '../../src/paths';
import { defineTask, PredictIO, TaskHooks, TaskOption, TaskPredictor, TaskResult } from '../../src/task';
import { readArtifacts, resolveCheckpoint } from '../../src/train/checkpoint';
import { engineOptions } from '../../src/train/common';
import { CarriedStates, train } from '../../src/train';
import type { Metrics } from '../../src/train/types';
import { Vocabulary } from '../../src/data/vocabulary';
import { CHARLM_DEFAULTS, CharLmConfig, CharLmOwnConfig, LmLevel } from './config';
import {
  buildVocabulary, checkStreamLength, chunkIds, Corpus, EOS, epochBatches, fromSymbols, LmBatch, readCorpus, toSymbols, trackLength,
} from './data';
import { generateIds, SamplingOptions } from './generate';
import { buildLmModel, LmNet } from './model';
import { exportLm, graphStates, OnnxStepper } from './onnx';
import type { OnnxRuntimeOptions } from '../../src/onnx/onnxruntime';
import { runOnnx } from '../../src/onnx/onnxruntime';

export { CHARLM_DEFAULTS } from './config';
export type { CharLmConfig, CharLmOwnConfig, LmLevel } from './config';
export { buildLmModel, LmNet } from './model';
export { pickSymbol, generateIds } from './generate';
export type { SamplingOptions, GenerateOptions } from './generate';

const LN2 = Math.log(2);

/** What a checkpoint carries besides the model, to generate. */
interface CharLmArtifacts {
  task: 'charlm';
  level: LmLevel;
  vocabulary: string[];
  config: CharLmConfig;
}

/** Evaluation metrics from a mean loss in nats per symbol. */
function lmMetrics(nats: number, level: LmLevel): Metrics {
  return level === 'char'
    ? { lossNats: nats, bitsPerChar: nats / LN2, perplexity: Math.exp(nats) }
    : { lossNats: nats, perplexity: Math.exp(nats), bitsPerWord: nats / LN2 };
}

/**
 * Mean cross-entropy (nats per symbol) of a stream under the model: B tracks,
 * each run chunk by chunk from zero states with the states carried (no dropout;
 * `carry` false: from zero states at every chunk).
 */
export function streamLoss(net: LmNet, stream: Int32Array, B: number, chunk: number, carry = true): { nats: number; symbols: number } {
  const tracks = Math.max(1, Math.min(B, trackLength(stream.length, 1)));
  const L = trackLength(stream.length, tracks);
  if (L < 1) return { nats: NaN, symbols: 0 };
  let states: tf.Tensor[] = net.zeroStates(tracks);
  let sum = 0;
  try {
    for (let t0 = 0; t0 < L; t0 += chunk) {
      const b: LmBatch = { offset: 0, trackLength: L, B: tracks, t0, T: Math.min(chunk, L - t0), reset: t0 === 0 };
      const { x, y } = chunkIds(stream, b);
      if (!carry && t0 > 0) {
        tf.dispose(states);
        states = net.zeroStates(tracks);
      }
      const r = tf.tidy(() => {
        const out = net.forward(tf.tensor2d(x, [b.B, b.T], 'int32'), states, false);
        const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(y, 'int32'), net.vocabSize), tf.logSoftmax(out.logits))));
        return { ce, states: out.states };
      });
      sum += r.ce.dataSync()[0];
      r.ce.dispose();
      tf.dispose(states);
      states = r.states;
    }
  } finally {
    tf.dispose(states);
  }
  return { nats: sum / (tracks * L), symbols: tracks * L };
}

/** Cross-entropy of `stream` under the training symbols' add-one-smoothed unigram frequencies (the no-context baseline). */
function unigramNats(trainStream: Int32Array, stream: Int32Array, V: number): number {
  const counts = new Float64Array(V).fill(1);
  for (const id of trainStream) counts[id]++;
  const total = counts.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 1; i < stream.length; i++) sum -= Math.log(counts[stream[i]] / total);
  return sum / Math.max(1, stream.length - 1);
}

/** A language model loaded for generation. */
export class CharLm implements TaskPredictor {
  readonly banned: ReadonlySet<number>;
  /** Set by useOnnxRuntime(): generation steps through the exported graph in onnxruntime-node. */
  private onnx: OnnxStepper | null = null;

  constructor(readonly net: LmNet, readonly vocab: Vocabulary, readonly level: LmLevel, readonly config: CharLmConfig) {
    this.banned = new Set([0, 1]); // <pad> never occurs; <unk> is not worth generating
  }

  static async load(dir: string): Promise<CharLm> {
    const ckpt = resolveCheckpoint(dir);
    const a = readArtifacts(ckpt) as unknown as CharLmArtifacts;
    if (a.task !== 'charlm') throw new UserError(`${dir}: this checkpoint is for task '${String(a.task)}', not charlm`);
    const net = LmNet.fromModel(await loadModel(ckpt));
    return new CharLm(net, Vocabulary.fromJSON(a.vocabulary), a.level, a.config);
  }

  /** The id that starts a sample when there is no prime: a line end when the vocabulary has one. */
  get startId(): number {
    const id = this.vocab.encode([this.level === 'char' ? '\n' : EOS])[0];
    return id > 1 ? id : Math.min(2, this.vocab.size - 1);
  }

  /** Ids of a prime text (unknown symbols become <unk>). */
  encode(text: string): number[] {
    return this.vocab.encode(toSymbols(text, this.level));
  }

  /** The text of a symbol id (a word-level model separates words with spaces). */
  symbolText(id: number, first: boolean): string {
    const s = this.vocab.tokens[id];
    if (this.level === 'char') return s;
    return s === EOS ? '\n' : first ? s : ` ${s}`;
  }

  /**
   * Generates `length` symbols after `prime` ('' = from a line start), streaming
   * each piece of text to `onText` as it is produced; returns the generated text
   * (without the prime).
   */
  generate(o: SamplingOptions & { prime?: string; length: number; seed: number; onText?: (piece: string) => void }): string {
    const primeIds = o.prime ? this.encode(o.prime) : [];
    const prime = primeIds.length ? primeIds : [this.startId];
    let text = '';
    const lastPrime = this.vocab.tokens[prime[prime.length - 1]];
    let first = this.level === 'word' && (primeIds.length === 0 || lastPrime === EOS);
    generateIds(this.onnx ?? this.net, {
      ...o,
      prime,
      banned: this.banned,
      onSymbol: (id) => {
        const piece = this.symbolText(id, first);
        first = this.level === 'word' && piece === '\n';
        text += piece;
        o.onText?.(piece);
      },
    });
    return text;
  }

  /** The model as an ONNX graph with its states as inputs and outputs (tasks/charlm/onnx.ts). */
  exportOnnx(metadata: Record<string, string> = {}): Uint8Array {
    return exportLm(this.net, metadata);
  }

  /** Runs the exported graph in onnxruntime on a sample text from given states and compares logits and states with tfjs (rnn-export --verify). */
  async verifyOnnx(bytes: Uint8Array): Promise<string> {
    const V = this.net.vocabSize;
    const ids = tf.tensor2d([Array.from({ length: 12 }, (_, t) => 2 + ((t * 7) % Math.max(1, V - 2))), Array.from({ length: 12 }, (_, t) => 2 + ((t * 3 + 1) % Math.max(1, V - 2)))], undefined, 'int32');
    const start = this.net.zeroStates(2).map((s, i) => tf.randomNormal(s.shape, 0, 0.5, 'float32', 11 + i) as tf.Tensor2D);
    const want = tf.tidy(() => {
      const r = this.net.forward(ids, start, false);
      return [tf.reshape(r.logits, [2, 12, V]), ...r.states];
    });
    const isLstm = this.net.rnn.args.cell === 'lstm';
    const feeds: Record<string, tf.Tensor> = { symbol_ids: ids, ...graphStates(start, isLstm) };
    const got = await runOnnx(bytes, feeds);
    const final = graphStates(want.slice(1), isLstm);
    const pairs: [tf.Tensor, tf.Tensor][] = [[got.logits, want[0]], [got.h_n, final.h0], ...(isLstm ? [[got.c_n, final.c0] as [tf.Tensor, tf.Tensor]] : [])];
    const worst = Math.max(...pairs.map(([a, b]) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])));
    tf.dispose([ids, ...start, ...want, ...Object.values(feeds), ...Object.values(got), ...Object.values(final)]);
    if (!(worst <= 1e-4)) throw new UserError(`onnxruntime's logits or states differ from tfjs's by ${worst} (> 1e-4)`);
    return `verified in onnxruntime-node: logits and states of a sample batch from random states, max |onnxruntime - tfjs| = ${worst.toExponential(2)}`;
  }

  /** Generation from now on steps through the exported graph in onnxruntime-node (what `rnn-generate --engine onnxruntime` calls). */
  useOnnxRuntime(options: OnnxRuntimeOptions = {}): this {
    this.onnx?.dispose();
    this.onnx = new OnnxStepper(this.net, options);
    return this;
  }

  dispose(): void {
    this.onnx?.dispose();
    this.onnx = null;
    this.net.dispose();
  }
}

/** A few samples from the model (seeded), e.g. after an epoch. */
function samples(lm: CharLm, config: CharLmConfig, seed: number): string[] {
  return Array.from({ length: config.samples }, (_, i) =>
    lm.generate({ length: config.sampleLength, temperature: config.sampleTemperature, seed: seed * 101 + i }),
  );
}

/** A sample on one line (line ends shown as ⏎). */
const oneLine = (s: string): string => s.replace(/\n/g, ' ⏎ ');

function checkConfig(c: CharLmConfig): void {
  if (c.level !== 'char' && c.level !== 'word') throw new UserError(`level must be 'char' or 'word', got '${String(c.level)}'`, 2);
  for (const k of ['layers', 'hidden', 'embeddingDim', 'bptt', 'batchSize', 'minEpochSteps', 'maxVocab'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new UserError(`${k} must be a positive integer, got ${String(c[k])}`, 2);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new UserError(`dropout must be in [0, 1), got ${c.dropout}`, 2);
}

export async function trainCharLm(overrides: Partial<CharLmConfig> = {}, hooks: TaskHooks = {}): Promise<TaskResult> {
  const config: CharLmConfig = { ...CHARLM_DEFAULTS, ...overrides };
  checkConfig(config);
  const notes: string[] = [];
  const note = (m: string): void => {
    notes.push(m);
    hooks.onNote?.(m);
  };
  const dataPath = config.data ?? bundledData('charlm', 'names.txt');
  const corpus: Corpus = readCorpus(dataPath, config.valFraction);
  corpus.notes.forEach(note);

  // The vocabulary comes from the checkpoint when resuming, so ids keep their meaning.
  const resumed = config.resume ? (readArtifacts(config.resume) as unknown as CharLmArtifacts) : null;
  if (resumed && resumed.task !== 'charlm') throw new UserError(`${config.resume}: this checkpoint is for task '${String(resumed.task)}', not charlm`);
  const trainSymbols = toSymbols(corpus.train, config.level);
  const vocab = resumed ? Vocabulary.fromJSON(resumed.vocabulary) : buildVocabulary(trainSymbols, config.minFreq, config.maxVocab);
  const encode = (symbols: string[]): Int32Array => Int32Array.from(vocab.encode(symbols));
  const trainStream = encode(trainSymbols);
  const devStream = encode(toSymbols(corpus.dev, config.level));
  const testStream = corpus.test !== null ? encode(toSymbols(corpus.test, config.level)) : null;
  checkStreamLength(trainStream.length, config.batchSize, `${dataPath} (training part)`);
  const unit = config.level === 'char' ? 'characters' : 'words';
  const devUnk = devStream.reduce((n, id) => n + (id === 1 ? 1 : 0), 0);
  note(`${config.level}-level: ${trainStream.length} training / ${devStream.length} validation ${unit}${testStream ? ` / ${testStream.length} test` : ''}, vocabulary ${vocab.size} (incl. <pad>, <unk>)${devUnk ? `; ${devUnk} validation ${unit} unknown` : ''}`);

  const net = buildLmModel(config, vocab.size);
  const B = config.batchSize;
  const carried = new CarriedStates(() => net.zeroStates(B));
  const artifacts: CharLmArtifacts = { task: 'charlm', level: config.level, vocabulary: vocab.toJSON(), config };
  const lm = new CharLm(net, vocab, config.level, config);
  const stepsPerPass = Math.ceil(trackLength(trainStream.length, B) / config.bptt);
  const passes = Math.ceil(config.minEpochSteps / stepsPerPass);
  note(`truncated BPTT: ${B} tracks of ${trackLength(trainStream.length, B)} ${unit}, ${config.bptt} steps per batch; ${stepsPerPass} batches per pass${passes > 1 ? `, ${passes} passes per epoch` : ''}`);
  const evalChunk = config.carryStates ? Math.max(config.bptt, 200) : config.bptt;
  let evaluations = 0;

  const training = await train<LmBatch>(
    {
      model: net.model,
      loss: (b, isTraining) =>
        tf.tidy(() => {
          if (b.reset || !config.carryStates) carried.reset();
          const { x, y } = chunkIds(trainStream, b);
          const out = net.forward(tf.tensor2d(x, [b.B, b.T], 'int32'), carried.current(), isTraining);
          carried.carry(out.states);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), vocab.size), out.logits) as tf.Scalar;
        }),
      batches: (epoch, seed) => epochBatches(trainStream.length, B, config.bptt, config.minEpochSteps, epoch, seed),
      batchSize: (b) => b.B * b.T,
      evaluate: () => {
        const m = lmMetrics(streamLoss(net, devStream, B, evalChunk, config.carryStates).nats, config.level);
        const shown = samples(lm, config, config.seed + evaluations++);
        shown.forEach((s, i) => note(`sample ${i + 1}: ${oneLine(s)}`));
        return m;
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
      config: config as unknown as Record<string, unknown>,
      carried,
    },
    engineOptions(config, hooks, { metric: 'lossNats', mode: 'min' }),
  );
  carried.dispose();

  // Report on the best checkpoint (the in-memory weights are the last epoch's).
  const best = training.bestEpoch >= 0 && training.bestDir ? await CharLm.load(training.bestDir) : lm;
  const dev = training.bestEpoch >= 0 ? training.bestDev : lmMetrics(streamLoss(best.net, devStream, B, evalChunk, config.carryStates).nats, config.level);
  const test = testStream ? lmMetrics(streamLoss(best.net, testStream, B, evalChunk, config.carryStates).nats, config.level) : undefined;
  const finalSamples = samples(best, config, config.seed + 7919);
  const unigram = unigramNats(trainStream, devStream, vocab.size);
  if (best !== lm) best.dispose();
  lm.dispose();

  const per = config.level === 'char' ? 'char' : 'word';
  const report = [
    `validation: ${dev.lossNats.toFixed(4)} nats/${per}` +
      (config.level === 'char' ? ` (${dev.bitsPerChar.toFixed(4)} bits/char)` : ` (perplexity ${dev.perplexity.toFixed(2)})`) +
      `; unigram baseline ${unigram.toFixed(4)} nats/${per}`,
    ...(test ? [`test: ${test.lossNats.toFixed(4)} nats/${per}${config.level === 'word' ? ` (perplexity ${test.perplexity.toFixed(2)})` : ''}`] : []),
    `samples (temperature ${config.sampleTemperature}):`,
    ...finalSamples.map((s) => `  ${oneLine(s)}`),
  ];
  const modelDir = training.bestEpoch >= 0 && training.bestDir ? training.bestDir : training.lastDir ?? config.out;
  return {
    metrics: { dev, ...(test ? { test } : {}) },
    modelDir,
    training,
    notes,
    report,
    summary: { samples: finalSamples, baselines: { unigramNats: unigram }, vocabulary: vocab.size, level: config.level },
    hint: `rnn-generate --model ${modelDir} --length 300 --temperature 0.8`,
  };
}

/** rnn-predict / rnn-generate for a language model: prime(s) from the arguments or stdin, samples streamed to stdout. */
export async function generateCommand(lm: CharLm, io: PredictIO, options: Record<string, unknown>): Promise<void> {
  const num = (k: string, d: number): number => (options[k] === undefined ? d : Number(options[k]));
  const length = num('length', 500);
  const temperature = num('temperature', 1);
  const topK = num('topK', 0);
  const topP = num('topP', 1);
  const seed = num('seed', 1);
  const count = num('count', 1);
  if (!(Number.isInteger(length) && length >= 1)) throw new UserError(`--length must be a positive integer, got ${String(options.length)}`, 2);
  if (!(temperature >= 0)) throw new UserError(`--temperature must be ≥ 0, got ${String(options.temperature)}`, 2);
  if (!(Number.isInteger(topK) && topK >= 0)) throw new UserError(`--top-k must be a non-negative integer, got ${String(options.topK)}`, 2);
  if (!(topP > 0 && topP <= 1)) throw new UserError(`--top-p must be in (0, 1], got ${String(options.topP)}`, 2);
  let primes: string[] = options.prime !== undefined ? [String(options.prime)] : io.args.length ? io.args : [];
  if (!primes.length && !options.prime) {
    const stdin = await io.readStdin();
    primes = stdin ? [stdin] : [''];
  }
  for (const prime of primes) {
    const unknown = lm.encode(prime).filter((id) => id === 1).length;
    if (unknown) io.note(`prime: ${unknown} symbol(s) not in the model's vocabulary (read as <unk>)`);
    for (let i = 0; i < count; i++) {
      const o = { prime, length, temperature, topK, topP, seed: seed + i };
      if (io.json) {
        const text = lm.generate(o);
        io.write(`${JSON.stringify({ prime, seed: o.seed, text })}\n`);
      } else {
        io.write(prime);
        lm.generate({ ...o, onText: (piece) => io.write(piece) });
        io.write('\n');
      }
    }
  }
}

const OWN_OPTIONS: TaskOption[] = [
  { key: 'level', type: 'choice', choices: ['char', 'word'], help: 'model characters, or whitespace-separated words (perplexity reported)' },
  { key: 'cell', type: 'choice', choices: ['lstm', 'gru'], help: 'recurrent cell' },
  { key: 'layers', type: 'int', help: 'stacked recurrent layers' },
  { key: 'hidden', type: 'int', help: 'hidden units per layer' },
  { key: 'embeddingDim', type: 'int', help: 'symbol embedding size' },
  { key: 'dropout', type: 'number', min: 0, max: 0.95, help: 'dropout on embeddings, between layers and before the output' },
  { key: 'bptt', type: 'int', valueName: 'k', help: 'truncated BPTT: steps per batch (states carry across batches)' },
  { key: 'carryStates', type: 'boolean', help: 'carry recurrent states across batches (--no-carry-states: reset every batch)' },
  { key: 'minEpochSteps', type: 'int', valueName: 'n', help: 'repeat the training text within an epoch until it has this many batches' },
  { key: 'valFraction', type: 'number', min: 0.001, max: 0.5, valueName: 'f', help: 'fraction at the end of a single file held out for validation' },
  { key: 'minFreq', type: 'int', help: 'vocabulary: keep symbols seen at least this often' },
  { key: 'maxVocab', type: 'int', help: 'vocabulary: at most this many entries' },
  { key: 'samples', type: 'int', min: 0, help: 'samples generated after every epoch' },
  { key: 'sampleLength', type: 'int', help: 'length of those samples (symbols)' },
  { key: 'sampleTemperature', type: 'number', min: 0, max: 10, help: 'temperature of those samples' },
];

/** rnn-generate's / rnn-predict's options for a language model. */
export const GENERATE_OPTIONS: TaskOption[] = [
  { key: 'prime', type: 'string', valueName: 'text', help: 'text to start from (default: the arguments, else stdin, else a line start)' },
  { key: 'length', type: 'int', short: 'n', help: 'symbols to generate (default 500)' },
  { key: 'temperature', type: 'number', min: 0, max: 100, short: 't', help: 'sampling temperature; 0 = greedy argmax (default 1)' },
  { key: 'topK', type: 'int', min: 0, valueName: 'k', help: 'sample only from the k most likely symbols; 0 = all (default 0)' },
  { key: 'topP', type: 'number', min: 0.0001, max: 1, valueName: 'p', help: 'nucleus sampling: the most likely symbols with total probability p (default 1)' },
  { key: 'seed', type: 'int', min: 0, help: 'seed of the sampling (default 1)' },
  { key: 'count', type: 'int', help: 'samples per prime, seeds seed, seed+1, ... (default 1)' },
];

export const task = defineTask<CharLmOwnConfig, CharLm>({
  name: 'charlm',
  description: 'character (or word) language model over a long text: truncated BPTT, generation with temperature / top-k / top-p',
  dataHelp: 'a UTF-8 text file (first 90% trains, last 10% validates), or a directory with train.txt and valid.txt (optional test.txt); default: the bundled 8,422 English first names',
  options: OWN_OPTIONS,
  defaults: CHARLM_DEFAULTS,
  metric: 'lossNats',
  examples: [
    'rnn-train --task charlm                                   # bundled first names, a few minutes',
    'rnn-train --task charlm --data ../shared/data/charlm/tinyshakespeare.txt --out runs/shakespeare',
    'rnn-train --task charlm --level word --data corpus/ --hidden 256 --dropout 0.3',
    'rnn-generate --model runs/charlm/best --prime "ROMEO:" --length 400 --temperature 0.7',
  ],
  train: trainCharLm,
  load: CharLm.load,
  predictOptions: GENERATE_OPTIONS,
  onnxGraph: 'the language model with its recurrent states as inputs and outputs (score text, or generate one symbol per call)',
  predictHelp: 'Input: primes as arguments or --prime, else all of stdin, else none (a line start). Output: each prime followed by its generated text, streamed as it is produced, or with --json {"prime","seed","text"} per line.',
  predict: generateCommand,
});
