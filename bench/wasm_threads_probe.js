#!/usr/bin/env node
/**
 * Probe: can tfjs-backend-wasm use several threads in Node, and does it pay?
 *
 *   node bench/wasm_threads_probe.js            # threaded build, 2 threads
 *   node bench/wasm_threads_probe.js single     # the default single-threaded build
 *
 * tfjs-backend-wasm 4.22 ships tfjs-backend-wasm-threaded-simd.wasm but turns
 * threads off in Node (flag WASM_HAS_MULTITHREAD_SUPPORT returns false when
 * IS_NODE; tensorflow/tfjs#3830). Forcing the flag on fails three ways, each
 * worked around below (a demonstration, not something to ship):
 *   1. the pthread worker script is handed to worker_threads as a blob: URL,
 *      which Node's Worker rejects (ERR_WORKER_PATH) → write it to a temp file;
 *   2. the worker importScripts() the main script from another blob: URL it
 *      creates itself → point it at a temp-file copy; that copy, cut out of the
 *      rollup bundle by Function.toString(), misses the bundle's `require$$N`
 *      and `commonjsGlobal` bindings → prepend them;
 *   3. the C++ side sizes its pool as min(requested, logical cores / 2): on a
 *      2-core machine that is 1 thread → report more cores via os.cpus().
 * With all three the backend runs with 2 threads. Measured on this 2-core
 * machine (shared with other jobs): large matmuls gain at best ~1.3–1.8× when a
 * core is idle, while the per-step ops of a recurrent kernel ([32, 512]
 * sigmoid, [32,128]×[128,512] matmul) get 2–6× slower from thread hand-off,
 * so a fused LSTM step does not get faster. Not used by the library.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const threaded = process.argv[2] !== 'single';
const tmpFiles = [];
if (threaded) {
  const realCpus = os.cpus;
  os.cpus = () => {
    const c = realCpus();
    return c.length >= 4 ? c : [...c, ...c];
  };
  const NodeBlob = globalThis.Blob;
  let mainPath = null;
  const tmp = (text) => {
    const p = path.join(os.tmpdir(), `tfjs-wasm-probe-${process.pid}-${tmpFiles.length}.js`);
    fs.writeFileSync(p, text);
    tmpFiles.push(p);
    return p;
  };
  globalThis.Blob = class extends NodeBlob {
    constructor(parts, opts) {
      super(parts, opts);
      this.text_ = parts.join('');
      if (this.text_.startsWith('var WasmBackendModuleThreadedSimd')) {
        mainPath = tmp("var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os'),commonjsGlobal=globalThis;" + this.text_);
      }
    }
  };
  const realCreate = URL.createObjectURL;
  URL.createObjectURL = (blob) => {
    if (blob.text_ === undefined) return realCreate(blob);
    const text = blob.text_.replace(
      'var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)',
      `importScripts(${JSON.stringify(mainPath)})`,
    );
    return tmp(text);
  };
}

const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');

function time(fn, n) {
  fn();
  const ts = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    ts.push((performance.now() - t0) / n);
  }
  return ts.sort((a, b) => a - b)[2];
}

async function main() {
  if (threaded) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(2);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed');
  console.log(`wasm backend, ${wasm.getThreadsCount()} thread(s)`);
  const a = tf.randomNormal([1600, 512]);
  const b = tf.randomNormal([512, 512]);
  const h = tf.randomNormal([32, 128]);
  const R = tf.randomNormal([128, 512]);
  const z = tf.randomNormal([32, 512]);
  console.log(`  [1600,512]x[512,512] matmul  ${time(() => tf.matMul(a, b).dataSync(), 5).toFixed(2)} ms`);
  console.log(`  [32,128]x[128,512] matmul    ${(1000 * time(() => tf.dispose(tf.matMul(h, R)), 200)).toFixed(1)} us`);
  console.log(`  sigmoid [32,512]             ${(1000 * time(() => tf.dispose(tf.sigmoid(z)), 200)).toFixed(1)} us`);
}

main()
  .catch((e) => console.error(e))
  .finally(() => {
    for (const p of tmpFiles) fs.rmSync(p, { force: true });
    process.exit(0);
  });
