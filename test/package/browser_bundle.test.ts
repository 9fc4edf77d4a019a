/**
 * The `rnnkit/browser` bundle without a browser: scripts/build-browser.js builds
 * dist/browser/rnnkit.esm.js, whose only import must be @tensorflow/tfjs (no fs,
 * path, os, worker_threads or any other Node built-in, `node:` or bare); the
 * <script> build imports and requires nothing; package.json's "./browser" export
 * names the bundle and the declarations tsc writes for src/browser.ts; and the
 * predictor's batches are exactly rnn-predict's (src/data/batching.ts).
 * test/package/browser.test.ts runs the bundle in Chromium.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import { bucketedBatches } from '../../src/data/batching';
import { predictionBatches } from '../../src/browser';

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist', 'browser');

/** Every module specifier a JS file names: static and dynamic imports, re-exports, require() calls. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g, // import x from 'm'; import 'm'
    /\bexport\s*[\w$*{}\s,]*?\s*from\s*["']([^"']+)["']/g, // export * from 'm'
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, // import('m')
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g, // require('m')
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return [...new Set(found)];
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const nodeImports = (code: string): string[] => specifiers(code).filter((s) => NODE_BUILTINS.has(s) || s.startsWith('node:'));

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js')], { cwd: root, stdio: 'pipe' });
});

test('the scanner finds Node imports in every form (so the checks below can fail)', () => {
  const code = [
    'import * as fs from "fs";',
    "import { join } from 'node:path';",
    'export { cpus } from "os";',
    "const w = await import('worker_threads');",
    'const cp = require("child_process");',
    'import "@tensorflow/tfjs";',
  ].join('\n');
  expect(nodeImports(code).sort()).toEqual(['child_process', 'fs', 'node:path', 'os', 'worker_threads']);
  expect(specifiers(code)).toContain('@tensorflow/tfjs');
});

test('dist/browser/rnnkit.esm.js imports @tensorflow/tfjs and nothing else: no Node built-ins', () => {
  const code = fs.readFileSync(path.join(dist, 'rnnkit.esm.js'), 'utf8');
  expect(nodeImports(code)).toEqual([]);
  expect(specifiers(code)).toEqual(['@tensorflow/tfjs']);
  // What a page needs is exported by name.
  const exported = /export\s*\{([^}]*)\}\s*;?\s*(\/\/.*)?\s*$/.exec(code.trimEnd())?.[1] ?? '';
  const names = exported.split(',').map((e) => e.trim().split(/\s+as\s+/).pop()!);
  for (const n of ['lstm', 'gru', 'simpleRnn', 'stacked', 'bidirectional', 'embedding', 'loadModel', 'loadCheckpoint', 'loadSentiment', 'SentimentPredictor', 'tokenize', 'Vocabulary', 'loadTorchWeights']) {
    expect(names).toContain(n);
  }
});

test('dist/browser/rnnkit.js (the <script> build) imports and requires nothing: it reads the global tf', () => {
  const code = fs.readFileSync(path.join(dist, 'rnnkit.js'), 'utf8');
  expect(specifiers(code)).toEqual([]);
  expect(code).toContain('globalThis.tf');
  const shim = fs.readFileSync(path.join(dist, 'tfjs-global.esm.js'), 'utf8');
  expect(specifiers(shim)).toEqual([]);
  expect(shim).toMatch(/export const \{[^}]*\bloadLayersModel\b[^}]*\} = tf;/);
});

test('package.json exports "./browser": the ES module bundle, and the declarations of src/browser.ts', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const e = pkg.exports['./browser'];
  expect(e).toEqual({ types: './dist/src/browser.d.ts', import: './dist/browser/rnnkit.esm.js', default: './dist/browser/rnnkit.esm.js' });
  expect(fs.existsSync(path.join(root, e.import))).toBe(true);
  // tsc (tsconfig.build.json: rootDir '.', outDir dist) writes src/browser.ts's declarations there.
  const build = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
  expect(build.include).toContain('src');
  expect(fs.existsSync(path.join(root, 'src', 'browser.ts'))).toBe(true);
  expect(pkg.files).toContain('dist');
});

test("import ... from 'rnnkit/browser' resolves through the package export (a scratch project; the bundle runs wherever tfjs does)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-browser-pkg-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'rnnkit'), 'dir');
    fs.symlinkSync(path.join(root, 'node_modules', '@tensorflow'), path.join(dir, 'node_modules', '@tensorflow'), 'dir');
    fs.writeFileSync(
      path.join(dir, 'main.mjs'),
      `import * as tf from '@tensorflow/tfjs';
       import { lstm, bidirectional, loadSentiment, SentimentPredictor, tokenize, Vocabulary } from 'rnnkit/browser';
       await tf.setBackend('cpu');
       const y = bidirectional({ layer: lstm({ units: 3, returnSequences: true }) }).apply(tf.ones([2, 4, 5]));
       console.log([typeof loadSentiment, typeof SentimentPredictor, tokenize("It's not good!").join('|'),
         new Vocabulary(['<pad>', '<unk>', 'good']).encode(['good', 'bad']).join(','), JSON.stringify(y.shape)].join(' '));`,
    );
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect(out.trim().split('\n').pop()).toBe("function function it's|not|good|! 2,1 [2,4,6]");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the predictor's batches are rnn-predict's: bucketedBatches(..., {shuffle: false}) of src/data/batching.ts", () => {
  let s = 12345;
  const rand = (n: number): number => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
  for (const [count, batchSize, maxLen] of [[7, 4, 50], [300, 3, 9], [1000, 8, 20]]) {
    const seqs = Array.from({ length: count }, () => Array.from({ length: 1 + rand(30) }, () => 1 + rand(100)));
    const ours = predictionBatches(seqs, batchSize, maxLen);
    const theirs = bucketedBatches(seqs, seqs.map(() => 0), batchSize, { shuffle: false, maxLen }).map((b) => ({ ids: b.ids, index: b.index }));
    expect(ours).toEqual(theirs);
  }
});
