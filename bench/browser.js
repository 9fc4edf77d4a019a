#!/usr/bin/env node
/**
 * The fused kernels in a browser: headless Chromium (Debian `chromium`, driven by
 * playwright-core; WebGL on SwiftShader) runs a page that trains a bidirectional
 * LSTM (rnnkit's `bidirectional(lstm({implementation}))`, the layer the tasks use)
 * with the fused kernels and with implementation 'autodiff', on the webgl, wasm
 * and cpu backends of tfjs, and prints ms per training step (forward + backward
 * + Adam, the loss read back so the GPU work is included) and per forward pass.
 * Fused and autodiff steps alternate round by round, so the ratio stays
 * meaningful when other processes share the cores. A benchmark: asserts nothing.
 *
 *   node bench/browser.js [--backends webgl,wasm,cpu] [--dims B,T,D,H] [--rounds N] [--json]
 *
 * Defaults: B=16 T=20 D=32 H=32, 10 timed rounds after 2 warm-up steps (cpu: 4
 * rounds). Needs dist/browser/ (this script runs scripts/build-browser.js first).
 * Results: docs/deploying.md#speed.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
if (argv.includes('--help')) {
  process.stdout.write('node bench/browser.js [--backends webgl,wasm,cpu] [--dims B,T,D,H] [--rounds N] [--json]\n');
  process.exit(0);
}
const backends = opt('backends', 'webgl,wasm,cpu').split(',');
const [B, T, D, H] = opt('dims', '16,20,32,32').split(',').map(Number);
const roundsOpt = opt('rounds', null);
const json = argv.includes('--json');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function serve(files) {
  const types = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const file = files[(req.url || '/').split('?')[0]];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs in the page: times fused vs autodiff training steps and forward passes on one backend. */
async function pageBench({ backend, B, T, D, H, rounds }) {
  const tf = globalThis.tf;
  const rk = globalThis.rnnkit;
  if (backend === 'wasm') tf.wasm.setWasmPaths('/wasm/');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  await tf.ready();
  const make = (implementation) => {
    const m = tf.sequential();
    m.add(rk.bidirectional({ layer: rk.lstm({ units: H, implementation, seed: 1 }), inputShape: [T, D] }));
    m.add(tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    return { m, opt: tf.train.adam(1e-3) };
  };
  const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => i % 4), 'int32'), 4);
  const models = { fused: make('fused'), autodiff: make('autodiff') };
  const step = ({ m, opt }) => {
    const t0 = performance.now();
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true })), true);
    loss.dataSync();
    loss.dispose();
    return performance.now() - t0;
  };
  const forward = ({ m }) => {
    const t0 = performance.now();
    const out = m.predict(x);
    out.dataSync();
    out.dispose();
    return performance.now() - t0;
  };
  const times = { fused: { train: [], predict: [] }, autodiff: { train: [], predict: [] } };
  for (const k of Object.keys(models)) for (let i = 0; i < 2; i++) step(models[k]), forward(models[k]);
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(models)) {
      times[k].train.push(step(models[k]));
      times[k].predict.push(forward(models[k]));
    }
  }
  const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  let renderer = null;
  if (backend === 'webgl') {
    const gl = tf.backend().gpgpu.gl;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  }
  const out = {};
  for (const k of Object.keys(times)) out[k] = { trainMs: median(times[k].train), predictMs: median(times[k].predict) };
  return { backend: tf.getBackend(), renderer, simd: backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null, rounds, ...out };
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js')], { cwd: root, stdio: 'pipe' });
  const { chromium } = require('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-browser-'));
  const page0 = path.join(dir, 'index.html');
  fs.writeFileSync(page0, '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/tf.min.js"></script><script src="/tf-backend-wasm.min.js"></script><script src="/rnnkit.js"></script></head><body>bench</body></html>');
  const wasmDist = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const files = {
    '/index.html': page0,
    '/tf.min.js': path.join(root, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.min.js'),
    '/tf-backend-wasm.min.js': path.join(wasmDist, 'tf-backend-wasm.min.js'),
    '/rnnkit.js': path.join(root, 'dist', 'browser', 'rnnkit.js'),
  };
  for (const f of fs.readdirSync(wasmDist).filter((n) => n.endsWith('.wasm'))) files[`/wasm/${f}`] = path.join(wasmDist, f);
  const server = await serve(files);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] });
  const rows = [];
  try {
    for (const backend of backends) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
      const rounds = Number(roundsOpt || (backend === 'cpu' ? 4 : 10));
      const started = Date.now();
      const r = await page.evaluate(pageBench, { backend, B, T, D, H, rounds });
      r.seconds = (Date.now() - started) / 1000;
      rows.push(r);
      if (json) process.stdout.write(`${JSON.stringify({ bench: 'browser', B, T, D, H, chromium: browser.version(), load: os.loadavg()[0], ...r })}\n`);
      else process.stderr.write(`  ${backend} done in ${r.seconds.toFixed(1)} s\n`);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (json) return;
  const f = (v) => v.toFixed(1).padStart(9);
  process.stdout.write(`BiLSTM B=${B} T=${T} D=${D} H=${H} in Chromium ${browser.version()} (headless; webgl = SwiftShader), load ${os.loadavg()[0].toFixed(2)}\n`);
  process.stdout.write('backend | fused train ms | autodiff train ms | speed-up | fused predict ms | autodiff predict ms\n');
  for (const r of rows) {
    process.stdout.write(`${r.backend.padEnd(7)} |${f(r.fused.trainMs)}      |${f(r.autodiff.trainMs)}         | ${(r.autodiff.trainMs / r.fused.trainMs).toFixed(2)}×    |${f(r.fused.predictMs)}        |${f(r.autodiff.predictMs)}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench/browser.js: ${e.message}\n`);
  process.exit(1);
});
