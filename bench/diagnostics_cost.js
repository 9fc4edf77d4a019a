#!/usr/bin/env node
'use strict';
/**
 * What the training diagnostics cost (issue 29): a task's run with the applied
 * update ratio and per-layer figures measured on the logging steps (the default:
 * every 10th step and each epoch's last), against the same run with the probe
 * switched off (the engine then reports what it did before: the loss, the global
 * gradient norm and the weight norm of every step). Same process, same seed, runs
 * alternated (A B A B ...) so the machine's load hits both alike; CPU time of the
 * process (process.cpuUsage) and wall time of each task.train call. On a loaded
 * machine the A/B difference drowns in noise, so the probe's own time is also
 * measured directly (wall time inside UpdateProbe.begin/end, an upper bound of
 * the added cost: on measured steps the probe also replaces the weight-norm
 * reduction the engine would run anyway) as a share of the run's wall time.
 * Runs the built code (npm run build first, or --dist DIR). Asserts nothing.
 *
 *   node bench/diagnostics_cost.js [--task sentiment] [--epochs 1] [--pairs 2] [--dist DIR] [--backend wasm] [-- task options as JSON]
 */
const os = require('os');
const path = require('path');
const fs = require('fs');
const { Command } = require('commander');

async function main() {
  const o = new Command('diagnostics_cost')
    .option('--task <name>', 'task to run', 'sentiment')
    .option('--epochs <n>', 'epochs per run', (v) => Number(v), 1)
    .option('--pairs <n>', 'with/without pairs', (v) => Number(v), 2)
    .option('--dist <dir>', 'built code', path.join(__dirname, '..', 'dist'))
    .option('--backend <name>', 'tfjs backend', 'wasm')
    .option('--config <json>', 'extra task options (JSON)', '{}')
    .parse()
    .opts();
  const dist = path.resolve(o.dist);
  const { selectBackend } = require(path.join(dist, 'src', 'backend'));
  await selectBackend(o.backend);
  const { getTask } = require(path.join(dist, 'tasks'));
  const health = require(path.join(dist, 'src', 'diagnostics', 'step_health'));
  const task = await getTask(o.task);
  const { begin, end } = health.UpdateProbe.prototype;
  let probeMs = 0;
  const timed = (f) => function (...args) {
    const t = performance.now();
    try {
      return f.apply(this, args);
    } finally {
      probeMs += performance.now() - t;
    }
  };
  const setProbe = (on) => {
    health.UpdateProbe.prototype.begin = on ? timed(begin) : function () {};
    health.UpdateProbe.prototype.end = on ? timed(end) : function () { return undefined; };
  };
  const rows = { on: [], off: [] };
  for (let p = 0; p < o.pairs; p++) {
    for (const mode of p % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
      setProbe(mode === 'on');
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-diag-cost-'));
      let steps = 0;
      let measured = 0;
      probeMs = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await task.train({ epochs: o.epochs, out, ...JSON.parse(o.config) }, { onStep: (s) => { steps++; if (s.layers) measured++; } });
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      rows[mode].push({ cpu: (c.user + c.system) / 1e6, wall, steps, measured, probe: probeMs / 1000 });
      fs.rmSync(out, { recursive: true, force: true });
      process.stderr.write(`${mode}: ${steps} steps (${measured} measured), cpu ${((c.user + c.system) / 1e6).toFixed(2)} s, wall ${wall.toFixed(2)} s\n`);
    }
  }
  const sum = (xs, k) => xs.reduce((a, r) => a + r[k], 0);
  const cpuOn = sum(rows.on, 'cpu');
  const cpuOff = sum(rows.off, 'cpu');
  const wallOn = sum(rows.on, 'wall');
  const wallOff = sum(rows.off, 'wall');
  const result = {
    task: o.task, backend: o.backend, pairs: o.pairs, stepsPerRun: rows.on[0].steps, measuredPerRun: rows.on[0].measured,
    cpuOn: +cpuOn.toFixed(2), cpuOff: +cpuOff.toFixed(2), cpuOverheadPct: +((100 * (cpuOn - cpuOff)) / cpuOff).toFixed(2),
    probeSeconds: +sum(rows.on, 'probe').toFixed(3), probeSharePct: +((100 * sum(rows.on, 'probe')) / wallOn).toFixed(3),
    probeMsPerMeasuredStep: +((1000 * sum(rows.on, 'probe')) / sum(rows.on, 'measured')).toFixed(2),
    wallOn: +wallOn.toFixed(2), wallOff: +wallOff.toFixed(2), wallOverheadPct: +((100 * (wallOn - wallOff)) / wallOff).toFixed(2),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
