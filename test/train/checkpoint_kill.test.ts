/**
 * kill -9 during checkpoint writes: a child process saves checkpoints in a tight
 * loop (model, Adam slots, carried states as the character model keeps them
 * between batches, training.json) and is killed with SIGKILL at random moments,
 * several times over the same directory. After every kill the checkpoint proves
 * itself (verifyCheckpoint: bytes, checksums, finite), is no older than the last
 * save the child reported, its files belong to ONE save (the carried state and the
 * weights hold that save's number), and a run resumes from it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, readTrainingState, verifyCheckpoint } from '../../src/train/checkpoint';
import { train } from '../../src/train/train';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir } from '../helpers/train_problem';

const root = path.resolve(__dirname, '..', '..');
beforeAll(async () => useBackend('cpu'));

/** The writer: the sumProblem architecture, every weight (number / 1024) and the carried state set to the save's number. */
const CHILD = `
const tf = require('@tensorflow/tfjs');
require(${JSON.stringify(path.join(root, 'dist/src/backend.js'))});
const { saveCheckpoint } = require(${JSON.stringify(path.join(root, 'dist/src/train/checkpoint.js'))});
(async () => {
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 6, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
  const opt = tf.train.adam(0.01);
  opt.minimize(() => tf.mean(tf.square(model.predict(tf.ones([2, 5, 2])))));
  const dir = process.argv[1];
  for (let i = Number(process.argv[2]); ; i++) {
    model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, i / 1024)));
    const training = { epoch: 1, step: 0, globalStep: i, seed: 1, metric: null, mode: 'min', best: null, bestEpoch: -1, bestDev: {}, bad: 0,
      referenceLoss: null, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 }, history: [] };
    await saveCheckpoint(dir, { model, optimizer: opt, training, artifacts: { task: 'demo' }, config: {}, carried: { h: tf.fill([8, 6], i) } });
    process.stdout.write(i + '\\n');
  }
})();
`;

function writeThenKill(dir: string, from: number, saves: number, delayMs: number): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', CHILD, dir, String(from)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let last = -1;
    let seen = 0;
    p.stdout.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n').filter(Boolean)) {
        last = Number(l);
        if (++seen === saves) setTimeout(() => p.kill('SIGKILL'), delayMs);
      }
    });
    p.on('close', () => resolve(last));
  });
}

test('the last checkpoint always loads, is whole, and resumes after kill -9 mid-write', async () => {
  const dir = path.join(tmpDir(), 'last');
  let next = 0;
  for (const [saves, delay] of [[1, 0], [2, 3], [1, 7], [3, 1], [2, 12], [1, 20]]) {
    const reported = await writeThenKill(dir, next, saves, delay);
    expect(reported).toBeGreaterThanOrEqual(next);
    const src = verifyCheckpoint(dir); // the directory itself, or the aside copy of a kill between the renames
    const st = readTrainingState(src);
    expect(st.globalStep).toBeGreaterThanOrEqual(reported);
    const ck = await loadCheckpoint(dir);
    const h = ck.carried?.h.dataSync() ?? [];
    expect(new Set(Array.from(h))).toEqual(new Set([st.globalStep])); // carried state of the same save
    expect(new Set(ck.model.getWeights().flatMap((w) => Array.from(w.dataSync())))).toEqual(new Set([st.globalStep / 1024]));
    ck.model.dispose();
    tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
    tf.dispose(Object.values(ck.carried ?? {}));
    next = st.globalStep + 1;
  }
  // and a run resumes from it (the engine restores weights, Adam slots and the carried state)
  const spec = sumProblem();
  let carried: tf.NamedTensorMap = { h: tf.zeros([8, 6]) };
  spec.carried = { get: () => carried, set: (m: tf.NamedTensorMap) => { tf.dispose(Object.values(carried)); carried = m; } } as typeof spec.carried;
  const r = await train(spec, { epochs: 2, lr: 0.001, resume: dir, checkpointDir: path.dirname(dir) });
  expect(r.epochs).toBe(2);
  expect(readTrainingState(dir).globalStep).toBeGreaterThan(next - 1);
}, 120000);
