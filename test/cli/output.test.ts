/**
 * What the CLIs print: the progress bar and human summary on a terminal (run
 * under `script`, which gives the child a pseudo-terminal), JSON lines when
 * stdout is a pipe even without --json, and rnn-predict's usage errors.
 * Runs the compiled dist/ (built once by test/global-setup.js), as users do.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-cliout-'));
const SMALL = ['--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--epochs', '1', '--backend', 'wasm', '--pretrained', 'none'];

function run(bin: string, args: string[], input = '') {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

const tinyData = (): string => sentimentSlice(200, 40, 40);

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

(hasScript ? test : test.skip)('on a terminal: backend line, progress bar with loss, ex/s and ETA, then a human summary', () => {
  const out = tmp();
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, TRAIN, '--task', 'sentiment', '--data', tinyData(), '--out', out, ...SMALL].map(quote).join(' ');
  // script -e returns the child's exit code; -q drops its own banner; the typescript file is thrown away.
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 120000, env: { ...process.env, COLUMNS: '160' } });
  const text = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  expect(r.status).toBe(0);
  expect(text).toMatch(/rnn-train: task sentiment, backend wasm, lstm \(bidirectional\)/);
  expect(text).toMatch(/epoch 1\/1 \|.*\| \d+\/\d+ loss \d\.\d{4} .* \d+ ex\/s \| ETA /);
  expect(text).toMatch(/epoch 1: loss \d\.\d{4}, dev accuracy/);
  expect(text).toMatch(/test: accuracy \d+\.\d\d%, macro-F1 \d+\.\d\d%/);
  expect(text).toMatch(/confusion matrix \(test\):/);
  expect(text).toContain(`model saved in ${path.join(out, 'best')}`);
  expect(text).not.toMatch(/^\{"event"/m);
});

test('stdout is a pipe: JSON lines even without --json; the last is the summary', () => {
  const out = tmp();
  const r = run(TRAIN, ['--task', 'sentiment', '--data', tinyData(), '--out', out, ...SMALL]);
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events[0]).toMatchObject({ event: 'start', task: 'sentiment', backend: 'wasm' });
  expect(events.some((e) => e.event === 'step' && typeof e.examplesPerSec === 'number' && typeof e.etaSec === 'number')).toBe(true);
  const summary = events[events.length - 1] as { event: string; task: string; metrics: Record<string, Record<string, number>>; model: string; seconds: number };
  expect(Object.keys(summary).slice(0, 2)).toEqual(['event', 'task']);
  expect(summary.event).toBe('summary');
  expect(Object.keys(summary.metrics)).toEqual(['dev', 'test']);
  expect(Object.keys(summary.metrics.test).sort()).toEqual(['accuracy', 'macroF1']);
  expect(summary.model).toBe(path.join(out, 'best'));
  expect(summary.seconds).toBeGreaterThan(0);
});

test('data errors from the CLI: one line naming the file and line, exit 1', () => {
  const d = tmp();
  fs.writeFileSync(path.join(d, 'train.tsv'), Buffer.concat([Buffer.from('label\ttext\npositive\tfine\nnegative\tcaf'), Buffer.from([0xe9, 0x0a])]));
  const r = run(TRAIN, ['--task', 'sentiment', '--data', d, '--backend', 'cpu']);
  expect(r.code).toBe(1);
  expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^rnn-train: error: ${path.join(d, 'train.tsv').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: not valid UTF-8 text`))]);
  const empty = tmp();
  fs.writeFileSync(path.join(empty, 'reviews.tsv'), '');
  const e = run(TRAIN, ['--task', 'sentiment', '--data', path.join(empty, 'reviews.tsv'), '--backend', 'cpu']);
  expect(e.code).toBe(1);
  expect(e.err.trim()).toBe(`rnn-train: error: ${path.join(empty, 'reviews.tsv')}: the file is empty`);
});

test('usage errors exit 2: rnn-predict --help, missing --model, a missing directory; rnn-train --epochs 0, an unknown option', () => {
  const help = run(PREDICT, ['--help']);
  expect(help.code).toBe(0);
  expect(help.out).toMatch(/Examples:/);
  const noModel = run(PREDICT, ['some text']);
  expect(noModel.code).toBe(2);
  expect(noModel.err).toMatch(/required option '--model <dir>' not specified/);
  const missing = run(PREDICT, ['--model', '/nonexistent/model', 'text']);
  expect(missing.code).toBe(2);
  expect(missing.err.trim()).toBe('rnn-predict: error: /nonexistent/model: no such model directory');
  expect(run(TRAIN, ['--task', 'sentiment', '--epochs', '0']).code).toBe(2);
  expect(run(TRAIN, ['--task', 'sentiment', '--bogus']).code).toBe(2);
});
