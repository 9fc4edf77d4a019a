/**
 * Image captioning (one-to-many): configuration and defaults.
 *
 * A small CNN encoder (3×3 convolutions + 2×2 max pooling, widths doubling per
 * block) turns a square image into a grid of feature cells; an LSTM (or GRU)
 * decoder started from the grid's mean feature attends over the cells at every
 * step (Luong 'general' attention, scaled) and is trained with teacher forcing
 * and label smoothing.
 *
 * Defaults scale with the data (resolveCaptionConfig; an option given on the
 * command line always wins): the bundled glyph scenes use GLYPH_DEFAULTS (1,500
 * scenes; captioned MNIST 8,000); the model is small (encoder width 8, LSTM 64)
 * below 500 training images and CAPTION_DEFAULTS' (16, 128) from there; and the
 * epochs are enough for about 1,000 optimizer steps (at least 3, at most 30), so
 * small sets get more passes and large ones fewer.
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
  /** Generated data (no --data, or --data mnist): training scenes (dev and test get a tenth each, at least 50). Bundled glyphs: 1,500. */
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
  scenes: 8000,
  minFreq: 1,
  epochs: 6,
  patience: 3,
  batchSize: 32,
  lr: 2e-3,
  clipNorm: 5,
  out: 'runs/caption',
};

/** The bundled default (no --data, or --data glyphs): generated seven-segment scenes. */
export const GLYPH_DEFAULTS: Partial<CaptionConfig> = { scenes: 1500 };

/** Training images below which the small model is used (encoder width 8, hidden 64). */
export const SMALL_DATA_IMAGES = 500;
/** Optimizer steps the default epochs aim at. */
export const TARGET_STEPS = 1000;

/** The config before the data is read: defaults, the bundled default's when no --data, then what was given. */
export function resolveCaptionConfig(overrides: Partial<CaptionConfig>): CaptionConfig {
  const bundled = overrides.data === undefined || overrides.data === 'glyphs';
  return { ...CAPTION_DEFAULTS, ...(bundled ? GLYPH_DEFAULTS : {}), ...overrides };
}

/**
 * The options that depend on the data's size, for those not given: model size by
 * training images, epochs by steps per epoch (≈ captions / batch size).
 */
export function scaleToData(config: CaptionConfig, given: Partial<CaptionConfig>, trainImages: number, trainCaptions: number): CaptionConfig {
  const small = trainImages < SMALL_DATA_IMAGES;
  const out = { ...config };
  if (given.encoderWidth === undefined) out.encoderWidth = small ? 8 : CAPTION_DEFAULTS.encoderWidth;
  if (given.hidden === undefined) out.hidden = small ? 64 : CAPTION_DEFAULTS.hidden;
  if (given.epochs === undefined) {
    const steps = Math.max(1, Math.ceil(trainCaptions / out.batchSize));
    out.epochs = Math.min(30, Math.max(3, Math.ceil(TARGET_STEPS / steps)));
  }
  return out;
}
