/**
 * The sentiment task with data-parallel workers (--workers 2): the same weights
 * as one worker within float32 rounding on a tiny three-class set with sentences
 * of different lengths (shards keep the batch's padding; masks hide it).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../../src/io/fs_handler';
import { trainSentiment } from '../../../tasks/sentiment';
import { task } from '../../../tasks/sentiment';
import { toleranceRatio, useBackend } from '../../helpers/backends';
import { interruptAfterFirstEpoch } from '../../helpers/interrupt';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-sentiment-workers-'));

beforeAll(async () => useBackend('wasm'));

test('2 workers train the sentiment model to the weights of 1 (bidirectional, mean pooling, variable lengths)', async () => {
  const d = tmp();
  const words: Record<string, string[]> = { pos: ['great', 'lovely', 'superb'], neg: ['awful', 'dull', 'bad'], neu: ['released', 'on', 'tuesday'] };
  const rows: string[] = ['text,mood'];
  for (let i = 0; i < 30; i++) {
    for (const [label, ws] of Object.entries(words)) rows.push(`"the film${' really'.repeat(i % 4)}, ${ws[i % 3]} ${ws[(i + 1) % 3]}",${label}`);
  }
  fs.writeFileSync(path.join(d, 'reviews.csv'), rows.join('\n'));
  const base = {
    data: path.join(d, 'reviews.csv'), hidden: 8, embeddingDim: 8, bidirectional: true, pooling: 'mean' as const,
    pretrained: 'none' as const, lexicon: 'none' as const, dropout: 0, wordDropout: 0, ema: 0,
    epochs: 2, patience: 0, lr: 1e-2, batchSize: 12, seed: 3,
  };
  const weights = async (out: string): Promise<number[]> => {
    const m = await loadModel(path.join(out, 'last'));
    const w = m.getWeights().flatMap((t) => Array.from(t.dataSync()));
    m.dispose();
    return w;
  };
  const one = tmp();
  const n0 = tf.memory().numTensors;
  const r1 = await trainSentiment({ ...base, out: one });
  const n1 = tf.memory().numTensors;
  const two = tmp();
  const r2 = await trainSentiment({ ...base, out: two, workers: 2 });
  // workers add no tensors on the main thread (whatever a run keeps, e.g. tfjs' cached scalars, it keeps with 1 worker too)
  expect(tf.memory().numTensors - n1).toBeLessThanOrEqual(n1 - n0);
  expect(r2.training.globalStep).toBe(r1.training.globalStep);
  expect(toleranceRatio(await weights(two), await weights(one), 1e-5, 1e-4)).toBeLessThanOrEqual(1);
  expect(r2.dev.accuracy).toBeCloseTo(r1.dev.accuracy, 5);
  expect(JSON.parse(fs.readFileSync(path.join(two, 'last', 'config.json'), 'utf8')).training.workers).toBe(2);
  // the task's option list offers it through the common options (the CLI's --workers)
  expect(task.defaults.workers).toBe('auto'); // the common default (src/train/common.ts); a 24-step run like this one still uses 1 thread
});

test('rnn-train --task sentiment --workers 2 (the built CLI: compiled worker script, no TypeScript), and a task without a replica refuses it', () => {
  const d = tmp();
  const src = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(d, 'train.tsv'), src.slice(0, 121).join('\n'));
  fs.writeFileSync(path.join(d, 'dev.tsv'), [src[0], ...src.slice(121, 161)].join('\n'));
  const out = tmp();
  const env = { ...process.env, RNNKIT_TASKS: path.join(__dirname, '..', '..', 'fixtures', 'fake_task.js') }; // a plug-in task without a replica
  const cli = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'rnn-train.js'), ...args], { cwd: root, env, encoding: 'utf8', timeout: 120000 });
  const r = cli(['--task', 'sentiment', '--data', d, '--epochs', '1', '--out', out, '--json', '--workers', '2', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--backend', 'wasm', '--pretrained', 'none']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  expect(summary.metrics.dev.accuracy).toBeGreaterThanOrEqual(0);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'last', 'config.json'), 'utf8')).training.workers).toBe(2);
  const bad = cli(['--task', 'sentiment', '--data', d, '--epochs', '1', '--out', tmp(), '--workers', '0']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/workers/);
  const unsupported = cli(['--task', 'fakesum', '--epochs', '1', '--out', tmp(), '--workers', '2']);
  expect(unsupported.stderr.trim()).toBe("rnn-train: error: workers 2: task 'fakesum' does not support data-parallel training (it needs TrainSpec.replica and TrainSpec.shard); use workers 1");
  expect(unsupported.status).toBe(2);
});

test('Ctrl-C during a 2-worker CLI run saves OUT/last and exits 130; --resume with 2 workers continues', async () => {
  const d = tmp();
  const src = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(d, 'train.tsv'), src.slice(0, 121).join('\n'));
  fs.writeFileSync(path.join(d, 'dev.tsv'), [src[0], ...src.slice(121, 161)].join('\n'));
  const out = tmp();
  const args = ['--data', d, '--out', out, '--json', '--workers', '2', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--backend', 'wasm', '--pretrained', 'none'];
  const { code } = await interruptAfterFirstEpoch([path.join(root, 'bin', 'rnn-train.js'), '--task', 'sentiment', '--epochs', '50', ...args], root);
  expect(code).toBe(130);
  const state = JSON.parse(fs.readFileSync(path.join(out, 'last', 'training.json'), 'utf8'));
  expect(state.globalStep).toBeGreaterThan(0);
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rnn-train.js'), '--task', 'sentiment', '--epochs', String(state.epoch + 1), '--resume', path.join(out, 'last'), ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const epochs = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'epoch');
  expect(epochs[0].epoch).toBe(state.epoch + 1);
});
