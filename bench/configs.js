'use strict';
/**
 * What the benchmark measures: the shapes of every case and the FLOP count used
 * for the GFLOP/s columns. Shared by run.js (tfjs rows), torch_bench.py (receives
 * the cases as JSON) and the smoke test.
 */

/** Named shapes. B batch, T time steps, D input features, H hidden units. */
const CONFIGS = {
  small: { B: 32, T: 50, D: 64, H: 128 },
  large: { B: 64, T: 100, D: 128, H: 256 },
};

/**
 * Gate blocks per cell: the kernel is [D, G·H], the recurrent kernel [H, G·H].
 * SimpleRNN 1, LSTM 4 (i, f, c, o), GRU 3 (z, r, h).
 */
const GATES = { rnn: 1, lstm: 4, gru: 3 };

/**
 * Cell families of the table. `base` is the cell kind, `layers`/`bidirectional`
 * the stacking; `configs` the shapes it runs at.
 */
const CELLS = {
  rnn: { base: 'rnn', layers: 1, bidirectional: false, configs: ['small', 'large'], label: 'SimpleRNN' },
  lstm: { base: 'lstm', layers: 1, bidirectional: false, configs: ['small', 'large'], label: 'LSTM' },
  gru: { base: 'gru', layers: 1, bidirectional: false, configs: ['small', 'large'], label: 'GRU' },
  bilstm2: { base: 'lstm', layers: 2, bidirectional: true, configs: ['small'], label: '2-layer BiLSTM' },
};

/** Implementations, in table order. */
const IMPLS = ['fused', 'autodiff', 'tfjs-layers', 'pytorch', 'onnxruntime'];

/**
 * Matmul FLOPs of one forward pass over the whole sequence (multiply + add = 2).
 *
 * Per time step, per direction, a layer with input size Din computes
 *   x_t · W   [B, Din] × [Din, G·H]  → 2·B·Din·G·H
 *   h_t · U   [B, H]   × [H, G·H]    → 2·B·H·G·H
 * so  forward = Σ_layers Σ_directions 2·B·T·G·H·(Din + H),
 * where Din = D for the first layer and dirs·H for the layers above it.
 * Elementwise gate math (sigmoid, tanh, products) is not counted: it is O(B·T·G·H),
 * a factor Din+H smaller.
 *
 * The backward pass costs two matmuls per forward matmul (gradient w.r.t. the
 * input and w.r.t. the weight), so a training step counts 3 × forward
 * (the Adam update, O(#params), is not counted).
 */
function forwardFlops(c) {
  const G = GATES[c.base];
  const dirs = c.bidirectional ? 2 : 1;
  let total = 0;
  let inDim = c.D;
  for (let k = 0; k < c.layers; k++) {
    total += dirs * 2 * c.B * c.T * G * c.H * (inDim + c.H);
    inDim = dirs * c.H;
  }
  return total;
}

/** Matmul FLOPs of one training step (forward + backward): 3 × forward. */
function trainFlops(c) {
  return 3 * forwardFlops(c);
}

/**
 * The list of cases to run, in table order.
 * @param {{cells?: string[], configs?: string[], dims?: number[]}} sel
 *   cells: keys of CELLS; configs: keys of CONFIGS; dims: [B, T, D, H] replaces
 *   every config by one custom shape named 'custom'.
 */
function makeCases(sel = {}) {
  const cells = sel.cells ?? Object.keys(CELLS);
  const cases = [];
  for (const cell of cells) {
    const spec = CELLS[cell];
    if (!spec) throw new Error(`unknown cell '${cell}': expected one of ${Object.keys(CELLS).join(', ')}`);
    if (sel.dims) {
      const [B, T, D, H] = sel.dims;
      cases.push({ cell, config: 'custom', base: spec.base, layers: spec.layers, bidirectional: spec.bidirectional, B, T, D, H });
      continue;
    }
    for (const config of spec.configs) {
      if (sel.configs && !sel.configs.includes(config)) continue;
      cases.push({ cell, config, base: spec.base, layers: spec.layers, bidirectional: spec.bidirectional, ...CONFIGS[config] });
    }
  }
  return cases;
}

module.exports = { CONFIGS, GATES, CELLS, IMPLS, forwardFlops, trainFlops, makeCases };
