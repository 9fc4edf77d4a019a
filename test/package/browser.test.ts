/**
 * rnnkit in a real browser: headless Chromium (Debian package `chromium`, driven
 * by playwright-core) loads tfjs (tf.min.js, plus tf-backend-wasm.min.js with its
 * .wasm files served from node_modules) and the `rnnkit/browser` ES module
 * (dist/browser/rnnkit.esm.js through an import map, built here by
 * scripts/build-browser.js) from a local http server on 127.0.0.1. On each of the
 * backends webgl (SwiftShader), wasm and cpu the page
 *   1. trains a bidirectional LSTM (embedding → BiLSTM → dense) 8 Adam steps with
 *      the fused kernels: the loss must fall, and the same steps through
 *      implementation 'autodiff' must give the same losses (the fused path works there);
 *   2. loads a model saved by Node with the project's fs handler and predicts as Node;
 *   3. loads an rnn-train sentiment checkpoint (tiny run of the built bin/) with
 *      rnnkit.loadSentiment and classifies sentences as `rnn-predict --json` does
 *      (labels equal, probabilities within 1e-5).
 * A last test loads the <script> builds (dist/browser/rnnkit.js and the layers-only
 * rnnkit-layers.js: global rnnkit over the page's global tf).
 * Skipped, with the reason in the test names, when Chromium or playwright-core is absent.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { Browser } from 'playwright-core';
import { bidirectional, embedding, lstm } from '../../layers';
import { selectBackend } from '../../src/backend';
import { saveModel } from '../../src/io/fs_handler';
import { chromiumUnavailable, collectPageErrors, launchChromium } from '../helpers/chromium';

const root = path.resolve(__dirname, '..', '..');
const why = chromiumUnavailable();
const maybe = why ? test.skip : test;
const skipNote = why ? ` (skipped: ${why})` : '';
// eslint-disable-next-line no-console
if (why) console.warn(`test/package/browser.test.ts is skipped: ${why}`);

/** Token ids [B, T] (0 = padding, masked). */
const IDS = [
  [1, 2, 3, 4, 0, 0],
  [5, 6, 7, 8, 9, 10],
  [11, 3, 0, 0, 0, 0],
];
/** Sentences for the sentiment checkpoint (an unknown word, an empty text, punctuation, a long one). */
const SENTENCES = [
  'the movie my friend has seen is not good',
  'a wonderful , moving film',
  'zzzunknownword',
  '',
  "it's well-made but dull and far too long , and the ending is a mess that nobody asked for",
];
const TOL = 1e-5;

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

interface Prediction {
  text: string;
  label: string;
  probabilities: Record<string, number>;
}

/** What `rnn-predict --json` prints for the sentences (one line each; the empty text given as an argument). */
function cliPredictions(ckpt: string): Prediction[] {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rnn-predict.js'), '--model', ckpt, '--backend', 'cpu', '--json', ...SENTENCES], { cwd: root, encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`rnn-predict exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Prediction);
}

function serve(files: Record<string, string>): Promise<http.Server> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream', '.html': 'text/html', '.wasm': 'application/wasm' };
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

const maxDiff = (a: number[][], b: number[][]): number => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

let dir = '';
let server: http.Server | undefined;
let browser: Browser | undefined;
let origin = '';
let expected: number[][] = [];
let expectedCli: Prediction[] = [];

beforeAll(async () => {
  if (why) return;
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js')], { cwd: root, stdio: 'pipe' });
  await selectBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-browser-'));
  const model = nodeModel();
  const x = tf.tensor2d(IDS, undefined, 'float32');
  expected = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  await saveModel(model, path.join(dir, 'model'));
  x.dispose();
  model.dispose();
  const ckpt = cliCheckpoint(dir);
  expectedCli = cliPredictions(ckpt);

  const wasmDist = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const importMap = JSON.stringify({ imports: { '@tensorflow/tfjs': '/tfjs-global.esm.js', 'rnnkit/browser': '/rnnkit.esm.js' } });
  fs.writeFileSync(
    path.join(dir, 'esm.html'),
    '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">' +
      '<script src="/tf.min.js"></script><script src="/tf-backend-wasm.min.js"></script>' +
      `<script type="importmap">${importMap}</script>` +
      "<script type=\"module\">import * as rnnkit from 'rnnkit/browser'; globalThis.rnnkit = rnnkit; globalThis.rnnkitReady = true;</script>" +
      '</head><body>rnnkit/browser</body></html>',
  );
  for (const bundle of ['rnnkit', 'rnnkit-layers']) {
    fs.writeFileSync(
      path.join(dir, `${bundle}.html`),
      `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/tf.min.js"></script><script src="/${bundle}.js"></script></head><body>${bundle}.js</body></html>`,
    );
  }
  const files: Record<string, string> = {
    '/esm.html': path.join(dir, 'esm.html'),
    '/rnnkit.html': path.join(dir, 'rnnkit.html'),
    '/rnnkit-layers.html': path.join(dir, 'rnnkit-layers.html'),
    '/tf.min.js': path.join(root, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.min.js'),
    '/tf-backend-wasm.min.js': path.join(wasmDist, 'tf-backend-wasm.min.js'),
    '/tfjs-global.esm.js': path.join(root, 'dist', 'browser', 'tfjs-global.esm.js'),
    '/rnnkit.esm.js': path.join(root, 'dist', 'browser', 'rnnkit.esm.js'),
    '/rnnkit.js': path.join(root, 'dist', 'browser', 'rnnkit.js'),
    '/rnnkit-layers.js': path.join(root, 'dist', 'browser', 'rnnkit-layers.js'),
    '/model/model.json': path.join(dir, 'model', 'model.json'),
    '/model/weights.bin': path.join(dir, 'model', 'weights.bin'),
  };
  for (const f of ['model.json', 'weights.bin', 'artifacts.json']) files[`/cli/${f}`] = path.join(ckpt, f);
  for (const f of fs.readdirSync(wasmDist).filter((n) => n.endsWith('.wasm'))) files[`/wasm/${f}`] = path.join(wasmDist, f);
  server = await serve(files);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium({ webgl: true });
}, 180000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** What a page computes on one backend (see the file's comment). */
interface PageResult {
  backend: string;
  renderer: string | null;
  version: string;
  losses: { fused: number[]; autodiff: number[] };
  layers: string[];
  predictions: number[][];
  sentiment: Prediction[];
}

for (const backend of ['webgl', 'wasm', 'cpu'] as const) {
  maybe(`${backend} in Chromium (rnnkit/browser as an ES module): a bidirectional LSTM trains (fused = autodiff), a Node-saved model and an rnn-train checkpoint predict as Node within ${TOL}${skipNote}`, async () => {
    const page = await browser!.newPage();
    const errors = collectPageErrors(page);
    try {
      await page.goto(`${origin}/esm.html`);
      await page.waitForFunction(() => (globalThis as unknown as { rnnkitReady?: boolean }).rnnkitReady === true);
      const result: PageResult = await page.evaluate(
        async ({ ids, sentences, backend }) => {
          /* eslint-disable @typescript-eslint/no-explicit-any */
          const tfb = (globalThis as any).tf;
          const rk = (globalThis as any).rnnkit;
          if (backend === 'wasm') tfb.wasm.setWasmPaths('/wasm/');
          if (!(await tfb.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
          await tfb.ready();
          let renderer: string | null = null;
          if (backend === 'webgl') {
            const gl = tfb.backend().gpgpu.gl;
            const info = gl.getExtension('WEBGL_debug_renderer_info');
            renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
          }
          // 1. a bidirectional LSTM built and trained in the page, fused kernels and autodiff
          const train = (implementation: string): number[] => {
            const m = tfb.sequential();
            m.add(rk.embedding({ inputDim: 12, outputDim: 8, maskZero: true, inputShape: [null], seed: 4 }));
            m.add(rk.bidirectional({ layer: rk.lstm({ units: 8, seed: 5, implementation }) }));
            m.add(tfb.layers.dense({ units: 3, kernelInitializer: tfb.initializers.glorotUniform({ seed: 6 }) }));
            const xs = tfb.tensor2d(ids, undefined, 'float32');
            const ys = tfb.oneHot(tfb.tensor1d([0, 1, 2], 'int32'), 3);
            const opt = tfb.train.adam(0.05);
            const losses: number[] = [];
            for (let s = 0; s < 8; s++) {
              const loss = opt.minimize(() => tfb.losses.softmaxCrossEntropy(ys, m.apply(xs)), true);
              losses.push(loss.dataSync()[0]);
              loss.dispose();
            }
            tfb.dispose([xs, ys]);
            m.dispose();
            return losses;
          };
          const losses = { fused: train('fused'), autodiff: train('autodiff') };
          // 2. the model saved by Node
          const loaded = await rk.loadModel('/model/model.json');
          const x = tfb.tensor2d(ids, undefined, 'float32');
          const predictions = loaded.predict(x).arraySync();
          // 3. the rnn-train checkpoint, classified as rnn-predict does
          const clf = await rk.loadSentiment('/cli');
          const sentiment = clf.predict(sentences);
          clf.dispose();
          return { backend: tfb.getBackend(), renderer, version: tfb.version.tfjs, losses, predictions, sentiment, layers: loaded.layers.map((l: any) => l.getClassName()) };
        },
        { ids: IDS, sentences: SENTENCES, backend },
      );
      expect(result.backend).toBe(backend);
      if (backend === 'webgl') expect(result.renderer).toMatch(/SwiftShader/);
      expect(result.version).toBe(tf.version.tfjs);
      expect(result.layers).toEqual(['rnnkit.Embedding', 'rnnkit.Bidirectional', 'Dense']);
      const { fused, autodiff } = result.losses;
      expect(fused.every(Number.isFinite)).toBe(true);
      expect(fused[fused.length - 1]).toBeLessThan(fused[0] * 0.8);
      expect(maxDiff([fused], [autodiff])).toBeLessThan(1e-4);
      expect(maxDiff(result.predictions, expected)).toBeLessThan(TOL);
      expect(result.sentiment.map((p) => [p.text, p.label])).toEqual(expectedCli.map((p) => [p.text, p.label]));
      const labels = Object.keys(expectedCli[0].probabilities);
      expect(labels).toHaveLength(2);
      expect(maxDiff(result.sentiment.map((p) => labels.map((l) => p.probabilities[l])), expectedCli.map((p) => labels.map((l) => p.probabilities[l])))).toBeLessThan(TOL);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60000);
}

maybe(`the <script> builds over the global tf: rnnkit.js classifies as rnn-predict, rnnkit-layers.js (layers only) loads the Node-saved model${skipNote}`, async () => {
  const page = await browser!.newPage();
  const errors = collectPageErrors(page);
  try {
    await page.goto(`${origin}/rnnkit.html`);
    const sentiment: Prediction[] = await page.evaluate(async (sentences) => {
      const g = globalThis as any;
      await g.tf.setBackend('cpu');
      const clf = await g.rnnkit.loadSentiment('/cli');
      return clf.predict(sentences);
    }, SENTENCES);
    expect(sentiment.map((p) => p.label)).toEqual(expectedCli.map((p) => p.label));
    const labels = Object.keys(expectedCli[0].probabilities);
    expect(maxDiff(sentiment.map((p) => labels.map((l) => p.probabilities[l])), expectedCli.map((p) => labels.map((l) => p.probabilities[l])))).toBeLessThan(TOL);
    await page.goto(`${origin}/rnnkit-layers.html`);
    const predictions: number[][] = await page.evaluate(async (ids) => {
      const g = globalThis as any;
      await g.tf.setBackend('cpu');
      if (typeof g.rnnkit.lstm !== 'function' || 'loadSentiment' in g.rnnkit) throw new Error('rnnkit-layers.js is not the layers-only build');
      const m = await g.tf.loadLayersModel('/model/model.json');
      return m.predict(g.tf.tensor2d(ids, undefined, 'float32')).arraySync();
    }, IDS);
    expect(maxDiff(predictions, expected)).toBeLessThan(TOL);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
}, 30000);
