/**
 * The training engine: clipping, optimizers, schedules, truncated BPTT, atomic
 * checkpoints, resume equality, divergence stop and leaks.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { gru, lstm, stacked } from '../layers';
import { clipByGlobalNorm, clipByValue, globalNorm } from '../src/train/clip';
import { loadCheckpoint, resolveCheckpoint, saveCheckpoint, swapOps } from '../src/train/checkpoint';
import { LrSchedule } from '../src/train/schedules';
import { tbpttChunks, tbpttStep } from '../src/train/tbptt';
import { train, TrainingDivergedError } from '../src/train/train';
import { TrainSpec } from '../src/train/types';
import { SeededRandom } from '../layers/random';
import { useBackend } from './helpers/backends';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-train-'));

beforeAll(async () => useBackend('cpu'));

/** A small sequence-regression problem: predict the sum of the inputs. */
function problem(seed = 3, dropout = 0.2, dataSeed = 3): TrainSpec<{ x: tf.Tensor3D; y: tf.Tensor2D }> {
  const model = tf.sequential({
    layers: [stacked({ cell: 'gru', units: 8, numLayers: 2, dropout, inputShape: [5, 2], seed }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed }) })],
  });
  const rng = new SeededRandom(dataSeed);
  const data = Array.from({ length: 64 }, () => Array.from({ length: 5 }, () => [rng.normal(), rng.normal()]));
  const xAll = tf.tensor3d(data);
  const yAll = tf.sum(xAll, [1, 2]).reshape([64, 1]) as tf.Tensor2D;
  return {
    model,
    loss: (b, training) => tf.losses.meanSquaredError(b.y, model.apply(b.x, { training }) as tf.Tensor) as tf.Scalar,
    batches: (epoch, s) => {
      // a seeded permutation per epoch, 8 batches of 8
      const r = new SeededRandom(s * 1000 + epoch);
      const idx = Array.from({ length: 64 }, (_, i) => i).sort(() => r.uniform() - 0.5);
      return Array.from({ length: 8 }, (_, k) => {
        const ids = tf.tensor1d(idx.slice(8 * k, 8 * k + 8), 'int32');
        const b = { x: tf.gather(xAll, ids) as tf.Tensor3D, y: tf.gather(yAll, ids) as tf.Tensor2D };
        ids.dispose();
        return b;
      });
    },
    batchSize: () => 8,
    evaluate: () => ({ negMse: -tf.tidy(() => tf.losses.meanSquaredError(yAll, model.predict(xAll) as tf.Tensor).dataSync()[0]) }),
    artifacts: { note: 'test' },
  };
}

describe('clipping', () => {
  test('global norm after clipping equals the threshold; below it nothing changes', () => {
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor2d([[12]]) }; // norm 13
    const { grads: c, norm } = clipByGlobalNorm(grads, 5);
    expect(norm).toBeCloseTo(13, 5);
    expect(globalNorm(c).dataSync()[0]).toBeCloseTo(5, 5);
    expect(Array.from(c.a.dataSync())).toEqual([3 * 5 / 13, 4 * 5 / 13].map((v) => Math.fround(v)));
    const same = clipByGlobalNorm(grads, 100).grads;
    expect(Array.from(same.b.dataSync())).toEqual([12]);
  });
  test('clip by value clamps elements', () => {
    expect(Array.from(clipByValue({ a: tf.tensor1d([-3, 0.5, 9]) }, 1).a.dataSync())).toEqual([-1, 0.5, 1]);
  });
});

test('schedules: step, cosine, warm-up and plateau', () => {
  expect(new LrSchedule(1, { name: 'step', gamma: 0.1, stepEpochs: 2 }).lr(3, 0, 10)).toBeCloseTo(0.1);
  const cos = new LrSchedule(1, { name: 'cosine', minLr: 0 });
  expect(cos.lr(0, 0, 100)).toBeCloseTo(1);
  expect(cos.lr(0, 50, 100)).toBeCloseTo(0.5);
  expect(cos.lr(0, 100, 100)).toBeCloseTo(0);
  expect(new LrSchedule(1, { warmupSteps: 4 }).lr(0, 1, 10)).toBeCloseTo(0.5);
  const p = new LrSchedule(1, { name: 'plateau', patience: 2, gamma: 0.5 });
  [1, 2, 2, 2, 3, 3, 3].forEach((v) => p.observe(v));
  expect(p.lr(0, 0, 1)).toBeCloseTo(0.25);
});

test.each(['adam', 'sgd', 'rmsprop', 'adagrad'] as const)('%s reduces the loss', async (optimizer) => {
  const spec = problem(5, 0);
  const lr = { adam: 0.01, sgd: 0.02, rmsprop: 0.005, adagrad: 0.05 }[optimizer];
  const r = await train(spec, { epochs: 6, optimizer, lr, momentum: optimizer === 'sgd' ? 0.9 : 0, clipNorm: 5, metric: 'negMse' });
  const first = r.history[0].loss;
  const last = r.history[r.history.length - 1].loss;
  expect(last).toBeLessThan(first * 0.8);
});

test('truncated BPTT: the gradient reaches back k steps and no further', () => {
  const layer = lstm({ units: 3, returnSequences: true, returnState: true, seed: 1 });
  const x = tf.variable(tf.randomNormal([1, 8, 2], 0, 1, 'float32', 2));
  layer.apply(x);
  const chunks = tbpttChunks(8, 4);
  expect(chunks).toEqual([[0, 4], [4, 8]]);
  const vars = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), x];
  let states: tf.Tensor[] = layer.zeroStates(1);
  let grads: tf.NamedTensorMap = {};
  for (const [s, e] of chunks) {
    const r = tbpttStep(vars, states, (init) => {
      const [y, ...fin] = layer.apply(tf.slice(x, [0, s, 0], [1, e - s, 2]), { initialState: init }) as tf.Tensor[];
      return { loss: tf.sum(y) as tf.Scalar, states: fin };
    });
    states = r.states;
    grads = r.grads;
  }
  const gx = grads[x.name].reshape([8, 2]).arraySync() as number[][];
  // The last chunk's loss depends on steps 0..3 through the carried state, but no gradient crosses the boundary.
  gx.slice(0, 4).forEach((row) => row.forEach((v) => expect(v).toBe(0)));
  gx.slice(4).forEach((row) => expect(Math.abs(row[0]) + Math.abs(row[1])).toBeGreaterThan(0));
  // Full BPTT over the same 8 steps does reach the first chunk.
  const full = tf.variableGrads(() => tf.sum(tf.slice((layer.apply(x) as tf.Tensor[])[0], [0, 4, 0], [1, 4, 3])) as tf.Scalar, [x]).grads[x.name];
  expect(Math.abs(full.reshape([8, 2]).arraySync()[0][0] as number)).toBeGreaterThan(0);
});

test('resume: stopped mid-epoch and resumed with the same seed ends with identical weights', async () => {
  const straight = problem(7);
  await train(straight, { epochs: 2, lr: 0.01, seed: 11, clipNorm: 1 });
  const expected = straight.model.getWeights().map((w) => Array.from(w.dataSync()));

  const out = tmp();
  const first = problem(7);
  let steps = 0;
  const r1 = await train(first, { epochs: 2, lr: 0.01, seed: 11, clipNorm: 1, outDir: out, shouldStop: () => ++steps === 11 });
  expect(r1.stopped).toBe('interrupted');
  const second = problem(99); // different initial weights: everything must come from the checkpoint
  const r2 = await train(second, { epochs: 2, lr: 0.01, seed: 11, clipNorm: 1, outDir: out, resume: path.join(out, 'last') });
  expect(r2.stopped).toBe('completed');
  const got = second.model.getWeights().map((w) => Array.from(w.dataSync()));
  expect(got).toEqual(expected);
});

test('atomic checkpoints: a crash while writing, or between the renames, leaves a loadable checkpoint', async () => {
  const out = tmp();
  const dir = path.join(out, 'last');
  const spec = problem(2);
  const state = { epoch: 1, step: 0, globalStep: 8, best: 0, bestEpoch: 0, bad: 0, schedule: {}, history: [], seed: 1 };
  await saveCheckpoint(dir, spec.model, tf.train.adam(0.1), state, { vocab: ['a'] });
  const before = spec.model.getWeights().map((w) => Array.from(w.dataSync()));

  // 1. crash while writing the new checkpoint's files (the model is written, the optimizer slots fail)
  const broken = tf.train.adam(0.1);
  broken.getWeights = async () => {
    throw new Error('simulated crash');
  };
  await expect(saveCheckpoint(dir, spec.model, broken, { ...state, epoch: 2 }, {})).rejects.toThrow('simulated crash');
  let ck = await loadCheckpoint(dir);
  expect(ck.training.epoch).toBe(1);
  expect(ck.artifacts.vocab).toEqual(['a']);

  // 2. crash after the old checkpoint was moved aside, before the new one took its place
  const realRename = swapOps.rename;
  swapOps.rename = (from, to) => {
    if (String(to) === path.resolve(dir)) throw new Error('simulated crash');
    return realRename(from, to);
  };
  await expect(saveCheckpoint(dir, spec.model, null, { ...state, epoch: 3 }, {})).rejects.toThrow('simulated crash');
  swapOps.rename = realRename;
  expect(fs.existsSync(dir)).toBe(false);
  expect(resolveCheckpoint(dir)).not.toBe(dir);
  ck = await loadCheckpoint(dir);
  expect(ck.training.epoch).toBe(1);
  expect(ck.model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
});

test('a NaN loss stops training with a clear error and keeps the last good checkpoint', async () => {
  const out = tmp();
  const spec = problem(4);
  const base = spec.loss;
  let calls = 0;
  spec.loss = (b, training) => (++calls > 12 ? tf.mul(base(b, training), NaN) : base(b, training)) as tf.Scalar;
  await expect(train(spec, { epochs: 3, lr: 0.01, outDir: out })).rejects.toThrow(TrainingDivergedError);
  await expect(train({ ...spec, loss: (b, t) => tf.mul(base(b, t), NaN) as tf.Scalar }, { epochs: 1 })).rejects.toThrow(/training diverged at epoch 1, step 1: loss NaN/);
  const ck = await loadCheckpoint(path.join(out, 'last'));
  expect(ck.training.epoch).toBe(1); // epoch 1 completed before the NaN in epoch 2
});

test('early stopping and best checkpoint', async () => {
  const out = tmp();
  const spec = problem(6, 0);
  let e = 0;
  spec.evaluate = () => ({ score: [1, 3, 2, 2, 2, 2][e++] });
  const r = await train(spec, { epochs: 6, lr: 0.001, outDir: out, patience: 2 });
  expect(r.stopped).toBe('early-stopping');
  expect(r.epochs).toBe(4);
  expect(r.bestEpoch).toBe(1);
  expect((await loadCheckpoint(path.join(out, 'best'))).training.epoch).toBe(2);
});

test('no tensors leak from step to step', async () => {
  const spec = problem(8);
  const counts: number[] = [];
  await train(spec, { epochs: 1, lr: 0.01, clipNorm: 1, clipValue: 5, onStep: () => counts.push(tf.memory().numTensors) });
  expect(counts[counts.length - 1]).toBe(counts[1]);
});
