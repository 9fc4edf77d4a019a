/**
 * Character (or word) language model: configuration and defaults.
 *
 * The stream of symbols is cut into `batchSize` parallel contiguous tracks; each
 * training batch is the next `bptt` steps of every track, and the recurrent states
 * carry over from one batch to the next (truncated BPTT). An "epoch" is one pass
 * over the training text, repeated until it holds at least `minEpochSteps` steps,
 * so small texts (a list of names) and large ones (a novel) get a sensible amount
 * of training per evaluation with the same defaults.
 *
 * Defaults: a 2-layer LSTM(128) with 64-d embeddings trains at ~12-14k chars/s on
 * one wasm core (see docs/tasks/charlm.md for what it reaches on tiny-shakespeare
 * and on the bundled names).
 *
 * Next: data.ts (text → id streams → batches).
 */
import type { TaskConfig } from '../../src/task';
import { COMMON_DEFAULTS } from '../../src/train';

/** Modelling unit: characters (Unicode code points) or whitespace-separated words ('\n' becomes <eos>). */
export type LmLevel = 'char' | 'word';

export interface CharLmOwnConfig {
  /** Symbols: 'char' (code points) or 'word' (whitespace-separated tokens, line ends as <eos>). */
  level: LmLevel;
  /** Recurrent cell. */
  cell: 'lstm' | 'gru';
  /** Stacked recurrent layers. */
  layers: number;
  /** Hidden units per layer. */
  hidden: number;
  /** Symbol-embedding size. */
  embeddingDim: number;
  /** Dropout on the embeddings, between recurrent layers and before the output layer (training only). */
  dropout: number;
  /** Truncated-BPTT length: steps per batch (gradients flow back at most this far; states carry further). */
  bptt: number;
  /**
   * Carry the recurrent states from one batch to the next (truncated BPTT over the
   * whole stream). false resets them to zeros at every batch, so nothing further
   * back than `bptt` steps can be used (an ablation: see the test that needs it).
   */
  carryStates: boolean;
  /** An epoch repeats the training text (from shifted starts) until it holds at least this many steps. */
  minEpochSteps: number;
  /** Fraction of a single text file held out (its end) for validation. */
  valFraction: number;
  /** Vocabulary: keep symbols seen at least this often in training (others become <unk>). */
  minFreq: number;
  /** Vocabulary: at most this many entries (incl. <pad> and <unk>). */
  maxVocab: number;
  /** Samples generated after every epoch (shown as notes and in the report). */
  samples: number;
  /** Length of each sample, in symbols. */
  sampleLength: number;
  /** Sampling temperature of those samples. */
  sampleTemperature: number;
}

/** The full configuration: common training options plus the language model's own. */
export type CharLmConfig = TaskConfig<CharLmOwnConfig>;

export const CHARLM_DEFAULTS: CharLmConfig = {
  ...COMMON_DEFAULTS,
  level: 'char',
  cell: 'lstm',
  layers: 2,
  hidden: 128,
  embeddingDim: 64,
  dropout: 0,
  bptt: 100,
  carryStates: true,
  minEpochSteps: 50,
  valFraction: 0.1,
  minFreq: 1,
  maxVocab: 20000,
  samples: 2,
  sampleLength: 200,
  sampleTemperature: 0.8,
  epochs: 20,
  patience: 4,
  batchSize: 64,
  lr: 3e-3,
  schedule: 'cosine',
  warmup: 50,
  clipNorm: 5,
  out: 'runs/charlm',
};
