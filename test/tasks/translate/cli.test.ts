/**
 * rnn-train --task translate and rnn-predict as child processes (the built dist/)
 * on a tiny parallel set: JSON summary with bleu/perplexity, the checkpoint's task,
 * one translation per input line, rnn-export of the decoding graph and
 * rnn-predict --engine onnxruntime, and one-line data errors.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnxRuntimeAvailable } from '../../../src/onnx';

const root = path.resolve(__dirname, '..', '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const PREDICT = path.join(root, 'bin', 'rnn-predict.js');
const EXPORT = path.join(root, 'bin', 'rnn-export.js');
const SMALL = ['--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--backend', 'wasm', '--min-freq', '1', '--beam-size', '2'];

function run(bin: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

let tmp: string;
let data: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-translate-cli-'));
  data = path.join(tmp, 'data');
  fs.mkdirSync(data);
  // The bundled dates data, cut down, as parallel files.
  const lines = fs.readFileSync(path.join(root, 'data', 'translate', 'train.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const write = (split: string, rows: string[][]): void => {
    fs.writeFileSync(path.join(data, `${split}.words`), rows.map((r) => r[0]).join('\n') + '\n');
    fs.writeFileSync(path.join(data, `${split}.iso`), rows.map((r) => r[1]).join('\n') + '\n');
  };
  write('train', lines.slice(0, 120));
  write('dev', lines.slice(120, 140));
  write('test', lines.slice(140, 160));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('train on a tiny parallel set with --json, then rnn-predict from arguments and stdin', () => {
  const out = path.join(tmp, 'run');
  const r = run(TRAIN, ['--task', 'translate', '--data', data, '--source', 'words', '--target', 'iso', '--epochs', '2', '--out', out, '--json', ...SMALL]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const events = r.lines.map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ event: 'start', task: 'translate' });
  expect(events.filter((e) => e.event === 'epoch')).toHaveLength(2);
  const summary = events[events.length - 1];
  expect(summary).toMatchObject({ event: 'summary', task: 'translate', model: path.join(out, 'best') });
  for (const split of ['dev', 'test']) {
    expect(summary.metrics[split].bleu).toBeGreaterThanOrEqual(0);
    expect(summary.metrics[split].perplexity).toBeGreaterThan(1);
  }
  expect(JSON.parse(fs.readFileSync(path.join(out, 'best', 'artifacts.json'), 'utf8')).task).toBe('translate');

  const p = run(PREDICT, ['--model', path.join(out, 'best'), 'the first of may, nineteen eighty-two', 'june 3, 1999']);
  expect(p.code).toBe(0);
  expect(p.lines).toHaveLength(2);
  const s = run(PREDICT, ['--model', path.join(out, 'best'), '--json', '--beam-size', '1'], 'may 5, 2001\n\nmarch 2, 1950\n');
  expect(s.code).toBe(0);
  expect(s.lines.map((l) => JSON.parse(l).source)).toEqual(['may 5, 2001', 'march 2, 1950']);
});

const ortTest = onnxRuntimeAvailable() ? test : test.skip;

ortTest('rnn-export --verify writes the decoding graph; rnn-predict --engine onnxruntime translates as tfjs does, greedily and with beams', () => {
  const best = path.join(tmp, 'run', 'best');
  expect(fs.existsSync(path.join(best, 'model.json'))).toBe(true); // from the test above
  const file = path.join(tmp, 'translator.onnx');
  const e = run(EXPORT, ['--model', best, '--out', file, '--verify', '--backend', 'wasm']);
  expect(e.code).toBe(0);
  expect(e.out).toMatch(/^wrote .*translator\.onnx \([\d.]+ KB, ONNX opset 14, translate graph\): source_ids \[\?, \?\] -> tokens \[\?, \?\], lengths \[\?\], log_prob \[\?\]/);
  expect(e.err).toMatch(/rnn-export: translate: greedy translation in one graph .*\(--graph model for the checkpoint's tf\.LayersModel\)/);
  expect(e.out).toMatch(/verified in onnxruntime-node: greedy translations of 3 sample sources identical to tfjs/);
  const m = run(EXPORT, ['--model', best, '--out', path.join(tmp, 'forced.onnx'), '--graph', 'model', '--backend', 'wasm']);
  expect(m.code).toBe(0);
  expect(m.out).toMatch(/source_ids int32 \[\?, \?\], target_ids int32 \[\?, \?\] -> \[\?, \?, \d+\]/);

  const input = 'may 5, 2001\nmarch 2, 1950\nthe first of june, two thousand\n';
  // Greedy (--beam-size 1), the model's default beam (2) and 3 beams: the beams run in the graph.
  for (const beam of [['--beam-size', '1'], [], ['--beam-size', '3']]) {
    const tfjs = run(PREDICT, ['--model', best, '--json', ...beam, '--backend', 'wasm'], input);
    const ort = run(PREDICT, ['--model', best, '--json', '--engine', 'onnxruntime', ...beam, '--backend', 'wasm'], input);
    expect(ort.code).toBe(0);
    expect(ort.err).toMatch(/engine onnxruntime/);
    expect(ort.err).not.toMatch(/runs on tfjs/);
    const a = tfjs.lines.map((l) => JSON.parse(l));
    const b = ort.lines.map((l) => JSON.parse(l));
    expect(b).toHaveLength(3);
    expect(b.map((x) => x.translation)).toEqual(a.map((x) => x.translation));
    b.forEach((x, i) => expect(Math.abs(x.logProb - a[i].logProb)).toBeLessThan(1e-3));
  }
});

test('data errors are one line naming the file', () => {
  const r = run(TRAIN, ['--task', 'translate', '--data', data, '--epochs', '1', '--out', path.join(tmp, 'x'), ...SMALL]);
  expect(r.code).toBe(1);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/choose the languages with --source and --target/);
  const bad = path.join(tmp, 'bad.tsv');
  fs.writeFileSync(bad, 'one\tuno\ntwo dos\n');
  const b = run(TRAIN, ['--task', 'translate', '--data', bad, '--epochs', '1', '--out', path.join(tmp, 'y'), ...SMALL]);
  expect(b.code).toBe(1);
  expect(b.err).toMatch(/bad\.tsv:2: expected 'source<TAB>target'/);
});
