/**
 * The real CLIs as child processes (the compiled dist/ that `npm ci` builds):
 * training on small data, the bundled default, predicting from the saved model,
 * JSON summaries, exit codes, one-line errors, and Ctrl-C → checkpoint → 130 → resume.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { interruptAfterFirstEpoch } from '../helpers/interrupt';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const hasOnnxRuntime = (() => {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-cli-'));
const SMALL = ['--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--backend', 'wasm', '--pretrained', 'none'];

function run(bin: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

const smallData = (): string => sentimentSlice(300, 60, 60);

test('train on small data with --json, then rnn-predict from arguments and from stdin', () => {
  const out = tmp();
  const r = run(TRAIN, ['--task', 'sentiment', '--data', smallData(), '--epochs', '2', '--out', out, '--json', ...SMALL]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ event: 'start', task: 'sentiment', backend: 'wasm' });
  expect(events.filter((e) => e.event === 'epoch')).toHaveLength(2);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', task: 'sentiment', model: path.join(out, 'best') });
  for (const split of ['dev', 'test']) {
    expect(summary.metrics[split].accuracy).toBeGreaterThanOrEqual(0);
    expect(summary.metrics[split].macroF1).toBeLessThanOrEqual(1);
  }
  expect(summary.confusion).toHaveLength(2);
  expect(fs.readdirSync(path.join(out, 'best'))).toEqual(expect.arrayContaining(['artifacts.json', 'model.json', 'weights.bin', 'training.json']));

  const p = run(PREDICT, ['--model', path.join(out, 'best'), 'the movie my friend has not seen is good', 'a dull film']);
  expect(p.code).toBe(0);
  expect(p.lines).toHaveLength(2);
  expect(p.err).toMatch(/^rnn-predict: backend (tensorflow|wasm|cpu)\n$/); // auto: the best one that loads
  expect(p.lines[0]).toMatch(/^(positive|negative)\t[01]\.\d{3}\tthe movie my friend has not seen is good$/);
  const s = run(PREDICT, ['--model', path.join(out, 'best'), '--json'], 'great\nawful\n');
  expect(s.code).toBe(0);
  const preds = s.lines.map((l) => JSON.parse(l));
  expect(preds.map((x) => x.text)).toEqual(['great', 'awful']);
  expect(Object.keys(preds[0].probabilities).sort()).toEqual(['negative', 'positive']);

  // The same checkpoint through onnxruntime (exported on the fly): the same probabilities.
  if (hasOnnxRuntime) {
    const o = run(PREDICT, ['--model', path.join(out, 'best'), '--json', '--engine', 'onnxruntime', '--threads', '2'], 'great\nawful\n');
    expect(o.err).toMatch(/engine onnxruntime/);
    expect(o.code).toBe(0);
    const ort = o.lines.map((l) => JSON.parse(l));
    expect(ort.map((x) => x.label)).toEqual(preds.map((x) => x.label));
    ort.forEach((x, i) => expect(Math.abs(x.probabilities.positive - preds[i].probabilities.positive)).toBeLessThan(1e-5));
  }
  expect(run(PREDICT, ['--model', path.join(out, 'best'), '--engine', 'tensorrt', 'x']).code).toBe(2);
});

test('the bundled default data set trains without --data (one epoch here)', () => {
  const out = tmp();
  const r = run(TRAIN, ['--task', 'sentiment', '--epochs', '1', '--out', out, '--json', ...SMALL]);
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.lines[r.lines.length - 1]);
  expect(summary.metrics.test.accuracy).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(out, 'best', 'model.json'))).toBe(true);
});

test('usage errors exit 2; data errors exit 1; both one line on stderr without a stack trace', () => {
  const bad = [
    { args: ['--task', 'sentiment', '--lr', 'fast'], code: 2, msg: /--lr must be a number/ },
    { args: ['--task', 'sentiment', '--cell', 'transformer'], code: 2, msg: /Allowed choices are lstm, gru, rnn/ },
    { args: ['--task', 'nosuchtask'], code: 2, msg: /^rnn-train: error: unknown task 'nosuchtask' \(available: sentiment/ },
    { args: [], code: 2, msg: /^rnn-train: error: --task is required \(one of: sentiment/ },
    // An option of another task (or of none) names the task it is not an option of.
    { args: ['--task', 'sentiment', '--horizon', '3'], code: 2, msg: /unknown option '--horizon' \(not an option of task 'sentiment'; see rnn-train --task sentiment --help\)/ },
    { args: ['--task', 'sentiment', 'stray'], code: 2, msg: /too many arguments/ },
    { args: ['--task', 'sentiment', '--data', '/nonexistent/reviews.tsv'], code: 1, msg: /rnn-train: error: \/nonexistent\/reviews\.tsv: no such file or directory/ },
    // 60,000 units: a 60000×240000 recurrent kernel cannot be allocated.
    { args: ['--task', 'sentiment', '--hidden', '60000', '--pretrained', 'none', '--epochs', '1', '--out', tmp(), '--backend', 'wasm'], code: 1, msg: /^rnn-train: error: out of memory \(.*\); the configuration is too large for this machine: try a smaller --hidden/m },
  ];
  for (const b of bad) {
    const r = run(TRAIN, b.args);
    expect([b.args.join(' '), r.code]).toEqual([b.args.join(' '), b.code]);
    expect(r.err).toMatch(b.msg);
    expect(r.err).not.toMatch(/\n\s+at /);
  }
  const d = tmp();
  fs.writeFileSync(path.join(d, 'train.tsv'), 'label\ttext\npos\tgood\nneg\tbad\textra column\n');
  const ragged = run(TRAIN, ['--task', 'sentiment', '--data', d, '--backend', 'cpu']);
  expect(ragged.code).toBe(1);
  expect(ragged.err.trim()).toBe(`rnn-train: error: ${path.join(d, 'train.tsv')}:3: expected 2 tab-separated columns like line 1, found 3`);
  const p = run(PREDICT, ['--model', d, 'text']);
  expect(p.code).toBe(1);
  expect(p.err).toMatch(/not a checkpoint written by rnn-train/);
  expect(run(TRAIN, ['--help']).code).toBe(0);
});

test('Ctrl-C finishes the step, saves a checkpoint and exits 130; --resume continues', async () => {
  const out = tmp();
  const data = smallData();
  const { code, stdout } = await interruptAfterFirstEpoch([TRAIN, '--task', 'sentiment', '--data', data, '--epochs', '50', '--out', out, '--json', ...SMALL], root);
  expect(code).toBe(130);
  const last = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(last).toMatchObject({ event: 'summary', interrupted: true, model: path.join(out, 'last') });
  const state = JSON.parse(fs.readFileSync(path.join(out, 'last', 'training.json'), 'utf8'));
  expect(state.globalStep).toBeGreaterThan(0);
  const r = run(TRAIN, ['--task', 'sentiment', '--data', data, '--epochs', String(state.epoch + 1), '--out', out, '--resume', path.join(out, 'last'), '--json', ...SMALL]);
  expect(r.code).toBe(0);
  const epochs = r.lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'epoch');
  expect(epochs[0].epoch).toBe(state.epoch + 1);
});
