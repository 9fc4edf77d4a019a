/**
 * Sentiment classification, end to end: read → tokenize → vocabulary → bucketed
 * batches → model → train (src/train) → evaluate the best checkpoint on dev and
 * test → report. No argv here: the CLI maps options onto SentimentConfig.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../../layers/random';
import { loadModel } from '../../src/io/fs_handler';
import { bucketedBatches, padBatch, SequenceBatch } from '../../src/data/batching';
import { LabeledText, loadLabeledSplits } from '../../src/data/labeled_text';
import { vaderLexicon } from '../../src/data/lexicon';
import { gloveAvailable, loadGlove, seedEmbedding } from '../../src/data/pretrained';
import { tokenize } from '../../src/data/tokenizer';
import { Vocabulary } from '../../src/data/vocabulary';
import { classificationReport, ClassificationReport } from '../../src/metrics/classification';
import { bundledData } from '../../src/paths';
import { readArtifacts } from '../../src/train/checkpoint';
import { train, TrainResult } from '../../src/train';
import { engineOptions } from '../../src/train/common';
import { shardRows } from '../../src/train/parallel';
import type { TaskHooks } from '../../src/task';
import { SENTIMENT_DEFAULTS, SentimentConfig } from './config';
import { buildSentimentModel } from './model';
import { sentimentLoss, sentimentReplica } from './replica';

export { SENTIMENT_DEFAULTS } from './config';
export type { SentimentConfig, SentimentOptions } from './config';
export { buildSentimentModel } from './model';

/** Callbacks for progress reporting (the contract's TaskHooks). */
export type SentimentHooks = TaskHooks;

export interface Misclassified {
  text: string;
  label: string;
  predicted: string;
  confidence: number;
  source: string;
}

export interface SentimentResult {
  /** Metrics of the best checkpoint. */
  dev: { accuracy: number; macroF1: number };
  test: { accuracy: number; macroF1: number } | null;
  devReport: ClassificationReport;
  testReport: ClassificationReport | null;
  /** A few misclassified test (else dev) examples. */
  misclassified: Misclassified[];
  labels: string[];
  /** The checkpoint to predict with (OUT/best). */
  modelDir: string;
  training: TrainResult;
  notes: string[];
  counts: { train: number; dev: number; test: number; vocabulary: number };
}

/** What a checkpoint carries besides the model, to predict. */
interface SentimentArtifacts {
  task: 'sentiment';
  vocabulary: string[];
  labels: string[];
  config: SentimentConfig;
}

function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => /^-?\d+(\.\d+)?$/.test(l));
  return labels.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** Class probabilities for token-id sequences, in input order. */
function predictProbs(model: tf.LayersModel, seqs: number[][], batchSize: number, maxLen: number): number[][] {
  const out: number[][] = new Array(seqs.length);
  for (const b of bucketedBatches(seqs, seqs.map(() => 0), batchSize * 4, { shuffle: false, maxLen })) {
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(b.ids, undefined, 'int32')) as tf.Tensor2D));
    const rows = probs.arraySync() as number[][];
    probs.dispose();
    b.index.forEach((j, r) => (out[j] = rows[r]));
  }
  return out;
}

/** Adds the lexicon's words that the training data lacks to the vocabulary. */
function withLexicon(vocab: Vocabulary, lexicon: Map<string, number> | null): Vocabulary {
  if (!lexicon) return vocab;
  const have = new Set(vocab.tokens);
  return Vocabulary.fromJSON([...vocab.tokens, ...[...lexicon.keys()].filter((w) => !have.has(w)).sort()]);
}


/** Polarity block: the first POLARITY_DIMS embedding dimensions of lexicon words start at valence/4 · POLARITY_SCALE. */
const POLARITY_DIMS = 8;
const POLARITY_SCALE = 0.4;

/** Writes the lexicon's valence into the polarity block of the initial embeddings. */
function seedPolarity(model: tf.LayersModel, vocab: Vocabulary, lexicon: Map<string, number>): void {
  const emb = model.getLayer('embedding').getWeights()[0];
  const [V, E] = emb.shape as [number, number];
  const dims = Math.min(POLARITY_DIMS, E);
  const values = emb.dataSync().slice();
  vocab.tokens.forEach((w, id) => {
    const v = lexicon.get(w);
    if (v === undefined) return;
    for (let d = 0; d < dims; d++) values[id * E + d] = (v / 4) * POLARITY_SCALE;
  });
  model.getLayer('embedding').setWeights([tf.tensor2d(values, [V, E])]);
}

/** Replaces real tokens by <unk> (id 1) with probability p, seeded (training batches only). */
function withWordDropout(batches: SequenceBatch[], p: number, seed: number): SequenceBatch[] {
  if (p <= 0) return batches;
  const rng = new SeededRandom(seed ^ 0x5bd1e995);
  return batches.map((b) => ({ ...b, ids: b.ids.map((row) => row.map((id) => (id > 1 && rng.uniform() < p ? 1 : id))) }));
}

const argmax = (p: number[]): number => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);

export async function trainSentiment(overrides: Partial<SentimentConfig> = {}, hooks: SentimentHooks = {}): Promise<SentimentResult> {
  const config: SentimentConfig = { ...SENTIMENT_DEFAULTS, ...overrides };
  const note = (m: string): void => hooks.onNote?.(m);
  const dataPath = config.data ?? bundledData('sentiment');
  const splits = loadLabeledSplits(dataPath, { labelColumn: config.labelColumn, textColumn: config.textColumn }, config.seed);
  splits.notes.forEach(note);

  // Vocabulary and labels come from the checkpoint when resuming, so ids keep their meaning.
  const resumed = config.resume ? (readArtifacts(config.resume) as unknown as SentimentArtifacts) : null;
  const trainTokens = splits.train.map((e) => tokenize(e.text));
  const lexicon = config.lexicon === 'vader' ? vaderLexicon() : null;
  const vocab = resumed ? Vocabulary.fromJSON(resumed.vocabulary) : withLexicon(Vocabulary.build(trainTokens, { minFreq: config.minFreq, maxSize: config.maxVocab }), lexicon);
  const labels = resumed ? resumed.labels : sortLabels([...new Set(splits.train.map((e) => e.label))]);
  if (labels.length < 2) throw new Error(`${dataPath}: the training data has a single label ('${labels[0]}'); classification needs at least two`);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const encode = (items: LabeledText[]) => ({
    seqs: items.map((e) => vocab.encode(tokenize(e.text)).slice(0, config.maxLen)),
    ys: items.map((e) => labelIndex.get(e.label) ?? -1),
  });
  const tr = encode(splits.train);
  const dv = encode(splits.dev);
  const te = encode(splits.test);
  note(`data: ${splits.train.length} train / ${splits.dev.length} dev / ${splits.test.length} test examples, ${labels.length} labels (${labels.join(', ')}), vocabulary ${vocab.size}`);

  const usePretrained = config.pretrained === 'glove' || (config.pretrained === 'auto' && gloveAvailable());
  const vectors = usePretrained && !resumed ? loadGlove() : null;
  if (usePretrained) config.embeddingDim = 100;
  const model = buildSentimentModel(config, vocab.size, labels.length);
  if (vectors) note(`pretrained embeddings: GloVe 100-d for ${seedEmbedding(model.getLayer('embedding'), vocab.tokens, vectors)} of ${vocab.size} words`);
  if (lexicon && !resumed) seedPolarity(model, vocab, lexicon);
  const artifacts: SentimentArtifacts = { task: 'sentiment', vocabulary: vocab.toJSON(), labels, config };
  const evaluate = (m: tf.LayersModel, d: { seqs: number[][]; ys: number[] }): ClassificationReport =>
    classificationReport(d.ys, predictProbs(m, d.seqs, config.batchSize, config.maxLen).map(argmax), labels);

  const training = await train<SequenceBatch>(
    {
      model,
      loss: sentimentLoss(model, labels.length),
      // data-parallel workers (--workers n): each builds this model and takes a shard of every batch
      replica: sentimentReplica({ config, vocabSize: vocab.size, numLabels: labels.length }),
      shard: (b, i, n) => shardRows(b, i, n, b.labels.length),
      batches: (epoch, seed) => withWordDropout(bucketedBatches(tr.seqs, tr.ys, config.batchSize, { seed: seed * 1000 + epoch, maxLen: config.maxLen }), config.wordDropout, seed * 1000 + epoch),
      batchSize: (b) => b.labels.length,
      evaluate: () => {
        const r = evaluate(model, dv);
        return { accuracy: r.accuracy, macroF1: r.macroF1 };
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
    },
    engineOptions(config, hooks, { metric: 'accuracy' }),
  );

  const bestDir = path.join(config.out, 'best');
  const best = training.bestEpoch >= 0 ? await loadModel(bestDir) : model;
  const devReport = evaluate(best, dv);
  const testReport = te.seqs.length ? evaluate(best, te) : null;
  const shown = te.seqs.length ? { items: splits.test, d: te } : { items: splits.dev, d: dv };
  const probs = predictProbs(best, shown.d.seqs, config.batchSize, config.maxLen);
  const misclassified = shown.items
    .map((e, i) => ({ e, p: probs[i], y: shown.d.ys[i] }))
    .filter(({ p, y }) => argmax(p) !== y)
    .sort((a, b) => Math.max(...b.p) - Math.max(...a.p))
    .slice(0, 5)
    .map(({ e, p }) => ({ text: e.text, label: e.label, predicted: labels[argmax(p)], confidence: Math.max(...p), source: e.source }));
  if (best !== model) best.dispose();
  model.dispose();
  return {
    dev: { accuracy: devReport.accuracy, macroF1: devReport.macroF1 },
    test: testReport ? { accuracy: testReport.accuracy, macroF1: testReport.macroF1 } : null,
    devReport,
    testReport,
    misclassified,
    labels,
    modelDir: bestDir,
    training,
    notes: splits.notes,
    counts: { train: splits.train.length, dev: splits.dev.length, test: splits.test.length, vocabulary: vocab.size },
  };
}

/** A trained sentiment model, loaded from a checkpoint directory, for predictions. */
export class SentimentClassifier {
  private constructor(
    readonly model: tf.LayersModel,
    readonly vocab: Vocabulary,
    readonly labels: string[],
    readonly config: SentimentConfig,
  ) {}

  static async load(dir: string): Promise<SentimentClassifier> {
    const a = readArtifacts(dir) as unknown as SentimentArtifacts;
    if (a.task !== 'sentiment') throw new Error(`${dir}: this checkpoint is for task '${String(a.task)}', not sentiment`);
    const model = await loadModel(path.join(dir));
    return new SentimentClassifier(model, Vocabulary.fromJSON(a.vocabulary), a.labels, a.config);
  }

  /** Label and class probabilities for each text. */
  predict(texts: string[]): { text: string; label: string; probabilities: Record<string, number> }[] {
    const seqs = texts.map((t) => this.vocab.encode(tokenize(t)).slice(0, this.config.maxLen));
    const probs = predictProbs(this.model, seqs.map((s) => (s.length ? s : [1])), this.config.batchSize, this.config.maxLen);
    return texts.map((text, i) => ({
      text,
      label: this.labels[argmax(probs[i])],
      probabilities: Object.fromEntries(this.labels.map((l, j) => [l, probs[i][j]])),
    }));
  }

  dispose(): void {
    this.model.dispose();
  }
}

export { padBatch };
export { task } from './task';
