/**
 * Data-parallel training (TrainOptions.workers): 1 and 2 workers reach the same
 * weights; a given worker count is bitwise reproducible and resumes exactly; a
 * failing worker ends the run with a clear error and a loadable OUT/last.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, readTrainingState } from '../../src/train/checkpoint';
import { TrainingDivergedError, WorkerCrashedError } from '../../src/train/errors';
import { shardRows } from '../../src/train/parallel';
import { StopSignal } from '../../src/train/stop';
import { train } from '../../src/train/train';
import type { TrainOptions } from '../../src/train/types';
import { toleranceRatio, useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf } from '../helpers/train_problem';
import { parallelProblem } from '../fixtures/parallel_problem';

beforeAll(async () => useBackend('cpu'));

const options: TrainOptions = { epochs: 2, lr: 0.01, seed: 4, clipNorm: 1 };
const flat = (w: number[][]): number[] => w.flat();

test('shardRows splits the per-example fields and keeps the others', () => {
  const b = { ids: [[1], [2], [3], [4], [5]], labels: Int32Array.from([0, 1, 0, 1, 1]), width: 1 };
  expect(shardRows(b, 0, 2, 5)).toEqual({ ids: [[1], [2]], labels: Int32Array.from([0, 1]), width: 1 });
  expect(shardRows(b, 1, 2, 5)).toEqual({ ids: [[3], [4], [5]], labels: Int32Array.from([0, 1, 1]), width: 1 });
  expect(shardRows(b, 0, 8, 5).ids).toEqual([]);
});

let twoWorkers: number[][];
let twoHistory: Record<string, number>[];

test('2 workers give the weights of 1 within float32 rounding', async () => {
  const one = parallelProblem();
  const r1 = await train(one, options);
  const numTensors = tf.memory().numTensors;
  const two = parallelProblem();
  const logs: unknown[] = [];
  const r2 = await train(two, { ...options, workers: 2, onLog: (r) => logs.push(r) });
  expect(tf.memory().numTensors - numTensors).toBe(two.model.weights.length); // only the new model's weights
  expect(r2.globalStep).toBe(r1.globalStep);
  expect(logs[0]).toMatchObject({ type: 'start', workers: 2 });
  expect(toleranceRatio(flat(weightsOf(two.model)), flat(weightsOf(one.model)), 1e-5, 1e-4)).toBeLessThanOrEqual(1);
  // the weights did move (the comparison is not trivially true)
  const init = parallelProblem();
  expect(toleranceRatio(flat(weightsOf(init.model)), flat(weightsOf(one.model)), 1e-3, 0)).toBeGreaterThan(1);
  expect(r2.history.map((h) => h.loss)).toEqual(r1.history.map((h) => expect.closeTo(h.loss, 5)));
  twoWorkers = weightsOf(two.model);
  twoHistory = r2.history;
  [one, two, init].forEach((s) => s.model.dispose());
});

// Also the repeatability of a worker count: a second 2-worker run (stopped, resumed in a fresh model) ends bitwise equal.
test('resume with 2 workers equals an uninterrupted 2-worker run', async () => {
  const out = tmpDir();
  const first = parallelProblem();
  const stop = new StopSignal();
  let steps = 0;
  const r1 = await train(first, { ...options, workers: 2, checkpointDir: out, signal: stop, onStep: () => ++steps === 4 && stop.requestStop('test') });
  expect(r1.stopped).toBe('interrupted');
  const second = parallelProblem({ initSeed: 99 }); // other initial weights: all must come from the checkpoint
  const r2 = await train(second, { ...options, workers: 2, checkpointDir: out, resume: path.join(out, 'last') });
  expect(r2.stopped).toBe('completed');
  expect(weightsOf(second.model)).toEqual(twoWorkers);
  expect(r2.history).toEqual(twoHistory);
  [first, second].forEach((s) => s.model.dispose());
});

test.each(['exit', 'throw'] as const)('a worker that fails (%s) ends the run with a clear error; OUT/last holds the state before the step', async (how) => {
  const out = tmpDir();
  const spec = parallelProblem({ initSeed: 3, crashAt: { step: 5, how } });
  const run = train(spec, { ...options, workers: 2, checkpointDir: out });
  const message = how === 'exit' ? /worker 1 .* exited unexpectedly with code 3 at epoch 2, step 2/ : /worker 1 .* failed at epoch 2, step 2: injected failure/;
  await expect(run).rejects.toThrow(message);
  await expect(run).rejects.toBeInstanceOf(WorkerCrashedError);
  await expect(run).rejects.toThrow(`the state before this step is saved in ${path.join(out, 'last')}`);
  expect(readTrainingState(path.join(out, 'last'))).toMatchObject({ epoch: 1, step: 1, globalStep: 4 });
  const ck = await loadCheckpoint(path.join(out, 'last'));
  expect(ck.model.getWeights().every((w) => w.dataSync().every(Number.isFinite))).toBe(true);
  ck.model.dispose();
  tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
  // no stray temporary directories next to it
  expect(fs.readdirSync(out).sort()).toEqual(['best', 'last']);
  spec.model.dispose();
});

test('a NaN loss in a worker shard stops the run as one thread would (the step is not applied, OUT/last kept)', async () => {
  const out = tmpDir();
  const spec = parallelProblem({ initSeed: 3, crashAt: { step: 5, how: 'nan' } });
  const run = train(spec, { ...options, workers: 2, checkpointDir: out });
  await expect(run).rejects.toBeInstanceOf(TrainingDivergedError);
  await expect(run).rejects.toThrow(`training diverged at epoch 2, step 2: loss NaN, gradient norm NaN; the last good checkpoint is ${path.join(out, 'last')}`);
  expect(readTrainingState(path.join(out, 'last'))).toMatchObject({ epoch: 1, step: 0, globalStep: 3 });
  spec.model.dispose();
});

test('a replica that cannot be built, or does not match, is a clear error before any step', async () => {
  const bad = parallelProblem();
  bad.replica = { ...bad.replica!, exportName: 'nope' };
  await expect(train(bad, { ...options, workers: 2 })).rejects.toThrow(/could not build the replica: .*parallel_problem.ts has no exported function 'nope'/);
  const other = parallelProblem();
  other.replica = { ...other.replica!, args: { initSeed: 3, units: 4 } };
  await expect(train(other, { ...options, workers: 2 })).rejects.toThrow(/the replica's trainable weights .* differ from the main model's/);
  const plain = sumProblem();
  await expect(train(plain, { ...options, workers: 2 })).rejects.toThrow(/does not support data-parallel training/);
  const tensors = parallelProblem(); // a worker shard holding tensors cannot be sent
  tensors.shard = (b, i, n) => (i === 0 ? shardRows(b, i, n, b.y.length) : ({ ...shardRows(b, i, n, b.y.length), x: tf.tensor3d(shardRows(b, i, n, b.y.length).x) } as never));
  await expect(train(tensors, { ...options, workers: 2 })).rejects.toThrow(/TrainSpec.shard returned a tf.Tensor \(x\) for a worker shard; .* must be plain data/);
  await expect(train(plain, { ...options, workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
  [bad, other, plain, tensors].forEach((s) => s.model.dispose());
});
