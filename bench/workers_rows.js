'use strict';
/**
 * Training steps of a task benchmark with 1 or more data-parallel workers: the
 * engine's own sharded step (src/train/parallel.ts ReplicaPool with the task's
 * replica, shard and loss weight) followed by an Adam step, on the benchmark's
 * batches, so the task benchmarks (bench/task_*.js) time 1 and 2 workers next to
 * PyTorch with 1 and 2 threads in the same run. workersSummary prints the ratios.
 */
const path = require('path');

/**
 * Times `batches` (the first `warmup` untimed) as training steps of `model` with
 * `workers` threads. `parallel` is the task's DataParallel ({ replica, shard,
 * lossWeight }); `carried` the TrainSpec.carried of a truncated-BPTT task.
 * Returns wall and CPU seconds of the timed steps (worker start-up excluded).
 */
async function timeTrainSteps({ dist, tf, workers, model, loss, parallel, batchSize, carried, batches, warmup, lr = 1e-3 }) {
  const { ReplicaPool } = require(path.join(dist, 'src/train/parallel'));
  const { lossAndGrads } = require(path.join(dist, 'src/train/grads'));
  const { seedDropout } = require(path.join(dist, 'layers/random'));
  const vars = model.trainableWeights.map((w) => w.read());
  const opt = tf.train.adam(lr);
  const spec = { loss, batchSize, ...(carried ? { carried } : {}), ...parallel };
  const pool = workers > 1 ? await ReplicaPool.start(workers - 1, parallel.replica, vars) : null;
  const step = async (b, k) => {
    let grads;
    if (pool) ({ grads } = await pool.lossAndGrads(spec, b, k));
    else {
      seedDropout(k);
      const r = lossAndGrads(() => spec.loss(b, true), vars);
      r.value.dataSync();
      r.value.dispose();
      grads = r.grads;
    }
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  };
  try {
    for (let k = 0; k < warmup; k++) await step(batches[k], k);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let k = warmup; k < batches.length; k++) await step(batches[k], k);
    const c = process.cpuUsage(c0);
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 };
  } finally {
    if (pool) await pool.close();
    opt.dispose();
  }
}

/**
 * One line: tfjs n workers against 1 worker and against PyTorch 1 and 2 threads,
 * on `key` (a throughput field of the rows). Rows: { impl, workers?, skip?, [key] }.
 */
function workersSummary(rows, key, unit) {
  const tfjs = rows.filter((r) => !r.skip && r.impl.startsWith('tfjs'));
  const one = tfjs.find((r) => (r.workers ?? 1) === 1);
  const torch = (t) => rows.find((r) => !r.skip && r.impl === `pytorch ${t}t`);
  const lines = [];
  for (const r of tfjs) {
    const parts = [`tfjs ${r.workers ?? 1}w ${r[key].toFixed(0)} ${unit}`];
    if (one && r !== one) parts.push(`${(r[key] / one[key]).toFixed(2)}× 1 worker`);
    for (const t of [1, 2]) if (torch(t)) parts.push(`${(r[key] / torch(t)[key]).toFixed(2)}× PyTorch ${t}t`);
    lines.push(parts.join(', '));
  }
  return lines;
}

module.exports = { timeTrainSteps, workersSummary };
