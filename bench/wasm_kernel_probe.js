#!/usr/bin/env node
/**
 * Probe: which kernels do typical recurrent models miss on the wasm backend?
 *
 *   npm run build && node bench/wasm_kernel_probe.js           # with rnnkit's wasm kernels
 *   node bench/wasm_kernel_probe.js --stock                    # stock tfjs-backend-wasm 4.22
 *   node bench/wasm_kernel_probe.js --backend cpu              # the same cases on cpu (errors that are not wasm's)
 *   node bench/wasm_kernel_probe.js --dist /other/dist --json
 *
 * Each case trains a small model (model.fit, one epoch, tiny random data) or takes
 * tf.grad / tf.variableGrads of a few ops on wasm. Every kernel registered for cpu
 * but not for wasm is temporarily registered for wasm as a recorder that runs the
 * cpu kernel on copies, so a case keeps going past its first missing kernel and the
 * probe lists all of them. The table shows, per case, the kernels stock wasm lacks
 * (`missing`), the ones rnnkit's layers/kernels served (`rnnkit`), and any error.
 * Exit code 1 when a case misses a kernel (or fails) with rnnkit's kernels in place.
 */
const path = require('path');

const argv = process.argv.slice(2);
const stock = argv.includes('--stock');
const backendArg = argv.indexOf('--backend');
const backend = backendArg >= 0 ? argv[backendArg + 1] : 'wasm'; // 'cpu' shows which failures are not wasm's
const asJson = argv.includes('--json');
const distArg = argv.indexOf('--dist');
const dist = path.resolve(distArg >= 0 ? argv[distArg + 1] : path.join(__dirname, '..', 'dist'));

const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const rnnkit = require(path.join(dist, 'src', 'index.js'));
const { runOnCpu } = require(path.join(dist, 'layers', 'kernels', 'cpu_fallback.js'));

if (stock) rnnkit.unregisterRnnkitKernels();

// ---------------------------------------------------------------- recorders

let hits = { missing: new Set(), rnnkit: new Set() };
const ours = new Map(rnnkit.WASM_FALLBACK_KERNELS.map((k) => [k.kernelName, k]));
for (const { kernelName } of tf.getKernelsForBackend('cpu')) {
  const existing = tf.getKernel(kernelName, 'wasm');
  if (existing && !ours.has(kernelName)) continue;
  if (existing) {
    // rnnkit's kernel: wrap it to record its use.
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...existing, kernelFunc: (args) => (hits.rnnkit.add(kernelName), existing.kernelFunc(args)) });
  } else {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: (args) => (hits.missing.add(kernelName), runOnCpu(kernelName, args)) });
  }
}

// ---------------------------------------------------------------- cases

const B = 4;
const T = 6;
const V = 50;
const ids = () => tf.tidy(() => tf.cast(tf.mul(tf.randomUniform([B, T], 0, 1, 'float32', 1), V), 'int32'));
const floats = (shape, seed = 2) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const labels2 = () => tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);

async function fit(model, x, y, loss = 'categoricalCrossentropy', optimizer = 'adam') {
  model.compile({ optimizer, loss });
  await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  tf.dispose([x, y]);
}

function grads(f, xs) {
  tf.tidy(() => {
    const g = tf.grads(f)(xs);
    for (const t of g) t.dataSync();
  });
}

const cases = [
  ['README model: tf.layers.embedding(maskZero) + bidirectional(lstm) + dense', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, maskZero: true }), rnnkit.bidirectional({ layer: rnnkit.lstm({ units: 8 }), mergeMode: 'concat' }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, ids(), labels2());
  }],
  ['tf.layers.embedding + tf.layers.lstm (tfjs-layers)', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, inputLength: T }), tf.layers.lstm({ units: 8 }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, ids(), labels2());
  }],
  ['tf.layers.bidirectional(tf.layers.gru) with maskZero', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, maskZero: true, inputLength: T }), tf.layers.bidirectional({ layer: tf.layers.gru({ units: 6 }) }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, ids(), labels2());
  }],
  ['tf.layers.masking + tf.layers.simpleRNN', async () => {
    const m = tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [T, 3] }), tf.layers.simpleRNN({ units: 5 }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, floats([B, T, 3]), labels2());
  }],
  ['conv1d(same) + maxPooling1d before rnnkit lstm', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, inputLength: T }), tf.layers.conv1d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }), tf.layers.maxPooling1d({ poolSize: 2 }), rnnkit.lstm({ units: 5 }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, ids(), labels2());
  }],
  ['conv1d(valid, stride 2) + rnnkit gru', async () => {
    const m = tf.sequential({ layers: [tf.layers.conv1d({ filters: 4, kernelSize: 2, strides: 2, inputShape: [T, 3] }), rnnkit.gru({ units: 4 }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, floats([B, T, 3]), labels2());
  }],
  ['separableConv2d + depthwiseConv2d over [T, 1, C] + globalMaxPooling2d', async () => {
    const m = tf.sequential({ layers: [tf.layers.separableConv2d({ filters: 4, kernelSize: [3, 1], padding: 'same', inputShape: [T, 1, 3] }), tf.layers.depthwiseConv2d({ kernelSize: [2, 1] }), tf.layers.globalMaxPooling2d({}), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, floats([B, T, 1, 3]), labels2());
  }],
  ['conv2d + maxPooling2d + reshape + rnnkit lstm (CRNN)', async () => {
    const m = tf.sequential({ layers: [tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [8, 8, 1] }), tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.reshape({ targetShape: [4, 12] }), rnnkit.lstm({ units: 4 }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, floats([B, 8, 8, 1]), labels2());
  }],
  ['timeDistributed(dense) on a returnSequences lstm (tagging)', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, inputLength: T }), rnnkit.lstm({ units: 6, returnSequences: true }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'softmax' }) })] });
    await fit(m, ids(), tf.oneHot(tf.zeros([B, T], 'int32'), 3));
  }],
  ['dropout, spatialDropout1d, gaussianNoise, layerNormalization, batchNormalization, globalAveragePooling1d', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, inputLength: T }), tf.layers.spatialDropout1d({ rate: 0.2 }), tf.layers.gaussianNoise({ stddev: 0.1 }), rnnkit.gru({ units: 6, returnSequences: true }), tf.layers.layerNormalization(), tf.layers.batchNormalization(), tf.layers.dropout({ rate: 0.3 }), tf.layers.globalAveragePooling1d(), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    await fit(m, ids(), labels2());
  }],
  ['dot-product attention over lstm states (functional: dot, softmax, concatenate)', async () => {
    const inp = tf.input({ shape: [T], dtype: 'int32' });
    const e = tf.layers.embedding({ inputDim: V, outputDim: 8 }).apply(inp);
    const h = rnnkit.lstm({ units: 6, returnSequences: true }).apply(e);
    const scores = tf.layers.activation({ activation: 'softmax' }).apply(tf.layers.dot({ axes: 2 }).apply([h, h]));
    const ctx = tf.layers.dot({ axes: [2, 1] }).apply([scores, h]);
    const pooled = tf.layers.globalAveragePooling1d().apply(tf.layers.concatenate().apply([ctx, h]));
    const m = tf.model({ inputs: inp, outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) });
    await fit(m, ids(), labels2());
  }],
  ['sparseCategoricalCrossentropy, rmsprop, l2 regularizers, embedding regularizer', async () => {
    const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: 8, inputLength: T, embeddingsRegularizer: tf.regularizers.l2() }), rnnkit.simpleRnn({ units: 5 }), tf.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: tf.regularizers.l1l2() })] });
    await fit(m, ids(), tf.tensor2d([[0], [1], [2], [1]]), 'sparseCategoricalCrossentropy', 'rmsprop');
  }],
  ['gradients: gather (axis 0, 1, batchDims 1), unsortedSegmentSum, cumsum (exclusive, reverse) (tfjs has no gatherND gradient on any backend)', async () => {
    const x = floats([5, 4]);
    const i = tf.tensor1d([0, 3, 3, 1], 'int32');
    grads((a) => tf.sum(tf.gather(a, i)), [x]);
    grads((a) => tf.sum(tf.gather(a, tf.tensor1d([1, 1, 2], 'int32'), 1)), [x]);
    grads((a) => tf.sum(tf.gather(a, tf.tensor2d([[0, 1], [2, 2], [3, 0], [1, 1], [0, 0]], [5, 2], 'int32'), 1, 1)), [x]);
    grads((a) => tf.sum(tf.mul(tf.unsortedSegmentSum(a, tf.tensor1d([1, 0, 1, 2, 0], 'int32'), 3), floats([3, 4], 3))), [x]);
    grads((a) => tf.sum(tf.mul(tf.cumsum(a, 1, true, true), floats([5, 4], 4))), [x]);
    tf.dispose([x, i]);
  }],
  ['gradients: tile, reverse, where, mirrorPad, pad, slice, logSumExp, max, prod, clipByValue, norm, pow, batched matMul', async () => {
    const x = floats([3, 4]);
    grads((a) => tf.sum(tf.tile(a, [2, 1])), [x]);
    grads((a) => tf.sum(tf.mul(tf.reverse(a, 1), floats([3, 4], 5))), [x]);
    const positive = tf.greater(x, 0);
    grads((a) => tf.sum(tf.where(positive, a, tf.mul(a, 2))), [x]);
    grads((a) => tf.sum(tf.mirrorPad(a, [[1, 1], [0, 2]], 'reflect')), [x]);
    grads((a) => tf.sum(tf.pad(a, [[1, 0], [2, 1]], 0.5)), [x]);
    grads((a) => tf.sum(tf.slice(a, [1, 1], [2, 3])), [x]);
    grads((a) => tf.sum(tf.logSumExp(a, 1)), [x]);
    grads((a) => tf.add(tf.max(a), tf.prod(a)), [x]);
    grads((a) => tf.sum(tf.clipByValue(a, -0.5, 0.5)), [x]);
    grads((a) => tf.norm(a), [x]);
    grads((a) => tf.sum(tf.pow(tf.abs(a), 1.5)), [x]);
    grads((a, b) => tf.sum(tf.matMul(a, b, false, true)), [floats([2, 3, 4]), floats([2, 5, 4], 6)]);
    tf.dispose([x, positive]);
  }],
  ['gradients: conv1d, conv2d, conv2dTranspose, depthwiseConv2d, avgPool, maxPool; einsum forward', async () => {
    grads((a, w) => tf.sum(tf.conv1d(a, w, 1, 'same')), [floats([2, 7, 3]), floats([3, 3, 4], 7)]);
    grads((a, w) => tf.sum(tf.conv2d(a, w, [2, 1], 'valid')), [floats([2, 6, 5, 3]), floats([2, 3, 3, 4], 8)]);
    grads((a, w) => tf.sum(tf.conv2dTranspose(a, w, [2, 8, 8, 2], 2, 'same')), [floats([2, 4, 4, 3]), floats([3, 3, 2, 3], 9)]);
    grads((a, w) => tf.sum(tf.depthwiseConv2d(a, w, 1, 'same')), [floats([1, 5, 5, 2]), floats([3, 3, 2, 2], 10)]);
    grads((a) => tf.add(tf.sum(tf.avgPool(a, 2, 2, 'valid')), tf.sum(tf.maxPool(a, 2, 1, 'same'))), [floats([1, 4, 4, 2])]);
    tf.tidy(() => tf.einsum('bij,bjk->bik', floats([2, 3, 4]), floats([2, 4, 5], 11)).dataSync());
  }],
  ['losses: softmaxCrossEntropy (label smoothing), sigmoidCrossEntropy, huber, log, cosine, hinge, absoluteDifference', async () => {
    const l = floats([4, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 2, 1, 1], 'int32'), 3);
    grads((a) => tf.losses.softmaxCrossEntropy(y, a, undefined, 0.1), [l]);
    grads((a) => tf.losses.sigmoidCrossEntropy(y, a), [l]);
    grads((a) => tf.add(tf.losses.huberLoss(y, a), tf.losses.logLoss(y, tf.sigmoid(a))), [l]);
    grads((a) => tf.add(tf.losses.cosineDistance(y, a, 1), tf.losses.hingeLoss(y, a)), [l]);
    grads((a) => tf.losses.absoluteDifference(y, a), [l]);
    tf.dispose([l, y]);
  }],
  ['optimizers: sgd, momentum, adam, adamax, rmsprop (centered), adagrad, adadelta', async () => {
    const opts = [tf.train.sgd(0.1), tf.train.momentum(0.1, 0.9, true), tf.train.adam(), tf.train.adamax(), tf.train.rmsprop(0.01, 0.9, 0.1, 1e-7, true), tf.train.adagrad(0.1), tf.train.adadelta()];
    for (const o of opts) {
      const v = tf.variable(floats([3, 4]));
      for (let s = 0; s < 2; s++) tf.dispose(o.minimize(() => tf.sum(tf.square(v)), true, [v]));
      v.dispose();
      o.dispose();
    }
  }],
  ['decoding: topk, argMax, multinomial, oneHot, gather with batchDims, sequenceMask-style comparisons', async () => {
    tf.tidy(() => {
      const logits = floats([4, 10]);
      tf.topk(logits, 3).indices.dataSync();
      tf.argMax(logits, 1).dataSync();
      tf.multinomial(logits, 2, 1).dataSync();
      tf.oneHot(tf.argMax(logits, 1), 10).dataSync();
      tf.less(tf.range(0, 6, 1, 'int32').expandDims(0), tf.tensor2d([[3], [6]], [2, 1], 'int32')).dataSync();
    });
  }],
];

// ---------------------------------------------------------------- run

(async () => {
  await tf.setBackend(backend);
  await tf.ready();
  const rows = [];
  for (const [name, run] of cases) {
    hits = { missing: new Set(), rnnkit: new Set() };
    let error = null;
    try {
      await run();
    } catch (e) {
      error = String(e.message || e).split('\n')[0];
    }
    rows.push({ name, missing: [...hits.missing].sort(), rnnkit: [...hits.rnnkit].sort(), error });
  }
  if (asJson) {
    console.log(JSON.stringify({ stock, backend: tf.getBackend(), tfjs: tf.version.tfjs, cases: rows }));
  } else {
    console.log(`kernel probe on ${tf.getBackend()} (${stock ? 'stock' : "with rnnkit's wasm kernels"}); tfjs ${tf.version.tfjs}`);
    for (const r of rows) {
      const parts = [];
      if (r.missing.length) parts.push(`missing: ${r.missing.join(', ')}`);
      if (r.rnnkit.length) parts.push(`rnnkit: ${r.rnnkit.join(', ')}`);
      if (r.error) parts.push(`error: ${r.error}`);
      console.log(`- ${r.name}\n    ${parts.length ? parts.join('; ') : 'ok'}`);
    }
    const all = [...new Set(rows.flatMap((r) => r.missing))].sort();
    console.log(`missing overall: ${all.length ? all.join(', ') : 'none'}`);
  }
  process.exitCode = !stock && rows.some((r) => r.missing.length || r.error) ? 1 : 0;
})();
