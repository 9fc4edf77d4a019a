/**
 * ONNX export of this package's recurrent layers and of tf.LayersModels built from
 * them, as standard ONNX (opset 14) that onnxruntime, onnxruntime-web and any ONNX
 * consumer runs:
 *
 * - `lstm` / `gru` / `simpleRnn` / `stacked` / `bidirectional`: one ONNX `LSTM` / `GRU` /
 *   `RNN` node per stacked layer, `direction` forward / reverse / bidirectional, GRU
 *   `linear_before_reset` = resetAfter, masks and lengths as `sequence_lens`, initial
 *   states as `initial_h` / `initial_c`; the directions merged as the layer's mergeMode.
 *   An LSTM with `projSize` has no ONNX node: it becomes a `Scan` of standard ops per
 *   layer and direction (projected_lstm.ts).
 * - `embedding` → `Gather` (maskZero → the mask `ids != 0` and lengths for the
 *   recurrent layers: padding must be trailing, as this package's batching makes it);
 *   `maskedPooling` → masked ReduceMax / ReduceSum / Div; `dense` → Gemm or MatMul + Add
 *   and its activation; `concatenate`, `add`, `flatten`, `activation`, `softmax`; the POS
 *   task's RowGather → `Gather`; `attention` (dot, general, additive; scaled; masked by
 *   the keys' padding) → MatMul / Softmax, returning the context and the weights;
 *   dropout layers are the identity (inference).
 *
 * A layer the exporter does not know is an error naming it and its class.
 */
import * as tf from '@tensorflow/tfjs';
import { Attention } from '../../layers/attention';
import { Embedding } from '../../layers/embedding';
import { MaskedPooling } from '../../layers/pooling';
import { MergeMode, RecurrentLayer } from '../../layers/recurrent_layer';
import { GraphBuilder } from './graph';
import { emitProjectedLstm } from './projected_lstm';
import { ONNX_OP, onnxWeightsOf } from './recurrent';

const FLOAT = 1;
const INT32 = 6;

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

/** Options of `exportRecurrentLayer`. */
export interface RecurrentExportOptions {
  /** Add an int32 input `lengths` [B] (sequence_lens). Default false. */
  lengths?: boolean;
  /** Add initial-state inputs `h0` (and `c0` for an LSTM), PyTorch layout [L·dirs, B, H]. Default false. */
  initialStates?: boolean;
  /** Graph name. Default the layer's name. */
  name?: string;
}

/**
 * One recurrent layer as an ONNX model with input `x` [B, T, D] (optional `lengths`,
 * `h0`, `c0`) and outputs `y` (the layer's output: [B, T, O'] or [B, O']), `h_n` and for
 * an LSTM `c_n` ([L·dirs, B, H], PyTorch's layout). The layer must be built.
 */
export function exportRecurrentLayer(layer: RecurrentLayer, options: RecurrentExportOptions = {}): Uint8Array {
  if (!layer.built) throw new Error(`${layer.name}: build the layer (apply it once) before exporting it`);
  const g = new GraphBuilder();
  const D = layer.cells[0][0].kernel!.shape[0] as number;
  const x = g.input('x', 'float32', ['batch', 'time', D]);
  const lengths = options.lengths ? g.input('lengths', 'int32', ['batch']) : undefined;
  const dirs = layer.directions;
  const L = layer.args.numLayers;
  const H = layer.args.units;
  const Hout = layer.cellOutputSize; // projSize when projected
  const h0 = options.initialStates ? g.input('h0', 'float32', [L * dirs, 'batch', Hout]) : undefined;
  const c0 = options.initialStates && layer.args.cell === 'lstm' ? g.input('c0', 'float32', [L * dirs, 'batch', H]) : undefined;
  const slice = (v: string | undefined, k: number): string | undefined =>
    v ? g.op('Slice', [v, g.int64([k * dirs]), g.int64([(k + 1) * dirs]), g.int64([0])], {}, `${v}_l${k}`) : undefined;
  const r = emitRecurrent(g, layer, x, lengths, (k) => (L === 1 ? { h: h0, c: c0 } : { h: slice(h0, k), c: slice(c0, k) }));
  const O = layer.outputSize;
  g.output(r.output, 'y', 'float32', layer.args.returnSequences ? ['batch', 'time', O] : ['batch', O]);
  g.output(r.hN, 'h_n', 'float32', [L * dirs, 'batch', Hout]);
  if (r.cN) g.output(r.cN, 'c_n', 'float32', [L * dirs, 'batch', H]);
  return g.encode(options.name ?? layer.name, `rnnkit ${layer.getClassName()} '${layer.name}'`);
}

/** A symbolic tensor's ONNX value and, when it carries one, its mask as float [B, T] and lengths int32 [B]. */
interface Value {
  name: string;
  mask?: { float: string; lengths: string };
}

type Sym = tf.SymbolicTensor;
interface NodeLike {
  inputTensors: Sym[];
  outputTensors: Sym[];
  callArgs?: Record<string, unknown>;
}

/**
 * ONNX dims of a shape: 'batch', 'time', dim_i for unknown sizes, each with `prefix`
 * (a multi-input model's values: onnxruntime takes equal dim names for equal sizes,
 * and its inputs' sizes are independent, e.g. source and target lengths).
 */
function dimsOf(shape: (number | null)[], prefix = ''): (number | string)[] {
  return shape.map((d, i) => (d == null ? `${prefix}${i === 0 ? 'batch' : i === 1 ? 'time' : `dim_${i}`}` : d));
}

function activation(g: GraphBuilder, x: string, name: string, layerName: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x], {}, `${layerName}/relu`);
    case 'tanh':
      return g.op('Tanh', [x], {}, `${layerName}/tanh`);
    case 'sigmoid':
      return g.op('Sigmoid', [x], {}, `${layerName}/sigmoid`);
    case 'softmax':
      return g.op('Softmax', [x], { axis: -1 }, `${layerName}/softmax`);
    default:
      throw new Error(`${layerName}: activation '${name}' cannot be exported to ONNX (linear, relu, tanh, sigmoid, softmax can)`);
  }
}

/** The activation name of a tfjs layer's config. */
function activationName(layer: tf.layers.Layer): string {
  const cfg = layer.getConfig() as { activation?: string };
  return cfg.activation ?? 'linear';
}

/** The ONNX input names exportModel gives a model's inputs: `model.inputNames` (a Sequential's own input's name when that is empty). */
export function onnxInputNames(model: tf.LayersModel): string[] {
  return model.inputs.map((t, i) => model.inputNames[i] ?? t.name.replace(/[/:].*$/, ''));
}

/** Options of `exportModel`. */
export interface ModelExportOptions {
  /** Graph name. Default the model's name. */
  name?: string;
  /** Key/value strings stored in the file's metadata_props (e.g. a checkpoint's vocabulary and labels). */
  metadata?: Record<string, string>;
}

/**
 * A tf.LayersModel (tf.model or tf.sequential) of this package's layers and the
 * usual tfjs layers as an ONNX model. Inputs keep the model's input names and
 * dtypes (`onnxInputNames(model)`; int32 ids stay int32); outputs are named `output` (or `output_0`, ... for
 * several). Throws naming the first layer that cannot be exported.
 */
export function exportModel(model: tf.LayersModel, options: ModelExportOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const values = new Map<number, Value>();
  const names = onnxInputNames(model);
  model.inputs.forEach((input, i) => {
    const dtype = input.dtype === 'int32' || input.dtype === 'bool' ? 'int32' : 'float32';
    values.set(input.id, { name: g.input(names[i], dtype, dimsOf(input.shape, model.inputs.length > 1 ? `${names[i]}_` : '')) });
  });
  for (const layer of model.layers) {
    const nodes = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes.filter(
      (n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => values.has(t.id)),
    );
    for (const node of nodes) {
      if (node.outputTensors.every((t) => values.has(t.id))) continue;
      const ins = node.inputTensors.map((t) => values.get(t.id)!);
      const outs = exportLayer(g, layer, ins, node);
      node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]));
    }
  }
  model.outputs.forEach((o, i) => {
    const v = values.get(o.id);
    if (!v) throw new Error(`ONNX export: model output ${i} ('${o.name}') was not produced (a layer of the model has no ONNX form)`);
    const name = model.outputs.length === 1 ? 'output' : `output_${i}`;
    g.output(v.name, name, 'float32', dimsOf(o.shape, model.inputs.length > 1 ? `${name}_` : ''));
  });
  return g.encode(options.name ?? model.name, `rnnkit model '${model.name}'`, options.metadata);
}

/** The mask `ids != 0` (float [B, T]) and the lengths (int32 [B]) of right-padded ids. */
export function padMask(g: GraphBuilder, ids: string, n: string): { float: string; lengths: string } {
  const notPad = g.op('Not', [g.op('Equal', [ids, g.int32Scalar(0)], {}, `${n}/is_pad`)], {}, `${n}/not_pad`);
  const float = g.op('Cast', [notPad], { to: FLOAT }, `${n}/mask`);
  const sum = g.op('ReduceSum', [float, g.int64([-1])], { keepdims: 0 }, `${n}/length_float`);
  return { float, lengths: g.op('Cast', [sum], { to: INT32 }, `${n}/lengths`) };
}

function exportLayer(g: GraphBuilder, layer: tf.layers.Layer, ins: Value[], node: NodeLike): Value[] {
  const cls = layer.getClassName();
  const n = layer.name;
  const x = ins[0];
  if (layer instanceof RecurrentLayer) {
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
  if (layer instanceof Embedding) {
    const [table] = layer.getWeights();
    const W = g.weight(`${n}/embeddings`, table);
    const out: Value = { name: g.op('Gather', [W, x.name], { axis: 0 }, `${n}/lookup`) };
    if (layer.maskZero) out.mask = padMask(g, x.name, n);
    return [out];
  }
  if (layer instanceof MaskedPooling) {
    const m = x.mask ? g.op('Unsqueeze', [x.mask.float, g.int64([2])], {}, `${n}/mask3`) : undefined; // [B, T, 1]
    if (layer.mode === 'mean') {
      if (!m) return [{ name: g.op('ReduceMean', [x.name], { axes: [1], keepdims: 0 }, `${n}/mean`) }];
      const sum = g.op('ReduceSum', [g.op('Mul', [x.name, m], {}, `${n}/masked`), g.int64([1])], { keepdims: 0 }, `${n}/sum`);
      const count = g.op('Max', [g.op('ReduceSum', [m, g.int64([1])], { keepdims: 0 }, `${n}/count`), g.floats(`${n}/one`, [], [1])], {}, `${n}/count_min1`);
      return [{ name: g.op('Div', [sum, count], {}, `${n}/mean`) }];
    }
    if (!m) return [{ name: g.op('ReduceMax', [x.name], { axes: [1], keepdims: 0 }, `${n}/max`) }];
    const offset = g.op('Mul', [g.op('Sub', [m, g.floats(`${n}/one`, [], [1])], {}, `${n}/minus1`), g.floats(`${n}/big`, [], [1e9])], {}, `${n}/offset`);
    return [{ name: g.op('ReduceMax', [g.op('Add', [x.name, offset], {}, `${n}/shifted`)], { axes: [1], keepdims: 0 }, `${n}/max`) }];
  }
  if (layer instanceof Attention) return emitAttention(g, layer, ins, node);
  switch (cls) {
    case 'rnnkit.PaddingMask':
      return [{ name: padMask(g, x.name, n).float }];
    case 'rnnkit.RowGather': // tasks/pos: out[b, t] = table[index[b, t]], row 0 = padding
      return [{ name: g.op('Gather', [x.name, ins[1].name], { axis: 0 }, `${n}/gather`), mask: padMask(g, ins[1].name, n) }];
    case 'rnnkit.SeededDropout':
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'GaussianNoise':
    case 'GaussianDropout':
      return [x];
    case 'Dense': {
      const [kernel, bias] = layer.getWeights();
      const W = g.weight(`${n}/kernel`, kernel);
      const rank = node.inputTensors[0].shape.length;
      let y: string;
      if (rank === 2) {
        y = g.op('Gemm', bias ? [x.name, W, g.weight(`${n}/bias`, bias)] : [x.name, W], {}, `${n}/gemm`);
      } else {
        y = g.op('MatMul', [x.name, W], {}, `${n}/matmul`);
        if (bias) y = g.op('Add', [y, g.weight(`${n}/bias`, bias)], {}, `${n}/add_bias`);
      }
      return [{ name: activation(g, y, activationName(layer), n), mask: x.mask }];
    }
    case 'Activation':
      return [{ name: activation(g, x.name, activationName(layer), n), mask: x.mask }];
    case 'Softmax':
      return [{ name: g.op('Softmax', [x.name], { axis: (layer.getConfig() as { axis?: number }).axis ?? -1 }, `${n}/softmax`), mask: x.mask }];
    case 'Concatenate':
      return [{ name: g.op('Concat', ins.map((v) => v.name), { axis: (layer.getConfig() as { axis?: number }).axis ?? -1 }, `${n}/concat`), mask: ins.find((v) => v.mask)?.mask }];
    case 'Add':
      return [{ name: ins.slice(1).reduce((acc, v, i) => g.op('Add', [acc, v.name], {}, `${n}/add_${i}`), ins[0].name), mask: ins.find((v) => v.mask)?.mask }];
    case 'Flatten':
      return [{ name: g.op('Flatten', [x.name], { axis: 1 }, `${n}/flatten`) }];
    default:
      throw new Error(`${n}: layer class ${cls} cannot be exported to ONNX (supported: this package's recurrent layers, embedding, maskedPooling, seededDropout; tfjs Dense, Dropout, Activation, Softmax, Concatenate, Add, Flatten)`);
  }
}

/** The keys as the attention score needs them (Attention.prepareKeys): dot: keys; general: keys·W [B, S, Dq]; additive: keys·Wk [B, S, U]. */
export function attentionKeys(g: GraphBuilder, layer: Attention, keys: string): string {
  const n = layer.name;
  if (layer.score === 'dot') return keys;
  const W = layer.score === 'general' ? layer.kernel! : layer.keyKernel!;
  return g.op('MatMul', [keys, g.weight(`${n}/${layer.score === 'general' ? 'kernel' : 'key_kernel'}`, W.read())], {}, `${n}/keys_proj`);
}

/** The score offset of masked source positions, (1 − m)·(−1e9) [B, 1, S], from a float mask [B, S]. */
export function attentionMaskOffset(g: GraphBuilder, layer: Attention, mask: string): string {
  const n = layer.name;
  const m = g.op('Unsqueeze', [mask, g.int64([1])], {}, `${n}/mask3`);
  return g.op('Mul', [g.op('Sub', [g.floats(`${n}/one`, [], [1]), m], {}, `${n}/pad`), g.floats(`${n}/masked`, [], [-1e9])], {}, `${n}/offset`);
}

/**
 * Attention of queries q [B, T, Dq] over prepared keys (attentionKeys) and values
 * [B, S, Dv], with an optional mask offset (attentionMaskOffset): the arithmetic of
 * Attention.attend. Returns context [B, T, Dv] and weights [B, T, S].
 */
export function attentionStep(g: GraphBuilder, layer: Attention, q: string, Dq: number, prepared: string, values: string, offset?: string): { context: string; weights: string } {
  const n = layer.name;
  let scores: string; // [B, T, S]
  if (layer.score === 'additive') {
    const Wq = g.weight(`${n}/query_kernel`, layer.queryKernel!.read());
    const v = g.weight(`${n}/score_vector`, layer.scoreVector!.read());
    const qp = g.op('Unsqueeze', [g.op('MatMul', [q, Wq], {}, `${n}/query_proj`), g.int64([2])], {}, `${n}/query_proj4`); // [B, T, 1, U]
    const kp = g.op('Unsqueeze', [prepared, g.int64([1])], {}, `${n}/key_proj4`); // [B, 1, S, U]
    const hidden = g.op('Tanh', [g.op('Add', [qp, kp], {}, `${n}/hidden_pre`)], {}, `${n}/hidden`); // [B, T, S, U]
    scores = g.op('Squeeze', [g.op('MatMul', [hidden, v], {}, `${n}/scores4`), g.int64([3])], {}, `${n}/scores`);
  } else {
    scores = g.op('MatMul', [q, g.op('Transpose', [prepared], { perm: [0, 2, 1] }, `${n}/keys_t`)], {}, `${n}/scores_raw`);
    if (layer.scale) scores = g.op('Mul', [scores, g.floats(`${n}/scale`, [], [1 / Math.sqrt(Dq)])], {}, `${n}/scores`);
  }
  if (offset) scores = g.op('Add', [scores, offset], {}, `${n}/scores_masked`);
  const weights = g.op('Softmax', [scores], { axis: -1 }, `${n}/weights_seq`);
  return { context: g.op('MatMul', [weights, values], {}, `${n}/context_seq`), weights };
}

/**
 * The attention layer (layers/attention.ts) on query [B, T, Dq] or [B, Dq], keys
 * [B, S, Dk] and values (default the keys), masked by a mask input or the keys' padding.
 */
function emitAttention(g: GraphBuilder, layer: Attention, ins: Value[], node: NodeLike): Value[] {
  const n = layer.name;
  const [q0, keys] = ins;
  const values = ins[2] ?? keys;
  const maskFloat = ins[3]?.name ?? keys.mask?.float; // a mask input, else the keys' padding
  const qShape = node.inputTensors[0].shape;
  const step = qShape.length === 2;
  const q = step ? g.op('Unsqueeze', [q0.name, g.int64([1])], {}, `${n}/query_seq`) : q0.name; // [B, T, Dq]
  const offset = maskFloat ? attentionMaskOffset(g, layer, maskFloat) : undefined;
  let { context, weights } = attentionStep(g, layer, q, qShape[qShape.length - 1] as number, attentionKeys(g, layer, keys.name), values.name, offset);
  if (step) {
    weights = g.op('Squeeze', [weights, g.int64([1])], {}, `${n}/weights`);
    context = g.op('Squeeze', [context, g.int64([1])], {}, `${n}/context`);
  }
  return [{ name: context }, { name: weights }];
}
