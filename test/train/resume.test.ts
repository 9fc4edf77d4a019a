/**
 * Exact resumption: a run stopped (mid-epoch or at an epoch boundary) and resumed
 * from its checkpoint with the same seed ends with bit-identical weights and the
 * same history as an uninterrupted run. Covers Adam's moments and β powers,
 * momentum slots, schedule state and dropout masks derived from (seed, epoch, step).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { stacked } from '../../layers';
import { StopSignal } from '../../src/train/stop';
import { train } from '../../src/train/train';
import type { TrainOptions } from '../../src/train/types';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf } from '../helpers/train_problem';

beforeAll(async () => useBackend('cpu'));

/** rnnkit's 2-layer GRU with dropout between the layers: masks must come from (seed, epoch, step). */
const withDropout = () => sumProblem({
  initSeed: 7,
  layers: () => [stacked({ cell: 'gru', units: 6, numLayers: 2, dropout: 0.3, inputShape: [5, 2], seed: 7 }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) })],
});

async function straightVsResumed(make: () => ReturnType<typeof sumProblem>, options: TrainOptions, stopAfter: number) {
  const straight = make();
  const r0 = await train(straight, options);

  const out = tmpDir();
  const first = make();
  const stop = new StopSignal();
  let steps = 0;
  const r1 = await train(first, { ...options, checkpointDir: out, signal: stop, onStep: () => ++steps === stopAfter && stop.requestStop('test') });
  expect(r1.stopped).toBe('interrupted');
  expect(r1.globalStep).toBe(stopAfter);
  expect(stop.reason).toBe('test');

  // Fresh model with other initial weights: everything must come from the checkpoint.
  const second = make();
  second.model.setWeights(second.model.getWeights().map((w) => tf.randomNormal(w.shape, 0, 1, 'float32', 123)));
  const r2 = await train(second, { ...options, checkpointDir: out, resume: path.join(out, 'last') });
  expect(r2.stopped).toBe('completed');
  expect(r2.globalStep).toBe(r0.globalStep);
  expect(weightsOf(second.model)).toEqual(weightsOf(straight.model));
  expect(r2.history).toEqual(r0.history);
  expect(r2.bestEpoch).toBe(r0.bestEpoch);
}

test('Adam, clipping, cosine schedule, dropout: stopped mid-epoch', async () => {
  await straightVsResumed(withDropout, { epochs: 3, lr: 0.01, seed: 11, clipNorm: 1, schedule: { name: 'cosine', warmupSteps: 3 } }, 8);
});

test('Adam: stopped right after the last step of an epoch (before its evaluation)', async () => {
  await straightVsResumed(withDropout, { epochs: 2, lr: 0.01, seed: 2 }, 6);
});

test('SGD with momentum, clip by value, reduce-on-plateau: stopped mid-epoch', async () => {
  await straightVsResumed(() => sumProblem({ initSeed: 4 }), { epochs: 3, optimizer: 'sgd', momentum: 0.9, lr: 0.02, seed: 5, clipValue: 0.5, schedule: { name: 'plateau', patience: 1 } }, 10);
});

test('RMSProp with momentum and Adagrad: stopped mid-epoch', async () => {
  await straightVsResumed(() => sumProblem({ initSeed: 5 }), { epochs: 2, optimizer: 'rmsprop', momentum: 0.5, lr: 0.005, seed: 6 }, 7);
  await straightVsResumed(() => sumProblem({ initSeed: 6 }), { epochs: 2, optimizer: 'adagrad', lr: 0.05, seed: 6 }, 5);
});

test('weight averaging (ema): the shadow weights and update count are checkpointed, so resume is exact mid-epoch and at a boundary', async () => {
  await straightVsResumed(withDropout, { epochs: 3, lr: 0.01, seed: 11, ema: 0.99 }, 8);
  await straightVsResumed(() => sumProblem({ initSeed: 4 }), { epochs: 2, lr: 0.02, seed: 3, ema: 0.9 }, 6);
});

test('weight averaging changes what is evaluated: the evaluated weights are the average, not the last step', async () => {
  const plain = sumProblem({ initSeed: 4 });
  const averaged = sumProblem({ initSeed: 4 });
  const r0 = await train(plain, { epochs: 2, lr: 0.02, seed: 3 });
  const r1 = await train(averaged, { epochs: 2, lr: 0.02, seed: 3, ema: 0.9 });
  // Epoch 1 trains identically; its evaluation (and so everything after) sees the average.
  expect(r1.history[0].loss).toEqual(r0.history[0].loss);
  expect(r1.history[0]).not.toEqual(r0.history[0]);
  expect(r1.history[1].loss).not.toEqual(r0.history[1].loss);
  expect(weightsOf(averaged.model)).not.toEqual(weightsOf(plain.model));
  await expect(train(sumProblem(), { epochs: 1, ema: 1 })).rejects.toThrow(/ema must be in \[0, 1\)/);
});

test('an AbortSignal stops the loop too; stopping during the last epoch evaluation ends the run as interrupted at the epoch boundary', async () => {
  const ctrl = new AbortController();
  const out = tmpDir();
  let steps = 0;
  const r = await train(sumProblem(), { epochs: 3, checkpointDir: out, signal: ctrl.signal, onStep: () => ++steps === 3 && ctrl.abort() });
  expect(r).toMatchObject({ stopped: 'interrupted', epochs: 0, globalStep: 3 });

  const spec = sumProblem();
  const stop = new StopSignal();
  const evaluate = spec.evaluate!;
  spec.evaluate = () => {
    stop.requestStop('SIGINT');
    return evaluate();
  };
  const r2 = await train(spec, { epochs: 3, checkpointDir: out, signal: stop });
  expect(r2).toMatchObject({ stopped: 'interrupted', epochs: 1, globalStep: 6 });
});

test('dropout masks differ between steps but repeat for the same (seed, epoch, step)', async () => {
  const a = withDropout();
  const b = withDropout();
  await train(a, { epochs: 1, lr: 0.01, seed: 1 });
  await train(b, { epochs: 1, lr: 0.01, seed: 1 });
  expect(weightsOf(a.model)).toEqual(weightsOf(b.model));
  const c = withDropout();
  await train(c, { epochs: 1, lr: 0.01, seed: 2 });
  expect(weightsOf(c.model)).not.toEqual(weightsOf(a.model));
});

test('resumed into another --out: the run keeps its best checkpoint (OLD/best is copied to OUT/best)', async () => {
  // mode 'max' on a falling mse: the first epoch stays the best, so OUT/best can only come from OLD.
  const options: TrainOptions = { epochs: 3, lr: 0.01, seed: 3, metric: 'mse', mode: 'max' };
  const old = tmpDir();
  const stop = new StopSignal();
  const first = sumProblem({ initSeed: 4 });
  // Stop in epoch 3: epochs 1 and 2 were evaluated, so OLD/best exists.
  let steps = 0;
  const r1 = await train(first, { ...options, checkpointDir: old, signal: stop, onStep: () => ++steps === 7 && stop.requestStop('test') });
  expect(r1.bestEpoch).toBeGreaterThanOrEqual(0);
  const out = tmpDir();
  const second = sumProblem({ initSeed: 4 });
  const r2 = await train(second, { ...options, checkpointDir: out, resume: path.join(old, 'last') });
  expect(r2.stopped).toBe('completed');
  const fsMod = await import('fs');
  expect(fsMod.existsSync(path.join(out, 'best', 'model.json'))).toBe(true);
  expect(r2.bestEpoch).toBe(r1.bestEpoch);
  expect(fsMod.readFileSync(path.join(out, 'best', 'weights.bin'))).toEqual(fsMod.readFileSync(path.join(old, 'best', 'weights.bin')));
});
