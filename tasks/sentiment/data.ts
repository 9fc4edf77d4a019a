/**
 * Sentiment data: labelled splits (src/data/labeled_text.ts) → tokens →
 * vocabulary (plus a polarity lexicon's words) → label ids → token-id sequences,
 * and the word dropout of training batches. What a checkpoint carries to encode
 * new text is SentimentArtifacts. Next: model.ts builds the classifier.
 */
import { SeededRandom } from '../../layers/random';
import type { SequenceBatch } from '../../src/data/batching';
import { LabeledText, loadLabeledSplits, Splits } from '../../src/data/labeled_text';
import { vaderLexicon } from '../../src/data/lexicon';
import { tokenize } from '../../src/data/tokenizer';
import { Vocabulary } from '../../src/data/vocabulary';
import type { SentimentConfig } from './config';

/** What a checkpoint carries besides the model, to predict. */
export interface SentimentArtifacts {
  task: 'sentiment';
  vocabulary: string[];
  labels: string[];
  config: SentimentConfig;
}

/** One split as the model sees it: token ids (cut to maxLen) and label ids (-1: a label unseen in training). */
export interface EncodedSplit {
  seqs: number[][];
  ys: number[];
}

/** The prepared data of a run. */
export interface SentimentData {
  splits: Splits;
  vocab: Vocabulary;
  /** Label names in id order (numeric labels sorted as numbers). */
  labels: string[];
  /** Word → valence, when config.lexicon is 'vader'. */
  lexicon: Map<string, number> | null;
  train: EncodedSplit;
  dev: EncodedSplit;
  test: EncodedSplit;
}

function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => /^-?\d+(\.\d+)?$/.test(l));
  return labels.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** Adds the lexicon's words that the training data lacks to the vocabulary. */
function withLexicon(vocab: Vocabulary, lexicon: Map<string, number> | null): Vocabulary {
  if (!lexicon) return vocab;
  const have = new Set(vocab.tokens);
  return Vocabulary.fromJSON([...vocab.tokens, ...[...lexicon.keys()].filter((w) => !have.has(w)).sort()]);
}

/** Token ids of a text with the run's vocabulary, cut to maxLen. */
export const encodeText = (vocab: Vocabulary, text: string, maxLen: number): number[] => vocab.encode(tokenize(text)).slice(0, maxLen);

/**
 * Reads `dataPath` and encodes it. Vocabulary and labels come from `resumed` (a
 * checkpoint's artifacts) when resuming, so ids keep their meaning.
 */
export function prepareSentimentData(dataPath: string, config: SentimentConfig, resumed: SentimentArtifacts | null): SentimentData {
  const splits = loadLabeledSplits(dataPath, { labelColumn: config.labelColumn, textColumn: config.textColumn }, config.seed);
  const trainTokens = splits.train.map((e) => tokenize(e.text));
  const lexicon = config.lexicon === 'vader' ? vaderLexicon() : null;
  const vocab = resumed ? Vocabulary.fromJSON(resumed.vocabulary) : withLexicon(Vocabulary.build(trainTokens, { minFreq: config.minFreq, maxSize: config.maxVocab }), lexicon);
  const labels = resumed ? resumed.labels : sortLabels([...new Set(splits.train.map((e) => e.label))]);
  if (labels.length < 2) throw new Error(`${dataPath}: the training data has a single label ('${labels[0]}'); classification needs at least two`);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const encode = (items: LabeledText[]): EncodedSplit => ({
    seqs: items.map((e) => encodeText(vocab, e.text, config.maxLen)),
    ys: items.map((e) => labelIndex.get(e.label) ?? -1),
  });
  return { splits, vocab, labels, lexicon, train: encode(splits.train), dev: encode(splits.dev), test: encode(splits.test) };
}

/** Replaces real tokens by <unk> (id 1) with probability p, seeded (training batches only). */
export function withWordDropout(batches: SequenceBatch[], p: number, seed: number): SequenceBatch[] {
  if (p <= 0) return batches;
  const rng = new SeededRandom(seed ^ 0x5bd1e995);
  return batches.map((b) => ({ ...b, ids: b.ids.map((row) => row.map((id) => (id > 1 && rng.uniform() < p ? 1 : id))) }));
}
