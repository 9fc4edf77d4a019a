/**
 * @jest-environment ./test/helpers/ort_environment.js
 */
/**
 * rnn-export as a child process (the compiled dist/): a sentiment model trained by
 * rnn-train on a tiny slice is exported with --verify (onnxruntime-node agrees with
 * tfjs on a sample batch), the file carries the checkpoint's artifacts in its
 * metadata, onnxruntime's predictions for real encoded sentences equal the tfjs
 * model's; bad input is a one-line error.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../../layers';
import { loadModel, saveModel } from '../../src/io/fs_handler';
import { onnx } from '../../src/onnx/proto';
import { onnxInputNames, onnxRuntimeAvailable, runOnnx } from '../../src/onnx';
import { expectClose, useBackend } from '../helpers/backends';
import { sentimentSlice } from '../helpers/sentiment_data';

const root = path.resolve(__dirname, '..', '..');
const TRAIN = path.join(root, 'bin', 'rnn-train.js');
const EXPORT = path.join(root, 'bin', 'rnn-export.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-onnx-'));
const ortTest = onnxRuntimeAvailable() ? test : test.skip;

function run(bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const smallData = (): string => sentimentSlice(120, 30, 30);

ortTest('train → rnn-export --verify → onnxruntime predicts what tfjs predicts', async () => {
  await useBackend('wasm');
  const out = tmp();
  const t = run(TRAIN, ['--task', 'sentiment', '--data', smallData(), '--epochs', '1', '--out', out, '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--backend', 'wasm', '--pretrained', 'none']);
  expect(t.code).toBe(0);
  const best = fs.existsSync(path.join(out, 'best', 'model.json')) ? path.join(out, 'best') : out;
  const file = path.join(tmp(), 'sentiment.onnx');
  const r = run(EXPORT, ['--model', best, '--out', file, '--verify', '--backend', 'wasm']);
  expect(r.err).toMatch(/backend wasm/);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^wrote .*sentiment\.onnx \([\d.]+ KB, ONNX opset 14\): token_ids int32 \[\?, \?\] -> \[\?, 2\]/);
  expect(r.out).toMatch(/verified in onnxruntime-node: max \|onnxruntime - tfjs\| = \S+ on a sample batch/);

  const bytes = fs.readFileSync(file);
  const meta = onnx.ModelProto.decode(bytes).metadataProps.find((p) => p.key === 'rnnkit.artifacts');
  const artifacts = JSON.parse(meta!.value!);
  expect(artifacts.task).toBe('sentiment');
  expect(artifacts).toEqual(JSON.parse(fs.readFileSync(path.join(best, 'artifacts.json'), 'utf8')));

  const model = await loadModel(best);
  const ids = tf.tensor2d([[2, 3, 4, 5, 6], [7, 8, 0, 0, 0]], undefined, 'int32');
  const want = model.predict(ids) as tf.Tensor;
  const got = await runOnnx(bytes, { [model.inputNames[0]]: ids });
  expectClose('onnxruntime vs tfjs', got.output, want, 1e-5, 0);
  tf.dispose([ids, want, got.output]);
  model.dispose();
});

ortTest('rnn-export converts a model saved by tfjs-layers (Embedding, Bidirectional LSTM, GRU, Dense)', async () => {
  await useBackend('wasm');
  const original = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 12, outputDim: 4, inputLength: 5 }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN }),
      tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const dir = tmp();
  await saveModel(original, dir);
  const file = path.join(tmp(), 'tfjs.onnx');
  const r = run(EXPORT, ['--model', dir, '--out', file, '--verify', '--backend', 'wasm']);
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/Bidirectional\(LSTM\) read as rnnkit\.Bidirectional/);
  expect(r.err).toMatch(/GRU read as rnnkit\.GRU/);
  const ids = tf.tensor2d([[1, 5, 9, 3, 2], [11, 3, 0, 2, 8]], undefined, 'int32');
  const want = original.predict(ids) as tf.Tensor;
  const got = await runOnnx(fs.readFileSync(file), { [onnxInputNames(original)[0]]: ids });
  expectClose('onnxruntime vs tfjs-layers', got.output, want, 1e-5, 0);
  tf.dispose([ids, want, got.output]);
  original.dispose();
});

test('bad input is a one-line error', () => {
  const missing = run(EXPORT, ['--model', path.join(tmp(), 'nope'), '--out', path.join(tmp(), 'x.onnx')]);
  expect(missing.code).toBe(2); // as in rnn-predict: the --model option names nothing
  expect(missing.err.trim().split('\n').pop()).toMatch(/^rnn-export: error: .*nope: no such model directory$/);
  const empty = run(EXPORT, ['--model', tmp(), '--out', path.join(tmp(), 'x.onnx')]);
  expect(empty.code).toBe(1);
  expect(empty.err).toMatch(/rnn-export: error: .*not a model directory \(no model\.json/);
  const usage = run(EXPORT, ['--model', tmp()]);
  expect(usage.code).toBe(2);
  expect(usage.err).toMatch(/--out/);
});
