/**
 * Contract between the recurrent layers and the fused whole-sequence kernels.
 *
 * A fused kernel runs one cell over a whole sequence in one direction and is
 * differentiable (via tf.customGrad) with respect to x, every weight and every
 * initial state. The mask is never differentiated.
 *
 * Conventions (Keras layout, shared with the per-step cells in layers/):
 *   x       [B, T, D]   batch-major input
 *   kernel  [D, G*H]    input kernel, Keras gate order
 *   recurrentKernel [P, G*H] (P = projSize for LSTM with projection, else H)
 *   mask    [B, T] float32 of 0/1 or null: a masked step (0) carries every state
 *           unchanged and emits zeros.
 *   reverse true: the time loop runs t = T-1 .. 0; outputs stay aligned with
 *           the input time axis (y[:, t] is the output produced at input step t).
 *           Padded (masked) steps at the end are visited first and carry the
 *           initial state, so the reverse direction starts at each sequence's
 *           last real token (PyTorch packed-sequence semantics).
 */
import type * as tf from '@tensorflow/tfjs';

/** Result of running a cell over a sequence. */
export interface SequenceResult {
  /** Outputs at every step, [B, T, O] (O = P for projected LSTM, else H); zeros at masked steps. */
  y: tf.Tensor3D;
  /** Final states in the cell's order (LSTM: [h, c]; GRU / SimpleRNN: [h]). */
  states: tf.Tensor2D[];
}

/** Inputs shared by every cell kind. */
export interface SequenceInputs {
  /** Input sequence [B, T, D]. */
  x: tf.Tensor3D;
  /** Initial states in the cell's order (LSTM: [h0 [B,P], c0 [B,H]]; others: [h0 [B,H]]). */
  initialStates: tf.Tensor2D[];
  /** Optional [B, T] float32 0/1 mask. */
  mask: tf.Tensor2D | null;
  /** Run the time loop backwards (see file comment). */
  reverse: boolean;
  /**
   * x is already the input projection x·kernel + input bias ([B, T, G·H], Keras
   * gate order; LSTM and GRU): the kernel skips its input matmul and passes the gradient
   * of x straight through. An embedding followed by the layer can then look up
   * rows of table·kernel + bias (RecurrentLayer.projectInput) instead of
   * multiplying every step's embedding. Default false.
   */
  projected?: boolean;
}
