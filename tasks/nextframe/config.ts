/**
 * Next-frame prediction (sequence to sequence over frames): the task's own
 * options and the defaults of every option (own and common).
 *
 * The model (model.ts) is Shi et al. 2015's encoder-forecaster of stacked
 * ConvLSTMs: the encoder reads the input frames, the forecaster starts from its
 * final states and unrolls over the output steps, a 1×1 convolution over all
 * forecaster layers' outputs gives per-pixel logits (sigmoid → intensity), and
 * training minimizes per-pixel binary cross-entropy. Frames may be folded into
 * p×p patches first (Shi et al.: 64×64×1 → 16×16×16 with p = 4) so the
 * recurrence runs on a smaller grid with more channels: the CPU's friend.
 */
import type { TaskConfig } from '../../src/task';
import { COMMON_DEFAULTS } from '../../src/train';

/** How a 4-D/5-D .npy array is laid out: N sequences × T frames, or T × N (mnist_test_seq.npy), or detected. */
export type NpyLayout = 'auto' | 'NT' | 'TN';
export const NPY_LAYOUTS: readonly NpyLayout[] = ['auto', 'NT', 'TN'];

export interface NextframeConfig {
  /** Input frames the model reads (Srivastava et al. and Shi et al.: 10). */
  inputFrames: number;
  /** Frames it predicts after them (10). */
  outputFrames: number;
  /** ConvLSTM filters of each encoder layer; the forecaster mirrors them (its layer k starts from encoder layer k's final states). */
  filters: number[];
  /** Square kernel of the input and recurrent convolutions (odd; 'same' padding keeps the grid). */
  kernelSize: number;
  /** Fold frames into patch × patch blocks before the model (0: auto, 4 for ≥ 64-pixel frames, 2 for ≥ 16, else 1). */
  patch: number;
  /** Generated data (squares, moving-mnist): training sequences per epoch, new ones every epoch. */
  trainSequences: number;
  /** Validation sequences (generated: a fixed set; files: this many taken from the data, at most 10%). */
  devSequences: number;
  /** Test sequences (generated: a fixed set from the test digits; files: this many, at most 10%). */
  testSequences: number;
  /** Moving squares only: frame side in pixels. */
  frameSize: number;
  /** .npy data: whether the first axis is the sequences (NT) or the frames (TN, as mnist_test_seq.npy), or auto (TN when axis 0 is shorter than axis 1). */
  npyLayout: NpyLayout;
  /** Test sequences drawn in the report (input | truth | predicted). */
  showSequences: number;
}

export type NextframeTaskConfig = TaskConfig<NextframeConfig>;

export const NEXTFRAME_DEFAULTS: NextframeTaskConfig = {
  ...COMMON_DEFAULTS,
  inputFrames: 10,
  outputFrames: 10,
  filters: [64, 64],
  kernelSize: 3,
  patch: 0,
  trainSequences: 2000,
  devSequences: 200,
  testSequences: 1000,
  frameSize: 16,
  npyLayout: 'auto',
  showSequences: 3,
  epochs: 20,
  patience: 4,
  batchSize: 16,
  lr: 1e-3,
  clipNorm: 1,
  out: 'runs/nextframe',
};

/** The bundled quick default (no --data): moving squares with a small model, so a run takes well under 2 minutes. */
export const SQUARES_DEFAULTS: Partial<NextframeConfig> & { epochs: number; batchSize: number; lr: number } = {
  filters: [16, 16],
  trainSequences: 128,
  devSequences: 16,
  testSequences: 32,
  epochs: 2,
  batchSize: 8,
  lr: 5e-3,
};
