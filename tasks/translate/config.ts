/**
 * Seq2seq translation (encoder-decoder with attention): configuration and defaults.
 *
 * The defaults aim at tens of thousands of sentence pairs on a 2-core machine
 * without a GPU (Multi30k De→En: 29,000 pairs), and still train the bundled
 * dates data in a few minutes: a 1-layer bidirectional GRU encoder, a GRU decoder
 * started from the encoder's final states, Luong 'general' attention on top of the
 * decoder's whole-sequence outputs (so training runs the fused kernels in one call).
 *
 * Measured on Multi30k (see README, Translation): with Keras-style embeddings
 * (uniform ±0.05), unscaled scores and lr 2e-3 the bridge and the attention
 * saturated early (99% of the decoder's initial units at |h| > 0.99, attention
 * scores in the hundreds, all weight on the last source token) and dev perplexity
 * stalled at 146 after two epochs; N(0, 1) embeddings (model.ts), scores scaled by
 * 1/√H and lr 1e-3 (below) train out of that plateau.
 */
import type { CellKind } from '../../layers/recurrent_layer';
import type { AttentionScore } from '../../layers/attention';
import { COMMON_DEFAULTS, CommonConfig } from '../../src/train';

/**
 * How the decoder uses attention:
 * - 'luong': the decoder runs over the whole target at once, attention and the
 *   combination layer sit on top of its outputs (fastest: fused kernels, two
 *   batched matmuls for all steps);
 * - 'input-feeding': Luong with the previous attentional vector fed into the next
 *   step's input (the fused attention decoder for GRU/LSTM, a step loop for rnn);
 * - 'bahdanau': the previous decoder state queries the source and the context is
 *   fed into the step's input (fused like input feeding; usually with score 'additive').
 */
export type DecoderKind = 'luong' | 'input-feeding' | 'bahdanau';

export interface TranslateOwnConfig {
  /** Source language suffix of parallel files (train.SRC); not used for TSV data (see swap). */
  source?: string;
  /** Target language suffix of parallel files (train.TGT). */
  target?: string;
  /** Infix of the parallel files to use when a directory holds several variants (e.g. 'lc.norm.tok' for train.lc.norm.tok.de). Default: the plain files. */
  variant?: string;
  /** TSV data: translate the second column into the first instead of the first into the second. */
  swap: boolean;
  /** Lowercase both sides before tokenization (BLEU is then case-insensitive). */
  lowercase: boolean;
  /** Recurrent cell of encoder and decoder. */
  cell: CellKind;
  /** Hidden units per direction of the encoder, and of the decoder. */
  hidden: number;
  /** Stacked bidirectional encoder layers. */
  encoderLayers: number;
  /** Stacked decoder layers. */
  decoderLayers: number;
  /** Word-embedding size (source and target). */
  embeddingDim: number;
  /** How the decoder uses attention (see DecoderKind). */
  decoder: DecoderKind;
  /** Attention score: 'general' (Luong) or 'additive' (Bahdanau). ('dot' needs equal query and key sizes, which a bidirectional encoder does not give.) */
  score: AttentionScore;
  /** Dropout on embeddings, between stacked layers and before the output layer. */
  dropout: number;
  /** Probability of feeding the gold previous token while training (1 = teacher forcing; < 1 runs the decoder's step in a loop). */
  teacherForcing: number;
  /** Label smoothing of the training loss (perplexity is reported without it). */
  labelSmoothing: number;
  /** Vocabulary: keep tokens seen at least this often in training. */
  minFreq: number;
  /** Vocabulary: at most this many entries per side. */
  maxVocab: number;
  /** Drop training pairs with a side longer than this many tokens; longer inputs are truncated at prediction. */
  maxLen: number;
  /** Beam size of the final evaluation and of predictions (1 = greedy). Dev BLEU each epoch is greedy. */
  beamSize: number;
  /** Length normalisation exponent α of beam search: hypotheses are ranked by log-probability / length^α. */
  lengthPenalty: number;
  /** Decode at most a·(source length) + b tokens: a. */
  maxLenA: number;
  /** Decode at most a·(source length) + b tokens: b. */
  maxLenB: number;
  /** Example translations shown after every epoch. */
  examples: number;
  /**
   * Subword units: 'none' (words), 'bpe:N' (N byte-pair merges learned on each
   * language's training side, Sennrich et al. 2016) or 'bpe-joint:N' (one merge
   * table learned on both sides). Outputs are joined back into words before BLEU.
   */
  subwords: string;
}

export type TranslateConfig = CommonConfig & TranslateOwnConfig;

export const TRANSLATE_DEFAULTS: TranslateConfig = {
  ...COMMON_DEFAULTS,
  swap: false,
  lowercase: false,
  cell: 'gru',
  hidden: 256,
  encoderLayers: 1,
  decoderLayers: 1,
  embeddingDim: 256,
  decoder: 'luong',
  score: 'general',
  dropout: 0.3,
  teacherForcing: 1,
  labelSmoothing: 0.1,
  minFreq: 2,
  maxVocab: 20000,
  maxLen: 50,
  beamSize: 5,
  lengthPenalty: 1,
  maxLenA: 1.5,
  maxLenB: 10,
  examples: 3,
  subwords: 'none',
  epochs: 12,
  patience: 3,
  batchSize: 64,
  lr: 1e-3,
  schedule: 'plateau',
  clipNorm: 5,
  out: 'runs/translate',
};
