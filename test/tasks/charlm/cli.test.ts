/**
 * The char LM through the real CLIs as child processes (the compiled dist/):
 * rnn-train --task charlm on a small text and on the bundled default, then
 * rnn-generate (streamed, seeded, greedy; on onnxruntime too, after rnn-export of
 * the stateful graph) and rnn-predict on the checkpoint,
 * and one-line usage errors.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnxRuntimeAvailable } from '../../../src/onnx';

const root = path.resolve(__dirname, '..', '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const GENERATE = path.join(root, 'bin', 'rnn-generate.js');
const EXPORT = path.join(root, 'bin', 'rnn-export.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-charlm-cli-'));
const TINY = ['--layers', '1', '--hidden', '16', '--embedding-dim', '8', '--bptt', '20', '--samples', '1', '--sample-length', '20', '--backend', 'wasm'];

function run(bin: string, args: string[], input = '') {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 240000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

let model = '';

beforeAll(() => {
  const dir = tmp();
  const text = path.join(dir, 'names.txt');
  const names = fs.readFileSync(path.join(root, 'data', 'charlm', 'names.txt'), 'utf8').split('\n').slice(0, 1500);
  fs.writeFileSync(text, names.join('\n') + '\n');
  const out = path.join(dir, 'run');
  const r = run(TRAIN, ['--task', 'charlm', '--data', text, '--epochs', '2', '--batch-size', '16', '--min-epoch-steps', '10', '--out', out, '--json', ...TINY]);
  if (r.code !== 0) throw new Error(`rnn-train failed (${r.code}): ${r.err}`);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ event: 'start', task: 'charlm', backend: 'wasm' });
  expect(events.filter((e) => e.event === 'epoch')).toHaveLength(2);
  expect(events.some((e) => e.event === 'note' && /^sample 1: /.test(e.message))).toBe(true);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', task: 'charlm', model: path.join(out, 'best'), level: 'char' });
  expect(summary.metrics.dev.lossNats).toBeGreaterThan(0);
  expect(summary.metrics.dev.bitsPerChar).toBeCloseTo(summary.metrics.dev.lossNats / Math.LN2, 3);
  expect(summary.samples).toHaveLength(1);
  model = summary.model;
}, 300000);

test('rnn-generate streams a seeded sample after the prime; temperature 0 is greedy whatever the seed', () => {
  const a = run(GENERATE, ['--model', model, '--prime', 'Ma', '--length', '40', '--seed', '5', '--temperature', '0.9', '--top-k', '10']);
  expect(a.code).toBe(0);
  expect(a.err).toMatch(/^rnn-generate: backend (tensorflow|wasm|cpu)\n$/);
  expect(a.out.startsWith('Ma')).toBe(true);
  expect(Array.from(a.out)).toHaveLength(2 + 40 + 1);
  expect(run(GENERATE, ['--model', model, '--prime', 'Ma', '--length', '40', '--seed', '5', '--temperature', '0.9', '--top-k', '10']).out).toBe(a.out);
  const g1 = run(GENERATE, ['--model', model, '--prime', 'Jo', '-n', '30', '-t', '0', '--seed', '1']);
  const g2 = run(GENERATE, ['--model', model, '--prime', 'Jo', '-n', '30', '-t', '0', '--seed', '2']);
  expect(g1.code).toBe(0);
  expect(g2.out).toBe(g1.out);
}, 120000);

const ortTest = onnxRuntimeAvailable() ? test : test.skip;

ortTest('rnn-export --verify writes the stateful graph; rnn-generate --engine onnxruntime samples what tfjs samples', () => {
  const file = path.join(tmp(), 'charlm.onnx');
  const e = run(EXPORT, ['--model', model, '--out', file, '--verify', '--backend', 'wasm']);
  expect(e.code).toBe(0);
  expect(e.out).toMatch(/^wrote .*charlm\.onnx \([\d.]+ KB, ONNX opset 14, charlm graph\): symbol_ids \[\?, \?\], h0 \[1, \?, 16\], c0 \[1, \?, 16\] -> logits \[\?, \?, \d+\], h_n \[1, \?, 16\], c_n \[1, \?, 16\]/);
  expect(e.out).toMatch(/verified in onnxruntime-node: logits and states of a sample batch from random states, max \|onnxruntime - tfjs\| = /);
  const args = ['--model', model, '--prime', 'Ma', '--length', '60', '--seed', '3', '--temperature', '0.9', '--backend', 'wasm'];
  const tfjs = run(GENERATE, args);
  const ort = run(GENERATE, [...args, '--engine', 'onnxruntime']);
  expect(ort.code).toBe(0);
  expect(ort.err).toMatch(/engine onnxruntime/);
  expect(ort.out).toBe(tfjs.out);
}, 120000);

test('rnn-predict on a charlm checkpoint generates too (JSON lines, primes from the arguments)', () => {
  const p = run(PREDICT, ['--model', model, '--length', '12', '--count', '2', '--json', 'Al', 'Be']);
  expect(p.code).toBe(0);
  const rows = p.lines.map((l) => JSON.parse(l));
  expect(rows.map((r) => [r.prime, r.seed])).toEqual([['Al', 1], ['Al', 2], ['Be', 1], ['Be', 2]]);
  for (const r of rows) expect(Array.from(r.text as string)).toHaveLength(12);
}, 120000);

test('bad usage is one line and exit code 2', () => {
  const bad = run(GENERATE, ['--model', model, '--top-p', '2']);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--top-p must be a number in/);
  const missing = run(GENERATE, ['--model', path.join(tmp(), 'nope')]);
  expect(missing.code).toBe(2);
  expect(missing.err.trim().split('\n')).toEqual([expect.stringMatching(/^rnn-generate: error: .*nope: no such model directory$/)]);
}, 60000);

test('the bundled default text trains with no --data (a fresh machine without ../shared)', () => {
  const out = path.join(tmp(), 'default');
  const r = run(TRAIN, ['--task', 'charlm', '--epochs', '1', '--batch-size', '64', '--min-epoch-steps', '3', '--out', out, '--json', ...TINY]);
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events.some((e) => e.event === 'note' && /data: .*data\/charlm\/names\.txt/.test(e.message))).toBe(true);
  expect(events[events.length - 1].metrics.dev.lossNats).toBeLessThan(4.1); // below a uniform guess over the vocabulary
}, 240000);

test('the language model is importable as rnnkit/tasks/charlm (CommonJS and ESM)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pkg-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'rnnkit'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'main.mjs'),
    `import { task, CharLm, pickSymbol } from 'rnnkit/tasks/charlm';
     import { createRequire } from 'module';
     const cjs = createRequire(import.meta.url)('rnnkit/tasks/charlm');
     console.log([task.name, typeof CharLm.load, pickSymbol([0, 3, 1], { temperature: 0 }, 0.5), cjs.task.name].join(','));`,
  );
  const out = spawnSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8' });
  expect(out.stderr).toBe('');
  expect(out.stdout.trim()).toBe('charlm,function,1,charlm');
});
