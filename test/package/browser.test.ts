/**
 * The layers in a real browser: headless Chromium (Debian package `chromium`,
 * driven by playwright-core) loads tfjs (tf.min.js) and the browser bundle
 * (dist/browser/rnnkit-layers.js, built here by scripts/build-browser.js) from a
 * local http server on 127.0.0.1, then
 *   1. builds a bidirectional LSTM model with the project's layers and trains it
 *      a few steps on the cpu backend (the loss must fall);
 *   2. loads a model saved by Node with the project's fs handler
 *      (model.json + weights.bin) and checks its predictions equal Node's;
 *   3. loads a checkpoint written by the CLI (`rnn-train --task sentiment`, tiny
 *      run of the built bin/) and checks its predictions equal Node's loadModel.
 * Skipped, with the reason in the test name, when Chromium or playwright-core is absent.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { bidirectional, embedding, lstm } from '../../layers';
import { selectBackend } from '../../src/backend';
import { loadModel, saveModel } from '../../src/io/fs_handler';
import { chromiumUnavailable, collectPageErrors, launchChromium } from '../helpers/chromium';

const root = path.resolve(__dirname, '..', '..');
const why = chromiumUnavailable();
const maybe = why ? test.skip : test;
// eslint-disable-next-line no-console
if (why) console.warn(`test/package/browser.test.ts is skipped: ${why}`);

/** Token ids [B, T] (0 = padding, masked). */
const IDS = [
  [1, 2, 3, 4, 0, 0],
  [5, 6, 7, 8, 9, 10],
  [11, 3, 0, 0, 0, 0],
];

function nodeModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(embedding({ inputDim: 12, outputDim: 8, maskZero: true, inputShape: [null], seed: 1 }));
  model.add(bidirectional({ layer: lstm({ units: 6, seed: 2 }) }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  return model;
}

/** A tiny sentiment run of the built CLI (200 training sentences of the bundled data); returns OUT/best. */
function cliCheckpoint(dir: string): string {
  const src = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'train.tsv'), src.slice(0, 201).join('\n'));
  fs.writeFileSync(path.join(data, 'dev.tsv'), [src[0], ...src.slice(201, 241)].join('\n'));
  const out = path.join(dir, 'run');
  const args = ['--task', 'sentiment', '--data', data, '--epochs', '1', '--hidden', '8', '--embedding-dim', '8', '--batch-size', '16', '--pretrained', 'none', '--backend', 'cpu', '--out', out, '--json'];
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rnn-train.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`rnn-train exited ${r.status}: ${r.stderr}`);
  return path.join(out, 'best');
}

function serve(files: Record<string, string>): Promise<http.Server> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream', '.html': 'text/html' };
  const server = http.createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

maybe(`bidirectional LSTM in headless Chromium: trains a few steps; a Node-saved model and an rnn-train checkpoint predict as in Node${why ? ` (skipped: ${why})` : ''}`, async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js')], { cwd: root, stdio: 'pipe' });
  await selectBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-browser-'));
  const model = nodeModel();
  const x = tf.tensor2d(IDS, undefined, 'float32');
  const expected = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  await saveModel(model, path.join(dir, 'model'));
  x.dispose();
  model.dispose();
  const ckpt = cliCheckpoint(dir);
  const cliModel = await loadModel(ckpt);
  const cliX = tf.tensor2d(IDS, undefined, 'float32');
  const cliExpected = (cliModel.predict(cliX) as tf.Tensor).arraySync() as number[][];
  tf.dispose([cliX]);
  cliModel.dispose();

  const page0 = path.join(dir, 'index.html');
  fs.writeFileSync(page0, '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/tf.min.js"></script><script src="/rnnkit-layers.js"></script></head><body>rnnkit</body></html>');
  const server = await serve({
    '/index.html': page0,
    '/tf.min.js': path.join(root, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.min.js'),
    '/rnnkit-layers.js': path.join(root, 'dist', 'browser', 'rnnkit-layers.js'),
    '/model/model.json': path.join(dir, 'model', 'model.json'),
    '/model/weights.bin': path.join(dir, 'model', 'weights.bin'),
    '/cli/model.json': path.join(ckpt, 'model.json'),
    '/cli/weights.bin': path.join(ckpt, 'weights.bin'),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
    const result = await page.evaluate(async (ids) => {
      /* eslint-disable @typescript-eslint/no-explicit-any */
      const tfb = (globalThis as any).tf;
      const rk = (globalThis as any).rnnkit;
      await tfb.setBackend('cpu');
      // 1. a bidirectional LSTM built and trained in the page
      const m = tfb.sequential();
      m.add(rk.embedding({ inputDim: 12, outputDim: 8, maskZero: true, inputShape: [null], seed: 4 }));
      m.add(rk.bidirectional({ layer: rk.lstm({ units: 8, seed: 5 }) }));
      m.add(tfb.layers.dense({ units: 3, activation: 'softmax' }));
      const xs = tfb.tensor2d(ids, undefined, 'float32');
      const ys = tfb.oneHot(tfb.tensor1d([0, 1, 2], 'int32'), 3);
      const opt = tfb.train.adam(0.05);
      const losses: number[] = [];
      for (let s = 0; s < 8; s++) {
        const loss = opt.minimize(() => tfb.losses.softmaxCrossEntropy(ys, m.apply(xs)), true);
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
      // 2. the model saved by Node
      const loaded = await tfb.loadLayersModel('/model/model.json');
      const predictions = loaded.predict(xs).arraySync();
      // 3. the checkpoint written by rnn-train
      const cli = await tfb.loadLayersModel('/cli/model.json');
      const cliPredictions = cli.predict(xs).arraySync();
      return { backend: tfb.getBackend(), version: tfb.version.tfjs, losses, predictions, cliPredictions, layers: loaded.layers.map((l: any) => l.getClassName()) };
    }, IDS);
    expect(result.backend).toBe('cpu');
    expect(result.version).toBe(tf.version.tfjs);
    expect(result.layers).toEqual(['rnnkit.Embedding', 'rnnkit.Bidirectional', 'Dense']);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.losses[result.losses.length - 1]).toBeLessThan(result.losses[0] * 0.8);
    const diff = Math.max(...result.predictions.flatMap((row: number[], i: number) => row.map((v, j) => Math.abs(v - expected[i][j]))));
    expect(diff).toBeLessThan(1e-6);
    const cliDiff = Math.max(...result.cliPredictions.flatMap((row: number[], i: number) => row.map((v, j) => Math.abs(v - cliExpected[i][j]))));
    expect(cliExpected[0]).toHaveLength(2); // negative, positive
    expect(cliDiff).toBeLessThan(1e-6);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
