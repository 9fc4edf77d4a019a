/**
 * The weight-free ONNX operators the importer evaluates with tf ops: the shape
 * plumbing PyTorch's exporter writes around recurrent nodes (Shape, Gather,
 * Unsqueeze, Concat, Expand, Reshape, Transpose, Squeeze, ...) and the usual
 * elementwise, reduction and activation ops. Integer tensors are int32 (tfjs has no
 * int64). Each op gets its inputs (undefined for an omitted optional input) and
 * attributes, and returns its outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { Attributes } from './proto';

export type OpFn = (inputs: (tf.Tensor | undefined)[], attrs: Attributes, where: string, outputs: number) => tf.Tensor[];

/** Integer values of a small tensor (shapes, axes, indices). */
export function intValues(t: tf.Tensor | undefined, where: string, what: string): number[] {
  if (!t) throw new Error(`${where}: input '${what}' is required`);
  return Array.from(t.dataSync(), (v) => Math.trunc(v));
}

const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** A scalar input's value. */
function intValuesOrFloat(t: tf.Tensor | undefined, where: string): number {
  if (!t) throw new Error(`${where}: Range needs start, limit and delta`);
  return t.dataSync()[0];
}

/** axes from the attribute (older opsets) or the second input (opset 13+ / 18+). */
function axesOf(inputs: (tf.Tensor | undefined)[], attrs: Attributes, where: string): number[] | undefined {
  if (inputs[1]) return intValues(inputs[1], where, 'axes');
  return attrs.ints('axes');
}

function need(t: tf.Tensor | undefined, where: string, i = 0): tf.Tensor {
  if (!t) throw new Error(`${where}: input ${i} is required`);
  return t;
}

/** Numpy broadcast of two shapes. */
function broadcastShapes(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function reduce(kind: 'sum' | 'mean' | 'max' | 'min' | 'prod', axesFromInput: boolean): OpFn {
  return (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const keep = attrs.int('keepdims', 1) === 1;
    let axes = axesFromInput ? (inputs[1] ? intValues(inputs[1], where, 'axes') : attrs.ints('axes')) : attrs.ints('axes');
    if (!axes || axes.length === 0) {
      if (attrs.int('noop_with_empty_axes', 0) === 1) return [x.clone()];
      axes = x.shape.map((_, i) => i);
    }
    const ax = axes.map((a) => normAxis(a, x.rank));
    const fn = kind === 'sum' ? tf.sum : kind === 'mean' ? tf.mean : kind === 'max' ? tf.max : kind === 'prod' ? tf.prod : tf.min;
    return [fn(x, ax, keep)];
  };
}

const unary = (fn: (x: tf.Tensor) => tf.Tensor): OpFn => (inputs, _a, where) => [fn(need(inputs[0], where))];
const binary = (fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpFn => (inputs, _a, where) => {
  let a = need(inputs[0], where, 0);
  let b = need(inputs[1], where, 1);
  if (a.dtype !== b.dtype) {
    a = tf.cast(a, 'float32');
    b = tf.cast(b, 'float32');
  }
  return [fn(a, b)];
};

export const OPS: Record<string, OpFn> = {
  Identity: unary((x) => x.clone()),
  Dropout: unary((x) => x.clone()),
  Relu: unary(tf.relu),
  Tanh: unary(tf.tanh),
  Sigmoid: unary(tf.sigmoid),
  Exp: unary(tf.exp),
  Log: unary(tf.log),
  Neg: unary(tf.neg),
  Sqrt: unary(tf.sqrt),
  Not: unary((x) => tf.cast(tf.logicalNot(tf.cast(x, 'bool')), 'int32')),
  Add: binary(tf.add),
  Sub: binary(tf.sub),
  Mul: binary(tf.mul),
  Div: binary((a, b) => (a.dtype === 'int32' ? tf.floorDiv(a, b) : tf.div(a, b))),
  Max: (inputs, _a, where) => [inputs.reduce((m, t) => tf.maximum(need(m, where), need(t, where)))!],
  Min: (inputs, _a, where) => [inputs.reduce((m, t) => tf.minimum(need(m, where), need(t, where)))!],
  Equal: binary((a, b) => tf.cast(tf.equal(a, b), 'int32')),
  Greater: binary((a, b) => tf.cast(tf.greater(a, b), 'int32')),
  Less: binary((a, b) => tf.cast(tf.less(a, b), 'int32')),
  Where: (inputs, _a, where) => {
    const [c, a, b] = [need(inputs[0], where), need(inputs[1], where, 1), need(inputs[2], where, 2)];
    const shape = broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape);
    return [tf.where(tf.broadcastTo(tf.cast(c, 'bool'), shape), tf.broadcastTo(a, shape), tf.broadcastTo(b, shape))];
  },
  Cast: (inputs, attrs, where) => {
    const to = attrs.int('to', 1);
    const x = need(inputs[0], where);
    return [to === 1 || to === 11 || to === 10 ? tf.cast(x, 'float32') : to === 9 ? tf.cast(tf.cast(x, 'bool'), 'int32') : tf.cast(x, 'int32')];
  },
  Softmax: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const axis = normAxis(attrs.int('axis', -1), x.rank);
    return [axis === x.rank - 1 ? tf.softmax(x) : tf.exp(tf.sub(x, tf.logSumExp(x, axis, true)))];
  },
  LogSoftmax: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const axis = normAxis(attrs.int('axis', -1), x.rank);
    return [tf.sub(x, tf.logSumExp(x, axis, true))];
  },
  Transpose: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    return [tf.transpose(x, attrs.ints('perm') ?? x.shape.map((_, i) => x.rank - 1 - i))];
  },
  Shape: (inputs, _a, where) => [tf.tensor1d(need(inputs[0], where).shape, 'int32')],
  Gather: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const idx = need(inputs[1], where, 1);
    const axis = normAxis(attrs.int('axis', 0), x.rank);
    const n = x.shape[axis];
    const fixed = tf.tidy(() => {
      const i = tf.cast(idx, 'int32');
      return tf.where(tf.less(i, tf.scalar(0, 'int32')), tf.add(i, tf.scalar(n, 'int32')), i);
    });
    const out = tf.gather(x, fixed, axis);
    fixed.dispose();
    return [out];
  },
  Unsqueeze: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const axes = axesOf(inputs, attrs, where) ?? [];
    const rank = x.rank + axes.length;
    const sorted = axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
    const shape = [...x.shape];
    for (const a of sorted) shape.splice(a, 0, 1);
    return [tf.reshape(x, shape)];
  },
  Squeeze: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const axes = axesOf(inputs, attrs, where);
    return [tf.squeeze(x, axes?.map((a) => normAxis(a, x.rank)))];
  },
  Concat: (inputs, attrs, where) => {
    const xs = inputs.filter((t): t is tf.Tensor => t !== undefined && t.size > 0);
    if (!xs.length) throw new Error(`${where}: Concat of nothing`);
    return [tf.concat(xs, normAxis(attrs.int('axis', 0), xs[0].rank))];
  },
  Expand: (inputs, _a, where) => {
    const x = need(inputs[0], where);
    const shape = broadcastShapes(x.shape, intValues(inputs[1], where, 'shape'));
    return [tf.broadcastTo(x, shape)];
  },
  Reshape: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const allowZero = attrs.int('allowzero', 0) === 1;
    const shape = intValues(inputs[1], where, 'shape').map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    return [tf.reshape(x, shape)];
  },
  Flatten: (inputs, attrs, where) => {
    const x = need(inputs[0], where);
    const axis = normAxis(attrs.int('axis', 1), x.rank);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    return [tf.reshape(x, [outer, -1])];
  },
  Slice: (inputs, _a, where) => {
    const x = need(inputs[0], where);
    const starts = intValues(inputs[1], where, 'starts');
    const ends = intValues(inputs[2], where, 'ends');
    const axes = inputs[3] ? intValues(inputs[3], where, 'axes') : starts.map((_, i) => i);
    const steps = inputs[4] ? intValues(inputs[4], where, 'steps') : starts.map(() => 1);
    const begin = x.shape.map(() => 0);
    const end = [...x.shape];
    const stride = x.shape.map(() => 1);
    let endMask = 0; // a negative step running through index 0: tf reads end -1 as the last index
    axes.forEach((a0, i) => {
      const a = normAxis(a0, x.rank);
      const n = x.shape[a];
      const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v < 0 ? v + n : v));
      stride[a] = steps[i];
      begin[a] = steps[i] > 0 ? clamp(starts[i], 0, n) : clamp(starts[i], -1, n - 1);
      end[a] = steps[i] > 0 ? clamp(ends[i], 0, n) : clamp(ends[i], -1, n - 1);
      if (steps[i] < 0 && end[a] === -1) endMask |= 1 << a;
    });
    return [tf.stridedSlice(x, begin, end, stride, 0, endMask)];
  },
  ConstantOfShape: (inputs, attrs, where) => {
    const shape = intValues(inputs[0], where, 'shape');
    const v = attrs.tensor('value');
    return [v ? tf.fill(shape, v.values[0], v.dtype) : tf.zeros(shape)];
  },
  Abs: unary(tf.abs),
  Pow: binary(tf.pow),
  Range: (inputs, _a, where) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => intValuesOrFloat(inputs[i], where));
    return [tf.range(start, limit, delta, need(inputs[0], where).dtype === 'int32' ? 'int32' : 'float32')];
  },
  Split: (inputs, attrs, where, outputs) => {
    const x = need(inputs[0], where);
    const axis = normAxis(attrs.int('axis', 0), x.rank);
    const sizes = inputs[1] ? intValues(inputs[1], where, 'split') : attrs.ints('split');
    const n = attrs.int('num_outputs', 0);
    return tf.split(x, sizes && sizes.length ? sizes : n || outputs, axis);
  },
  MatMul: binary(tf.matMul),
  Gemm: (inputs, attrs, where) => {
    let a = need(inputs[0], where) as tf.Tensor2D;
    let b = need(inputs[1], where, 1) as tf.Tensor2D;
    if (attrs.int('transA', 0)) a = tf.transpose(a);
    if (attrs.int('transB', 0)) b = tf.transpose(b);
    let y = tf.mul(tf.matMul(a, b), attrs.float('alpha', 1));
    if (inputs[2]) y = tf.add(y, tf.mul(inputs[2], attrs.float('beta', 1)));
    return [y];
  },
  ReduceSum: reduce('sum', true),
  ReduceMean: reduce('mean', true),
  ReduceMax: reduce('max', true),
  ReduceMin: reduce('min', true),
  ReduceProd: reduce('prod', true),
};
