/**
 * POS tagging, end to end: read → vocabularies → bucketed batches (distinct
 * words' characters listed once per batch) → tagger → train (src/train) →
 * evaluate the best checkpoint on dev and test → per-tag report. No argv here.
 * The loss is loss.ts; predicting is predict.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import { TaggingReport, taggingReport } from '../../src/metrics/tagging';
import { bundledData } from '../../src/paths';
import type { TaskHooks } from '../../src/task';
import { bestOrLastDir, hasBest, noteSink, readTaskArtifacts } from '../../src/task_artifacts';
import { engineOptions, train, TrainResult } from '../../src/train';
import { POS_DEFAULTS, PosTaskConfig } from './config';
import { loadTaggedSplits, TaggedSentence } from './data';
import { batchInputs, Encoders, splitLong, TagBatch, taggedBatches, wordChars, wordKey } from './encode';
import { tagLoss } from './loss';
import { buildTagger } from './model';
import { posLossWeight, posReplica, posShard } from './replica';
import { gloveAvailable, seedEmbedding } from '../../src/data/pretrained';
import { isVectorFile, loadPretrained } from '../../src/embeddings/pretrained';

/** What a checkpoint carries besides the model, to predict. */
export interface PosArtifacts {
  task: 'pos';
  words: string[];
  chars: string[];
  tags: string[];
  maxWordLen: number;
  /** The CoNLL-U column the model was trained on ('upos' also for tsv/slash data). */
  tagColumn: 'upos' | 'xpos';
  /** Whether the model has the character encoder (three inputs) or words only. */
  withChars: boolean;
  config: PosTaskConfig;
}

export interface PosRun {
  dev: TaggingReport;
  test: TaggingReport | null;
  tags: string[];
  modelDir: string;
  training: TrainResult;
  notes: string[];
  counts: { trainSentences: number; trainTokens: number; devTokens: number; testTokens: number; words: number; chars: number; pretrainedWords: number };
  /** Training tokens per second (steps only, evaluation excluded), and the run's CPU seconds. */
  speed: { tokensPerSecond: number; trainSeconds: number; cpuSeconds: number };
}

/** Predicted tag ids for sentences (batched by length, returned in input order). */
export function predictTagIds(model: tf.LayersModel, enc: Encoders, withChars: boolean, sentences: { words: string[] }[], batchSize: number): number[][] {
  const out: number[][] = new Array(sentences.length);
  for (const b of taggedBatches(enc, sentences, batchSize, { shuffle: false })) {
    const best = tf.tidy(() => tf.argMax(model.apply(batchInputs(b, withChars), { training: false }) as tf.Tensor3D, -1));
    const rows = best.arraySync() as number[][];
    best.dispose();
    b.index.forEach((j, r) => (out[j] = rows[r].slice(0, b.lengths[r])));
  }
  return out;
}

/** Token accuracy etc. of a model on tagged sentences; OOV = lowercased form unseen in training. */
export function evaluateTagger(model: tf.LayersModel, enc: Encoders, withChars: boolean, sentences: TaggedSentence[], trainForms: Set<string>, batchSize: number): TaggingReport {
  const tagIndex = new Map(enc.tags.map((t, i) => [t, i]));
  const predicted = predictTagIds(model, enc, withChars, sentences, batchSize);
  // A gold tag never seen in training gets id K (always wrong; listed as its own row).
  const labels = [...enc.tags];
  const gold = sentences.map((s) =>
    s.tags.map((t) => {
      let id = tagIndex.get(t);
      if (id === undefined) {
        id = labels.length;
        labels.push(t);
        tagIndex.set(t, id);
      }
      return id;
    }),
  );
  const oov = sentences.map((s) => s.words.map((w) => !trainForms.has(wordKey(w))));
  return taggingReport(gold, predicted, oov, labels);
}


const tokenCount = (ss: { words: string[] }[]): number => ss.reduce((a, s) => a + s.words.length, 0);

export async function trainPos(overrides: Partial<PosTaskConfig> = {}, hooks: TaskHooks = {}): Promise<PosRun> {
  const config: PosTaskConfig = { ...POS_DEFAULTS, ...overrides };
  const { notes, note } = noteSink(hooks);
  const dataPath = config.data ?? bundledData('pos');
  const splits = loadTaggedSplits(dataPath, config.format, config.tagColumn, config.seed);
  splits.notes.forEach(note);
  const train_ = splitLong(splits.train, config.maxLen);
  const trainForms = new Set(splits.train.flatMap((s) => s.words.map(wordKey)));

  // Vocabularies come from the checkpoint when resuming, so ids keep their meaning.
  const resumed = config.resume ? readTaskArtifacts<PosArtifacts>(config.resume, 'pos') : null;
  const usePretrained = !resumed && (isVectorFile(config.pretrained) || config.pretrained === 'glove' || (config.pretrained === 'auto' && gloveAvailable()));
  const pre = usePretrained ? loadPretrained(config.pretrained) : null;
  const vectors = pre?.vectors ?? null;
  if (vectors) config.wordDim = vectors.dims;
  let words: Vocabulary;
  let extraWords = 0;
  if (resumed) words = Vocabulary.fromJSON(resumed.words);
  else {
    words = Vocabulary.build(splits.train.map((s) => s.words.map(wordKey)), { minFreq: config.minFreq });
    if (vectors && config.pretrainedVocab > 0) {
      const have = new Set(words.tokens);
      const extra = vectors.words.filter((w) => !have.has(w)).slice(0, config.pretrainedVocab);
      words = Vocabulary.fromJSON([...words.tokens, ...extra]);
      extraWords = extra.length;
    }
  }
  const chars = resumed ? Vocabulary.fromJSON(resumed.chars) : Vocabulary.build(splits.train.flatMap((s) => s.words.map((w) => wordChars(w, config.maxWordLen))));
  const tags = resumed ? resumed.tags : [...new Set(splits.train.flatMap((s) => s.tags))].sort();
  if (tags.length < 2) throw new UserError(`${splits.files.train}: the training data has a single tag ('${tags[0]}'); tagging needs at least two`);
  const enc: Encoders = { words, chars, tags, maxWordLen: config.maxWordLen };
  const withChars = config.charDim > 0;
  const counts = {
    trainSentences: splits.train.length,
    trainTokens: tokenCount(splits.train),
    devTokens: tokenCount(splits.dev),
    testTokens: tokenCount(splits.test),
    words: words.size,
    chars: chars.size,
    pretrainedWords: 0,
  };
  note(
    `data: ${splits.train.length} train / ${splits.dev.length} dev / ${splits.test.length} test sentences ` +
      `(${counts.trainTokens} / ${counts.devTokens} / ${counts.testTokens} tokens), ${tags.length} tags, ${words.size} words, ${chars.size} characters`,
  );

  const model = buildTagger({ ...config }, { words: words.size, chars: chars.size, tags: tags.length });
  if (vectors) {
    counts.pretrainedWords = seedEmbedding(model.getLayer('word_embedding'), words.tokens, vectors);
    note(`pretrained embeddings: ${pre?.source} ${vectors.dims}-d for ${counts.pretrainedWords} of ${words.size} words (${extraWords} frequent words of the vectors added beyond the training words; the others keep their random init)`);
  }
  const artifacts: PosArtifacts = { task: 'pos', words: words.tokens, chars: chars.tokens, tags, maxWordLen: config.maxWordLen, tagColumn: config.tagColumn, withChars, config };

  // Speed: tokens of the steps taken, over the time spent in steps (evaluation excluded).
  const epochTokens = new Map<number, number[]>();
  let stepTokens = 0;
  let stepSeconds = 0;
  let last = Date.now();
  const cpu0 = process.cpuUsage();
  const training = await train<TagBatch>(
    {
      model,
      loss: tagLoss(model, withChars, tags.length),
      // data-parallel workers (--workers n|auto): each builds this tagger and takes whole sentences of every batch
      replica: posReplica({ shape: { ...config }, sizes: { words: words.size, chars: chars.size, tags: tags.length }, withChars }),
      shard: posShard,
      lossWeight: posLossWeight,
      batches: (epoch, seed) => {
        const bs = taggedBatches(enc, train_, config.batchSize, { seed, epoch, wordDropout: config.wordDropout });
        epochTokens.set(epoch, bs.map((b) => b.lengths.reduce((a, n) => a + n, 0)));
        last = Date.now();
        return bs;
      },
      batchSize: (b) => b.lengths.length,
      evaluate: () => {
        const r = evaluateTagger(model, enc, withChars, splits.dev, trainForms, 64);
        last = Date.now();
        return { accuracy: r.accuracy, oovAccuracy: r.oovAccuracy, sentenceAccuracy: r.sentenceAccuracy };
      },
      artifacts: artifacts as unknown as Record<string, unknown>,
      config: config as unknown as Record<string, unknown>,
    },
    engineOptions(config, {
      ...hooks,
      onStep: (s) => {
        const now = Date.now();
        stepSeconds += (now - last) / 1000;
        last = now;
        stepTokens += epochTokens.get(s.epoch)?.[s.step] ?? 0;
        hooks.onStep?.(s);
      },
      onEpochEnd: (e) => {
        last = Date.now();
        hooks.onEpochEnd?.(e);
      },
    }, { metric: 'accuracy', mode: 'max' }),
  );
  const cpu = process.cpuUsage(cpu0);

  const modelDir = bestOrLastDir(training, config.out);
  const best = hasBest(training) ? await loadModel(modelDir) : model;
  const dev = evaluateTagger(best, enc, withChars, splits.dev, trainForms, 64);
  const test = splits.test.length ? evaluateTagger(best, enc, withChars, splits.test, trainForms, 64) : null;
  if (best !== model) best.dispose();
  model.dispose();
  return {
    dev,
    test,
    tags,
    modelDir,
    training,
    notes,
    counts,
    speed: { tokensPerSecond: stepSeconds > 0 ? stepTokens / stepSeconds : 0, trainSeconds: stepSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 },
  };
}
