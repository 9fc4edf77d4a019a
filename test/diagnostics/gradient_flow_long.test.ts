/**
 * The vanishing-gradient story, numerically: on the long-dependency task (the class
 * is the first of 100 random symbols), after the same brief training, the
 * SimpleRNN's ||dLoss/ds_t|| collapses within a few steps back while the LSTM's
 * stays above 1e-6 of the last step's over the whole sequence. Plus the
 * rnn-diagnose command end to end on a tiny configuration.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { LONG_DEPENDENCY_DEFAULTS, longDependencyBatch, runLongDependency } from '../../src/diagnostics/long_dependency';

beforeAll(async () => {
  await selectBackend('wasm');
});

test('the class is the first symbol; batches are reproducible from the seed', () => {
  const a = longDependencyBatch({ length: 7, symbols: 3, batchSize: 5 }, 42);
  const b = longDependencyBatch({ length: 7, symbols: 3, batchSize: 5 }, 42);
  const ids = tf.tidy(() => tf.argMax(a.x, 2).arraySync() as number[][]);
  expect(a.labels).toEqual(ids.map((row) => row[0]));
  expect(tf.tidy(() => tf.argMax(a.y, 1).arraySync())).toEqual(a.labels);
  expect(b.labels).toEqual(a.labels);
  expect(a.x.shape).toEqual([5, 7, 3]);
  tf.dispose([a.x, a.y, b.x, b.y]);
});

test('SimpleRNN gradient vanishes where the LSTM gradient does not (T = 100, defaults)', () => {
  const before = tf.memory().numTensors;
  const cfg = LONG_DEPENDENCY_DEFAULTS;
  const rnn = runLongDependency('rnn', cfg);
  const lstm = runLongDependency('lstm', cfg);
  expect(tf.memory().numTensors).toBe(before);
  // what training achieved: the LSTM learns the full-length task, the SimpleRNN does not
  expect(lstm.accuracy).toBeGreaterThan(0.9);
  expect(lstm.trainedLength).toBe(cfg.length);
  expect(rnn.trainedLength).toBeLessThan(cfg.length);
  // the gradient: LSTM stays above the threshold over (almost) the whole sequence, SimpleRNN not past 20 steps
  expect(lstm.reach).toBeGreaterThanOrEqual(cfg.length * 0.9);
  expect(rnn.reach).toBeLessThan(20);
  // and its deepest point is orders of magnitude lower (0 when it underflows)
  expect(rnn.floor).toBeLessThan(lstm.floor * 1e-3);
  expect(lstm.floor).toBeGreaterThan(cfg.threshold);
}, 300000);

test('rnn-diagnose gradients: table on stdout, the figure as .svg and .html, usage errors', () => {
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'rnn-diagnose.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-diag-'));
  const small = ['--length', '8', '--steps', '3', '--units', '4', '--batch-size', '4', '--backend', 'wasm'];
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60000 });
  const r = run(['gradients', ...small, '--cells', 'rnn,lstm', '--out', path.join(dir, 'f.html')]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^cell\s+accuracy/);
  expect(r.stdout).toMatch(/\nSimpleRNN\s/);
  expect(r.stdout).toMatch(/\nLSTM\s/);
  expect(r.stdout).not.toMatch(/GRU/);
  const html = fs.readFileSync(path.join(dir, 'f.html'), 'utf8');
  expect(html).toContain('<svg');
  expect(html).not.toMatch(/<script/i);
  const j = run(['gradients', ...small, '--cells', 'gru', '--json', '--out', path.join(dir, 'f.svg')]);
  expect(j.status).toBe(0);
  const line = JSON.parse(j.stdout.trim());
  expect(line).toMatchObject({ cell: 'gru', threshold: 1e-6 });
  expect(line.norms).toHaveLength(8);
  expect(fs.readFileSync(path.join(dir, 'f.svg'), 'utf8')).toMatch(/^<svg/);
  const bad = run(['gradients', '--cells', 'lstm,tcn']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--cells takes a comma-separated list of rnn, lstm, gru \(not: tcn\)/);
  expect(run(['gradients', '--out', 'x.png']).status).toBe(2);
  expect(run(['nope']).status).toBe(2);
  fs.rmSync(dir, { recursive: true, force: true });
});
