'use strict';
/**
 * The PyTorch peers of the task benchmarks (bench/torch_*.py, which print JSON
 * lines through torch_common.py): how to run them and read their rows, and the
 * command-line options every task benchmark shares for them.
 */
const path = require('path');
const { spawnSync } = require('child_process');

/**
 * Runs `python args…` with OpenBLAS' CPU-type and cache overrides unset (Debian's
 * OpenBLAS picks its kernels wrongly with the values some images set).
 */
function spawnTorch(python, args, options = {}) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return spawnSync(python, args.map(String), { encoding: 'utf8', env, maxBuffer: 1 << 24, ...options });
}

/**
 * Runs bench/<script> and returns its `meta` line and its rows: measurements as
 * `{ ...row, impl: 'pytorch <n>t' }`, and `{ impl: 'pytorch', skip }` for a
 * skipped configuration or a peer that could not run.
 */
function torchRows(python, script, args) {
  const py = spawnTorch(python, [path.join(__dirname, script), ...args]);
  let meta = null;
  const rows = [];
  for (const line of (py.stdout || '').split('\n').filter(Boolean)) {
    const r = JSON.parse(line);
    if (r.meta) meta = r.meta;
    else if (r.skip) rows.push({ impl: 'pytorch', skip: r.skip });
    else rows.push({ ...r, impl: `pytorch ${r.threads}t` });
  }
  if (py.error) rows.push({ impl: 'pytorch', skip: `cannot run ${python} (${py.error.message})` });
  else if (py.status !== 0) rows.push({ impl: 'pytorch', skip: `${path.basename(python)} exited ${py.status}: ${(py.stderr || '').trim().split('\n').pop()}` });
  return { meta, rows };
}

/** Adds --threads, --no-torch, --python, --json and --backend to a task benchmark's command. */
function peerOptions(command, { threads = '1,2', threadsHelp = 'PyTorch thread counts' } = {}) {
  return command
    .option('--threads <list>', threadsHelp, threads)
    .option('--no-torch', 'skip the PyTorch rows')
    .option('--python <path>', 'python interpreter with torch', '/usr/bin/python3')
    .option('--json', 'one JSON object per line')
    .option('--backend <name>', 'tfjs backend', 'wasm');
}

module.exports = { spawnTorch, torchRows, peerOptions };
