#!/usr/bin/env node
'use strict';
/**
 * Where the time of one fused training step goes (a profile, not a benchmark row):
 *
 *   node bench/step_profile.js [--cell lstm|gru|rnn] [--config small|large] [--steps 10] [--backend wasm|cpu]
 *
 * Needs a built dist/. Times the phases of the bench's training step (forward +
 * backward under tf.variableGrads, Adam) and, inside them, every call of the
 * fused kernels' Ops (layers/fused/kernel_ops): backend kernels by name
 * (BatchMatMul, Sigmoid, Mul...) and the JavaScript-side copies (splitRows,
 * concatRows, stackTime...), as exclusive time per step. What is left is tfjs'
 * own work: the tape, the loss ops, the gradient bookkeeping.
 * Also the exchange of a 2-worker step on the main thread: writing the weights to
 * the shared buffer, summing the gradients, making the gradient tensors.
 */
const path = require('path');
const { Command, Option } = require('commander');
const { CONFIGS, makeCases, trainFlops } = require('./configs');
const { median } = require('./run');
const { projectModel } = require('./models');

/** Matmuls by shape (per-step recurrent products vs the few large ones), other kernels by name. */
function kernelKey(name, inputs) {
  if (!/MatMul/.test(name)) return `kernel ${name}`;
  const shape = (t) => `[${t.shape.join(',')}]`;
  return `${name} ${shape(inputs.a)}·${shape(inputs.b)}`;
}

function instrument(Ops) {
  const totals = new Map();
  const stack = [];
  const add = (key, ms) => totals.set(key, (totals.get(key) ?? 0) + ms);
  const originals = [];
  for (const name of Object.getOwnPropertyNames(Ops.prototype)) {
    const orig = Ops.prototype[name];
    if (name === 'constructor' || typeof orig !== 'function') continue;
    originals.push([name, orig]);
    Ops.prototype[name] = function (...args) {
      const t0 = performance.now();
      stack.push(0);
      try {
        return orig.apply(this, args);
      } finally {
        const ms = performance.now() - t0;
        const children = stack.pop();
        if (stack.length) stack[stack.length - 1] += ms;
        add(name === 'run' ? kernelKey(args[0], args[1]) : name, ms - children);
      }
    };
  }
  return { totals, reset: () => totals.clear(), restore: () => originals.forEach(([name, f]) => (Ops.prototype[name] = f)) };
}

async function main() {
  const o = new Command('step_profile')
    .addOption(new Option('--cell <cell>').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .addOption(new Option('--config <name>').choices(Object.keys(CONFIGS)).default('small'))
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']).default('wasm'))
    .option('--steps <n>', 'profiled steps', (v) => Number.parseInt(v, 10), 10)
    .parse()
    .opts();
  const tf = require('@tensorflow/tfjs');
  const R = require(path.join(__dirname, '..', 'dist', 'src', 'index.js'));
  const { Ops } = require(path.join(__dirname, '..', 'dist', 'layers', 'fused', 'kernel_ops.js'));
  const { addScaled, tensorFrom, valuesOf } = require(path.join(__dirname, '..', 'dist', 'src', 'train', 'parallel.js'));
  await R.selectBackend(o.backend);
  tf.enableProdMode();
  const [c] = makeCases({ cells: [o.cell], configs: [o.config] });
  const model = projectModel(tf, R, c, 'fused', {});
  const vars = model.trainableWeights.map((w) => w.read());
  const x = tf.randomNormal([c.B, c.T, c.D]);
  const optimizer = tf.train.adam(1e-3);
  const loss = () => tf.mean(tf.square(model.apply(x, { training: true })));
  const phases = { grads: [], adam: [], fwd: [] };
  const step = () => {
    let t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, vars);
    value.dataSync();
    phases.grads.push(performance.now() - t0);
    t0 = performance.now();
    optimizer.applyGradients(grads);
    vars[0].dataSync();
    phases.adam.push(performance.now() - t0);
    tf.dispose([value, grads]);
    t0 = performance.now();
    const y = tf.tidy(() => tf.mean(tf.square(model.apply(x, { training: true }))));
    y.dataSync();
    y.dispose();
    phases.fwd.push(performance.now() - t0);
  };
  for (let i = 0; i < 2; i++) step();
  Object.values(phases).forEach((a) => (a.length = 0));
  const prof = instrument(Ops);
  // The instrumented run: only variableGrads + Adam are attributed (the forward-only call is timed, not profiled).
  const opsPerStep = new Map();
  for (let i = 0; i < o.steps; i++) {
    prof.reset();
    const { value, grads } = tf.variableGrads(loss, vars);
    value.dataSync();
    optimizer.applyGradients(grads);
    tf.dispose([value, grads]);
    for (const [k, ms] of prof.totals) opsPerStep.set(k, [...(opsPerStep.get(k) ?? []), ms]);
  }
  prof.restore();
  // un-instrumented phase timings
  for (let i = 0; i < o.steps; i++) step();
  // CPU time (user + system of the process: load-independent, unlike wall time) of a step on the batch and on half of it
  const cpuStep = (xx) => {
    const t = process.cpuUsage();
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(xx, { training: true }))), vars);
    value.dataSync();
    optimizer.applyGradients(grads);
    tf.dispose([value, grads]);
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1000;
  };
  const half = tf.slice(x, [0], [c.B / 2]);
  const cpuFull = median(Array.from({ length: o.steps }, () => cpuStep(x)));
  const cpuHalf = median(Array.from({ length: o.steps }, () => cpuStep(half)));
  half.dispose();
  const gradsMs = median(phases.grads);
  const rows = [...opsPerStep].map(([k, xs]) => [k, median(xs)]).sort((a, b) => b[1] - a[1]);
  const opsTotal = rows.reduce((s, [, ms]) => s + ms, 0);
  const total = gradsMs + median(phases.adam);
  console.log(`${o.cell} ${o.config} (B=${c.B} T=${c.T} D=${c.D} H=${c.H}), ${o.backend}, median of ${o.steps} steps`);
  console.log(`  training step            ${total.toFixed(1)} ms  (${(trainFlops(c) / (total * 1e6)).toFixed(1)} GFLOP/s)`);
  console.log(`    forward only           ${median(phases.fwd).toFixed(1)} ms  (training: true, outside the tape)`);
  console.log(`    forward + backward     ${gradsMs.toFixed(1)} ms  (tf.variableGrads)`);
  console.log(`    Adam                   ${median(phases.adam).toFixed(1)} ms`);
  console.log(`  CPU time per step: batch ${c.B} ${cpuFull.toFixed(1)} ms, batch ${c.B / 2} ${cpuHalf.toFixed(1)} ms ` +
    `(2 workers can at best be ${(cpuFull / cpuHalf).toFixed(2)}x faster, before the exchange)`);
  console.log(`  fused kernel calls inside the step (exclusive ms, instrumented run; total ${opsTotal.toFixed(1)} ms):`);
  for (const [k, ms] of rows.slice(0, 14)) console.log(`    ${k.padEnd(40)} ${ms.toFixed(2).padStart(7)}  ${((100 * ms) / total).toFixed(1).padStart(5)}%`);
  const rest = rows.slice(14).reduce((s, [, ms]) => s + ms, 0);
  console.log(`    ${'(others)'.padEnd(40)} ${rest.toFixed(2).padStart(7)}  ${((100 * rest) / total).toFixed(1).padStart(5)}%`);

  // The main thread's share of a 2-worker exchange, for these weights.
  const sizes = vars.map((v) => v.size);
  const n = sizes.reduce((a, b) => a + b, 0);
  const shared = new Float32Array(new SharedArrayBuffer(4 * n));
  const other = new Float32Array(new SharedArrayBuffer(4 * n)).fill(1e-3);
  const ex = { write: [], sum: [], tensors: [], cpu: [] };
  const acc = new Float64Array(n); // reused, as ReplicaPool does
  const out = new Float32Array(n);
  for (let i = 0; i < o.steps; i++) {
    const cpu0 = process.cpuUsage();
    let t0 = performance.now();
    let off = 0;
    vars.forEach((v) => {
      shared.set(valuesOf(v), off);
      off += v.size;
    });
    ex.write.push(performance.now() - t0);
    t0 = performance.now();
    acc.fill(0);
    for (const g of [shared, other]) addScaled(acc, 0, g, 0.5);
    ex.sum.push(performance.now() - t0);
    t0 = performance.now();
    off = 0;
    const ts = vars.map((v) => {
      for (let j = 0; j < v.size; j++) out[off + j] = acc[off + j];
      const t = tensorFrom(out.subarray(off, off + v.size), v.shape);
      off += v.size;
      return t;
    });
    ex.tensors.push(performance.now() - t0);
    tf.dispose(ts);
    const d = process.cpuUsage(cpu0);
    ex.cpu.push((d.user + d.system) / 1000);
  }
  console.log(`  2-worker exchange on the main thread (${n} weights, ${((4 * n) / 2 ** 20).toFixed(2)} MB): write weights ${median(ex.write).toFixed(2)} ms, ` +
    `sum 2 gradient sets ${median(ex.sum).toFixed(2)} ms, gradient tensors ${median(ex.tensors).toFixed(2)} ms; CPU ${median(ex.cpu).toFixed(2)} ms`);
  optimizer.dispose();
  x.dispose();
  model.dispose();
}

main().catch((e) => {
  console.error(`step_profile: ${e.message}`);
  process.exit(1);
});
