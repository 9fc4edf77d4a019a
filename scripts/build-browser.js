#!/usr/bin/env node
// Bundles the layers (layers/index.ts: every cell, stacked, bidirectional,
// embedding, dropout, pooling, ...) for web pages, with esbuild:
//
//   dist/browser/rnnkit-layers.js      <script> build: global `rnnkit`; @tensorflow/tfjs
//                                      is NOT included but read from the global `tf`
//                                      (load tf.min.js first)
//   dist/browser/rnnkit-layers.esm.js  ES module; `import ... from '@tensorflow/tfjs'`
//                                      stays external (bundlers, import maps)
//
// The layers register their classes with the page's own tfjs, so
// tf.loadLayersModel('.../model.json') reads models saved by rnn-train in Node.
// Run with `npm run build:browser` (esbuild is a devDependency).
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'browser');
const entry = path.join(root, 'layers', 'index.ts');
const common = { entryPoints: [entry], bundle: true, target: 'es2020', sourcemap: true, logLevel: 'warning', legalComments: 'none' };

/** Resolves `@tensorflow/tfjs` to the page's global `tf` (the IIFE build). */
const tfGlobal = {
  name: 'tfjs-global',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs$/ }, () => ({ path: 'tfjs-global', namespace: 'tfjs-global' }));
    build.onLoad({ filter: /.*/, namespace: 'tfjs-global' }, () => ({
      contents: "if (typeof globalThis.tf === 'undefined') throw new Error('rnnkit-layers.js: load @tensorflow/tfjs (tf.min.js) first: it reads the global tf'); module.exports = globalThis.tf;",
      loader: 'js',
    }));
  },
};

async function main() {
  const started = Date.now();
  await Promise.all([
    esbuild.build({ ...common, format: 'iife', globalName: 'rnnkit', platform: 'browser', outfile: path.join(outDir, 'rnnkit-layers.js'), plugins: [tfGlobal] }),
    esbuild.build({ ...common, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], external: ['@tensorflow/tfjs'], outfile: path.join(outDir, 'rnnkit-layers.esm.js') }),
  ]);
  process.stdout.write(`build-browser: dist/browser/rnnkit-layers.js (global rnnkit) and rnnkit-layers.esm.js in ${Date.now() - started} ms\n`);
}

main().catch((e) => {
  process.stderr.write(`build-browser: ${e.message}\n`);
  process.exit(1);
});
