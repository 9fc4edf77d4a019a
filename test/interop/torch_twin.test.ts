/**
 * The PyTorch twin (rnn-export --format torch, python/torch_twin/), rnn-import
 * --torch and rnn-train --init-from, on tiny sentiment and POS runs:
 * - the twin's forward equals the tfjs model's on a dev batch within 1e-5
 *   (sentiment: bidirectional LSTM + max pooling, 2-layer GRU + last state,
 *   RNN + mean pooling; POS: word + character BiLSTM tagger);
 * - `torchrun --nproc_per_node 2` (CPU, gloo) trains the sentiment twin a few steps;
 *   rnn-import brings the weights back and rnn-predict labels texts as PyTorch does;
 *   the POS twin trains single-process and the imported tagger tags dev as PyTorch;
 * - --init-from loads a state dict before training; missing and misshapen tensors
 *   are one-line errors naming the PyTorch tensor and the model weight.
 * The PyTorch parts skip, saying why, when /usr/bin/python3 cannot import torch.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../../layers';
import { main as exportMain } from '../../cli/export';
import { main as importMain } from '../../cli/import';
import { main as predictMain } from '../../cli/predict';
import { main as trainMain } from '../../cli/train';
import { reportError } from '../../cli/run';
import { loadModel, saveModel } from '../../src/io/fs_handler';
import { readSafetensors, writeSafetensors } from '../../src/interop/safetensors';
import { compareTwin, pythonEnv, runTwinPython, torchUnavailable } from '../../src/interop/torch_twin';
import { Vocabulary } from '../../src/data/vocabulary';
import { modelStateDict } from '../../src/interop/torch_state_dict';
import { task as sentimentTask } from '../../tasks/sentiment';
import { task as posTask } from '../../tasks/pos';
import { encodeText } from '../../tasks/sentiment/data';
import { loadTaggedSplits } from '../../tasks/pos/data';
import { PosTagger } from '../../tasks/pos/predict';
import { predictTagIds } from '../../tasks/pos/train';
import { sentimentSlice } from '../helpers/sentiment_data';

const PYTHON = '/usr/bin/python3';
process.env.RNNKIT_PYTHON = PYTHON;
const noTorch = torchUnavailable(PYTHON);
if (noTorch) console.warn(`skipping the PyTorch twin tests: ${noTorch}`);
const withTorch = noTorch ? test.skip : test;

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-twin-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a CLI main with stdout and stderr captured. */
async function run(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const w = process.stdout.write;
  const e = process.stderr.write;
  let out = '';
  let err = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } catch (x) {
    code = reportError('rnn-cli', x); // what runMain does: one line on stderr, the error's exit code
  } finally {
    process.stdout.write = w;
    process.stderr.write = e;
  }
  return { code, out, err };
}

/** A directory with the first sentences of the bundled POS data as train/dev/test .tsv. */
function posSlice(train: number, dev: number, test: number): string {
  const d = path.join(tmp, 'pos-data');
  fs.mkdirSync(d);
  const sentences = fs.readFileSync(path.join(root, 'data', 'pos', 'train.tsv'), 'utf8').split(/\n\s*\n/).filter((s) => s.trim());
  const write = (name: string, from: number, n: number): void => fs.writeFileSync(path.join(d, name), `${sentences.slice(from, from + n).join('\n\n')}\n`);
  write('train.tsv', 0, train);
  write('dev.tsv', train, dev);
  write('test.tsv', train + dev, test);
  return d;
}

const SENTIMENT = { epochs: 1, hidden: 6, embeddingDim: 10, pretrained: 'none', batchSize: 16, ema: 0, workers: 1 };
const VARIANTS: Record<string, Record<string, unknown>> = {
  bilstm_max: {},
  gru2_last: { cell: 'gru', layers: 2, bidirectional: false, pooling: 'last' },
  rnn_mean: { cell: 'rnn', pooling: 'mean' },
};
const runs: Record<string, string> = {};
let sentimentData = '';
let posData = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  sentimentData = sentimentSlice(96, 24, 24);
  for (const [name, v] of Object.entries(VARIANTS)) {
    const r = await sentimentTask.train({ ...SENTIMENT, ...v, data: sentimentData, out: path.join(tmp, name) } as never);
    runs[name] = r.modelDir;
  }
  posData = posSlice(40, 12, 8);
  const r = await posTask.train({ data: posData, epochs: 1, hidden: 6, layers: 2, wordDim: 8, charDim: 5, charHidden: 4, pretrained: 'none', batchSize: 8, workers: 1, out: path.join(tmp, 'pos') } as never);
  runs.pos = r.modelDir;
}, 120000);

withTorch.each(Object.keys(VARIANTS))('sentiment %s: the twin forward equals the tfjs model within 1e-5', async (name) => {
  const twin = path.join(tmp, `twin-${name}`);
  const r = await run(exportMain, ['--model', runs[name], '--format', 'torch', '--out', twin, '--verify', '--backend', 'cpu']);
  expect(r.err).not.toMatch(/error/);
  expect(r.code).toBe(0);
  const worst = Number(/verified in PyTorch: max \|torch - tfjs\| = (\S+) on a dev batch \(outputs \[4, 2\]\)/.exec(r.out)?.[1]);
  expect(worst).toBeLessThan(1e-5);
  for (const f of ['models.py', 'data.py', 'train.py', 'forward.py', 'safetensors_io.py', 'twin.json', 'model.safetensors', 'data/train.json', 'data/dev.json', 'checkpoint/model.json', 'checkpoint/artifacts.json']) {
    expect(fs.existsSync(path.join(twin, f))).toBe(true);
  }
});

withTorch('pos: the twin forward (words + character BiLSTM) equals the tfjs tagger within 1e-5', async () => {
  const twin = path.join(tmp, 'twin-pos');
  const r = await run(exportMain, ['--model', runs.pos, '--format', 'torch', '--out', twin, '--verify', '--backend', 'cpu']);
  expect(r.code).toBe(0);
  const worst = Number(/verified in PyTorch: max \|torch - tfjs\| = (\S+) on a dev batch \(outputs \[4, \d+, \d+\]\)/.exec(r.out)?.[1]);
  expect(worst).toBeLessThan(1e-5);
});

withTorch('torchrun --nproc_per_node 2 (gloo) trains the sentiment twin; imported weights predict what PyTorch predicts', async () => {
  const twin = path.join(tmp, 'twin-bilstm_max');
  if (!fs.existsSync(path.join(twin, 'twin.json'))) await run(exportMain, ['--model', runs.bilstm_max, '--format', 'torch', '--out', twin, '--backend', 'cpu']);
  const t = spawnSync(PYTHON, ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--redirects', '2', '--tee', '2', path.join(twin, 'train.py'), '--max-steps', '3', '--epochs', '1'], {
    env: { ...pythonEnv(), OMP_NUM_THREADS: '1' }, encoding: 'utf8', timeout: 90000,
  });
  if (t.status !== 0) throw new Error(`torchrun exit ${t.status}: ${t.stderr.slice(-3000)}`);
  const lines = t.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines.find((l) => l.event === 'summary')!;
  expect(lines.find((l) => l.event === 'start')).toMatchObject({ world_size: 2, backend: 'gloo' });
  expect(summary).toMatchObject({ steps: 3, world_size: 2 });
  const before = readSafetensors(fs.readFileSync(path.join(twin, 'model.safetensors'))).tensors;
  const after = readSafetensors(fs.readFileSync(path.join(twin, 'trained.safetensors'))).tensors;
  expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  expect(after['classifier.weight'].data).not.toEqual(before['classifier.weight'].data);

  const out = path.join(tmp, 'imported-sentiment');
  const imp = await run(importMain, ['--torch', twin, '--out', out, '--verify', '--backend', 'cpu']);
  expect(imp.err).toBe('rnn-import: backend cpu\n');
  expect(imp.code).toBe(0);
  expect(imp.out).toMatch(/trained 3 steps on 2 processes/);
  expect(Number(/verified in PyTorch: max \|torch - tfjs\| = (\S+)/.exec(imp.out)?.[1])).toBeLessThan(1e-5);

  // rnn-predict with the imported checkpoint vs the twin's forward on the same texts.
  const texts = ['the film that is on tv tonight was so tedious', 'a truly good movie', 'not bad at all', 'boring and long'];
  const p = await run(predictMain, ['--model', out, '--json', '--backend', 'cpu', ...texts]);
  expect(p.code).toBe(0);
  const predicted = p.out.trim().split('\n').map((l) => (JSON.parse(l) as { label: string }).label);
  const a = JSON.parse(fs.readFileSync(path.join(out, 'artifacts.json'), 'utf8')) as { vocabulary: string[]; labels: string[]; config: { maxLen: number } };
  const vocab = Vocabulary.fromJSON(a.vocabulary);
  const seqs = texts.map((x) => encodeText(vocab, x, a.config.maxLen));
  const T = Math.max(...seqs.map((s) => s.length));
  const batch = path.join(tmp, 'texts.json');
  fs.writeFileSync(batch, JSON.stringify({ token_ids: seqs.map((s) => [...s, ...new Array<number>(T - s.length).fill(0)]) }));
  const logits = runTwinPython(twin, ['--inputs', batch, '--weights', path.join(twin, 'trained.safetensors')]).logits as number[][];
  expect(predicted).toEqual(logits.map((row) => a.labels[row.indexOf(Math.max(...row))]));
}, 120000);

withTorch('pos: train.py single-process, rnn-import, and the imported tagger tags dev as PyTorch does', async () => {
  const twin = path.join(tmp, 'twin-pos');
  if (!fs.existsSync(path.join(twin, 'twin.json'))) await run(exportMain, ['--model', runs.pos, '--format', 'torch', '--out', twin, '--backend', 'cpu']);
  const t = spawnSync(PYTHON, [path.join(twin, 'train.py'), '--max-steps', '4'], { env: pythonEnv(), encoding: 'utf8', timeout: 60000 });
  expect(t.status).toBe(0);
  expect(t.stdout).toMatch(/"event": "summary"/);
  const out = path.join(tmp, 'imported-pos');
  const imp = await run(importMain, ['--torch', twin, '--out', out, '--backend', 'cpu']);
  expect(imp.code).toBe(0);
  const torchTags = runTwinPython(twin, ['--split', 'dev', '--weights', path.join(twin, 'trained.safetensors')]).predictions as number[][];
  const tagger = await PosTagger.load(out);
  const dev = loadTaggedSplits(posData, 'auto', 'upos', 1).dev;
  const ours = predictTagIds(tagger.model, tagger.encoders, tagger.artifacts.withChars, dev, 8);
  tagger.dispose();
  expect(ours).toEqual(torchTags);
  expect((await compareTwin(twin, path.join(twin, 'trained.safetensors'))).worst).toBeLessThan(1e-5);
}, 90000);

test('--format torch refuses a task without a twin, naming the tasks that have one', async () => {
  const dir = path.join(tmp, 'fake-ckpt');
  fs.mkdirSync(dir);
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  await saveModel(model, dir);
  fs.writeFileSync(path.join(dir, 'artifacts.json'), JSON.stringify({ task: 'timeseries' }));
  fs.writeFileSync(path.join(dir, 'training.json'), '{}');
  const r = await run(exportMain, ['--model', dir, '--format', 'torch', '--out', path.join(tmp, 'no-twin'), '--backend', 'cpu']);
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/--format torch needs a checkpoint of a task with a PyTorch twin \(sentiment, pos\); this one is for task 'timeseries'/);
});

test('rnn-train --init-from: a state dict round trip, and missing / misshapen tensors named', async () => {
  const file = path.join(tmp, 'init.safetensors');
  const e = await run(exportMain, ['--model', runs.bilstm_max, '--format', 'safetensors', '--out', file, '--backend', 'cpu']);
  expect(e.code).toBe(0);
  // Round trip: a run that starts from the file (lr 1e-8: the weights stay within 1e-6 of it) has its weights.
  const r = await sentimentTask.train({ ...SENTIMENT, data: sentimentData, out: path.join(tmp, 'init-run'), initFrom: file, lr: 1e-8, seed: 5 } as never);
  const model = await loadModel(path.join(tmp, 'init-run', 'last'));
  const got = modelStateDict(model);
  model.dispose();
  const want = readSafetensors(fs.readFileSync(file)).tensors;
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  let worst = 0;
  for (const [k, v] of Object.entries(want)) v.data.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - got[k].data[i]))));
  expect(worst).toBeLessThan(1e-6);
  expect(r.training.epochs).toBe(1);

  // A misshapen tensor: another hidden size.
  await expect(sentimentTask.train({ ...SENTIMENT, hidden: 7, data: sentimentData, out: path.join(tmp, 'init-bad'), initFrom: file } as never)).rejects.toThrow(
    /--init-from .*init\.safetensors: encoder: PyTorch parameter 'encoder\.weight_ih_l0' has shape \[24, 10\], expected \[28, 10\] for layer weight 'encoder\/(encoder\/)?kernel_l0' \[10, 28\]/,
  );
  // A missing tensor, through the CLI: exit 1 and one line naming both.
  const st = readSafetensors(fs.readFileSync(file));
  delete st.tensors['classifier.bias'];
  const missing = path.join(tmp, 'missing.safetensors');
  fs.writeFileSync(missing, writeSafetensors(st.tensors));
  const c = await run(trainMain, ['--task', 'sentiment', '--data', sentimentData, '--init-from', missing, '--out', path.join(tmp, 'init-missing'), '--epochs', '1', '--hidden', '6', '--embedding-dim', '10', '--pretrained', 'none', '--backend', 'cpu', '--workers', '1']);
  expect(c.code).toBe(1);
  expect(c.err).toMatch(/^rnn-cli: error: --init-from \S+missing\.safetensors: tensor 'classifier\.bias' \(for the model's weight 'classifier\/bias' \[2\]\) is missing\n$/m);
  // An unused tensor (another model's file).
  const extra = path.join(tmp, 'extra.safetensors');
  fs.writeFileSync(extra, writeSafetensors({ ...readSafetensors(fs.readFileSync(file)).tensors, 'head.weight': { shape: [1], data: [0] } }));
  await expect(sentimentTask.train({ ...SENTIMENT, data: sentimentData, out: path.join(tmp, 'init-extra'), initFrom: extra } as never)).rejects.toThrow(/tensor 'head\.weight' matches no weight of the model/);
}, 90000);

test('the npm package ships the twin templates and rnn-import', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
  for (const f of ['models.py', 'data.py', 'train.py', 'forward.py', 'safetensors_io.py']) expect(files.has(`python/torch_twin/${f}`)).toBe(true);
  expect(files.has('bin/rnn-import.js')).toBe(true);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  expect(pkg.bin['rnn-import']).toBe('bin/rnn-import.js');
});
