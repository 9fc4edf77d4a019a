#!/usr/bin/env node
'use strict';
/**
 * Character language model training speed (characters per second) next to
 * PyTorch on the same model shape: by default the reference shape, an
 * LSTM(128) char model with 64-d embeddings, batch 64 × 100 steps, 65 symbols;
 * `--task-defaults` uses tasks/charlm/config.ts instead (2 × LSTM(128)).
 *
 * A training step is what the task runs per batch: embedding → fused stacked
 * LSTM from the carried states → linear → softmax cross-entropy over all B·T
 * positions → backward (truncated at the chunk) → Adam; the final states are
 * carried (detached) into the next step. The ids are a real text (default the
 * bundled data/charlm/names.txt, cycled; speed does not depend on it) mapped
 * onto `--vocab` symbols. Times `--steps` steps after a warm-up; reports chars/s
 * of wall time and of the process's CPU time (the fairer number on a loaded
 * machine). Runs the built code (npm run build first). Asserts nothing.
 *
 *   node bench/task_charlm.js [--steps 20] [--task-defaults] [--shape '{"hidden":256}']
 *                             [--workers 1,2] [--threads 1,2] [--no-torch] [--python /usr/bin/python3] [--json] [--backend wasm]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Command } = require('commander');
const { peerOptions, torchRows } = require('./torch_peer');
const { timeTrainSteps, workersSummary } = require('./workers_rows');

const dist = process.env.RNNKIT_DIST || path.join(__dirname, '..', 'dist');

async function main() {
  const o = peerOptions(new Command('task_charlm')
    .option('--steps <n>', 'training steps to time', (v) => Number(v), 20)
    .option('--warmup <n>', 'warm-up steps', (v) => Number(v), 3)
    .option('--task-defaults', "the task's default shape instead of the reference LSTM(128)")
    .option('--shape <json>', 'shape overrides, e.g. {"hidden":256,"layers":2,"batchSize":32}', '{}')
    .option('--vocab <n>', 'symbols', (v) => Number(v), 65)
    .option('--data <file>', 'text for the ids (default: the bundled names)')
    .option('--workers <list>', 'data-parallel worker counts of the tfjs rows (tracks split over them, carried states through the workers)', '1,2'), { threads: '1,2', threadsHelp: 'PyTorch thread counts (2 threads only help when a core is free)' })
    .parse()
    .opts();
  const tf = require('@tensorflow/tfjs');
  const { selectBackend } = require(path.join(dist, 'src/backend'));
  const { CHARLM_DEFAULTS } = require(path.join(dist, 'tasks/charlm/config'));
  const { buildLmModel } = require(path.join(dist, 'tasks/charlm/model'));
  const { lmLoss, charlmParallel } = require(path.join(dist, 'tasks/charlm/replica'));
  const backend = await selectBackend(o.backend);

  const reference = { layers: 1, hidden: 128, embeddingDim: 64, batchSize: 64, bptt: 100, cell: 'lstm', dropout: 0 };
  const shape = { ...CHARLM_DEFAULTS, ...(o.taskDefaults ? {} : reference), ...JSON.parse(o.shape), seed: 1 };
  const V = o.vocab;
  const B = shape.batchSize;
  const T = shape.bptt;
  const text = fs.readFileSync(o.data || path.join(__dirname, '..', 'data', 'charlm', 'names.txt'), 'utf8');
  const ids = Int32Array.from(Array.from(text), (ch) => ch.codePointAt(0) % V);
  const chunk = (s) => {
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let i = 0; i < B * T; i++) {
      const p = (s * B * T + i) % (ids.length - 1);
      x[i] = ids[p];
      y[i] = ids[p + 1];
    }
    return { x, y };
  };

  const net = buildLmModel(shape, V);
  let states = net.zeroStates(B);
  const infer = (s) => {
    const { x } = chunk(s);
    const r = tf.tidy(() => net.forward(tf.tensor2d(x, [B, T], 'int32'), states, false));
    r.logits.dataSync();
    tf.dispose(states);
    states = r.states;
    r.logits.dispose();
  };
  const time = (fn) => {
    for (let s = 0; s < o.warmup; s++) fn(s);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let s = 0; s < o.steps; s++) fn(o.warmup + s);
    const c = process.cpuUsage(c0);
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 };
  };
  const chars = o.steps * B * T;
  const inf = time(infer);
  tf.dispose(states);
  net.dispose();
  // Training: the task's own loss with carried states (tasks/charlm/replica.ts lmLoss) over B tracks of
  // the text, chunk after chunk; with n workers the tracks split over them as rnn-train --workers n splits them.
  const n = o.warmup + o.steps;
  const trackLength = n * T;
  const stream = new Int32Array(B * trackLength + 1);
  for (let i = 0; i < stream.length; i++) stream[i] = ids[i % ids.length];
  const batches = Array.from({ length: n }, (_, s) => ({ offset: 0, trackLength, B, t0: s * T, T, reset: s === 0 }));
  const rows = [];
  for (const workers of o.workers.split(',').map(Number)) {
    const lm = buildLmModel(shape, V);
    const config = { ...shape, carryStates: true };
    const { loss, carried } = lmLoss(lm, stream, true);
    const tr = await timeTrainSteps({
      dist, tf, workers, model: lm.model, loss, carried, batches, warmup: o.warmup, lr: 2e-3,
      parallel: charlmParallel({ config, vocabSize: V, stream }), batchSize: (b) => b.B,
    });
    carried.dispose();
    lm.dispose();
    rows.push({
      impl: `tfjs ${backend}`, threads: 1, workers,
      trainCharsPerSec: chars / tr.seconds, trainCharsPerCpuSec: chars / tr.cpuSeconds,
      ...(workers === 1 ? { inferCharsPerSec: chars / inf.seconds } : {}), trainMsPerStep: (1000 * tr.seconds) / o.steps,
    });
  }

  let meta = null;
  if (o.torch) {
    const spec = JSON.stringify({ layers: shape.layers, hidden: shape.hidden, embeddingDim: shape.embeddingDim, cell: shape.cell, B, T, V });
    const peer = torchRows(o.python, 'torch_charlm.py', ['--shape', spec, '--steps', o.steps, '--warmup', o.warmup, '--threads', o.threads]);
    meta = peer.meta;
    rows.push(...peer.rows);
  }

  const header = {
    shape: { cell: shape.cell, layers: shape.layers, hidden: shape.hidden, embeddingDim: shape.embeddingDim, batchSize: B, bptt: T, vocab: V },
    steps: o.steps, node: process.version, tfjs: tf.version.tfjs, torch: meta, cpus: os.cpus().length,
    load: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  if (o.json) {
    console.log(JSON.stringify({ meta: header }));
    rows.forEach((r) => console.log(JSON.stringify(r)));
    return;
  }
  const s = header.shape;
  console.log(`char LM training speed: ${s.layers} × ${s.cell.toUpperCase()}(${s.hidden}), embedding ${s.embeddingDim}, batch ${B} × ${T} steps, ${V} symbols; ${o.steps} steps; load average ${header.load.join(' ')}`);
  console.log('impl            train chars/s  ×tfjs  train chars/CPU-s  ×tfjs  infer chars/s  train ms/step');
  const base = rows[0].trainCharsPerSec;
  const baseCpu = rows[0].trainCharsPerCpuSec;
  for (const r of rows) {
    const name = r.workers > 1 ? `${r.impl} ${r.workers}w` : r.impl;
    if (r.skip) console.log(`${name.padEnd(14)}  skipped: ${r.skip}`);
    else console.log(`${name.padEnd(14)}  ${r.trainCharsPerSec.toFixed(0).padStart(13)}  ${(r.trainCharsPerSec / base).toFixed(2).padStart(5)}  ${r.trainCharsPerCpuSec.toFixed(0).padStart(17)}  ${(r.trainCharsPerCpuSec / baseCpu).toFixed(2).padStart(5)}  ${(r.inferCharsPerSec === undefined ? '—' : r.inferCharsPerSec.toFixed(0)).padStart(13)}  ${r.trainMsPerStep.toFixed(1).padStart(13)}`);
  }
  workersSummary(rows, 'trainCharsPerSec', 'chars/s').forEach((l) => console.log(l));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
