/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * The importer's weight-free operators (src/onnx/ops.ts) against onnxruntime: each
 * case is a one- or few-node graph over x [2, 3, 4] (and int ids [2, 3]) built with the
 * exporter's GraphBuilder; importOnnx must give onnxruntime's output (shape and values).
 */
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../src/onnx/graph';
import { importOnnx, onnxRuntimeAvailable, runOnnx } from '../../src/onnx';
import { expectClose, useBackend } from '../helpers/backends';

const ortTest = onnxRuntimeAvailable() ? test : test.skip;

type Case = [string, 'float32' | 'int32', (g: GraphBuilder, x: string, ids: string) => string];
const CASES: Case[] = [
  ['Shape + Gather(-1) + Unsqueeze + Concat + Expand', 'float32', (g, x) => {
    const last = g.op('Gather', [g.op('Shape', [x]), g.int64([-1], true)], { axis: 0 });
    const shape = g.op('Concat', [g.int64([2, 1]), g.op('Unsqueeze', [last, g.int64([0])])], { axis: 0 });
    return g.op('Expand', [g.op('ReduceMean', [x], { axes: [1], keepdims: 1 }), shape]);
  }],
  ['Reshape (0, -1) + Transpose + Squeeze', 'float32', (g, x) =>
    g.op('Squeeze', [g.op('Transpose', [g.op('Reshape', [x, g.int64([0, -1, 1])])], { perm: [2, 1, 0] }), g.int64([0])])],
  ['Slice with negative starts and steps', 'float32', (g, x) => g.op('Slice', [x, g.int64([-1, 3]), g.int64([-4, 0]), g.int64([1, 2]), g.int64([-1, -2])])],
  ['Split (equal) + Sub', 'float32', (g, x) => {
    const [a, b] = g.node('Split', [x], { axis: 2 }, 'split', 2);
    return g.op('Sub', [a, b]);
  }],
  ['Split (sizes) + Concat', 'float32', (g, x) => {
    const [a, b] = g.node('Split', [x, g.int64([1, 3])], { axis: -1 }, 'split', 2);
    return g.op('Concat', [b, a], { axis: -1 });
  }],
  ['Range + Cast + Mul', 'float32', (g, x) => g.op('Mul', [x, g.op('Cast', [g.op('Range', [g.int32Scalar(0), g.int32Scalar(4), g.int32Scalar(1)])], { to: 1 })])],
  ['Equal + Not + Where on ids', 'float32', (g, x, ids) => {
    const pad = g.op('Unsqueeze', [g.op('Not', [g.op('Equal', [ids, g.int32Scalar(0)])]), g.int64([2])]);
    return g.op('Where', [pad, x, g.floats('minus', [], [-1])]);
  }],
  ['ConstantOfShape + Add', 'float32', (g, x) => g.op('Add', [x, g.op('ConstantOfShape', [g.op('Shape', [x])], { value: { tensor: { dims: [1], dataType: 1, floatData: [0.5] } } })])],
  ['Flatten + Gemm (transA, alpha, beta, dynamic B)', 'float32', (g, x) => {
    const f = g.op('Flatten', [x], { axis: 1 }); // [2, 12]
    const t = g.op('Transpose', [f]); // [12, 2]
    return g.op('Gemm', [t, t, g.floats('c', [2], [0.1, -0.3])], { transA: 1, alpha: { float: 0.5 }, beta: { float: 2 } }); // [2, 2]
  }],
  ['MatMul of two computed tensors', 'float32', (g, x) => g.op('MatMul', [x, g.op('Transpose', [x], { perm: [0, 2, 1] })])],
  ['ReduceSum (axes input) / ReduceMax / ReduceProd keepdims 0', 'float32', (g, x) =>
    g.op('Div', [g.op('ReduceSum', [x, g.int64([1])], { keepdims: 0 }), g.op('Add', [g.op('Abs', [g.op('ReduceProd', [x], { axes: [1], keepdims: 0 })]), g.op('ReduceMax', [x], { axes: [1], keepdims: 0 })])])],
  ['Softmax axis 1, LogSoftmax axis -1, Pow, Max, Min', 'float32', (g, x) =>
    g.op('Max', [g.op('Softmax', [x], { axis: 1 }), g.op('Min', [g.op('Exp', [g.op('LogSoftmax', [x], { axis: -1 })]), g.op('Pow', [g.op('Abs', [x]), g.floats('p', [], [0.5])])])])],
  ['int path: Shape → Cast → ReduceSum of ids', 'int32', (g, _x, ids) => g.op('Cast', [g.op('ReduceSum', [g.op('Cast', [ids], { to: 1 }), g.int64([1])], { keepdims: 0 })], { to: 6 })],
];

describe('importOnnx operators vs onnxruntime', () => {
  beforeAll(() => useBackend('cpu'));

  ortTest.each(CASES)('%s', async (_name, dtype, build) => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 3, 4]);
    const ids = g.input('ids', 'int32', [2, 3]);
    g.output(build(g, x, ids), 'out', dtype);
    const bytes = g.encode('ops');
    const feeds = { x: tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4), ids: tf.tensor2d([[3, 0, 2], [0, 5, 1]], undefined, 'int32') };
    const want = (await runOnnx(bytes, feeds)).out;
    const model = importOnnx(bytes);
    const got = model.predict(feeds).out;
    expect(got.shape).toEqual(want.shape);
    expect(got.dtype).toBe(want.dtype);
    expectClose('out', got, want, 1e-5, 1e-5);
    tf.dispose([want, got, feeds.x, feeds.ids]);
    model.dispose();
  });
});
