#!/usr/bin/env node
'use strict';
/**
 * POS tagger training speed (tokens per second) next to PyTorch on the same model
 * shape and the very same batches: the task's default shape (tasks/pos/config.ts)
 * unless overridden, real batches of the bundled Brown data (data/pos/train.tsv,
 * so it runs on a fresh machine) or of --data, bucketed as training buckets them.
 *
 * A training step = forward + masked cross-entropy + backward + Adam step (what
 * the engine runs, without its logging); inference = one forward. Every batch is
 * timed once after a warm-up over the first few; tokens per second of wall time
 * and of the process's CPU time (the fairer number on a loaded machine: a second
 * PyTorch thread only helps when a core is free). Runs the built code (npm run
 * build first). Benchmarks assert nothing about time.
 *
 *   node bench/task_pos.js [--batches 40] [--batch-size 32] [--data FILE|DIR] [--shape '{"hidden":100}']
 *                          [--workers 1,2] [--threads 1,2] [--no-torch] [--python /usr/bin/python3] [--json] [--backend wasm]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Command } = require('commander');
const { peerOptions, torchRows } = require('./torch_peer');
const { timeTrainSteps, workersSummary } = require('./workers_rows');

const dist = process.env.RNNKIT_DIST || path.join(__dirname, '..', 'dist');

async function main() {
  const o = peerOptions(new Command('task_pos')
    .option('--batches <n>', 'batches to time', (v) => Number(v), 40)
    .option('--batch-size <n>', 'sentences per batch', (v) => Number(v), 32)
    .option('--data <path>', 'tagged data (default: the bundled data/pos/train.tsv)')
    .option('--shape <json>', 'model shape overrides, e.g. {"hidden":100}', '{}')
    .option('--warmup <n>', 'warm-up batches', (v) => Number(v), 3)
    .option('--workers <list>', 'data-parallel worker counts of the tfjs rows', '1,2'))
    .parse()
    .opts();
  const tf = require('@tensorflow/tfjs');
  const { selectBackend } = require(path.join(dist, 'src/backend'));
  const { readTaggedFile, loadTaggedSplits } = require(path.join(dist, 'tasks/pos/data'));
  const { taggedBatches, batchInputs, wordChars, wordKey, splitLong } = require(path.join(dist, 'tasks/pos/encode'));
  const { buildTagger } = require(path.join(dist, 'tasks/pos/model'));
  const { tagLoss } = require(path.join(dist, 'tasks/pos/loss'));
  const { posReplica, posShard, posLossWeight } = require(path.join(dist, 'tasks/pos/replica'));
  const { POS_DEFAULTS } = require(path.join(dist, 'tasks/pos/config'));
  const { Vocabulary } = require(path.join(dist, 'src/data/vocabulary'));
  const backend = await selectBackend(o.backend);

  const dataPath = o.data ?? path.join(__dirname, '..', 'data', 'pos', 'train.tsv');
  const train = splitLong(fs.statSync(dataPath).isDirectory() ? loadTaggedSplits(dataPath, 'auto', 'upos', 1).train : readTaggedFile(dataPath), POS_DEFAULTS.maxLen);
  const shape = { ...POS_DEFAULTS, ...JSON.parse(o.shape), seed: 1 };
  const enc = {
    words: Vocabulary.build(train.map((s) => s.words.map(wordKey))),
    chars: Vocabulary.build(train.flatMap((s) => s.words.map((w) => wordChars(w, shape.maxWordLen)))),
    tags: [...new Set(train.flatMap((s) => s.tags))].sort(),
    maxWordLen: shape.maxWordLen,
  };
  const sizes = { words: enc.words.size, chars: enc.chars.size, tags: enc.tags.length };
  const batches = taggedBatches(enc, train, o.batchSize, { seed: 1, wordDropout: shape.wordDropout }).slice(0, o.batches + o.warmup);
  const timedBatches = batches.slice(o.warmup);
  const tokens = timedBatches.reduce((a, b) => a + b.lengths.reduce((x, n) => x + n, 0), 0);
  const distinct = timedBatches.reduce((a, b) => a + b.charIds.length - 1, 0);

  const model = buildTagger(shape, sizes);
  const infer = (b) => {
    const y = tf.tidy(() => tf.argMax(model.apply(batchInputs(b, true), { training: false }), -1));
    y.dataSync();
    y.dispose();
  };
  const time = (fn) => {
    batches.slice(0, o.warmup).forEach(fn);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    timedBatches.forEach(fn);
    const c = process.cpuUsage(c0);
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 };
  };
  const inf = time(infer);
  model.dispose();
  const rows = [];
  // training: the engine's step (sharded over the workers as rnn-train --workers n shards it) + Adam
  const replicaShape = JSON.parse(JSON.stringify(shape));
  for (const workers of o.workers.split(',').map(Number)) {
    const m = buildTagger(shape, sizes);
    const tr = await timeTrainSteps({
      dist, tf, workers, model: m, loss: tagLoss(m, true, sizes.tags), batches, warmup: o.warmup,
      parallel: { replica: posReplica({ shape: replicaShape, sizes, withChars: true }), shard: posShard, lossWeight: posLossWeight },
      batchSize: (b) => b.lengths.length,
    });
    m.dispose();
    rows.push({
      impl: `tfjs ${backend}`,
      threads: 1,
      workers,
      tokens,
      trainTokensPerSec: tokens / tr.seconds,
      trainTokensPerCpuSec: tokens / tr.cpuSeconds,
      ...(workers === 1 ? { inferTokensPerSec: tokens / inf.seconds, inferMsPerBatch: (1000 * inf.seconds) / timedBatches.length } : {}),
      trainMsPerBatch: (1000 * tr.seconds) / timedBatches.length,
    });
  }

  let meta = null;
  if (o.torch) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pos-bench-')), 'batches.json');
    fs.writeFileSync(file, JSON.stringify({ shape, sizes, batches }));
    const peer = torchRows(o.python, 'torch_pos.py', ['--batches', file, '--threads', o.threads, '--warmup', o.warmup]);
    meta = peer.meta;
    rows.push(...peer.rows);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }

  const header = {
    data: path.relative(process.cwd(), dataPath) || dataPath,
    batches: timedBatches.length,
    batchSize: o.batchSize,
    tokens,
    distinctWordsPerBatch: distinct / timedBatches.length,
    shape: { layers: shape.layers, hidden: shape.hidden, wordDim: shape.wordDim, charDim: shape.charDim, charHidden: shape.charHidden, maxWordLen: shape.maxWordLen, cell: shape.cell },
    sizes,
    node: process.version,
    tfjs: tf.version.tfjs,
    torch: meta,
    cpus: os.cpus().length,
    load: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  if (o.json) {
    console.log(JSON.stringify({ meta: header }));
    rows.forEach((r) => console.log(JSON.stringify(r)));
    return;
  }
  console.log(`POS tagger training speed: ${header.batches} batches of ${o.batchSize} sentences from ${header.data} (${tokens} tokens, ${header.distinctWordsPerBatch.toFixed(0)} distinct words per batch)`);
  console.log(`shape ${JSON.stringify(header.shape)}, vocabulary ${sizes.words} words / ${sizes.chars} chars / ${sizes.tags} tags; load average ${header.load.join(' ')}`);
  const base = rows[0].trainTokensPerSec;
  console.log('impl            train tok/s  ×tfjs  train tok/CPU-s  ×tfjs  infer tok/s  train ms/batch  infer ms/batch');
  const baseCpu = rows[0].trainTokensPerCpuSec;
  const opt = (v, d) => (v === undefined ? '—' : v.toFixed(d));
  for (const r of rows) {
    const name = r.workers > 1 ? `${r.impl} ${r.workers}w` : r.impl;
    if (r.skip) console.log(`${name.padEnd(14)}  skipped: ${r.skip}`);
    else console.log(`${name.padEnd(14)}  ${r.trainTokensPerSec.toFixed(0).padStart(11)}  ${(r.trainTokensPerSec / base).toFixed(2).padStart(5)}  ${r.trainTokensPerCpuSec.toFixed(0).padStart(15)}  ${(r.trainTokensPerCpuSec / baseCpu).toFixed(2).padStart(5)}  ${opt(r.inferTokensPerSec, 0).padStart(11)}  ${r.trainMsPerBatch.toFixed(1).padStart(14)}  ${opt(r.inferMsPerBatch, 1).padStart(14)}`);
  }
  workersSummary(rows, 'trainTokensPerSec', 'tok/s').forEach((l) => console.log(l));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
