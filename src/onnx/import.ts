/**
 * ONNX import: an ONNX file becomes this package's layers holding its weights, run
 * by a small graph interpreter.
 *
 * - `LSTM` / `GRU` / `RNN` nodes → `lstm` / `gru` (resetAfter = linear_before_reset) /
 *   `simpleRnn` layers (bidirectional or reverse as the node's `direction`), with the
 *   node's `sequence_lens` as `lengths` and `initial_h` / `initial_c` as initial states;
 * - `Gather` from a float initializer (an embedding table) → `embedding`;
 * - `Gemm` and `MatMul` (+ a following `Add` of a 1-D initializer) with a weight
 *   initializer → `tf.layers.dense`;
 * - every other node (shape plumbing, activations, reductions) runs as tf ops (ops.ts).
 *
 * The layers' weights are trainable variables: `run()` inside `tf.variableGrads`
 * fine-tunes the imported model with this package's fused kernels.
 *
 * Example:
 *   const model = importOnnx(fs.readFileSync('text_classifier.onnx'));
 *   const { log_probs } = model.predict({ ids: tf.tensor2d(ids, [B, T], 'int32') });
 */
import * as tf from '@tensorflow/tfjs';
import '../../layers/kernels'; // wasm: the UnsortedSegmentSum that tf.gather's gradient needs (fine-tuning through Gather nodes)
import { Embedding } from '../../layers/embedding';
import { RecurrentLayer } from '../../layers/recurrent_layer';
import { OPS, intValues } from './ops';
import { Attributes, decodeModel, onnx, readTensor, TensorValue, toNum } from './proto';
import { layerFromOnnx, OnnxRecurrentSpec } from './recurrent';

/** A graph input or output: name, element type and dims (null for a symbolic dim). */
export interface OnnxValueInfo {
  name: string;
  dtype: 'float32' | 'int32';
  shape: (number | null)[];
}

/** Feeds: a tensor or nested number arrays per graph input name. */
export type OnnxFeeds = Record<string, tf.Tensor | number[] | number[][] | number[][][]>;

/** How one node runs: through a layer, or as a plain op. */
interface Step {
  node: onnx.INodeProto;
  where: string;
  run: (inputs: (tf.Tensor | undefined)[], training: boolean) => tf.Tensor[];
}

const RECURRENT_OPS: Record<string, 'lstm' | 'gru' | 'rnn'> = { LSTM: 'lstm', GRU: 'gru', RNN: 'rnn' };

function sanitize(name: string, fallback: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return s.length ? s : fallback;
}

/** An imported ONNX graph: its layers (trainable) and an interpreter that runs it. */
export class OnnxModel {
  /** Graph inputs (initializers excluded). */
  readonly inputs: OnnxValueInfo[];
  /** Graph outputs. */
  readonly outputs: OnnxValueInfo[];
  /** The layers made from weight-bearing nodes, in graph order. */
  readonly layers: tf.layers.Layer[] = [];
  /** The recurrent layers among them. */
  readonly recurrentLayers: RecurrentLayer[] = [];
  private readonly constants = new Map<string, tf.Tensor>();
  private readonly steps: Step[] = [];
  private readonly where: string;
  /** Initializers that became layer weights (the interpreter never reads them). */
  private readonly weightNames = new Set<string>();

  constructor(model: onnx.ModelProto, where = 'ONNX model') {
    this.where = where;
    const g = model.graph;
    if (!g) throw new Error(`${where}: the model has no graph`);
    const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    const version = opset ? toNum(opset.version as number) : 0;
    if (version && version < 7) throw new Error(`${where}: opset ${version} is older than 7, which is not supported`);
    const inits = new Map<string, TensorValue>();
    for (const t of g.initializer ?? []) inits.set(t.name ?? '', readTensor(t, where));
    for (const n of g.node ?? []) {
      if (n.opType === 'Constant') {
        const attrs = new Attributes(n, where);
        const v = attrs.tensor('value') ?? scalarConstant(attrs, where);
        inits.set(n.output![0], v);
      }
    }
    this.inputs = (g.input ?? []).filter((i) => !inits.has(i.name ?? '')).map(valueInfo);
    this.outputs = (g.output ?? []).map(valueInfo);

    // Consumers of each value, to fold MatMul + Add into one dense layer.
    const consumers = new Map<string, onnx.INodeProto[]>();
    for (const n of g.node ?? []) for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    const folded = new Set<onnx.INodeProto>();
    const usedAsWeight = this.weightNames;
    const constTensor = (name: string): tf.Tensor => {
      let t = this.constants.get(name);
      if (!t) {
        const v = inits.get(name)!;
        t = tf.tensor(v.values, v.dims, v.dtype);
        this.constants.set(name, t);
      }
      return t;
    };

    (g.node ?? []).forEach((n, index) => {
      const where = `${this.where}: node ${index} '${n.name || n.opType}' (${n.opType})`;
      const op = n.opType ?? '';
      const ins = n.input ?? [];
      const name = sanitize(n.name ?? '', `${op.toLowerCase()}_${index}`);
      if (n.domain && n.domain !== 'ai.onnx') throw new Error(`${where}: operator domain '${n.domain}' is not supported`);
      if (op === 'Constant') return;
      if (folded.has(n)) return;
      const weight = (i: number, what: string): TensorValue => {
        const v = inits.get(ins[i] ?? '');
        if (!v) throw new Error(`${where}: input ${what} must be an initializer (a constant weight)`);
        usedAsWeight.add(ins[i]);
        return v;
      };
      if (RECURRENT_OPS[op]) {
        this.steps.push(this.recurrentStep(n, RECURRENT_OPS[op], name, weight, where));
        return;
      }
      const attrs = new Attributes(n, where);
      if (op === 'Gather' && inits.get(ins[0])?.dtype === 'float32' && inits.get(ins[0])!.dims.length === 2 && attrs.int('axis', 0) === 0 && !inits.has(ins[1])) {
        const table = weight(0, 'data');
        const layer = new Embedding({ inputDim: table.dims[0], outputDim: table.dims[1], name });
        tf.tidy(() => {
          layer.apply(tf.zeros([1, 1], 'int32')); // builds under the layer's name scope ('name/embeddings')
        });
        const values = tf.tensor2d(table.values as Float32Array, table.dims as [number, number]);
        layer.setWeights([values]);
        values.dispose();
        this.layers.push(layer);
        this.steps.push({ node: n, where, run: (x) => [layer.apply(x[1]!) as tf.Tensor] });
        return;
      }
      const isDenseWeight = (i: number): boolean => inits.get(ins[i])?.dtype === 'float32' && inits.get(ins[i])!.dims.length === 2 && !inits.has(ins[0]);
      if (op === 'Gemm' && isDenseWeight(1) && attrs.int('transA', 0) === 0 && (!ins[2] || inits.has(ins[2]))) {
        const w = weight(1, 'B');
        const alpha = attrs.float('alpha', 1);
        const beta = attrs.float('beta', 1);
        const units = attrs.int('transB', 0) ? w.dims[0] : w.dims[1];
        const c = ins[2] ? weight(2, 'C') : null;
        if (c && c.values.length !== units && c.values.length !== 1) throw new Error(`${where}: bias C of ${c.values.length} values for ${units} units is not supported`);
        const [kernel, bias = null] = tf.tidy(() => {
          const k = tf.tensor2d(w.values as Float32Array, w.dims as [number, number]);
          const scaled = tf.mul(attrs.int('transB', 0) ? tf.transpose(k) : k, alpha) as tf.Tensor2D;
          return c ? [scaled, tf.mul(tf.broadcastTo(tf.tensor1d(c.values as Float32Array), [units]), beta)] : [scaled];
        }) as [tf.Tensor2D, tf.Tensor?];
        const inDim = kernel.shape[0];
        this.pushDense(n, where, name, kernel, inDim, units, bias);
        return;
      }
      if (op === 'MatMul' && isDenseWeight(1)) {
        const w = weight(1, 'B');
        const next = consumers.get(n.output![0]) ?? [];
        const add = next.length === 1 && next[0].opType === 'Add' ? next[0] : null;
        const biasName = add ? add.input!.find((i) => i !== n.output![0]) : undefined;
        const b = biasName ? inits.get(biasName) : undefined;
        const foldAdd = add && b && b.dtype === 'float32' && b.dims.length === 1 && b.dims[0] === w.dims[1];
        if (foldAdd) {
          folded.add(add!);
          usedAsWeight.add(biasName!);
        }
        const kernel = tf.tensor2d(w.values as Float32Array, w.dims as [number, number]);
        this.pushDense(foldAdd ? { name: n.name, opType: n.opType, input: n.input, output: add!.output } : n, where, name, kernel, w.dims[0], w.dims[1], foldAdd ? tf.tensor1d(b!.values as Float32Array) : null);
        return;
      }
      const fn = OPS[op];
      if (!fn) throw new Error(`${where}: operator ${op} is not supported by rnnkit's ONNX import (supported: LSTM, GRU, RNN, ${Object.keys(OPS).join(', ')})`);
      const outputs = (n.output ?? []).length;
      this.steps.push({ node: n, where, run: (x) => fn(x, attrs, where, outputs) });
    });
    // Constants the interpreter reads (everything not turned into a layer weight).
    for (const name of inits.keys()) if (!usedAsWeight.has(name)) constTensor(name);
  }

  private pushDense(n: onnx.INodeProto, where: string, name: string, kernel: tf.Tensor2D, inDim: number, units: number, bias: tf.Tensor | null): void {
    const layer = tf.layers.dense({ units, useBias: bias !== null, name });
    tf.tidy(() => {
      layer.apply(tf.zeros([1, inDim])); // builds under the layer's name scope ('name/kernel')
    });
    layer.setWeights(bias ? [kernel, bias] : [kernel]);
    tf.dispose(bias ? [kernel, bias] : [kernel]);
    this.layers.push(layer);
    this.steps.push({ node: n, where, run: (x) => [layer.apply(x[0]!) as tf.Tensor] });
  }

  private recurrentStep(
    n: onnx.INodeProto,
    cell: 'lstm' | 'gru' | 'rnn',
    name: string,
    weight: (i: number, what: string) => TensorValue,
    where: string,
  ): Step {
    const attrs = new Attributes(n, where);
    const ins = n.input ?? [];
    const direction = attrs.string('direction', 'forward');
    if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw new Error(`${where}: direction '${direction}' is not one of forward, reverse, bidirectional`);
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const layout = attrs.int('layout', 0);
    for (const a of ['clip', 'activation_alpha', 'activation_beta']) if (attrs.has(a)) throw new Error(`${where}: attribute '${a}' is not supported`);
    if (attrs.int('input_forget', 0) !== 0) throw new Error(`${where}: input_forget = 1 (coupled input and forget gates) is not supported`);
    if (cell === 'lstm' && ins[7]) throw new Error(`${where}: LSTM peepholes (input P) are not supported`);
    const defaults = { lstm: ['sigmoid', 'tanh', 'tanh'], gru: ['sigmoid', 'tanh'], rnn: ['tanh'] }[cell];
    const acts = (attrs.strings('activations') ?? []).map((s) => s.toLowerCase());
    let activation: 'tanh' | 'relu' = 'tanh';
    for (let d = 0; d < dirs && acts.length; d++) {
      const mine = acts.slice(d * defaults.length, (d + 1) * defaults.length);
      if (cell === 'rnn') {
        if (mine[0] !== 'tanh' && mine[0] !== 'relu') throw new Error(`${where}: RNN activation '${mine[0]}' is not supported (Tanh or Relu)`);
        if (d > 0 && mine[0] !== activation) throw new Error(`${where}: the two directions use different activations`);
        activation = mine[0];
      } else if (mine.join() !== defaults.join()) {
        throw new Error(`${where}: activations [${mine.join(', ')}] are not supported (only the defaults ${defaults.join(', ')})`);
      }
    }
    const w = weight(1, 'W');
    const r = weight(2, 'R');
    const b = ins[3] ? weight(3, 'B') : null;
    const H = attrs.int('hidden_size', r.dims[2]);
    const spec: OnnxRecurrentSpec = {
      cell,
      units: H,
      inputSize: w.dims[2],
      direction,
      linearBeforeReset: attrs.int('linear_before_reset', 0) === 1,
      activation,
      W: tf.tensor3d(w.values as Float32Array, w.dims as [number, number, number]),
      R: tf.tensor3d(r.values as Float32Array, r.dims as [number, number, number]),
      B: b ? tf.tensor2d(b.values as Float32Array, b.dims as [number, number]) : null,
      name,
    };
    const layer = layerFromOnnx(spec);
    tf.dispose(spec.B ? [spec.W, spec.R, spec.B] : [spec.W, spec.R]);
    this.layers.push(layer);
    this.recurrentLayers.push(layer);
    const perState = cell === 'lstm' ? 2 : 1;
    return {
      node: n,
      where,
      run: (x, training) => {
        const X = x[0]!;
        if (X.rank !== 3) throw new Error(`${where}: input X must have rank 3, got [${X.shape.join(', ')}]`);
        const xb = layout === 0 ? tf.transpose(X, [1, 0, 2]) : X; // [B, T, D]
        const B = xb.shape[0];
        const rows = (t: tf.Tensor | undefined): tf.Tensor2D[] | null => {
          if (!t) return null;
          const s = layout === 0 ? t : tf.transpose(t, [1, 0, 2]); // [dirs, B, H]
          return tf.unstack(s) as tf.Tensor2D[];
        };
        const hs = rows(x[5]);
        const cs = cell === 'lstm' ? rows(x[6]) : null;
        let initialState: tf.Tensor[] | undefined;
        if (hs || cs) {
          initialState = [];
          for (let d = 0; d < dirs; d++) {
            initialState.push(hs ? hs[d] : tf.zeros([B, H]));
            if (cell === 'lstm') initialState.push(cs ? cs[d] : tf.zeros([B, H]));
          }
        }
        const lengths = x[4] ? tf.cast(x[4], 'int32') : undefined;
        const outs = layer.apply(initialState ? [xb, ...initialState] : xb, { lengths, training }) as tf.Tensor[];
        const ys = outs.slice(0, dirs); // dirs × [B, T, H]
        const finals = outs.slice(dirs);
        const Y = layout === 0 ? tf.transpose(tf.stack(ys), [2, 0, 1, 3]) : tf.stack(ys, 2);
        const pick = (i: number): tf.Tensor => {
          const s = tf.stack(finals.filter((_, j) => j % perState === i)); // [dirs, B, H]
          return layout === 0 ? s : tf.transpose(s, [1, 0, 2]);
        };
        return cell === 'lstm' ? [Y, pick(0), pick(1)] : [Y, pick(0)];
      },
    };
  }

  /** The trainable weights of every layer. */
  get trainableWeights(): tf.LayerVariable[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  /**
   * Runs the graph and returns the requested outputs (all by default), by name. Feeds
   * are by input name; integer inputs take int32 tensors or number arrays. Use inside
   * `tf.variableGrads` to train (`training: true` turns on the layers' dropout).
   */
  run(feeds: OnnxFeeds, options: { outputs?: string[]; training?: boolean } = {}): Record<string, tf.Tensor> {
    const wanted = options.outputs ?? this.outputs.map((o) => o.name);
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor>(this.constants);
      for (const info of this.inputs) {
        const v = feeds[info.name];
        if (v === undefined) throw new Error(`${this.where}: missing input '${info.name}' (inputs: ${this.inputs.map((i) => i.name).join(', ')})`);
        const t = v instanceof tf.Tensor ? v : tf.tensor(v as number[], undefined, info.dtype);
        if (t.rank !== info.shape.length || info.shape.some((d, i) => d !== null && d !== t.shape[i])) {
          throw new Error(`${this.where}: input '${info.name}' must have shape [${info.shape.map((d) => d ?? '?').join(', ')}], got [${t.shape.join(', ')}]`);
        }
        values.set(info.name, info.dtype === 'int32' && t.dtype !== 'int32' ? tf.cast(t, 'int32') : t);
      }
      for (const s of this.steps) {
        const ins = (s.node.input ?? []).map((name) => {
          if (!name || this.weightNames.has(name)) return undefined;
          const t = values.get(name);
          if (!t) throw new Error(`${s.where}: input '${name}' is not computed before this node`);
          return t;
        });
        const outs = s.run(ins, options.training === true);
        (s.node.output ?? []).forEach((name, i) => {
          if (name && outs[i]) values.set(name, outs[i]);
        });
      }
      const result: Record<string, tf.Tensor> = {};
      for (const name of wanted) {
        const t = values.get(name);
        if (!t) throw new Error(`${this.where}: no output '${name}' (outputs: ${this.outputs.map((o) => o.name).join(', ')})`);
        result[name] = t === this.constants.get(name) || (feeds[name] instanceof tf.Tensor && t === feeds[name]) ? t.clone() : t;
      }
      return result;
    });
  }

  /** `run` for inference (dropout off). */
  predict(feeds: OnnxFeeds, outputs?: string[]): Record<string, tf.Tensor> {
    return this.run(feeds, { outputs, training: false });
  }

  /** Frees the layers' weights and the graph's constants. */
  dispose(): void {
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
    for (const l of this.layers) for (const w of l.weights) w.dispose();
  }
}

function scalarConstant(attrs: Attributes, where: string): TensorValue {
  if (attrs.has('value_float')) return { dims: [], dtype: 'float32', values: Float32Array.of(attrs.float('value_float', 0)) };
  if (attrs.has('value_int')) return { dims: [], dtype: 'int32', values: Int32Array.of(attrs.int('value_int', 0)) };
  const f = attrs.floats('value_floats');
  if (f) return { dims: [f.length], dtype: 'float32', values: Float32Array.from(f) };
  const i = attrs.ints('value_ints');
  if (i) return { dims: [i.length], dtype: 'int32', values: Int32Array.from(i) };
  throw new Error(`${where}: Constant without a supported value attribute (${attrs.names().join(', ')})`);
}

function valueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  const t = v.type?.tensorType;
  const elem = t?.elemType ?? 1;
  return {
    name: v.name ?? '',
    dtype: elem === 1 || elem === 10 || elem === 11 ? 'float32' : 'int32',
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimValue != null && toNum(d.dimValue as number) > 0 ? toNum(d.dimValue as number) : null)),
  };
}

/** Imports an ONNX file's bytes (see the file comment for what becomes which layer). */
export function importOnnx(bytes: Uint8Array, where = 'ONNX model'): OnnxModel {
  return new OnnxModel(decodeModel(bytes, where), where);
}

export { intValues };
