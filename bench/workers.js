#!/usr/bin/env node
'use strict';
/**
 * Data-parallel speed-up per task: training steps per second with 1 and 2
 * workers (and more with --workers), each task at its defaults (model shape, batch
 * size) on its bundled data, through the task's own train() exactly as
 * `rnn-train --task X --workers n` runs it. A run is stopped after --steps steps
 * (the stop signal: OUT/last is saved in a temporary directory); the first
 * --warmup steps (and the threads' start-up) are not timed. Reports steps/s of
 * wall time, the process's CPU seconds per step (all threads) and the ratio to
 * 1 worker. Runs the built code (npm run build first). Asserts nothing about time.
 *
 *   node bench/workers.js [--tasks sentiment,pos,translate] [--workers 1,2] [--steps 30] [--warmup 5]
 *                         [--backend wasm] [--json]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Command } = require('commander');

const dist = path.join(__dirname, '..', 'dist');

async function main() {
  const o = new Command('workers')
    .option('--tasks <list>', 'tasks to time (those with a replica)', 'sentiment,pos,translate')
    .option('--workers <list>', 'worker counts', '1,2')
    .option('--steps <n>', 'steps per run (warm-up included)', (v) => Number(v), 30)
    .option('--warmup <n>', 'untimed first steps', (v) => Number(v), 5)
    .option('--backend <name>', 'tfjs backend', 'wasm')
    .option('--json', 'one JSON object per row')
    .parse()
    .opts();
  const { selectBackend } = require(path.join(dist, 'src/backend'));
  const { getTask } = require(path.join(dist, 'tasks'));
  const { StopSignal } = require(path.join(dist, 'src/train'));
  const { parallelProfile } = require(path.join(dist, 'src/train/parallel'));
  const backend = await selectBackend(o.backend);
  const rows = [];
  for (const name of o.tasks.split(',')) {
    const task = await getTask(name);
    let base = null;
    for (const workers of o.workers.split(',').map(Number)) {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `rnnkit-bench-workers-${name}-`));
      const stop = new StopSignal();
      const marks = [];
      let steps = 0;
      const onStep = () => {
        steps++;
        if (steps === o.warmup || steps === o.steps) marks.push({ t: performance.now(), cpu: process.cpuUsage(), prof: { ...parallelProfile } });
        if (steps >= o.steps) stop.requestStop('bench');
      };
      const r = await task.train({ out, workers, epochs: 1, patience: 0 }, { signal: stop, onStep });
      fs.rmSync(out, { recursive: true, force: true });
      if (marks.length < 2) throw new Error(`${name}: an epoch has fewer than ${o.steps} steps; lower --steps`);
      const timed = o.steps - o.warmup;
      const secs = (marks[1].t - marks[0].t) / 1000;
      const cpu = (marks[1].cpu.user - marks[0].cpu.user + marks[1].cpu.system - marks[0].cpu.system) / 1e6;
      const row = { task: name, backend, workers: r.training.workers, steps: timed, stepsPerSec: timed / secs, cpuSecPerStep: cpu / timed };
      if (r.training.workers > 1) {
        // ms per step: main-thread preparation, shard 0, the slowest worker, the main thread waiting, combining,
        // and the rest of the step outside the sharded loss (clip, optimizer, EMA, progress) = wall − the others
        const d = (k) => (marks[1].prof[k] - marks[0].prof[k]) / timed;
        const prof = { prepMs: d('prepMs'), localMs: d('localMs'), remoteMs: d('remoteMs'), waitMs: d('waitMs'), combineMs: d('combineMs') };
        prof.otherMs = (1000 * secs) / timed - prof.prepMs - prof.localMs - prof.waitMs - prof.combineMs;
        row.profile = prof;
      }
      base ??= row;
      row.ratio = row.stepsPerSec / base.stepsPerSec;
      rows.push(row);
      if (o.json) console.log(JSON.stringify(row));
    }
  }
  if (!o.json) {
    console.log(`backend ${backend}, ${os.availableParallelism()} cores; ${o.steps - o.warmup} timed steps per run, task defaults, bundled data`);
    console.log('task        workers  steps/s  CPU s/step  vs 1 worker');
    for (const r of rows) console.log(`${r.task.padEnd(12)}${String(r.workers).padStart(7)}${r.stepsPerSec.toFixed(2).padStart(9)}${r.cpuSecPerStep.toFixed(3).padStart(12)}${(r.ratio.toFixed(2) + '×').padStart(13)}`);
    const profiled = rows.filter((r) => r.profile);
    if (profiled.length) {
      console.log('\nms per step with workers: prep (shards, weight copy), shard 0 here, slowest worker, waiting, combining, rest (clip, optimizer, EMA)');
      console.log('task        workers    prep  shard0  worker    wait  combine    rest');
      for (const r of profiled) {
        const p = r.profile;
        console.log(`${r.task.padEnd(12)}${String(r.workers).padStart(7)}${[p.prepMs, p.localMs, p.remoteMs, p.waitMs, p.combineMs, p.otherMs].map((v, i) => v.toFixed(1).padStart(i === 4 ? 9 : 8)).join('')}`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
