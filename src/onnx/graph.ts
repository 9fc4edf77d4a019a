/**
 * A small ONNX graph builder for the exporter: add nodes with fresh output names,
 * float / int initializers, graph inputs and outputs, and encode the ModelProto.
 */
import * as tf from '@tensorflow/tfjs';
import { AttrValue, ElemType, encodeModel, makeAttribute, makeTensor, makeTypedValueInfo, makeValueInfo, onnx } from './proto';

/** Opset of the default domain the exporter writes (LSTM/GRU/RNN `layout`, Reshape `allowzero` exist from 14). */
export const OPSET = 14;
/** IR version of the files written (what onnx-proto's schema describes). */
export const IR_VERSION = 8;

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly used: Set<string>;
  private readonly intConsts = new Map<string, string>();

  /** `parent`: for a subgraph (a Scan body), the outer graph, whose names it must not reuse. */
  constructor(private readonly parent?: GraphBuilder) {
    this.used = parent ? parent.used : new Set<string>();
  }

  /** A value name not used yet, from `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]+/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node; returns its output names (`outputs` of them, named from `base`). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, base = op, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? base : `${base}_${i}`));
    this.nodes.push({
      opType: op,
      name: this.fresh(`${base}_node`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => makeAttribute(k, v as AttrValue)),
    });
    return outs;
  }

  /** One-output node. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, base = op): string {
    return this.node(op, inputs, attrs, base, 1)[0];
  }

  /** A float32 initializer from a tensor. */
  weight(base: string, t: tf.Tensor): string {
    const name = this.fresh(base);
    this.initializers.push(makeTensor(name, t.shape, t.dataSync(), 'float32'));
    return name;
  }

  /** A float32 initializer from values. */
  floats(base: string, dims: number[], values: number[]): string {
    const name = this.fresh(base);
    this.initializers.push(makeTensor(name, dims, values, 'float32'));
    return name;
  }

  /** An int64 constant (shapes, axes), shared between nodes. */
  int64(values: number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
    let name = this.intConsts.get(key);
    if (!name) {
      name = this.fresh(`const_${values.join('_').replace(/-/g, 'm')}`);
      this.initializers.push(makeTensor(name, scalar ? [] : [values.length], values, 'int64'));
      this.intConsts.set(key, name);
    }
    return name;
  }

  /** An int32 scalar constant. */
  int32Scalar(value: number): string {
    const name = this.fresh(`int_${value}`);
    this.initializers.push(makeTensor(name, [], [value], 'int32'));
    return name;
  }

  input(name: string, dtype: 'float32' | 'int32', dims: (number | string)[]): string {
    if (this.used.has(name)) throw new Error(`ONNX export: two inputs named '${name}'`);
    this.used.add(name);
    this.inputs.push(makeValueInfo(name, dtype, dims));
    return name;
  }

  /** Declares `value` a graph output named `name` (through an Identity when the names differ); no dims = shape left to inference. */
  output(value: string, name: string, dtype: 'float32' | 'int32' | 'int64', dims?: (number | string)[]): void {
    let v = value;
    if (v !== name) {
      if (this.used.has(name)) throw new Error(`ONNX export: output name '${name}' is taken`);
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', name: this.fresh(`${name}_identity`), input: [value], output: [name] });
      v = name;
    }
    this.outputs.push(dims ? makeValueInfo(v, dtype, dims) : makeTypedValueInfo(v, dtype));
  }

  /** A subgraph input (typed; no shape unless `dims` are given, e.g. [] for a Loop's scalar iteration and condition). */
  typedInput(base: string, dtype: ElemType = 'float32', dims?: (number | string)[]): string {
    const name = this.fresh(base);
    this.inputs.push(dims ? makeValueInfo(name, dtype, dims) : makeTypedValueInfo(name, dtype));
    return name;
  }

  /** A subgraph output (typed, no shape); `value` must be produced by a node of this graph. */
  typedOutput(value: string, dtype: ElemType = 'float32'): void {
    this.outputs.push(makeTypedValueInfo(value, dtype));
  }

  /** This builder as a GraphProto (a subgraph: its constants become its own initializers). */
  graph(name: string): onnx.IGraphProto {
    return { name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }

  /** The encoded model. */
  encode(graphName: string, docString = '', metadata: Record<string, string> = {}): Uint8Array {
    return encodeModel({
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      irVersion: IR_VERSION,
      producerName: 'rnnkit',
      producerVersion: '0.1.0',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
  }
}
