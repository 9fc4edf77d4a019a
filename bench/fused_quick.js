#!/usr/bin/env node
/**
 * Quick speed check of the fused recurrent kernels against tfjs-layers.
 *
 *   npx tsc -p tsconfig.build.json && node bench/fused_quick.js [backend=wasm] [cell=lstm]
 *   RNNKIT_DIST=/some/outDir node bench/fused_quick.js wasm gru
 *
 * One training step = forward + backward (tf.variableGrads of mean(y²)) + Adam;
 * inference = forward + read the output. B=32 T=50 D=64 H=128 (override with
 * B= T= D= H= env vars). Fused and tfjs-layers steps are interleaved round by
 * round, so the ratio stays meaningful when other processes share the cores.
 * The GRU runs with resetAfter: false, the only convention tfjs-layers has.
 * Prints medians; asserts nothing.
 */
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const dist = process.env.RNNKIT_DIST || path.join(__dirname, '..', 'dist');
const { lstmSequence } = require(path.join(dist, 'layers/fused/lstm.js'));
const { gruSequence } = require(path.join(dist, 'layers/fused/gru.js'));
const { rnnSequence } = require(path.join(dist, 'layers/fused/simple_rnn.js'));

const backend = process.argv[2] || 'wasm';
const cell = process.argv[3] || 'lstm';
const env = (k, d) => Number(process.env[k] || d);
const B = env('B', 32), T = env('T', 50), D = env('D', 64), H = env('H', 128);
const ROUNDS = env('ROUNDS', backend === 'cpu' ? 3 : 7);

function fusedModel() {
  const G = { lstm: 4, gru: 3, rnn: 1 }[cell];
  const v = (shape, s) => tf.variable(tf.randomNormal(shape, 0, s));
  const w = { kernel: v([D, G * H], 0.1), recurrentKernel: v([H, G * H], 0.1), bias: v([G * H], 0.1) };
  const h0 = tf.zeros([B, H]);
  const states = cell === 'lstm' ? [h0, tf.zeros([B, H])] : [h0];
  const run = (x) => {
    const inp = { x, initialStates: states, mask: null, reverse: false };
    const r =
      cell === 'lstm' ? lstmSequence(inp, { ...w, projKernel: null }) : cell === 'gru' ? gruSequence(inp, { ...w, resetAfter: false }) : rnnSequence(inp, { ...w, activation: 'tanh' });
    tf.dispose(r.states);
    return r.y;
  };
  return { run, vars: Object.values(w) };
}

function tfjsModel() {
  const make = { lstm: tf.layers.lstm, gru: tf.layers.gru, rnn: tf.layers.simpleRNN }[cell];
  const layer = make({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotNormal', recurrentInitializer: 'glorotNormal' });
  const run = (x) => layer.apply(x);
  tf.dispose(run(tf.zeros([1, 1, D])));
  return { run, vars: layer.trainableWeights.map((w) => w.read()) };
}

function steps(model, x) {
  const opt = tf.train.adam(1e-3);
  return {
    train: () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.run(x))), model.vars);
      opt.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
      model.vars[0].dataSync();
    },
    infer: () => {
      const y = model.run(x);
      y.dataSync();
      y.dispose();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** Wall-clock and CPU time (user + system of this process) of one call, in ms. */
function timeIt(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

async function main() {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to load`);
  const x = tf.randomNormal([B, T, D]);
  const impls = { fused: steps(fusedModel(), x), tfjs: steps(tfjsModel(), x) };
  const times = {};
  for (const [name, s] of Object.entries(impls)) {
    s.train();
    s.infer(); // warm-up (kernel setup, XNNPACK operator packing)
    times[name] = { train: [], infer: [] };
  }
  const leaked = { fused: 0, tfjs: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, s] of Object.entries(impls)) {
      const before = tf.memory().numTensors;
      times[name].train.push(timeIt(s.train));
      times[name].infer.push(timeIt(s.infer));
      leaked[name] += tf.memory().numTensors - before;
    }
  }
  console.log(`${backend} ${cell} B=${B} T=${T} D=${D} H=${H}, median of ${ROUNDS} interleaved rounds (ms; CPU time of this process in parentheses, less sensitive to other jobs)`);
  for (const what of ['train', 'infer']) {
    const m = (name, k) => median(times[name][what].map((r) => r[k]));
    const line = (k) => `${m('fused', k).toFixed(1)} vs ${m('tfjs', k).toFixed(1)} = ${(m('tfjs', k) / m('fused', k)).toFixed(2)}x`;
    console.log(`  ${what === 'train' ? 'train step' : 'inference '}: fused vs tfjs-layers  wall ${line('wall')}   (cpu ${line('cpu')})`);
  }
  console.log(`  tensors left over after the timed rounds: fused ${leaked.fused}, tfjs-layers ${leaked.tfjs}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
