#!/usr/bin/env node
'use strict';
/**
 * Sentiment training speed (examples per second) with 1 and 2 data-parallel
 * workers, next to PyTorch on the same model shape and the very same batches: the
 * task's default shape (tasks/sentiment/config.ts: embedding 100, BiLSTM 64, max
 * pooling, dropout 0.5; random embeddings) on batches of the bundled data
 * (data/sentiment, so it runs on a fresh machine) or of --data, bucketed as
 * training buckets them.
 *
 * A training step = forward + cross-entropy + backward + Adam step, as the engine
 * runs it (workers > 1: the engine's ReplicaPool with the task's replica). Every
 * batch is timed once after a warm-up; examples per second of wall time and of
 * the process's CPU time (all threads: the fairer number on a loaded machine).
 * Runs the built code (npm run build first). Asserts nothing about time.
 *
 *   node bench/task_sentiment.js [--batches 60] [--batch-size 32] [--data FILE|DIR] [--workers 1,2]
 *                                [--threads 1,2] [--no-torch] [--python /usr/bin/python3] [--json] [--backend wasm]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Command } = require('commander');
const { peerOptions, torchRows } = require('./torch_peer');
const { timeTrainSteps } = require('./workers_rows');

const dist = path.join(__dirname, '..', 'dist');

async function main() {
  const o = peerOptions(new Command('task_sentiment')
    .option('--batches <n>', 'batches to time', (v) => Number(v), 60)
    .option('--batch-size <n>', 'sentences per batch', (v) => Number(v), 32)
    .option('--data <path>', 'labeled data (default: the bundled data/sentiment)')
    .option('--workers <list>', 'data-parallel worker counts of the tfjs rows', '1,2')
    .option('--warmup <n>', 'warm-up batches', (v) => Number(v), 3))
    .parse()
    .opts();
  const tf = require('@tensorflow/tfjs');
  const { selectBackend } = require(path.join(dist, 'src/backend'));
  const { loadLabeledSplits } = require(path.join(dist, 'src/data/labeled_text'));
  const { bucketedBatches } = require(path.join(dist, 'src/data/batching'));
  const { tokenize } = require(path.join(dist, 'src/data/tokenizer'));
  const { Vocabulary } = require(path.join(dist, 'src/data/vocabulary'));
  const { shardRows } = require(path.join(dist, 'src/train/parallel'));
  const { SENTIMENT_DEFAULTS } = require(path.join(dist, 'tasks/sentiment/config'));
  const { buildSentimentModel } = require(path.join(dist, 'tasks/sentiment/model'));
  const { sentimentLoss } = require(path.join(dist, 'tasks/sentiment/loss'));
  const { sentimentReplica } = require(path.join(dist, 'tasks/sentiment/replica'));
  const backend = await selectBackend(o.backend);

  const dataPath = o.data ?? path.join(__dirname, '..', 'data', 'sentiment');
  const config = { ...SENTIMENT_DEFAULTS, pretrained: 'none', lexicon: 'none', seed: 1, batchSize: o.batchSize };
  const train = loadLabeledSplits(dataPath, {}, 1).train;
  const tokens = train.map((e) => tokenize(e.text));
  const vocab = Vocabulary.build(tokens, { minFreq: config.minFreq, maxSize: config.maxVocab });
  const labels = [...new Set(train.map((e) => e.label))].sort();
  const seqs = tokens.map((t) => vocab.encode(t).slice(0, config.maxLen));
  const ys = train.map((e) => labels.indexOf(e.label));
  const batches = bucketedBatches(seqs, ys, o.batchSize, { seed: 1000, maxLen: config.maxLen }).slice(0, o.batches + o.warmup);
  const timed = batches.slice(o.warmup);
  const examples = timed.reduce((a, b) => a + b.labels.length, 0);
  const words = timed.reduce((a, b) => a + b.lengths.reduce((x, n) => x + n, 0), 0);

  const rows = [];
  for (const workers of o.workers.split(',').map(Number)) {
    const model = buildSentimentModel(config, vocab.size, labels.length);
    const { seconds, cpuSeconds } = await timeTrainSteps({
      dist, tf, workers, model, loss: sentimentLoss(model, labels.length), batches, warmup: o.warmup, lr: config.lr,
      parallel: { replica: sentimentReplica({ config, vocabSize: vocab.size, numLabels: labels.length }), shard: (b, i, n) => shardRows(b, i, n, b.labels.length) },
      batchSize: (b) => b.labels.length,
    });
    rows.push({ impl: `tfjs ${backend}`, workers, examples, trainExamplesPerSec: examples / seconds, trainExamplesPerCpuSec: examples / cpuSeconds, trainMsPerBatch: (1000 * seconds) / timed.length });
    model.dispose();
  }

  let meta = null;
  if (o.torch) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-sentiment-bench-'));
    const file = path.join(dir, 'batches.json');
    fs.writeFileSync(file, JSON.stringify({ shape: config, sizes: { words: vocab.size, labels: labels.length }, batches: batches.map((b) => ({ ids: b.ids, lengths: b.lengths, labels: b.labels })) }));
    const peer = torchRows(o.python, 'torch_sentiment.py', ['--batches', file, '--threads', o.threads, '--warmup', o.warmup]);
    meta = peer.meta;
    rows.push(...peer.rows);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const header = {
    data: path.relative(process.cwd(), dataPath) || dataPath,
    batches: timed.length,
    batchSize: o.batchSize,
    examples,
    wordsPerExample: words / examples,
    shape: { cell: config.cell, layers: config.layers, hidden: config.hidden, bidirectional: config.bidirectional, pooling: config.pooling, embeddingDim: config.embeddingDim },
    vocabulary: vocab.size,
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
  console.log(`Sentiment training speed: ${header.batches} batches of ${o.batchSize} from ${header.data} (${examples} examples, ${header.wordsPerExample.toFixed(1)} words each)`);
  console.log(`shape ${JSON.stringify(header.shape)}, vocabulary ${vocab.size}; load average ${header.load.join(' ')}`);
  console.log('impl                   train ex/s  ×tfjs  train ex/CPU-s  ×tfjs  train ms/batch');
  const base = rows[0];
  for (const r of rows) {
    const name = r.workers > 1 ? `${r.impl}, ${r.workers} workers` : r.impl;
    if (r.skip) console.log(`${name.padEnd(21)}  skipped: ${r.skip}`);
    else console.log(`${name.padEnd(21)}  ${r.trainExamplesPerSec.toFixed(0).padStart(10)}  ${(r.trainExamplesPerSec / base.trainExamplesPerSec).toFixed(2).padStart(5)}  ${r.trainExamplesPerCpuSec.toFixed(0).padStart(14)}  ${(r.trainExamplesPerCpuSec / base.trainExamplesPerCpuSec).toFixed(2).padStart(5)}  ${r.trainMsPerBatch.toFixed(1).padStart(14)}`);
  }
}

main().catch((e) => {
  console.error(`task_sentiment: ${e.message}`);
  process.exit(1);
});
