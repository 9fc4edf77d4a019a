/**
 * rnnkit's wasm kernels (layers/kernels/) against the cpu backend: values, and
 * gradients through tf.grad, for UnsortedSegmentSum (tf.unsortedSegmentSum and
 * tf.gather's gradient), Conv2DBackpropFilter (conv1d / conv2d filter gradients,
 * including the chunked path and the channels-first fallback), the depthwise
 * convolution gradients and Einsum; tf.layers.embedding and conv1d models train
 * with model.fit on wasm; no tensor leaks.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CPU_REPLACED_KERNELS, registerRnnkitKernels, unregisterRnnkitKernels, WASM_FALLBACK_KERNELS } from '../../layers';
import { setConvChunkFloats } from '../../layers/kernels/conv2d_backprop_filter';
import { expectClose, useBackend } from '../helpers/backends';
import { seededValues } from '../helpers/values';

/** A result copied off its backend. */
interface Values {
  values: number[];
  shape: number[];
  dtype: tf.DataType;
}

/** Runs f on `backend` with inputs made there; returns its outputs' values and checks nothing leaked. */
async function runOn(backend: string, inputs: () => tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Values[]> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const xs = inputs();
  const out = tf.tidy(() => {
    const r = f(...xs);
    return Array.isArray(r) ? r : [r];
  });
  const copies = out.map((t) => ({ values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype }));
  tf.dispose([...xs, ...out]);
  expect(tf.memory().numTensors).toBe(before);
  return copies;
}

/**
 * f gives the same values (and shapes, dtypes) on wasm and on cpu with rnnkit's
 * kernels as on the stock cpu backend (rnnkit's kernels unregistered).
 */
async function expectSame(what: string, inputs: () => tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], atol = 1e-5, rtol = 1e-5): Promise<void> {
  unregisterRnnkitKernels();
  let stock: Values[];
  try {
    stock = await runOn('cpu', inputs, f);
  } finally {
    registerRnnkitKernels();
  }
  for (const backend of ['wasm', 'cpu']) {
    const got = await runOn(backend, inputs, f);
    expect(got.length).toBe(stock.length);
    stock.forEach((c, i) => {
      expect([got[i].dtype, got[i].shape]).toEqual([c.dtype, c.shape]);
      expectClose(`${what} on ${backend} [${i}]`, got[i].values, c.values, atol, rtol);
    });
  }
}

/** Deterministic values in (−1, 1). */
const vals = (n: number, seed: number): Float32Array => seededValues(n, seed, 1);
const rand = (shape: number[], seed: number): tf.Tensor => tf.tensor(vals(shape.reduce((a, b) => a * b, 1), seed), shape);
const ints = (values: number[], shape?: number[]): tf.Tensor => tf.tensor(values, shape ?? [values.length], 'int32');

beforeAll(async () => {
  await useBackend('wasm');
  registerRnnkitKernels();
});

test('every kernel rnnkit provides is registered after importing rnnkit/layers, and unregistering restores the stock ones', () => {
  for (const k of WASM_FALLBACK_KERNELS) expect(tf.getKernel(k.kernelName, 'wasm')?.kernelFunc).toBe(k.kernelFunc);
  for (const k of CPU_REPLACED_KERNELS) expect(tf.getKernel(k.kernelName, 'cpu')?.kernelFunc).toBe(k.kernelFunc);
  unregisterRnnkitKernels();
  for (const k of WASM_FALLBACK_KERNELS) expect(tf.getKernel(k.kernelName, 'wasm')).toBeUndefined();
  for (const k of CPU_REPLACED_KERNELS) {
    expect(tf.getKernel(k.kernelName, 'cpu')).toBeDefined();
    expect(tf.getKernel(k.kernelName, 'cpu')?.kernelFunc).not.toBe(k.kernelFunc);
  }
  registerRnnkitKernels();
  for (const k of CPU_REPLACED_KERNELS) expect(tf.getKernel(k.kernelName, 'cpu')?.kernelFunc).toBe(k.kernelFunc);
  expect(WASM_FALLBACK_KERNELS.map((k) => k.kernelName)).toEqual(
    expect.arrayContaining(['UnsortedSegmentSum', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']),
  );
});

describe('UnsortedSegmentSum', () => {
  test.each([
    ['1-D x', [6], [0, 2, 2, 1, 0, 2], 3],
    ['2-D x, duplicate ids, an empty segment', [5, 4], [1, 0, 1, 3, 0], 5],
    ['3-D x', [4, 2, 3], [2, 2, 0, 1], 3],
    ['one row', [1, 8], [0], 1],
  ] as [string, number[], number[], number][])('%s: values and gradient equal cpu', async (_n, shape, ids, numSegments) => {
    const R = (): tf.Tensor => rand([numSegments, ...shape.slice(1)], 7);
    await expectSame('value', () => [rand(shape, 1), ints(ids)], (x, s) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, numSegments));
    await expectSame('gradient', () => [rand(shape, 1), ints(ids), R()], (x, s, r) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.unsortedSegmentSum(a, s as tf.Tensor1D, numSegments), r)))(x));
  });

  test('ids out of range and negative are dropped, as on cpu', async () => {
    await expectSame('value', () => [rand([5, 3], 1), ints([0, 7, -1, 2, 2])], (x, s) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, 3));
  });

  test('int32 values and rank-2 ids (through the cpu kernel) equal cpu, dtype included', async () => {
    await expectSame('int32', () => [ints([1, 2, 3, 4, 5, 6], [3, 2]), ints([1, 1, 0])], (x, s) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, 2), 1e-9, 0);
    const run = (x: tf.Tensor, s: tf.Tensor): tf.Tensor => tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: s }, { numSegments: 3 }) as tf.Tensor;
    await expectSame('rank-2 ids', () => [rand([2, 3], 3), ints([0, 1, 1, 1, 0, 2], [2, 3])], run);
  });

  test('tf.gather gradient (axis 0 and 1, batchDims 1) equals cpu', async () => {
    const idx = (): tf.Tensor => ints([3, 0, 3, 1, 4, 4, 4]);
    await expectSame('axis 0', () => [rand([6, 5], 2), idx(), rand([7, 5], 4)], (x, i, r) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, i), r)))(x));
    await expectSame('axis 1', () => [rand([3, 6, 2], 2), idx(), rand([3, 7, 2], 4)], (x, i, r) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, i, 1), r)))(x));
  });

  test.each(['wasm', 'cpu'])('embedding-sized gather gradient (10,000 × 64 table, 32 × 50 ids) is exact and fast on %s', async (backend) => {
    await useBackend(backend);
    const V = 10000;
    const E = 64;
    const table = rand([V, E], 5);
    const ids = tf.tensor2d(Array.from({ length: 32 * 50 }, (_, i) => (i * 7919) % V), [32, 50], 'int32');
    const dy = rand([32, 50, E], 6);
    const g = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, ids), dy)))(table));
    const got = g.dataSync().slice();
    // The kernel alone, timed after a warm-up.
    const rows = tf.reshape(dy, [-1, E]);
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    tf.dispose(tf.unsortedSegmentSum(rows, flat, V));
    const t0 = performance.now();
    const summed = tf.unsortedSegmentSum(rows, flat, V);
    summed.dataSync();
    const ms = performance.now() - t0;
    tf.dispose([rows, flat, summed]);
    // Reference: the same scatter in plain JS.
    const want = new Float32Array(V * E);
    const idv = ids.dataSync();
    const dyv = dy.dataSync();
    for (let i = 0; i < idv.length; i++) for (let j = 0; j < E; j++) want[idv[i] * E + j] += dyv[i * E + j];
    expectClose('dW', Array.from(got), Array.from(want), 1e-6, 1e-6);
    tf.dispose([table, ids, dy, g]);
    // A dense one-hot matmul would take ~1600 × 10000 × 64 multiply-adds; the scatter is ~100k
    // additions and zeroing the table (the stock cpu kernel: seconds).
    expect(ms).toBeLessThan(250);
  });
});

describe('Conv2DBackpropFilter', () => {
  const conv1dGrad = (stride: number, pad: 'same' | 'valid') => (x: tf.Tensor, w: tf.Tensor, r: tf.Tensor) =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, stride, pad), r)))([x, w]);

  test.each([
    [1, 'same', 7],
    [1, 'valid', 5],
    [2, 'same', 4],
    [2, 'valid', 3],
  ] as [number, 'same' | 'valid', number][])('conv1d stride %d %s: input and filter gradients equal cpu', async (stride, pad, outLen) => {
    await expectSame('conv1d', () => [rand([3, 7, 4], 1), rand([3, 4, 5], 2), rand([3, outLen, 5], 3)], conv1dGrad(stride, pad), 1e-4, 1e-4);
  });

  test.each([
    ['same, strides [2, 1]', [2, 1] as [number, number], 'same' as const, [2, 3, 5, 3]],
    ['valid, stride 1', 1 as const, 'valid' as const, [2, 4, 3, 3]],
    ['explicit padding 1', 1 as const, 1 as const, [2, 6, 5, 3]],
  ] as [string, number | [number, number], 'same' | 'valid' | number, number[]][])('conv2d %s: filter gradient equals cpu', async (_n, strides, pad, outShape) => {
    await expectSame(
      'conv2d',
      () => [rand([2, 6, 5, 2], 4), rand([3, 3, 2, 3], 5), rand(outShape, 6)],
      (x, w, r) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad as 'same'), r)))([x, w]),
      1e-4,
      1e-4,
    );
  });

  test('a long input is processed in several chunks and still equals cpu', async () => {
    // 2·50 = 100 patch rows of K = 3·4 floats; a 120-float limit makes chunks of 10 rows.
    setConvChunkFloats(120);
    try {
      await expectSame(
        'chunked conv1d',
        () => [rand([2, 50, 4], 7), rand([3, 4, 5], 8), rand([2, 50, 5], 9)],
        (x, w, r) => tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.conv1d(x as tf.Tensor3D, b as tf.Tensor3D, 1, 'same'), r)))(w),
        1e-4,
        1e-4,
      );
    } finally {
      setConvChunkFloats();
    }
  });

  test('channels-first (NCHW) goes to the cpu kernel and equals cpu', async () => {
    const run = (x: tf.Tensor, dy: tf.Tensor): tf.Tensor =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'valid', dataFormat: 'NCHW', filterShape: [2, 2, 3, 4] }) as tf.Tensor;
    await expectSame('NCHW', () => [rand([2, 3, 5, 5], 1), rand([2, 4, 4, 4], 2)], run, 1e-4, 1e-4);
  });
});

test('depthwiseConv2d gradients (input and filter) equal cpu', async () => {
  await expectSame(
    'depthwise',
    () => [rand([2, 5, 4, 3], 1), rand([3, 2, 3, 2], 2), rand([2, 5, 4, 6], 3)],
    (x, w, r) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), r)))([x, w]),
    1e-4,
    1e-4,
  );
});

test('einsum equals cpu', async () => {
  await expectSame('einsum', () => [rand([2, 3, 4], 1), rand([2, 4, 5], 2)], (a, b) => tf.einsum('bij,bjk->bik', a, b));
});

test('tf.layers.embedding and conv1d models train with model.fit on wasm, as on cpu', async () => {
  const build = (): tf.Sequential => {
    const m = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 30, outputDim: 6, inputLength: 5, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 1 }) }),
        tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.globalAveragePooling1d(),
        tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    m.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    return m;
  };
  const losses: Record<string, number[]> = {};
  for (const backend of ['cpu', 'wasm']) {
    await useBackend(backend);
    const m = build();
    const x = tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [1, 1, 2, 2, 3], [20, 21, 22, 23, 29]], [4, 5], 'int32');
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    losses[backend] = h.history.loss as number[];
    tf.dispose([x, y]);
    m.dispose();
  }
  expectClose('losses', losses.wasm, losses.cpu, 1e-5, 1e-4);
  expect(losses.wasm[2]).toBeLessThan(losses.wasm[0]);
});

describe('registration order (fresh Node processes, TypeScript sources)', () => {
  const root = path.resolve(__dirname, '..', '..');
  /** Runs a script in a child Node that can require this repository's .ts files. */
  const runChild = (body: string): string => {
    const hook = `
      const ts = require('typescript'); const fs = require('fs');
      require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'),
        { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true } }).outputText, f);
      const tf = require('@tensorflow/tfjs');
      const gatherGrad = () => Array.from(tf.grad((w) => tf.sum(tf.gather(w, tf.tensor1d([2, 0, 2], 'int32'))))(tf.ones([3, 2])).dataSync()).join(',');
      (async () => { ${body} })().catch((e) => { console.log('ERROR ' + e.message); process.exitCode = 1; });`;
    return execFileSync(process.execPath, ['-e', hook], { cwd: root, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } }).toString().trim().split('\n').pop() ?? '';
  };
  const EXPECTED = '1,1,0,0,2,2';

  test('rnnkit imported before the wasm backend', () => {
    expect(runChild(`require('./src'); require('@tensorflow/tfjs-backend-wasm'); await tf.setBackend('wasm'); console.log(tf.getBackend() + ' ' + gatherGrad());`)).toBe(`wasm ${EXPECTED}`);
  });

  test('rnnkit/layers imported after the wasm backend was set up', () => {
    expect(runChild(`require('@tensorflow/tfjs-backend-wasm'); await tf.setBackend('wasm'); require('./layers'); console.log(tf.getBackend() + ' ' + gatherGrad());`)).toBe(`wasm ${EXPECTED}`);
  });

  test('a wasm kernel that already exists is kept, not replaced', () => {
    const out = runChild(`
      require('@tensorflow/tfjs-backend-wasm');
      const own = () => { throw new Error('own kernel'); };
      tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: own });
      const registered = require('./layers').registerRnnkitKernels();
      console.log([tf.getKernel('UnsortedSegmentSum', 'wasm').kernelFunc === own, registered.includes('UnsortedSegmentSum'), registered.includes('Conv2DBackpropFilter')].join(','));`);
    expect(out).toBe('true,false,true');
  });
});
