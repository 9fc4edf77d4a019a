#!/usr/bin/env node
'use strict';
/**
 * rnnkit benchmark: median milliseconds per training step and per inference call
 * of the project's fused and autodiff paths, the equivalent tfjs-layers model and
 * PyTorch, for SimpleRNN / LSTM / GRU at two sizes and a 2-layer BiLSTM.
 * See bench/README.md. Runs the built code: `npm run bench` builds dist/ first.
 *
 *   node bench/run.js [--backend wasm|cpu|tensorflow|auto] [--quick] [--json] ...
 *
 * Benchmarks assert nothing about time; a failing implementation prints a note and
 * the run goes on.
 */
const path = require('path');
const { spawnSync } = require('child_process');
const { Command, Option } = require('commander');
const { IMPLS, CELLS, CONFIGS, forwardFlops, trainFlops, makeCases } = require('./configs');
const { loadProject, projectModel, tfjsLayersModel } = require('./models');

// ---------------------------------------------------------------------------
// Options

function parseList(allowed, what) {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      if (allowed && !allowed.includes(item)) throw new Error(`unknown ${what} '${item}': expected one of ${allowed.join(', ')}`);
    }
    return items;
  };
}

function parseIntOpt(value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got '${value}'`);
  return n;
}

function makeProgram() {
  return new Command('bench')
    .description('rnnkit benchmark: training-step and inference time of fused / autodiff / tfjs-layers / PyTorch recurrent layers')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu', 'tensorflow', 'auto']).default('wasm'))
    .option('--json', 'print one JSON object per measurement per line (no table)', false)
    .option('--save <file>', 'also write the JSON records to a file (for bench/compare.js)')
    .option('--quick', 'only the small LSTM configuration (under a minute)', false)
    .option('--cells <list>', `cells to run (${[...Object.keys(CELLS), 'convlstm'].join(',')}; convlstm = bench/convlstm.js + bench/torch_convlstm.py)`, parseList([...Object.keys(CELLS), 'convlstm'], 'cell'))
    .option('--configs <list>', `configurations to run (${Object.keys(CONFIGS).join(',')})`, parseList(Object.keys(CONFIGS), 'config'))
    .option('--impls <list>', `implementations to run (${IMPLS.join(',')})`, parseList(IMPLS, 'implementation'))
    .option('--dims <B,T,D,H>', 'one custom shape instead of the named configurations', (v) => {
      const d = v.split(',').map(Number);
      if (d.length !== 4 || !d.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--dims wants four positive integers B,T,D,H, got '${v}'`);
      return d;
    })
    .option('--workers <list>', 'data-parallel worker counts for the fused rows (1 = one thread; n > 1 = the engine\'s ReplicaPool)', parseList(null, 'workers'), ['1', '2'])
    .option('--warmup <n>', 'untimed calls before timing (the first compiles/allocates)', parseIntOpt, 2)
    .option('--iters <n>', 'maximum timed iterations per measurement', parseIntOpt, 20)
    .option('--min-iters <n>', 'minimum timed iterations (unless one call exceeds the budget)', parseIntOpt, 3)
    .option('--budget <seconds>', 'time budget per measurement; bounds the iterations', Number, 3)
    .option('--gru-reset-after', "project GRU rows use resetAfter: true (default false, the formula of the tfjs-layers row)", false)
    .option('--no-torch', 'skip the PyTorch rows')
    .option('--torch-threads <list>', 'torch.set_num_threads values for the PyTorch rows', parseList(null, 'threads'), ['1', '2'])
    .option('--python <path>', 'python interpreter with torch', '/usr/bin/python3')
    .option('--no-onnxruntime', 'skip the onnxruntime rows')
    .option('--ort-threads <list>', 'onnxruntime intra-op thread counts, one inference row each', parseList(null, 'threads'), ['1', '2']);
}

// ---------------------------------------------------------------------------
// Timing

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** CPU milliseconds (user + system, all threads of this process) since a process.cpuUsage() reading. */
function cpuMsSince(c0) {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/**
 * Warm up (the first calls compile kernels and allocate), then time n calls and
 * return the median. n = budget / (last warm-up time), clamped to [minIters, iters];
 * a single call slower than the budget is timed once. `fn` may be sync or async.
 */
async function timeIt(fn, o) {
  const budgetMs = o.budget * 1000;
  let last = 0;
  for (let i = 0; i < Math.max(1, o.warmup); i++) {
    const t0 = performance.now();
    await fn();
    last = performance.now() - t0;
    if (last > budgetMs) break;
  }
  const n = Math.max(last > budgetMs ? 1 : Math.max(1, o.minIters), Math.min(o.iters, Math.floor(budgetMs / Math.max(last, 1e-3))));
  const times = [];
  const cpus = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    cpus.push(cpuMsSince(c0));
  }
  return { ms: median(times), minMs: Math.min(...times), cpuMs: median(cpus), n };
}

// ---------------------------------------------------------------------------
// Models: the project's and tfjs-layers' model for a case live in models.js (the
// worker replicas build the same one).

// ---------------------------------------------------------------------------
// Measurements

/**
 * Times one tfjs model on input x: a training step (forward + mean-square loss over
 * the whole output sequence + backward + Adam, via optimizer.minimize) and an
 * inference call (forward, output read back). Also the peak tf.memory().numBytes
 * of a training step (tf.profile: max over every kernel of the step) and any
 * tensors a step leaks.
 */
async function measureTf(tf, model, x, o) {
  const vars = model.trainableWeights.map((w) => w.read());
  const optimizer = tf.train.adam(1e-3);
  const loss = () => tf.mean(tf.square(model.apply(x, { training: true })));
  // wasm and cpu run synchronously; reading the loss makes sure the step is done.
  const trainStep = () => {
    const cost = optimizer.minimize(loss, true, vars);
    cost.dataSync();
    cost.dispose();
  };
  const infer = () => {
    const y = tf.tidy(() => model.apply(x));
    y.dataSync();
    y.dispose();
  };
  try {
    const train = await timeIt(trainStep, o);
    const before = tf.memory();
    const profile = await tf.profile(trainStep);
    const leaked = tf.memory().numTensors - before.numTensors;
    const inferT = await timeIt(infer, o);
    const peakBytes = profile.kernels.length ? profile.peakBytes : tf.memory().numBytes;
    return { train, infer: inferT, peakBytes, baseBytes: before.numBytes, leaked };
  } finally {
    optimizer.dispose();
  }
}

/**
 * A data-parallel training step of the fused model over `workers` threads, as
 * train({ workers }) runs it: the batch split in row shards, the main thread
 * computing shard 0 while workers − 1 worker threads compute the others, the
 * gradients combined through shared buffers, one Adam step on the main thread.
 * Also the median time of the slowest shard's gradient computation (the rest of
 * the step is the exchange: weights out, gradients in, the sum, Adam).
 */
async function measureParallel(tf, R, c, workers, o) {
  const { ReplicaPool } = require(path.join(__dirname, '..', 'dist', 'src', 'train', 'parallel.js'));
  const { shardLoss } = require('./replica');
  const model = projectModel(tf, R, c, 'fused', o);
  const vars = model.trainableWeights.map((w) => w.read());
  const x = tf.randomNormal([c.B, c.T, c.D], 0, 1, 'float32', 1);
  const optimizer = tf.train.adam(1e-3);
  const spec = {
    loss: shardLoss(tf, model, x),
    shard: (b, i, n) => ({ start: b.start + Math.floor((i * (b.end - b.start)) / n), end: b.start + Math.floor(((i + 1) * (b.end - b.start)) / n) }),
    batchSize: (b) => b.end - b.start,
  };
  const replica = { module: path.join(__dirname, 'replica.js'), args: { c, implementation: 'fused', gruResetAfter: !!o.gruResetAfter, seed: 2 } };
  let pool;
  const computeMs = [];
  try {
    pool = await ReplicaPool.start(workers - 1, replica, vars);
    const step = async () => {
      const { grads, ms } = await pool.lossAndGrads(spec, { start: 0, end: c.B }, 1);
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
      computeMs.push(Math.max(...ms));
    };
    await step(); // creates Adam's slots
    const before = tf.memory().numTensors;
    const train = await timeIt(step, o);
    const leaked = tf.memory().numTensors - before;
    return { train, computeMs: median(computeMs.slice(-train.n)), leaked };
  } finally {
    if (pool) await pool.close();
    optimizer.dispose();
    x.dispose();
    model.dispose();
  }
}

function round(x, digits = 3) {
  if (x == null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** One JSON record per (case, implementation): the format of --json. */
function record(c, impl, backend, m, extra = {}) {
  const trainMs = m.trainMs;
  const inferMs = m.inferMs;
  return {
    cell: c.cell,
    config: c.config,
    impl,
    backend,
    workers: 1,
    ...extra,
    trainMs: round(trainMs),
    inferMs: round(inferMs),
    // achieved GFLOP/s of the training step (3 × forward matmul FLOPs, see configs.js)
    gflops: trainMs ? round(trainFlops(c) / (trainMs * 1e6), 2) : null,
    inferGflops: inferMs ? round(forwardFlops(c) / (inferMs * 1e6), 2) : null,
    peakBytes: m.peakBytes ?? null,
    // tf.memory().numBytes before the step: weights, Adam slots, the input
    baseBytes: m.baseBytes ?? null,
    trainMinMs: round(m.trainMinMs),
    // median CPU ms of a training step, all threads of the process (load-independent, unlike trainMs)
    trainCpuMs: round(m.trainCpuMs),
    inferMinMs: round(m.inferMinMs),
    trainN: m.trainN,
    inferN: m.inferN,
    shape: { B: c.B, T: c.T, D: c.D, H: c.H, layers: c.layers, bidirectional: c.bidirectional },
    ...(m.leakedTensors ? { leakedTensors: m.leakedTensors } : {}),
  };
}

/** Runs the tfjs implementations of one case; returns records (or error notes). */
async function runTfCase(tf, R, c, impls, backend, o, log) {
  const out = [];
  const x = tf.randomNormal([c.B, c.T, c.D]);
  try {
    for (const impl of impls) {
      if (impl === 'pytorch' || impl === 'onnxruntime') continue;
      log(`  ${c.cell} ${c.config} ${impl} ...`);
      let model;
      try {
        model = impl === 'tfjs-layers' ? tfjsLayersModel(tf, c) : projectModel(tf, R, c, impl, o);
        const m = await measureTf(tf, model, x, o);
        const extra = c.base === 'gru' && impl !== 'tfjs-layers' ? { resetAfter: !!o.gruResetAfter } : {};
        out.push(
          record(c, impl, backend, {
            trainMs: m.train.ms,
            inferMs: m.infer.ms,
            trainMinMs: m.train.minMs,
            trainCpuMs: m.train.cpuMs,
            inferMinMs: m.infer.minMs,
            trainN: m.train.n,
            inferN: m.infer.n,
            peakBytes: m.peakBytes,
            baseBytes: m.baseBytes,
            leakedTensors: m.leaked,
          }, extra),
        );
      } catch (e) {
        out.push({ cell: c.cell, config: c.config, impl, backend, error: e.message.split('\n')[0] });
      } finally {
        if (model) model.dispose();
      }
      if (impl !== 'fused') continue;
      for (const w of o.workers.map(Number).filter((k) => k > 1)) {
        log(`  ${c.cell} ${c.config} fused, ${w} workers ...`);
        try {
          const m = await measureParallel(tf, R, c, w, o);
          const extra = c.base === 'gru' ? { resetAfter: !!o.gruResetAfter } : {};
          out.push(
            record(c, impl, backend, { trainMs: m.train.ms, trainMinMs: m.train.minMs, trainCpuMs: m.train.cpuMs, trainN: m.train.n, leakedTensors: m.leaked }, {
              ...extra,
              workers: w,
              // median ms of the slowest shard's forward + backward; the rest of trainMs is the exchange and Adam
              computeMs: round(m.computeMs),
            }),
          );
        } catch (e) {
          out.push({ cell: c.cell, config: c.config, impl, backend, workers: w, error: e.message.split('\n')[0] });
        }
      }
    }
  } finally {
    x.dispose();
  }
  return out;
}

/** Runs every PyTorch row in one python child process; returns {records, notes, meta}. */
function runTorch(cases, backendTag, o, log) {
  const args = [
    path.join(__dirname, 'torch_bench.py'),
    '--cases', JSON.stringify(cases),
    '--threads', o.torchThreads.join(','),
    '--warmup', String(o.warmup),
    '--iters', String(o.iters),
    '--min-iters', String(o.minIters),
    '--budget', String(o.budget),
  ];
  log(`  pytorch (${o.python}, threads ${o.torchThreads.join(',')}) ...`);
  const r = spawnSync(o.python, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) return { records: [], notes: [`PyTorch rows skipped: cannot run ${o.python} (${r.error.message})`], meta: null };
  const records = [];
  const notes = [];
  let meta = null;
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      continue;
    }
    if (obj.meta) meta = obj.meta;
    else if (obj.skip) notes.push(`PyTorch rows skipped: ${obj.skip}`);
    else if (obj.error) records.push({ ...obj, backend: backendTag });
    else {
      const c = cases.find((k) => k.cell === obj.cell && k.config === obj.config);
      records.push(
        record(c, 'pytorch', obj.backend, {
          trainMs: obj.trainMs,
          inferMs: obj.inferMs,
          trainMinMs: obj.trainMinMs,
          trainCpuMs: obj.trainCpuMs,
          inferMinMs: obj.inferMinMs,
          trainN: obj.trainN,
          inferN: obj.inferN,
          peakBytes: null,
        }, { threads: obj.threads }),
      );
    }
  }
  if (r.status !== 0) notes.push(`PyTorch child exited with status ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`);
  return { records, notes, meta };
}

/** Adds trainRatio / inferRatio (time ÷ the fused time of the same case). */
function addRatios(records) {
  for (const rec of records) {
    const fused = records.find((f) => f.cell === rec.cell && f.config === rec.config && f.impl === 'fused' && f.workers === 1 && f.trainMs != null);
    if (!fused || (rec.trainMs == null && rec.inferMs == null)) continue;
    rec.trainRatio = rec.trainMs == null ? null : round(rec.trainMs / fused.trainMs, 2);
    rec.inferRatio = rec.inferMs == null ? null : round(rec.inferMs / fused.inferMs, 2);
  }
}

// ---------------------------------------------------------------------------
// Table

function fmt(x, digits) {
  return x == null ? '-' : x.toFixed(digits);
}

function formatTable(records) {
  const header = ['cell', 'config', 'impl', 'train ms', 'cpu ms', '×fused', 'infer ms', '×fused', 'train GF/s', 'infer GF/s', 'peak MB'];
  const rows = records.map((r) => {
    const impl = r.impl === 'pytorch' || r.impl === 'onnxruntime' ? `${r.impl} ${r.threads}t` : r.workers > 1 ? `${r.impl} ${r.workers} workers` : r.impl;
    if (r.error) return [CELLS[r.cell]?.label ?? r.cell, r.config, impl, `error: ${r.error}`];
    return [
      CELLS[r.cell]?.label ?? r.cell,
      r.config,
      impl,
      fmt(r.trainMs, 1),
      fmt(r.trainCpuMs, 1),
      fmt(r.trainRatio, 2),
      fmt(r.inferMs, 1),
      fmt(r.inferRatio, 2),
      fmt(r.gflops, 1),
      fmt(r.inferGflops, 1),
      r.peakBytes == null ? '-' : (r.peakBytes / 2 ** 20).toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 4).map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.length === 4 && cells[3].startsWith('error')
      ? cells.slice(0, 3).map((s, i) => String(s).padEnd(widths[i])).join('  ') + '  ' + cells[3]
      : cells.map((s, i) => (i < 3 ? String(s).padEnd(widths[i]) : String(s).padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let prev = null;
  for (let i = 0; i < rows.length; i++) {
    const key = `${records[i].cell}/${records[i].config}`;
    if (prev && key !== prev) out.push('');
    prev = key;
    out.push(line(rows[i]));
  }
  return out.join('\n');
}

/** Orders records as cases × IMPLS (pytorch rows by thread count). */
function sortRecords(records, cases) {
  const caseIdx = (r) => cases.findIndex((c) => c.cell === r.cell && c.config === r.config);
  return [...records].sort((a, b) => caseIdx(a) - caseIdx(b) || IMPLS.indexOf(a.impl) - IMPLS.indexOf(b.impl) || (a.workers ?? 1) - (b.workers ?? 1) || (a.threads ?? 0) - (b.threads ?? 0));
}

// ---------------------------------------------------------------------------

async function main(argv = process.argv) {
  const program = makeProgram().parse(argv);
  const o = program.opts();
  if (o.quick) {
    o.cells = o.cells ?? ['lstm'];
    o.configs = o.configs ?? ['small'];
    if (program.getOptionValueSource('budget') === 'default') o.budget = 1;
  }
  // The ConvLSTM row (bench/convlstm.js): its own shape and table; in a full run and with --cells convlstm.
  const withConvLstm = o.cells ? o.cells.includes('convlstm') : !o.quick && !o.dims && !o.configs;
  if (o.cells) o.cells = o.cells.filter((c) => c !== 'convlstm');
  const onlyConvLstm = withConvLstm && o.cells && o.cells.length === 0;
  const cases = onlyConvLstm ? [] : makeCases({ cells: o.cells, configs: o.configs, dims: o.dims });
  const impls = o.impls ?? IMPLS;
  const log = (s) => process.stderr.write(s + '\n'); // progress on stderr: stdout stays a table or JSON lines
  const convLstm = () => {
    const c = require('./convlstm').runConvLstmBench(o, log);
    if (o.json) for (const r of c.rows) process.stdout.write(JSON.stringify({ cell: 'convlstm', ...c.shape, ...r }) + '\n');
    else console.log('\n' + require('./convlstm').formatConvLstm(c));
    for (const n of c.notes) console.log(`\nnote: ${n}`);
    return c.rows.map((r) => ({ cell: 'convlstm', ...r }));
  };
  if (onlyConvLstm) return convLstm();

  const tf = require('@tensorflow/tfjs');
  const R = loadProject();
  const backend = await R.selectBackend(o.backend);
  tf.enableProdMode();
  log(`rnnkit bench: backend ${backend} · tfjs ${tf.version.tfjs} · node ${process.version} · ${cases.length} case(s)`);

  let records = [];
  for (const c of cases) records.push(...(await runTfCase(tf, R, c, impls, backend, o, log)));

  const notes = [];
  let torchMeta = null;
  if (impls.includes('pytorch')) {
    if (o.torch === false) notes.push('PyTorch rows skipped (--no-torch)');
    else {
      const t = runTorch(cases, 'torch-cpu', o, log);
      records.push(...t.records);
      notes.push(...t.notes);
      torchMeta = t.meta;
    }
  }
  if (impls.includes('onnxruntime')) {
    if (o.onnxruntime === false) notes.push('onnxruntime rows skipped (--no-onnxruntime)');
    else {
      const t = await require('./onnxruntime_bench').runOnnxRuntime(tf, R, cases, o, log, { projectModel, record, timeIt });
      records.push(...t.records);
      notes.push(...t.notes);
    }
  }
  records = sortRecords(records, cases);
  addRatios(records);

  if (o.save) require('fs').writeFileSync(o.save, records.map((r) => JSON.stringify(r) + '\n').join(''));
  if (o.json) {
    for (const r of records) process.stdout.write(JSON.stringify(r) + '\n');
    for (const n of notes) log(`note: ${n}`);
    if (withConvLstm) records.push(...convLstm());
    return records;
  }
  const torchInfo = torchMeta ? ` · PyTorch ${torchMeta.torch} (CPU${torchMeta.openblas ? ', OpenBLAS threads = torch threads' : ''})` : '';
  console.log(`\nbackend ${backend} (tfjs ${tf.version.tfjs})${torchInfo} · node ${process.version}`);
  console.log(
    [
      `ms = median of up to ${o.iters} timed calls (at least ${o.minIters}, ~${o.budget}s budget each) after ${o.warmup} warm-up calls`,
      `train = forward + mean-square loss over the output sequence + backward + Adam; infer = forward, output read back`,
      `fused n workers = the same step split over n threads as train({ workers: n }) runs it (shards, shared-buffer exchange, one Adam step)`,
      `×fused = time ÷ the fused path's time; GF/s = matmul FLOPs ÷ time, forward = Σ 2·B·T·G·H·(Din+H) over layers and directions, train = 3 × forward`,
      `cpu ms = CPU time of a training step, all threads of the process (robust to other load)`,
      `peak MB = max tf.memory().numBytes during one training step (PyTorch: not measured)`,
      `onnxruntime nt = the fused model exported with exportModel, run in onnxruntime-node with n intra-op threads (inference only)`,
    ].join('\n'),
  );
  console.log('');
  console.log(formatTable(records));
  const slow2t = records.filter((r) => {
    if (r.impl !== 'pytorch' || !(r.threads > 1) || r.trainMs == null) return false;
    const one = records.find((q) => q.impl === 'pytorch' && q.threads === 1 && q.cell === r.cell && q.config === r.config);
    return one && one.trainMs > 10 && r.trainMs > 1.5 * one.trainMs; // tiny shapes: threading overhead is real
  });
  if (slow2t.length) {
    notes.push(
      `multi-threaded PyTorch was more than 1.5x slower than 1 thread in ${slow2t.length} case(s): another process was probably using a core ` +
        `(OpenMP threads spin-wait for each other); treat those rows as noise`,
    );
  }
  const leaks = records.filter((r) => r.leakedTensors);
  for (const r of leaks) notes.push(`${r.cell} ${r.config} ${r.impl}: a training step leaked ${r.leakedTensors} tensor(s)`);
  for (const n of notes) console.log(`\nnote: ${n}`);
  if (withConvLstm) records.push(...convLstm());
  return records;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
  });
}

module.exports = { main, makeProgram, timeIt, median, formatTable, projectModel, tfjsLayersModel };
