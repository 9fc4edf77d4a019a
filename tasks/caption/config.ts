/**
 * Image captioning (one-to-many): configuration and defaults.
 *
 * A small CNN encoder (3×3 convolutions + 2×2 max pooling, widths doubling per
 * block) turns a square image into a grid of feature cells; an LSTM (or GRU)
 * decoder started from the grid's mean feature attends over the cells at every
 * step (Luong 'general' attention, scaled) and is trained with teacher forcing
 * and label smoothing. The defaults train the bundled generated-glyph scenes in
 * a minute or two on a 2-core machine.
 */
import type { CellKind } from '../../layers/recurrent_layer';
import { COMMON_DEFAULTS, CommonConfig } from '../../src/train';

export interface CaptionOwnConfig {
  /** Side of the square model input in pixels (images are resized to it). */
  imageSize: number;
  /** 1 = gray, 3 = RGB. */
  channels: 1 | 3;
  /** Encoder blocks (conv 3×3 + ReLU + max pool 2×2 each): the grid side is imageSize / 2^blocks. */
  encoderDepth: number;
  /** Filters of the first block (doubled per block). */
  encoderWidth: number;
  /** Recurrent cell of the decoder. */
  cell: CellKind;
  /** Decoder hidden units. */
  hidden: number;
  /** Word-embedding size. */
  embeddingDim: number;
  /** Dropout before the output layer. */
  dropout: number;
  /** Label smoothing of the training loss. */
  labelSmoothing: number;
  /** Beam size of the final evaluation and predictions (1 = greedy). Dev BLEU each epoch is greedy. */
  beamSize: number;
  /** Length normalisation exponent α: beam hypotheses are ranked by log-probability / length^α. */
  lengthPenalty: number;
  /** Longest caption generated, in tokens. */
  maxLen: number;
  /** Generated data (no --data, or --data mnist): training scenes (dev and test get a tenth each, at least 50). */
  scenes: number;
  /** Vocabulary: keep words seen at least this often in training. */
  minFreq: number;
}

export type CaptionConfig = CommonConfig & CaptionOwnConfig;

export const CAPTION_DEFAULTS: CaptionConfig = {
  ...COMMON_DEFAULTS,
  imageSize: 64,
  channels: 1,
  encoderDepth: 3,
  encoderWidth: 16,
  cell: 'lstm',
  hidden: 128,
  embeddingDim: 32,
  dropout: 0.1,
  labelSmoothing: 0.1,
  beamSize: 3,
  lengthPenalty: 1,
  maxLen: 16,
  scenes: 1500,
  minFreq: 1,
  epochs: 6,
  patience: 3,
  batchSize: 32,
  lr: 2e-3,
  clipNorm: 5,
  out: 'runs/caption',
};
