#!/usr/bin/env node
'use strict';
/**
 * The timeseries task on real series, with its defaults: test RMSE of the model
 * beside the linear path alone and the baselines, the choices the task made
 * (period, transform, window), and wall / CPU time per training. With --torch, the
 * same model shape and recipe in PyTorch (bench/torch_timeseries.py) on the same
 * split, transform, period, window, ridge penalty and season channels. Runs the built code (`npm run build`).
 *
 *   node bench/task_timeseries.js [--sets airline,daily,seattle] [--seeds 1,2,3] [--torch] [--backend wasm] [--json]
 *
 * Benchmarks assert nothing; a missing data file prints a note and the run goes on.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnTorch } = require('./torch_peer');
const { Command } = require('commander');

const root = path.join(__dirname, '..');
const SHARED = path.join(root, '..', 'shared', 'data', 'timeseries');
const SETS = {
  airline: { data: path.join(SHARED, 'airline-passengers.csv'), testSize: 0.33, what: 'monthly, first 67% train, one step ahead on the rest' },
  daily: { data: path.join(SHARED, 'daily-min-temperatures.csv'), testSize: 365, what: 'daily, last 365 days test' },
  seattle: { data: undefined, testSize: undefined, what: 'bundled default (Seattle temp_max, daily, last 20% test)' },
};

const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
const prog = new Command('task_timeseries')
  .option('--sets <names>', `comma-separated: ${Object.keys(SETS).join(', ')}`, list, Object.keys(SETS))
  .option('--seeds <list>', 'seeds', (v) => list(v).map(Number), [1])
  .option('--backend <name>', 'tfjs backend', 'wasm')
  .option('--torch', 'also run the PyTorch version (bench/torch_timeseries.py)')
  .option('--json', 'one JSON object per run')
  .parse();
const o = prog.opts();

function torchRun(set, s, seed) {
  const args = [path.join(__dirname, 'torch_timeseries.py'), '--data', set.data ?? path.join(root, 'data', 'timeseries', 'seattle-weather.csv'),
    '--test-size', String(set.testSize ?? 0.2), '--transform', s.transform === 'none' ? 'none' : s.transform.replace(/\+/g, ','),
    '--period', String(s.period), '--window', String(s.window), '--ridge', String(s.ridge), '--seed', String(seed)];
  if (!set.data) args.push('--target', 'temp_max');
  if (s.season) args.push('--season');
  const r = spawnTorch('/usr/bin/python3', args);
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

(async () => {
  const { selectBackend } = require(path.join(root, 'dist', 'src', 'backend'));
  const { task } = require(path.join(root, 'dist', 'tasks', 'timeseries'));
  const backend = await selectBackend(o.backend);
  const rows = [];
  for (const name of o.sets) {
    const set = SETS[name];
    if (!set) throw new Error(`unknown set '${name}'`);
    if (set.data && !fs.existsSync(set.data)) {
      console.log(`note: ${set.data} not found, skipping ${name}`);
      continue;
    }
    for (const seed of o.seeds) {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-ts-'));
      const config = { out, seed, ...(set.data ? { data: set.data, testSize: set.testSize } : {}) };
      const t0 = Date.now();
      const c0 = process.cpuUsage();
      const r = await task.train(config, {});
      const cpu = process.cpuUsage(c0);
      const s = r.summary;
      const row = {
        set: name, seed, backend, period: s.period, transform: s.transform, season: s.season, window: s.window,
        test: r.metrics.test, linear: s.baselines.linear.rmse, persistence: s.baselines.persistence.rmse,
        seasonalNaive: s.baselines.seasonalNaive?.rmse ?? null, seasonalGrowth: s.baselines.seasonalGrowth?.rmse ?? null,
        epochs: r.training.epochs, bestEpoch: r.training.bestEpoch + 1,
        wallSec: (Date.now() - t0) / 1000, cpuSec: (cpu.user + cpu.system) / 1e6,
      };
      if (o.torch) row.torch = torchRun(set, s, seed);
      fs.rmSync(out, { recursive: true, force: true });
      rows.push(row);
      if (o.json) console.log(JSON.stringify(row));
    }
  }
  if (o.json) return;
  const f = (v, d = 3) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
  console.log(`timeseries task, defaults, backend ${backend}; test RMSE (one step ahead)`);
  const head = ['set', 'seed', 'period', 'transform', 'season', 'window', 'model', 'linear', 'persist.', 's.naive', 's.n.×growth', 'epochs', 'wall s', 'cpu s', ...(o.torch ? ['torch', 'torch lin.', 'torch cpu s'] : [])];
  const table = rows.map((r) => [r.set, r.seed, r.period, r.transform, r.season ? 'on' : 'off', r.window, f(r.test.rmse), f(r.linear), f(r.persistence), f(r.seasonalNaive), f(r.seasonalGrowth),
    `${r.epochs}/${r.bestEpoch}`, f(r.wallSec, 1), f(r.cpuSec, 1),
    ...(o.torch ? (r.torch.error ? [r.torch.error, '', ''] : [f(r.torch.test_rmse), f(r.torch.linear_test_rmse), f(r.torch.cpu_seconds, 1)]) : [])].map(String));
  const w = head.map((h, j) => Math.max(h.length, ...table.map((r) => r[j].length)));
  const line = (cells) => cells.map((c, j) => (j < 5 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  table.forEach((r) => console.log(line(r)));
})().catch((e) => {
  console.error(`task_timeseries: ${e.stack || e.message}`);
  process.exit(1);
});
