/**
 * Starting a worker thread on a script of this package: the compiled `.js` next to
 * the caller, or its `.ts` source when the tests run the sources (compiled on require
 * with the project's TypeScript). Used by the data-parallel replicas (parallel.ts)
 * and by tasks with threads of their own (tasks/word2vec/train.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';

/**
 * Bootstrap evaluated in each worker: when the entry is TypeScript, compile .ts modules
 * on require with the project's TypeScript, then load the entry.
 */
const BOOTSTRAP = `
const { workerData } = require('worker_threads');
const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const fs = require('fs');
  const ts = require(require.resolve('typescript', { paths: [entry] }));
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true, sourceMap: false };
  require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText, file);
}
require(entry);
`;

/** The worker script `<base>.js` (built) or `<base>.ts` (sources) in `dir`; `what` names it in the error. */
export function workerScript(dir: string, base: string, what: string): string {
  const candidates = [`${base}.js`, `${base}.ts`].map((f) => path.join(dir, f));
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`${what} worker script not found (looked for ${candidates.join(', ')})`);
  return found;
}

/** A worker thread running `entry` (from workerScript), with `data` merged into its workerData (next to `entry`). */
export function startScriptWorker(entry: string, data: object): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry } });
}
