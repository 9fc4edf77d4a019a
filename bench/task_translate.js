#!/usr/bin/env node
'use strict';
/**
 * Translation benchmark: training throughput (target tokens per second) of the
 * translate task's encoder-decoder for each decoder kind (luong = fused
 * whole-sequence decoder with attention on top; input-feeding and bahdanau = step
 * loop), and decoding time (greedy, beam 5), next to the same model in PyTorch
 * (bench/torch_translate.py). Shapes default to Multi30k De→En with the task's
 * defaults: batch 64, source 13 / target 14 tokens (+<eos>), vocabularies 7,855 / 5,927,
 * 256-d embeddings, 256 GRU units per direction.
 *
 *   npm run build && node bench/task_translate.js [--decoders luong,input-feeding,bahdanau]
 *       [--batch 64] [--src-len 13] [--tgt-len 14] [--src-vocab 7855] [--tgt-vocab 5927]
 *       [--hidden 256] [--embedding 256] [--cell gru] [--iters 5] [--no-torch] [--json]
 *
 * Both wall and CPU time are reported (the machine is shared; CPU time of a
 * single-threaded process is the contention-free figure). Asserts nothing.
 */
const path = require('path');
const { spawnTorch } = require('./torch_peer');
const { timeTrainSteps, workersSummary } = require('./workers_rows');
const { Command } = require('commander');

const program = new Command('task_translate')
  .option('--decoders <list>', 'decoder kinds', 'luong,input-feeding,bahdanau')
  .option('--batch <n>', 'sentences per batch', Number, 64)
  .option('--src-len <n>', 'source tokens', Number, 13)
  .option('--tgt-len <n>', 'target tokens (the decoder runs this + 1 steps: <sos>..., ...<eos>)', Number, 14)
  .option('--src-vocab <n>', 'source vocabulary', Number, 7855)
  .option('--tgt-vocab <n>', 'target vocabulary', Number, 5927)
  .option('--hidden <n>', 'hidden units', Number, 256)
  .option('--embedding <n>', 'embedding size', Number, 256)
  .option('--cell <name>', 'gru or lstm', 'gru')
  .option('--iters <n>', 'timed training steps per row', Number, 5)
  .option('--warmup <n>', 'untimed steps first', Number, 2)
  .option('--backend <name>', 'tfjs backend', 'wasm')
  .option('--workers <list>', 'data-parallel worker counts of extra rows through the task\'s own loss and replica ("1" alone: none)', '1,2')
  .option('--no-torch', 'skip PyTorch')
  .option('--torch-threads <list>', 'torch thread counts', '1,2')
  .option('--python <path>', 'interpreter with torch', '/usr/bin/python3')
  .option('--beam-corpus <file>', 'also time beam-5 decoding of every sentence of this source file (e.g. multi30k test_2016_flickr.de) with the default model (untrained: it never stops early, an upper bound)')
  .option('--cap-to <file>', 'with --beam-corpus: the reference translations (e.g. test_2016_flickr.en); each sentence may run |reference| + --cap-slack steps, as long as a trained model decodes (sentences grouped by that limit)')
  .option('--cap-slack <n>', 'extra steps over the reference length for --cap-to', Number, 3)
  .option('--corpus-only', 'only the --beam-corpus timing', false)
  .option('--json', 'JSON lines only', false);
const o = program.parse().opts();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeIt(fn, n) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

async function main() {
  const tf = require('@tensorflow/tfjs');
  const { selectBackend } = require('../dist/src/backend');
  const backend = await selectBackend(o.backend);
  const { buildSeq2Seq } = require('../dist/tasks/translate/model');
  const { sequenceLoss } = require('../dist/tasks/translate/loss');
  const { greedyDecode, beamSearch } = require('../dist/tasks/translate/decode');
  const B = o.batch;
  const S = o.srcLen;
  const T = o.tgtLen + 1;
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const ids = (n, V) => Array.from({ length: B }, () => Array.from({ length: n }, () => 4 + Math.floor(rnd() * (V - 4))));
  const src = ids(S, o.srcVocab);
  const tgtIn = ids(T, o.tgtVocab);
  const tgtOut = ids(T, o.tgtVocab);
  const records = [];
  const emit = (r) => {
    records.push(r);
    if (o.json) console.log(JSON.stringify(r));
  };
  if (o.beamCorpus) {
    const fs = require('fs');
    const { tokenize } = require('../dist/tasks/translate/data');
    const { TRANSLATE_DEFAULTS } = require('../dist/tasks/translate/config');
    const lines = fs.readFileSync(o.beamCorpus, 'utf8').split('\n').filter((l) => l.trim());
    // Token ids by hashing (the cost depends on lengths, not on which ids).
    const hash = (w) => [...w].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const corpus = lines.map((l) => tokenize(l, false).map((w) => 4 + (hash(w) % (o.srcVocab - 4))));
    const d = TRANSLATE_DEFAULTS;
    const limits = { maxLen: 2 * d.maxLen, maxLenA: d.maxLenA, maxLenB: d.maxLenB };
    // --cap-to: groups of sentences with the same limit |reference| + slack (an untrained model never emits <eos>, a trained one stops near the reference length).
    let groups = [{ rows: corpus, limits }];
    if (o.capTo) {
      const refs = fs.readFileSync(o.capTo, 'utf8').split('\n').filter((l) => l.trim());
      if (refs.length !== corpus.length) throw new Error(`--cap-to: ${refs.length} lines against ${corpus.length}`);
      const byCap = new Map();
      refs.forEach((r, i) => {
        const cap = tokenize(r, false).length + o.capSlack;
        if (!byCap.has(cap)) byCap.set(cap, []);
        byCap.get(cap).push(corpus[i]);
      });
      groups = [...byCap].map(([cap, rows]) => ({ rows, limits: { maxLen: cap, maxLenA: 0, maxLenB: cap } }));
    }
    const how = o.capTo ? `each sentence capped at |reference| + ${o.capSlack} steps` : 'untrained: runs to the length limit';
    for (const decoder of o.decoders.split(',')) {
      const m = buildSeq2Seq({ ...d, decoder, score: decoder === 'bahdanau' ? 'additive' : d.score, seed: 1 }, o.srcVocab, o.tgtVocab);
      for (const beam of [1, d.beamSize]) {
        const t = timeIt(() => groups.forEach((g) => (beam > 1 ? beamSearch(m, g.rows, { ...g.limits, beamSize: beam, lengthPenalty: d.lengthPenalty, batchSize: 256 }) : greedyDecode(m, g.rows, { ...g.limits, batchSize: 64 }))), 1);
        emit({ impl: 'rnnkit', backend, decoder, corpus: path.basename(o.beamCorpus), sentences: corpus.length, beam, capped: o.capTo ? o.capSlack : null, corpusWallMs: t.wallMs, corpusCpuMs: t.cpuMs, sentencesPerSec: corpus.length / (t.wallMs / 1000) });
        if (!o.json) console.log(`${beam > 1 ? `beam ${beam}` : 'greedy'}, ${corpus.length} sentences of ${path.basename(o.beamCorpus)}, default model (${decoder}, ${how}): ${(t.wallMs / 1000).toFixed(1)} s wall (${(corpus.length / (t.wallMs / 1000)).toFixed(0)} sentences/s), ${(t.cpuMs / 1000).toFixed(1)} s cpu (${(corpus.length / (t.cpuMs / 1000)).toFixed(0)} sentences per CPU-s)`);
      }
      m.dispose();
    }
    if (o.corpusOnly) return;
  }
  for (const decoder of o.decoders.split(',')) {
    const cfg = { cell: o.cell, hidden: o.hidden, encoderLayers: 1, decoderLayers: 1, embeddingDim: o.embedding, decoder, score: decoder === 'bahdanau' ? 'additive' : 'general', dropout: 0.3, seed: 1 };
    const m = buildSeq2Seq(cfg, o.srcVocab, o.tgtVocab);
    const vars = m.model.trainableWeights.map((w) => w.read());
    const opt = tf.train.adam(1e-3);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
        const enc = m.encode(tf.tensor2d(src, undefined, 'int32'), src.map(() => S), true);
        const { logits } = m.forward(enc, tf.tensor2d(tgtIn, undefined, 'int32'), tgtIn.map(() => T), true, 1);
        return sequenceLoss(logits, tgtOut, 0.1).loss;
      }), vars);
      opt.applyGradients(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    };
    for (let i = 0; i < o.warmup; i++) step();
    const t = timeIt(step, o.iters);
    const dec = (fn) => timeIt(fn, 1);
    const g = dec(() => greedyDecode(m, src, { maxLen: T, maxLenA: 0, maxLenB: T, batchSize: B }));
    const b5 = dec(() => beamSearch(m, src, { maxLen: T, maxLenA: 0, maxLenB: T, beamSize: 5, batchSize: B * 4 }));
    emit({
      impl: 'rnnkit', backend, decoder, cell: o.cell, B, S, T, hidden: o.hidden, embedding: o.embedding, srcVocab: o.srcVocab, tgtVocab: o.tgtVocab,
      trainMs: t.wallMs, trainCpuMs: t.cpuMs, tokensPerSec: (B * T) / (t.wallMs / 1000), tokensPerCpuSec: (B * T) / (t.cpuMs / 1000),
      greedyMs: g.wallMs, greedyCpuMs: g.cpuMs, beam5Ms: b5.wallMs, beam5CpuMs: b5.cpuMs, params: m.model.countParams(),
    });
    opt.dispose();
    m.dispose();
  }
  // The task's own loss (tasks/translate/loss.ts batchLoss) with 1 and n data-parallel workers (sentence pairs split
  // over them as rnn-train --workers n splits them), on the same batch, mean over the timed steps.
  const counts = o.workers.split(',').map(Number);
  if (counts.some((n) => n > 1)) {
    const { TRANSLATE_DEFAULTS } = require('../dist/tasks/translate/config');
    const { batchLoss } = require('../dist/tasks/translate/loss');
    const { translateParallel } = require('../dist/tasks/translate/replica');
    const batch = { src, srcLengths: src.map(() => S), tgtIn, tgtOut, tgtLengths: tgtIn.map(() => T), index: src.map((_, i) => i) };
    for (const decoder of o.decoders.split(',')) {
      const config = { ...TRANSLATE_DEFAULTS, cell: o.cell, hidden: o.hidden, encoderLayers: 1, decoderLayers: 1, embeddingDim: o.embedding, decoder, score: decoder === 'bahdanau' ? 'additive' : 'general', dropout: 0.3, seed: 1, teacherForcing: 1, labelSmoothing: 0.1 };
      for (const workers of counts) {
        const m = buildSeq2Seq({ ...config }, o.srcVocab, o.tgtVocab);
        const t = await timeTrainSteps({
          dist: path.join(__dirname, '..', 'dist'), tf, workers, model: m.model, loss: (b, training) => batchLoss(m, b, training, config),
          parallel: translateParallel({ config, srcVocab: o.srcVocab, tgtVocab: o.tgtVocab }), batchSize: (b) => b.index.length,
          batches: Array.from({ length: o.warmup + o.iters }, () => batch), warmup: o.warmup,
        });
        m.dispose();
        const ms = (1000 * t.seconds) / o.iters;
        const cpuMs = (1000 * t.cpuSeconds) / o.iters;
        emit({ impl: 'rnnkit', backend, decoder, workers, cell: o.cell, B, S, T, trainMs: ms, trainCpuMs: cpuMs, tokensPerSec: (B * T) / (ms / 1000), tokensPerCpuSec: (B * T) / (cpuMs / 1000) });
      }
    }
  }
  if (o.torch) {
    const args = [path.join(__dirname, 'torch_translate.py'), '--decoders', o.decoders, '--batch', B, '--src-len', S, '--tgt-len', T, '--src-vocab', o.srcVocab,
      '--tgt-vocab', o.tgtVocab, '--hidden', o.hidden, '--embedding', o.embedding, '--cell', o.cell, '--iters', o.iters, '--warmup', o.warmup, '--threads', o.torchThreads].map(String);
    const r = spawnTorch(o.python, args);
    if (r.status !== 0) console.error(`PyTorch rows skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    else for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) emit(JSON.parse(line));
  }
  if (!o.json) {
    const f = (x, d = 0) => (x == null ? '-' : x.toFixed(d));
    console.log(`translation training step, B=${B} S=${S} T=${T} (target tokens incl. <eos>), ${o.cell.toUpperCase()} ${o.hidden}, embeddings ${o.embedding}, vocabularies ${o.srcVocab}/${o.tgtVocab}`);
    console.log('impl              decoder         train ms  cpu ms  tok/s  tok/cpu-s  greedy ms  beam5 ms');
    for (const r of records.filter((x) => x.trainMs != null)) {
      const name = r.impl === 'pytorch' ? `pytorch ${r.threads}t` : `rnnkit ${r.backend}${r.workers ? ` ${r.workers}w` : ''}`;
      console.log(`${name.padEnd(17)} ${r.decoder.padEnd(15)} ${f(r.trainMs).padStart(8)} ${f(r.trainCpuMs).padStart(7)} ${f(r.tokensPerSec).padStart(6)} ${f(r.tokensPerCpuSec).padStart(10)} ${f(r.greedyMs).padStart(10)} ${f(r.beam5Ms).padStart(9)}`);
    }
    for (const decoder of o.decoders.split(',')) {
      const mine = records.filter((x) => x.decoder === decoder && x.trainMs != null && (x.impl === 'pytorch' || x.workers));
      const rows = mine.map((x) => ({ ...x, impl: x.impl === 'pytorch' ? `pytorch ${x.threads}t` : 'tfjs' }));
      workersSummary(rows, 'tokensPerSec', 'tok/s').forEach((l) => console.log(`${decoder}: ${l}`));
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
