/**
 * ONNX export of this package's recurrent layers and of tf.LayersModels built from
 * them, as standard ONNX (opset 14) that onnxruntime, onnxruntime-web and any ONNX
 * consumer runs. This file is the graph walk: each layer's nodes come from the
 * emitter its class registered in the table of emitters.ts, by family:
 * recurrent_emitters.ts (lstm / gru / simpleRnn / stacked / bidirectional, and
 * projected LSTMs through projected_lstm.ts), attention_emitters.ts, and
 * core_emitters.ts (embedding, maskedPooling, RowGather, dropout; tfjs Dense,
 * Activation, Softmax, Concatenate, Add, Flatten).
 *
 * A layer the exporter does not know is an error naming it and its class.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer } from '../../layers/recurrent_layer';
import './attention_emitters';
import './core_emitters';
import { emitterFor, exportableClasses, NodeLike, Value } from './emitters';
import { GraphBuilder } from './graph';
import { emitRecurrent } from './recurrent_emitters';

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

/**
 * ONNX dims of a shape: 'batch', 'time', dim_i for unknown sizes, each with `prefix`
 * (a multi-input model's values: onnxruntime takes equal dim names for equal sizes,
 * and its inputs' sizes are independent, e.g. source and target lengths).
 */
function dimsOf(shape: (number | null)[], prefix = ''): (number | string)[] {
  return shape.map((d, i) => (d == null ? `${prefix}${i === 0 ? 'batch' : i === 1 ? 'time' : `dim_${i}`}` : d));
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
      const emit = emitterFor(layer);
      if (!emit) throw new Error(`${layer.name}: layer class ${layer.getClassName()} cannot be exported to ONNX (supported: ${exportableClasses().join(', ')})`);
      const outs = emit(g, layer, ins, node);
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
