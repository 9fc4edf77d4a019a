#!/usr/bin/env node
/**
 * Training-step speed and peak memory of a Moving-MNIST-shaped ConvLSTM:
 * rnnkit's convLstm2d (fused BPTT kernel, and optionally its autodiff reference)
 * against tfjs-layers' tf.layers.convLstm2d with the same weights and sigmoid gates.
 *
 *   npx tsc -p tsconfig.build.json --outDir /tmp/rnnkit-dist && RNNKIT_DIST=/tmp/rnnkit-dist node bench/convlstm.js
 *   node bench/convlstm.js [--backend wasm] [--rounds 5] [--autodiff] [--json]
 *   (B= T= S= C= F= K= env vars override the shape; default B 8, T 10, 16×16×16 input, 64 filters, 3×3)
 *
 * One step = forward over the whole sequence (returnSequences), loss mean((y − target)²),
 * backward (tf.variableGrads), Adam update, read the loss. Time (wall, and the process's
 * CPU time, which other load on the machine disturbs less; 'vs fused' is the CPU ratio): the implementations'
 * steps are interleaved round by round in one process (ratios stay meaningful on a
 * shared machine); medians are printed. Peak memory: each implementation also runs a few
 * steps in a fresh child process, which reports the wasm heap's size (it grows to the
 * high-water mark of everything allocated, including the fused kernel's direct-kernel
 * intermediates that tf.memory() never sees) and the process's peak RSS.
 * Asserts nothing.
 */
const path = require('path');
const { execFileSync } = require('child_process');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const dist = path.resolve(process.env.RNNKIT_DIST || path.join(__dirname, '..', 'dist'));
const { convLstm2d } = require.main === module ? require(path.join(dist, 'layers/index.js')) : {};

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const env = (k, d) => Number(process.env[k] || d);
const B = env('B', 8), T = env('T', 10), S = env('S', 16), C = env('C', 16), F = env('F', 64), K = env('K', 3);
const backend = opt('backend', 'wasm');
const ROUNDS = Number(opt('rounds', 5));
const memoryOnly = opt('memory-child', null); // internal: measure one implementation in this process

function makeLayer(kind) {
  const common = { filters: F, kernelSize: K, padding: 'same', returnSequences: true, recurrentActivation: 'sigmoid' };
  if (kind === 'tfjs-layers') return tf.layers.convLstm2d({ ...common, kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' }); // weights are copied from rnnkit's (tfjs' orthogonal is slow here)
  return convLstm2d({ ...common, implementation: kind === 'rnnkit autodiff' ? 'autodiff' : 'fused', seed: 7 });
}

/** A training step closure for one implementation (weights copied from `weights` when given). */
function makeStep(kind, x, target, weights) {
  const layer = makeLayer(kind);
  tf.dispose(tf.tidy(() => layer.apply(tf.slice(x, [0, 0, 0, 0, 0], [1, 1, -1, -1, -1])))); // builds under the layer's name scope
  if (weights) layer.setWeights(weights);
  const vars = layer.trainableWeights.map((w) => w.read());
  const adam = tf.train.adam(1e-3);
  const step = () => {
    const loss = adam.minimize(() => tf.mean(tf.square(tf.sub(layer.apply(x, { training: true }), target))), true, vars);
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
  return { layer, step };
}

function wasmHeapBytes() {
  const be = tf.backend();
  return be.wasm && be.wasm.HEAPU8 ? be.wasm.HEAPU8.byteLength : NaN;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to load`);
  await tf.ready();
  const x = tf.randomUniform([B, T, S, S, C], 0, 1, 'float32', 1);
  const target = tf.randomUniform([B, T, S, S, F], -0.5, 0.5, 'float32', 2);

  if (memoryOnly) {
    const heap0 = wasmHeapBytes();
    const { step } = makeStep(memoryOnly, x, target, null);
    for (let i = 0; i < 3; i++) step();
    const usage = process.resourceUsage();
    process.stdout.write(JSON.stringify({ heapBefore: heap0, heapAfter: wasmHeapBytes(), maxRssKB: usage.maxRSS, numTensors: tf.memory().numTensors }));
    return;
  }

  const kinds = ['rnnkit fused', 'tfjs-layers', ...(flag('autodiff') ? ['rnnkit autodiff'] : [])];
  const first = makeStep(kinds[0], x, target, null);
  const weights = first.layer.getWeights();
  const runs = [first, ...kinds.slice(1).map((k) => makeStep(k, x, target, weights))];
  // Same weights, same data: the first losses must agree (a check that both compute the same model).
  const firstLosses = runs.map((r) => r.step());
  const times = kinds.map(() => []);
  const cpu = kinds.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    runs.forEach((r, i) => {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      r.step();
      times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1e3);
    });
  }
  const mem = kinds.map((k) => {
    try {
      const out = execFileSync(process.execPath, [__filename, '--backend', backend, '--memory-child', k], { env: process.env, encoding: 'utf8', maxBuffer: 1 << 20 });
      return JSON.parse(out);
    } catch (e) {
      return { error: String(e.message).split('\n')[0] };
    }
  });
  const rows = kinds.map((k, i) => ({ impl: k, msPerStep: median(times[i]), cpuMsPerStep: median(cpu[i]), firstLoss: firstLosses[i], ...mem[i] }));
  if (flag('json')) {
    console.log(JSON.stringify({ backend, shape: { B, T, S, C, F, K }, rounds: ROUNDS, rows }, null, 1));
    return;
  }
  console.log(`ConvLSTM training step on ${backend}: B ${B}, T ${T}, ${S}×${S}×${C} → ${F} filters ${K}×${K} 'same' (median of ${ROUNDS} interleaved rounds)`);
  const mb = (b) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MB` : 'n/a');
  console.log(['implementation'.padEnd(16), 'ms/step'.padStart(9), 'CPU ms'.padStart(8), 'vs fused'.padStart(9), 'wasm heap'.padStart(10), 'peak RSS'.padStart(9), 'first loss'.padStart(11)].join('  '));
  for (const r of rows) {
    console.log(
      [
        r.impl.padEnd(16),
        r.msPerStep.toFixed(0).padStart(9),
        r.cpuMsPerStep.toFixed(0).padStart(8),
        `${(r.cpuMsPerStep / rows[0].cpuMsPerStep).toFixed(2)}×`.padStart(9),
        (r.error ? 'error' : mb(r.heapAfter)).padStart(10),
        (r.maxRssKB ? `${(r.maxRssKB / 1024).toFixed(0)} MB` : 'n/a').padStart(9),
        r.firstLoss.toFixed(6).padStart(11),
      ].join('  '),
    );
  }
}

/**
 * The `npm run bench` row (bench/run.js --cells convlstm): this script in a child
 * process (--json) and its PyTorch twin (bench/torch_convlstm.py, 1 thread), as one
 * list of rows { impl, msPerStep, cpuMsPerStep, heapMB, rssMB } plus notes.
 */
function runConvLstmBench(o, log) {
  const { spawnSync } = require('child_process');
  const rows = [];
  const notes = [];
  log(`  convlstm: fused vs tf.layers.convLstm2d (${o.backend}) ...`);
  const r = spawnSync(process.execPath, [__filename, '--backend', o.backend === 'auto' ? 'wasm' : o.backend, '--rounds', String(o.convlstmRounds ?? 3), '--json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  let shape = null;
  try {
    const out = JSON.parse(r.stdout);
    shape = out.shape;
    for (const x of out.rows) rows.push({ impl: x.impl, msPerStep: x.msPerStep, cpuMsPerStep: x.cpuMsPerStep, heapMB: x.heapAfter / 2 ** 20, rssMB: x.maxRssKB / 1024, error: x.error });
  } catch {
    notes.push(`convlstm rows failed: ${(r.stderr || String(r.error)).trim().split('\n')[0]}`);
  }
  if (o.torch !== false && (!o.impls || o.impls.includes('pytorch'))) {
    log(`  convlstm: PyTorch twin (${o.python}) ...`);
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const t = spawnSync(o.python, [path.join(__dirname, 'torch_convlstm.py'), '--threads', '1', '--rounds', String(o.convlstmRounds ?? 3), '--json'], { encoding: 'utf8', env });
    try {
      const x = JSON.parse(t.stdout.trim().split('\n').pop());
      rows.push({ impl: x.impl, msPerStep: x.msPerStep, cpuMsPerStep: x.cpuMsPerStep, heapMB: NaN, rssMB: x.maxRssMB });
    } catch {
      notes.push(`convlstm PyTorch row skipped: ${(t.stderr || String(t.error)).trim().split('\n').pop()}`);
    }
  }
  return { shape, rows, notes };
}

/** The convlstm rows as a table (CPU ms ratios against the fused row). */
function formatConvLstm({ shape, rows }) {
  if (!rows.length) return '';
  const s = shape || { B: 8, T: 10, S: 16, C: 16, F: 64, K: 3 };
  const fused = rows.find((r) => r.impl === 'rnnkit fused');
  const mb = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} MB` : '-');
  const lines = [
    `ConvLSTM training step, B ${s.B}, T ${s.T}, ${s.S}×${s.S}×${s.C} → ${s.F} filters ${s.K}×${s.K} 'same' (medians; ×fused = CPU ms ÷ fused's)`,
    ['implementation'.padEnd(32), 'ms/step'.padStart(9), 'CPU ms'.padStart(8), '×fused'.padStart(7), 'wasm heap'.padStart(10), 'peak RSS'.padStart(9)].join('  '),
  ];
  for (const r of rows) {
    lines.push(
      [
        r.impl.padEnd(32),
        r.msPerStep.toFixed(0).padStart(9),
        r.cpuMsPerStep.toFixed(0).padStart(8),
        (fused ? `${(r.cpuMsPerStep / fused.cpuMsPerStep).toFixed(2)}×` : '-').padStart(7),
        (r.error ? 'error' : mb(r.heapMB)).padStart(10),
        mb(r.rssMB).padStart(9),
      ].join('  '),
    );
  }
  return lines.join('\n');
}

module.exports = { runConvLstmBench, formatConvLstm };

if (require.main === module) {
  main().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
