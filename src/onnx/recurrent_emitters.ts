/**
 * ONNX emitters of this package's recurrent layers (layers/recurrent_layer.ts and
 * its LSTM / GRU / SimpleRNN / Bidirectional): one ONNX `LSTM` / `GRU` / `RNN` node
 * per stacked layer, `direction` forward / reverse / bidirectional, GRU
 * `linear_before_reset` = resetAfter, masks and lengths as `sequence_lens`, initial
 * states as `initial_h` / `initial_c`; the directions merged as the layer's
 * mergeMode. An LSTM with `projSize` has no ONNX node: it becomes a `Scan` of
 * standard ops per layer and direction (projected_lstm.ts). Weights: recurrent.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Bidirectional } from '../../layers/bidirectional';
import { GRU } from '../../layers/gru';
import { LSTM } from '../../layers/lstm';
import { MergeMode, RecurrentLayer } from '../../layers/recurrent_layer';
import { SimpleRNN } from '../../layers/simple_rnn';
import { registerEmitter, Value } from './emitters';
import type { GraphBuilder } from './graph';
import { emitProjectedLstm } from './projected_lstm';
import { ONNX_OP, onnxWeightsOf } from './recurrent';

/** What a recurrent layer's ONNX nodes produce. */
export interface RecurrentValues {
  /** The layer's output as the layer returns it ([B, T, O'] or [B, O']). */
  output: string;
  /** Final states in the layer's order ([B, n] each). */
  finals: string[];
  /** Stacked final h / c of every layer, PyTorch layout [L·dirs, B, H]. */
  hN: string;
  cN?: string;
}

/**
 * The ONNX nodes of a recurrent layer. `x` is [B, T, D]; `lengths` int32 [B] or none;
 * `initial(k)` the [dirs, B, H] initial h (and c) of stacked layer k, or none for zeros;
 * `wantFinals`: also each final state on its own (for returnState; unused nodes would
 * leave unused constants, which onnxruntime warns about).
 */
export function emitRecurrent(
  g: GraphBuilder,
  layer: RecurrentLayer,
  x: string,
  lengths: string | undefined,
  initial: (k: number) => { h?: string; c?: string },
  wantFinals = false,
): RecurrentValues {
  const a = layer.args;
  if (a.projSize > 0) return emitProjectedLstm(g, layer, x, lengths, initial); // no ONNX node: a Scan of standard ops
  const dirs = layer.directions;
  const isLstm = a.cell === 'lstm';
  const base = layer.name;
  let X = g.op('Transpose', [x], { perm: [1, 0, 2] }, `${base}/time_major`); // [T, B, D]
  const hs: string[] = [];
  const cs: string[] = [];
  let Y = '';
  for (let k = 0; k < a.numLayers; k++) {
    const w = onnxWeightsOf(layer, k);
    const W = g.weight(`${base}/W_l${k}`, w.W);
    const R = g.weight(`${base}/R_l${k}`, w.R);
    const B = w.B ? g.weight(`${base}/B_l${k}`, w.B) : '';
    tf.dispose(w.B ? [w.W, w.R, w.B] : [w.W, w.R]);
    const init = initial(k);
    const ins = [X, W, R, B, lengths ?? '', init.h ?? ''];
    if (isLstm) ins.push(init.c ?? '');
    while (ins.length && ins[ins.length - 1] === '') ins.pop();
    const outs = g.node(ONNX_OP[a.cell], ins, w.attributes, `${base}/${ONNX_OP[a.cell]}_l${k}`, isLstm ? 3 : 2);
    Y = outs[0]; // [T, dirs, B, H]
    hs.push(outs[1]); // [dirs, B, H]
    if (isLstm) cs.push(outs[2]);
    if (k < a.numLayers - 1) {
      const t = g.op('Transpose', [Y], { perm: [0, 2, 1, 3] }, `${base}/l${k}_dirs_last`); // [T, B, dirs, H]
      X = g.op('Reshape', [t, g.int64([0, 0, -1])], {}, `${base}/l${k}_out`); // [T, B, dirs·H]
    }
  }
  let output: string;
  if (a.returnSequences) {
    const t = g.op('Transpose', [Y], { perm: [2, 0, 1, 3] }, `${base}/batch_major`); // [B, T, dirs, H]
    output = merge(g, layer, t, 2, a.mergeMode, dirs);
  } else {
    const last = hs[hs.length - 1]; // [dirs, B, H]: each direction's output at the last real step
    const t = g.op('Transpose', [last], { perm: [1, 0, 2] }, `${base}/last_batch_major`); // [B, dirs, H]
    output = merge(g, layer, t, 1, a.mergeMode, dirs);
  }
  const finals: string[] = [];
  for (let k = 0; k < (wantFinals ? a.numLayers : 0); k++) {
    for (let d = 0; d < dirs; d++) {
      const idx = g.int64([d], true);
      finals.push(g.op('Gather', [hs[k], idx], { axis: 0 }, `${base}/h_l${k}_d${d}`));
      if (isLstm) finals.push(g.op('Gather', [cs[k], idx], { axis: 0 }, `${base}/c_l${k}_d${d}`));
    }
  }
  const hN = hs.length === 1 ? hs[0] : g.op('Concat', hs, { axis: 0 }, `${base}/h_n`);
  const cN = isLstm ? (cs.length === 1 ? cs[0] : g.op('Concat', cs, { axis: 0 }, `${base}/c_n`)) : undefined;
  return { output, finals, hN, cN };
}

/** Merges the direction axis `axis` (size dirs) of `t` as mergeMode says. */
function merge(g: GraphBuilder, layer: RecurrentLayer, t: string, axis: number, mode: MergeMode, dirs: number): string {
  const base = layer.name;
  if (dirs === 1) return g.op('Squeeze', [t, g.int64([axis])], {}, `${base}/output`);
  switch (mode) {
    case 'concat':
      return g.op('Reshape', [t, g.int64(axis === 2 ? [0, 0, -1] : [0, -1])], {}, `${base}/output`);
    case 'sum':
      return g.op('ReduceSum', [t, g.int64([axis])], { keepdims: 0 }, `${base}/output`);
    case 'ave':
      return g.op('ReduceMean', [t], { axes: [axis], keepdims: 0 }, `${base}/output`);
    case 'mul':
      return g.op('ReduceProd', [t], { axes: [axis], keepdims: 0 }, `${base}/output`);
    default:
      throw new Error(`${layer.name}: mergeMode '${mode}' (two separate outputs) cannot be exported; use concat, sum, ave or mul`);
  }
}

/** A recurrent layer called in a model: initial states from its extra inputs (PyTorch order per layer and direction), lengths from the input's mask. */
function emitRecurrentCall(g: GraphBuilder, layer: RecurrentLayer, ins: Value[]): Value[] {
  const n = layer.name;
  const x = ins[0];
  const a = layer.args;
  const dirs = layer.directions;
  const states = ins.slice(1).map((v) => v.name);
  const per = a.cell === 'lstm' ? 2 : 1;
  const initial = (k: number): { h?: string; c?: string } => {
    if (!states.length) return {};
    const pick = (j: number): string => {
      const parts = Array.from({ length: dirs }, (_, d) => g.op('Unsqueeze', [states[(k * dirs + d) * per + j], g.int64([0])], {}, `${n}/init_l${k}_d${d}`));
      return parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 0 }, `${n}/init_l${k}`);
    };
    return per === 2 ? { h: pick(0), c: pick(1) } : { h: pick(0) };
  };
  const r = emitRecurrent(g, layer, x.name, x.mask?.lengths, initial, a.returnState);
  const out: Value = { name: r.output, mask: a.returnSequences ? x.mask : undefined };
  return a.returnState ? [out, ...r.finals.map((name) => ({ name }))] : [out];
}

registerEmitter([RecurrentLayer.className, LSTM.className, GRU.className, SimpleRNN.className, Bidirectional.className], emitRecurrentCall);
