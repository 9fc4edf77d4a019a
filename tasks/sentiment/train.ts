/**
 * A sentiment run, end to end: data.ts (read → vocabulary → ids) → model.ts →
 * the engine (src/train) with loss.ts on bucketed batches → the best checkpoint
 * evaluated on dev and test, with a few misclassified examples. No argv here:
 * the CLI maps options onto SentimentConfig. Next: predict.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { bucketedBatches, SequenceBatch } from '../../src/data/batching';
import { gloveAvailable, seedEmbedding } from '../../src/data/pretrained';
import { isVectorFile, loadPretrained } from '../../src/embeddings/pretrained';
import { loadModel } from '../../src/io/fs_handler';
import { classificationReport, ClassificationReport } from '../../src/metrics/classification';
import { bundledData } from '../../src/paths';
import type { TaskHooks } from '../../src/task';
import { bestOrLastDir, hasBest, readTaskArtifacts } from '../../src/task_artifacts';
import { engineOptions, shardRows, train, TrainResult } from '../../src/train';
import { SENTIMENT_DEFAULTS, SentimentConfig } from './config';
import { EncodedSplit, prepareSentimentData, SentimentArtifacts, withWordDropout } from './data';
import { sentimentLoss } from './loss';
import { buildSentimentModel, seedPolarity } from './model';
import { argmax, predictProbs } from './predict';
import { sentimentReplica } from './replica';

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
  /** The checkpoint to predict with (OUT/best, or OUT/last when no epoch completed). */
  modelDir: string;
  training: TrainResult;
  notes: string[];
  counts: { train: number; dev: number; test: number; vocabulary: number };
}

export async function trainSentiment(overrides: Partial<SentimentConfig> = {}, hooks: SentimentHooks = {}): Promise<SentimentResult> {
  const config: SentimentConfig = { ...SENTIMENT_DEFAULTS, ...overrides };
  const note = (m: string): void => hooks.onNote?.(m);
  const dataPath = config.data ?? bundledData('sentiment');
  const resumed = config.resume ? readTaskArtifacts<SentimentArtifacts>(config.resume, 'sentiment') : null;
  const { splits, vocab, labels, lexicon, train: tr, dev: dv, test: te } = prepareSentimentData(dataPath, config, resumed);
  splits.notes.forEach(note);
  note(`data: ${splits.train.length} train / ${splits.dev.length} dev / ${splits.test.length} test examples, ${labels.length} labels (${labels.join(', ')}), vocabulary ${vocab.size}`);

  const usePretrained = isVectorFile(config.pretrained) || config.pretrained === 'glove' || (config.pretrained === 'auto' && gloveAvailable());
  const pre = usePretrained && !resumed ? loadPretrained(config.pretrained) : null;
  if (usePretrained) config.embeddingDim = pre?.vectors.dims ?? 100;
  const model = buildSentimentModel(config, vocab.size, labels.length);
  if (pre) note(`pretrained embeddings: ${pre.source} ${pre.vectors.dims}-d for ${seedEmbedding(model.getLayer('embedding'), vocab.tokens, pre.vectors)} of ${vocab.size} words (the others keep their random init)`);
  if (lexicon && !resumed) seedPolarity(model, vocab, lexicon);
  const artifacts: SentimentArtifacts = { task: 'sentiment', vocabulary: vocab.toJSON(), labels, config };
  const evaluate = (m: tf.LayersModel, d: EncodedSplit): ClassificationReport =>
    classificationReport(d.ys, predictProbs(m, d.seqs, config.batchSize, config.maxLen).map(argmax), labels);

  const training = await train<SequenceBatch>(
    {
      model,
      loss: sentimentLoss(model, labels.length),
      // data-parallel workers (--workers n): each builds this model and takes a shard of every batch
      replica: sentimentReplica({ config, vocabSize: vocab.size, numLabels: labels.length }),
      shard: (b, i, n) => shardRows(b, i, n, b.labels.length),
      autoWorkersCap: 1, // ~30-60 ms steps: 2 workers ran 0.82× of 1 on the quiet machine (bench/workers.js), so auto stays on 1
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

  const modelDir = bestOrLastDir(training, config.out);
  const best = hasBest(training) ? await loadModel(modelDir) : model;
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
    modelDir,
    training,
    notes: splits.notes,
    counts: { train: splits.train.length, dev: splits.dev.length, test: splits.test.length, vocabulary: vocab.size },
  };
}
