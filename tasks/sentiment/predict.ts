/**
 * Predicting with a trained sentiment model: class probabilities for token-id
 * sequences, SentimentClassifier (a checkpoint loaded for predictions) and
 * rnn-predict's input/output (texts as arguments or lines on stdin). Next:
 * index.ts, where the task puts it all behind the contract.
 */
import * as tf from '@tensorflow/tfjs';
import { bucketedBatches } from '../../src/data/batching';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import type { PredictIO } from '../../src/task';
import { readTaskArtifacts } from '../../src/task_artifacts';
import { artifactList, expectArtifactSize, outputUnits } from '../../src/train';
import type { SentimentConfig } from './config';
import { encodeText, SentimentArtifacts } from './data';

/** Class probabilities for token-id sequences, in input order. */
export function predictProbs(model: tf.LayersModel, seqs: number[][], batchSize: number, maxLen: number): number[][] {
  const out: number[][] = new Array(seqs.length);
  for (const b of bucketedBatches(seqs, seqs.map(() => 0), batchSize * 4, { shuffle: false, maxLen })) {
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(b.ids, undefined, 'int32')) as tf.Tensor2D)); // [B, K]
    const rows = probs.arraySync() as number[][];
    probs.dispose();
    b.index.forEach((j, r) => (out[j] = rows[r]));
  }
  return out;
}

/** Index of the largest value. */
export const argmax = (p: number[]): number => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);

/** A trained sentiment model, loaded from a checkpoint directory, for predictions. */
export class SentimentClassifier {
  private constructor(
    readonly model: tf.LayersModel,
    readonly vocab: Vocabulary,
    readonly labels: string[],
    readonly config: SentimentConfig,
  ) {}

  static async load(dir: string): Promise<SentimentClassifier> {
    const a = readTaskArtifacts<SentimentArtifacts>(dir, 'sentiment');
    const vocabulary = artifactList(dir, a as unknown as Record<string, unknown>, 'vocabulary', 'vocabulary');
    const labels = artifactList(dir, a as unknown as Record<string, unknown>, 'labels', 'label list');
    const model = await loadModel(dir);
    expectArtifactSize(dir, 'label list', labels.length, 'output layer', outputUnits(model));
    return new SentimentClassifier(model, Vocabulary.fromJSON(vocabulary), labels, a.config);
  }

  /** Label and class probabilities for each text. */
  predict(texts: string[]): { text: string; label: string; probabilities: Record<string, number> }[] {
    const seqs = texts.map((t) => encodeText(this.vocab, t, this.config.maxLen));
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

/** rnn-predict for sentiment: texts as arguments or one per line on stdin → label<TAB>probability<TAB>text (or JSON) lines. */
export async function predictSentiment(clf: SentimentClassifier, io: PredictIO): Promise<void> {
  const texts = io.args.length ? io.args : (await io.readStdin()).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  if (!texts.length) throw new UserError('nothing to classify: give texts as arguments or pipe lines on stdin', 2);
  for (const p of clf.predict(texts)) {
    if (io.json) io.write(`${JSON.stringify(p)}\n`);
    else io.write(`${p.label}\t${p.probabilities[p.label].toFixed(3)}\t${p.text}\n`);
  }
}
