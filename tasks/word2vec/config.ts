/**
 * word2vec (skip-gram / CBOW with negative sampling): the task's own options and
 * the defaults of every option (own and common). The defaults are word2vec's and
 * fastText's: 100 dimensions, window 5, 5 negatives, 5 epochs, min count 5,
 * subsampling 1e-4, and a starting lr of 0.05 (fastText's default for both models;
 * word2vec.c starts skip-gram at 0.025, which scores lower on corpora of a few million
 * words: docs/tasks/word2vec.md), decaying linearly to 0 over the run.
 */
import type { TaskConfig } from '../../src/task';
import { COMMON_DEFAULTS } from '../../src/train';

export type Word2VecModel = 'skipgram' | 'cbow';
export type Tokenization = 'words' | 'whitespace';
export type KernelChoice = 'auto' | 'wasm' | 'js';

export interface Word2VecConfig {
  /** skip-gram (each word predicts its neighbours) or CBOW (the neighbours' mean predicts the word). */
  model: Word2VecModel;
  /** Vector size. */
  dim: number;
  /** Maximum distance between a word and its context; each position draws its own window in 1..window (word2vec's dynamic window). */
  window: number;
  /** Negative samples per positive, drawn from the unigram distribution raised to 3/4. */
  negative: number;
  /** Words seen fewer times are dropped from the corpus before training. */
  minCount: number;
  /** Keep at most this many words, the most frequent (0: no limit). */
  maxVocab: number;
  /** Subsampling threshold t: a word of frequency f is kept with probability (√(f/t) + 1)·t/f (0: keep all). */
  sample: number;
  /** 'words': lowercase, punctuation as its own tokens (the sentiment tokenizer); 'whitespace': the text's own tokens, case kept. */
  tokenize: Tokenization;
  /** Word pairs with human scores (WordSim-353 format) evaluated after every epoch: Spearman ρ and coverage. */
  evalSimilarity?: string;
  /** Google analogy questions evaluated after every epoch (3CosAdd over the analogyVocab most frequent words). */
  evalAnalogies?: string;
  /** Analogy search space: the most frequent words (word2vec's compute-accuracy: 30,000). */
  analogyVocab: number;
  /** Vector files written into OUT: 'vec' (text), 'bin' (binary), 'both', 'none'. */
  save: 'vec' | 'bin' | 'both' | 'none';
  /** Hot loop: 'wasm' (the 128-bit SIMD module), 'js' (plain typed arrays), 'auto' (wasm when the runtime has SIMD). */
  kernel: KernelChoice;
  /** Words whose neighbours the report prints. */
  showWords: string[];
}

export type Word2VecTaskConfig = TaskConfig<Word2VecConfig>;

export const WORD2VEC_DEFAULTS: Word2VecTaskConfig = {
  ...COMMON_DEFAULTS,
  model: 'skipgram',
  dim: 100,
  window: 5,
  negative: 5,
  minCount: 5,
  maxVocab: 0,
  sample: 1e-4,
  tokenize: 'words',
  analogyVocab: 30000,
  save: 'both',
  kernel: 'auto',
  showWords: ['man', 'money', 'city', 'good', 'day'],
  epochs: 5,
  patience: 0,
  lr: 0.05,
  optimizer: 'sgd',
  schedule: 'constant',
  clipNorm: 0,
  out: 'runs/word2vec',
  workers: 'auto',
};

/** The starting learning rate by model when --lr is not given (fastText's 0.05 for both; word2vec.c's skip-gram 0.025 is `--lr 0.025`). */
export const DEFAULT_LR: Record<Word2VecModel, number> = { skipgram: 0.05, cbow: 0.05 };
