#!/usr/bin/env node
/**
 * Probe: does data-parallel training over worker_threads use the second core?
 *
 *   node bench/data_parallel_probe.js [--config small|large] [--cell lstm|gru|rnn] [--steps 20]
 *
 * (needs a built dist/: `npm run build`). Each worker thread loads its own
 * tfjs + wasm backend and the same fused model; a training step splits the batch
 * in two, each worker computes the gradients of its half (tf.variableGrads), the
 * main thread sums them and sends the sum back, and both workers apply the same
 * Adam update, so their weights stay bitwise identical (checked at the end).
 * Printed: median step time of one thread on the whole batch, of one thread on
 * half the batch (the best the split can do), and of the two workers, with the
 * speed-up. Not used by the library; the README's benchmark section reports it.
 */
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { Command, Option } = require('commander');
const { CONFIGS } = require('./configs');
const { median } = require('./run');

async function setup(c, cell, batch, seed) {
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const R = require(path.join(__dirname, '..', 'dist', 'src', 'index.js'));
  await R.selectBackend('wasm');
  const make = { lstm: R.lstm, gru: R.gru, rnn: R.simpleRnn }[cell];
  const model = tf.sequential({
    layers: [make({ units: c.H, returnSequences: true, inputShape: [c.T, c.D], recurrentInitializer: 'glorotUniform', seed: 1 })],
  });
  const vars = model.trainableWeights.map((w) => w.read());
  const x = tf.randomNormal([batch, c.T, c.D], 0, 1, 'float32', seed);
  const optimizer = tf.train.adam(1e-3);
  // Sum over the half's elements ÷ elements of the whole batch: the two halves' gradients add up to the full-batch gradient.
  const total = c.B * c.T * c.H;
  const loss = () => tf.div(tf.sum(tf.square(model.apply(x, { training: true }))), total);
  /** This batch's gradients, one Float32Array per variable. */
  const gradArrays = () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    const arrays = vars.map((v) => grads[v.name].dataSync().slice());
    tf.dispose([value, grads]);
    return arrays;
  };
  /** One Adam step from gradient arrays (in the order of vars). */
  const apply = (arrays) => {
    const named = {};
    vars.forEach((v, i) => (named[v.name] = tf.tensor(arrays[i], v.shape)));
    optimizer.applyGradients(named);
    tf.dispose(named);
  };
  return { tf, model, vars, x, gradArrays, apply };
}

async function worker() {
  const { c, cell, half, seed } = workerData;
  const s = await setup(c, cell, half, seed);
  parentPort.on('message', (msg) => {
    if (msg.type === 'grads') {
      const t0 = performance.now();
      const arrays = s.gradArrays();
      parentPort.postMessage({ type: 'grads', arrays, ms: performance.now() - t0 }, arrays.map((a) => a.buffer));
    } else if (msg.type === 'apply') {
      s.apply(msg.arrays);
      parentPort.postMessage({ type: 'applied' });
    } else if (msg.type === 'weights') {
      parentPort.postMessage({ type: 'weights', arrays: s.vars.map((v) => v.dataSync().slice()) });
    } else if (msg.type === 'exit') {
      process.exit(0);
    }
  });
  parentPort.postMessage({ type: 'ready' });
}

/** One thread, a batch of `batch`: median ms of a step (variableGrads + Adam, as the workers do it). */
async function singleThread(c, cell, batch, steps) {
  const s = await setup(c, cell, batch, 7);
  const step = () => s.apply(s.gradArrays());
  for (let i = 0; i < 2; i++) step();
  const ts = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    ts.push(performance.now() - t0);
  }
  s.model.dispose();
  s.x.dispose();
  return median(ts);
}

async function twoWorkers(c, cell, steps) {
  const half = c.B / 2;
  const workers = [0, 1].map((k) => new Worker(__filename, { workerData: { c, cell, half, seed: 11 + k } }));
  const next = (w) => new Promise((resolve) => w.once('message', resolve));
  await Promise.all(workers.map(next));
  const computeMs = [];
  const step = async () => {
    const parts = await Promise.all(workers.map((w) => {
      const p = next(w);
      w.postMessage({ type: 'grads' });
      return p;
    }));
    computeMs.push(Math.max(parts[0].ms, parts[1].ms));
    const sum = parts[0].arrays.map((a, i) => {
      const out = new Float32Array(a);
      const b = parts[1].arrays[i];
      for (let j = 0; j < out.length; j++) out[j] += b[j];
      return out;
    });
    await Promise.all(workers.map((w) => {
      const p = next(w);
      w.postMessage({ type: 'apply', arrays: sum });
      return p;
    }));
  };
  for (let i = 0; i < 2; i++) await step();
  const ts = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    ts.push(performance.now() - t0);
  }
  const weights = await Promise.all(workers.map((w) => {
    const p = next(w);
    w.postMessage({ type: 'weights' });
    return p;
  }));
  const same = weights[0].arrays.every((a, i) => a.every((v, j) => Object.is(v, weights[1].arrays[i][j])));
  workers.forEach((w) => w.postMessage({ type: 'exit' }));
  return { ms: median(ts), computeMs: median(computeMs.slice(-steps)), same };
}

async function main() {
  const o = new Command('data_parallel_probe')
    .addOption(new Option('--config <name>', 'shape').choices(Object.keys(CONFIGS)).default('small'))
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--steps <n>', 'timed steps per measurement', (v) => Number.parseInt(v, 10), 20)
    .parse()
    .opts();
  const { config, cell, steps } = o;
  const c = CONFIGS[config];
  const full = await singleThread(c, cell, c.B, steps);
  const halfMs = await singleThread(c, cell, c.B / 2, steps);
  const dp = await twoWorkers(c, cell, steps);
  console.log(`${cell} ${config} (B=${c.B} T=${c.T} D=${c.D} H=${c.H}), wasm, median ms per training step`);
  console.log(`  1 thread, batch ${c.B}:            ${full.toFixed(1)}`);
  console.log(`  1 thread, batch ${c.B / 2} (bound):     ${halfMs.toFixed(1)}   (${(full / halfMs).toFixed(2)}x)`);
  console.log(`  2 workers × batch ${c.B / 2} + all-reduce: ${dp.ms.toFixed(1)}   (${(full / dp.ms).toFixed(2)}x)  weights identical across workers: ${dp.same}`);
  console.log(`    of which the slower worker's gradient computation: ${dp.computeMs.toFixed(1)}`);
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
} else {
  worker();
}
