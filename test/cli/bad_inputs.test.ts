/**
 * Issue 24's classes of user mistakes, over the real CLIs (dist/cli via bin/): each
 * gives exactly one `rnn-X: error: ...` line, the right exit code (2 usage, 1 data),
 * with --json a final error event on stdout, and happens before any training (no
 * checkpoint directory appears, and it is quick). Checkpoints of the other tasks are
 * written directly with saveCheckpoint (the checks run before a task loads them);
 * one real sentiment model (one tiny epoch) serves the predict cases.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { saveCheckpoint, TrainingState } from '../../src/train/checkpoint';
import { useBackend } from '../helpers/backends';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const bin = (name: string): string => path.join(root, 'bin', `${name}.js`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bad-'));
const aFile = path.join(tmp, 'a-file');
fs.writeFileSync(aFile, 'x\n');

interface Run { code: number | null; out: string; err: string; ms: number }
function run(name: string, args: string[], stdin?: Buffer, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [bin(name), ...args], { cwd: tmp, env: { ...process.env, RNN_BACKEND: 'cpu', ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err, ms: Date.now() - t0 }));
    p.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

const state: TrainingState = {
  epoch: 1, step: 0, globalStep: 2, seed: 1, metric: null, mode: 'min', best: null, bestEpoch: -1, bestDev: {}, bad: 0,
  referenceLoss: 1, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 } as TrainingState['schedule'], history: [],
};
const TASKS = ['sentiment', 'pos', 'charlm', 'translate', 'timeseries', 'word2vec', 'nextframe', 'caption'];
const fake = (task: string): string => path.join(tmp, `ckpt-${task}`);
let model = '';

beforeAll(async () => {
  await useBackend('cpu');
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  for (const task of TASKS) await saveCheckpoint(fake(task), { model: m, optimizer: null, training: state, artifacts: { task, config: { hidden: 8, cell: 'lstm' } }, config: {} });
  // one real (tiny) sentiment model for the predict cases
  const data = sentimentSlice(40, 10, 10);
  const r = await run('rnn-train', ['--task', 'sentiment', '--data', data, '--epochs', '1', '--hidden', '4', '--embedding-dim', '4', '--out', path.join(tmp, 'run'), '--json', '--backend', 'cpu']);
  if (r.code !== 0) throw new Error(r.err);
  model = path.join(tmp, 'run', 'best');
  // and a tiny next-frame model (its rnn-predict writes files)
  const nf = await run('rnn-train', ['--task', 'nextframe', '--frame-size', '8', '--filters', '4', '--input-frames', '3', '--output-frames', '2', '--train-sequences', '8', '--dev-sequences', '4', '--test-sequences', '4', '--batch-size', '4', '--epochs', '1', '--out', path.join(tmp, 'nf'), '--json', '--backend', 'cpu']);
  if (nf.code !== 0) throw new Error(nf.err);
  fs.cpSync(model, path.join(tmp, 'nan'), { recursive: true });
  const mj = JSON.parse(fs.readFileSync(path.join(tmp, 'nan', 'model.json'), 'utf8'));
  delete mj.weightsIntegrity; // as from another tool: the finite check alone must catch it
  fs.writeFileSync(path.join(tmp, 'nan', 'model.json'), JSON.stringify(mj));
  const size = fs.statSync(path.join(tmp, 'nan', 'weights.bin')).size;
  fs.writeFileSync(path.join(tmp, 'nan', 'weights.bin'), Buffer.from(new Float32Array(size / 4).fill(NaN).buffer));
  fs.cpSync(model, path.join(tmp, 'trunc'), { recursive: true });
  fs.truncateSync(path.join(tmp, 'trunc', 'weights.bin'), size - 8);
  fs.cpSync(model, path.join(tmp, 'novocab'), { recursive: true });
  const a = JSON.parse(fs.readFileSync(path.join(tmp, 'novocab', 'artifacts.json'), 'utf8'));
  delete a.vocabulary;
  fs.writeFileSync(path.join(tmp, 'novocab', 'artifacts.json'), JSON.stringify(a));
  fs.cpSync(model, path.join(tmp, 'onelabel'), { recursive: true });
  const b = JSON.parse(fs.readFileSync(path.join(tmp, 'onelabel', 'artifacts.json'), 'utf8'));
  b.labels.pop(); // artifacts from another run: one label for a two-unit output layer
  fs.writeFileSync(path.join(tmp, 'onelabel', 'artifacts.json'), JSON.stringify(b));
  fs.cpSync(model, path.join(tmp, 'noweights'), { recursive: true });
  fs.rmSync(path.join(tmp, 'noweights', 'weights.bin'));
  fs.writeFileSync(path.join(tmp, 'latin1.csv'), Buffer.from('date,temp\xe9rature\n2020-01-01,3\n2020-01-02,4\n', 'latin1'));
  fs.writeFileSync(path.join(tmp, 'nul.txt'), Buffer.alloc(4096));
  fs.writeFileSync(path.join(tmp, 'latin1.txt'), Buffer.from('a good line\ncaf\xe9 au lait\n', 'latin1'));
}, 120000);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Case { name: string; bin: string; args: () => string[]; code: number; msg: () => RegExp; stdin?: Buffer; env?: Record<string, string>; json?: boolean }
const cases: Case[] = [
  { name: '--out is a file', bin: 'rnn-train', args: () => ['--task', 'sentiment', '--out', aFile], code: 2, msg: () => /--out .*a-file: is a file, not a directory/ },
  { name: '--out under /proc', bin: 'rnn-train', args: () => ['--task', 'charlm', '--out', '/proc/rnnkit/run'], code: 2, msg: () => /--out \/proc\/rnnkit\/run: is on the \/proc pseudo-filesystem/ },
  { name: '--report under a file', bin: 'rnn-train', args: () => ['--task', 'pos', '--report', path.join(aFile, 'r.html')], code: 2, msg: () => /--report .*a-file is a file, not a directory/ },
  { name: '--report .txt', bin: 'rnn-train', args: () => ['--task', 'timeseries', '--report', 'r.txt'], code: 2, msg: () => /--report r\.txt: the report is written as \.html or \.htm, not \.txt/ },
  ...TASKS.map((task, i): Case => {
    const other = TASKS[(i + 1) % TASKS.length];
    return { name: `resume ${task} from a ${other} checkpoint`, bin: 'rnn-train', args: () => ['--task', task, '--resume', fake(other)], code: 2, msg: () => new RegExp(`this checkpoint is for task '${other}', not ${task}`) };
  }),
  { name: '--hidden changed on resume', bin: 'rnn-train', args: () => ['--task', 'sentiment', '--resume', fake('sentiment'), '--hidden', '16'], code: 2, msg: () => /--hidden 16 does not match the checkpoint .*, trained with --hidden 8/ },
  { name: 'resume from a truncated weights.bin', bin: 'rnn-train', args: () => ['--task', 'sentiment', '--resume', path.join(tmp, 'trunc')], code: 1, msg: () => /--resume .*trunc\/weights\.bin: \d+ bytes, but model\.json was written with \d+/ },
  { name: 'predict: truncated weights.bin', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'trunc'), 'good film'], code: 1, msg: () => /trunc\/weights\.bin: \d+ bytes, but model\.json was written with \d+ \(a truncated or damaged file\)/ },
  { name: 'predict: missing weights.bin', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'noweights'), 'good film'], code: 1, msg: () => /noweights\/weights\.bin: weights file named in .* is missing/ },
  { name: 'predict: NaN weights', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'nan'), 'good film'], code: 1, msg: () => /nan\/weights\.bin: weight '.*' holds NaN/ },
  { name: 'predict: artifacts without vocabulary', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'novocab'), 'good film'], code: 1, msg: () => /novocab\/artifacts\.json: no 'vocabulary'/ },
  { name: 'predict: non-UTF-8 stdin', bin: 'rnn-predict', args: () => ['--model', model], stdin: Buffer.from('fine\nd\xe9j\xe0 vu\n', 'latin1'), code: 1, msg: () => /<stdin>:2: not valid UTF-8 text/ },
  { name: 'latin-1 CSV header', bin: 'rnn-train', args: () => ['--task', 'timeseries', '--data', path.join(tmp, 'latin1.csv')], code: 1, msg: () => /latin1\.csv:1: not valid UTF-8 text \(byte 0xe9/ },
  { name: '--period longer than half the training part', bin: 'rnn-train', args: () => ['--task', 'timeseries', '--period', '5000'], code: 2, msg: () => /--period 5000: the training part of .* has \d+ rows, fewer than two seasons/ },
  { name: 'ELF binary as data', bin: 'rnn-train', args: () => ['--task', 'timeseries', '--data', process.execPath], code: 1, msg: () => new RegExp(`${esc(process.execPath)}:1: not text: the data is an ELF executable`) },
  { name: 'latin-1 word2vec corpus (streamed reader)', bin: 'rnn-train', args: () => ['--task', 'word2vec', '--data', path.join(tmp, 'latin1.txt')], code: 1, msg: () => /latin1\.txt:2: not valid UTF-8 text \(byte 0xe9 at column 4\)/ },
  { name: 'NUL-byte text file', bin: 'rnn-train', args: () => ['--task', 'charlm', '--data', path.join(tmp, 'nul.txt')], code: 1, msg: () => /nul\.txt:1: binary data \(a NUL byte at column 1\), not text/ },
  { name: 'export --out is a directory', bin: 'rnn-export', args: () => ['--model', model, '--out', fs.mkdirSync(path.join(tmp, 'm.onnx'), { recursive: true }) ?? path.join(tmp, 'm.onnx')], code: 2, msg: () => /--out .*m\.onnx: is a directory; give a file name/ },
  { name: 'diagnose --out under a file', bin: 'rnn-diagnose', args: () => ['gradients', '--out', path.join(aFile, 'f.svg')], code: 2, msg: () => /--out .*a-file is a file, not a directory/ },
  { name: 'RNN_BACKEND=bogus is usage, like --backend bogus', bin: 'rnn-predict', args: () => ['--model', model, 'good film'], env: { RNN_BACKEND: 'bogus' }, code: 2, msg: () => /unknown backend 'bogus': expected one of/ },
  { name: 'commander usage error prefixed', bin: 'rnn-predict', args: () => ['--model', model, '--bogus'], code: 2, msg: () => /^rnn-predict: error: unknown option '--bogus'/ },
  { name: 'predict: artifacts from another run (labels vs output layer)', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'onelabel'), 'good film'], code: 1, msg: () => /onelabel\/artifacts\.json: the label list has 1 entries but the model's output layer has 2: the artifacts and weights are from different runs/ },
  { name: 'generate with a sentiment model', bin: 'rnn-generate', args: () => ['--model', model, '--prime', 'a', '-n', '5'], code: 1, msg: () => /artifacts\.json: a 'sentiment' model, not a language model \(use rnn-predict/ },
  { name: 'RNNKIT_TASKS names a missing module', bin: 'rnn-train', args: () => ['--task', 'sentiment'], env: { RNNKIT_TASKS: path.join(tmp, 'missing.js') }, code: 2, msg: () => /^rnn-train: error: RNNKIT_TASKS: .*missing\.js: no such module$/ },
  { name: 'nextframe predict: --output is a file, before reading inputs', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'nf', 'best'), '--output', aFile], code: 2, msg: () => /--output .*a-file: is a file, not a directory/ },
  { name: 'nextframe predict: --npy under a file', bin: 'rnn-predict', args: () => ['--model', path.join(tmp, 'nf', 'best'), '--npy', path.join(aFile, 'p.npy')], code: 2, msg: () => /--npy .*a-file is a file, not a directory/ },
  { name: 'diagnose without a diagnostic', bin: 'rnn-diagnose', args: () => [], json: false, code: 2, msg: () => /^rnn-diagnose: error: which diagnostic\? \(known: gradients; see rnn-diagnose --help\)$/ },
  { name: 'diagnose: unknown diagnostic', bin: 'rnn-diagnose', args: () => ['bogus'], json: false, code: 2, msg: () => /^rnn-diagnose: error: unknown diagnostic 'bogus' \(known: gradients; see rnn-diagnose --help\)$/ },
  { name: 'diagnose: option value, program prefix', bin: 'rnn-diagnose', args: () => ['gradients', '--length', 'abc'], code: 2, msg: () => /^rnn-diagnose: error: option '--length <T>' argument 'abc' is invalid/ },
];

test.each(cases)('$name: one line, exit $code, before any work', async (c) => {
  const runs = path.join(tmp, 'runs-' + c.name.replace(/\W+/g, '-'));
  const json = c.json ?? c.bin !== 'rnn-export'; // rnn-export has no --json
  const args = [...c.args(), ...(c.bin === 'rnn-train' && !c.args().includes('--out') ? ['--out', runs] : []), ...(json ? ['--json'] : [])];
  const r = await run(c.bin, args, c.stdin, c.env);
  const lines = r.err.trim().split('\n').filter((l) => !/: backend /.test(l));
  expect(lines).toEqual([expect.stringMatching(c.msg())]);
  expect(lines[0]).toMatch(new RegExp(`^${c.bin}: error: `));
  expect(r.code).toBe(c.code);
  if (json) {
    const last = JSON.parse(r.out.trim().split('\n').pop() as string);
    expect(last).toEqual({ event: 'error', message: lines[0].replace(/^rnn-[a-z]+: error: /, ''), exitCode: c.code });
  }
  expect(fs.existsSync(runs)).toBe(false); // nothing trained, nothing written
  expect(r.ms).toBeLessThan(15000);
});
