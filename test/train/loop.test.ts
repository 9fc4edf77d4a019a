/**
 * The loop itself: early stopping and the best checkpoint, metric direction,
 * callbacks and JSON log records, health numbers, periodic checkpoints, and no
 * tensor leaks from step to step.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readTrainingState } from '../../src/train/checkpoint';
import { StopSignal } from '../../src/train/stop';
import { train } from '../../src/train/train';
import type { LogRecord, StepInfo } from '../../src/train/types';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf } from '../helpers/train_problem';
import { loadModel } from '../../src/io/fs_handler';

beforeAll(async () => useBackend('cpu'));

test('no tensors leak across training steps (clip by value and norm, logging, health numbers)', async () => {
  const spec = sumProblem();
  const counts: number[] = [];
  await train(spec, { epochs: 2, lr: 0.01, clipNorm: 0.5, clipValue: 0.1, schedule: { name: 'cosine' }, onStep: () => counts.push(tf.memory().numTensors), onLog: () => undefined, logEvery: 1 });
  // The first step creates the optimizer's slots; from then on every step ends with the same count.
  expect(new Set(counts.slice(1, 6)).size).toBe(1);
  // Across epochs too (the task frees its batches in onEpochDone and re-creates them).
  expect(counts[11]).toBe(counts[5]);
});

test('no leak across a whole train() call: the optimizer is disposed at the end', async () => {
  const spec = sumProblem();
  await train(spec, { epochs: 1, lr: 0.01 }); // warm-up (kernels, evaluation constants)
  const before = tf.memory().numTensors;
  await train(spec, { epochs: 2, lr: 0.01, optimizer: 'adam' });
  expect(tf.memory().numTensors).toBe(before);
});

test('early stopping on a max metric (patience) and the best checkpoint', async () => {
  const out = tmpDir();
  const spec = sumProblem();
  const scores = [1, 3, 2, 2.5, 2, 4];
  let e = 0;
  spec.evaluate = () => ({ score: scores[e++] });
  let bestWeights: number[][] = [];
  const r = await train(spec, { epochs: 6, lr: 0.001, checkpointDir: out, patience: 2, onEpochEnd: (info) => info.best && (bestWeights = weightsOf(spec.model)) });
  expect(r).toMatchObject({ stopped: 'early-stopping', epochs: 4, bestEpoch: 1, metric: 'score', bestValue: 3, bestDev: { score: 3 } });
  expect(r.history.map((h) => h.dev_score)).toEqual([1, 3, 2, 2.5]);
  expect(readTrainingState(path.join(out, 'best')).epoch).toBe(2);
  expect(readTrainingState(path.join(out, 'last')).epoch).toBe(4);
  expect(weightsOf(await loadModel(path.join(out, 'best')))).toEqual(bestWeights);
});

test("metric direction: 'auto' minimizes losses and errors, maximizes the rest; explicit mode wins", async () => {
  const run = async (metric: string, mode?: 'max' | 'min') => {
    const spec = sumProblem();
    const values = [3, 1, 2];
    let e = 0;
    spec.evaluate = () => ({ [metric]: values[e++] });
    return train(spec, { epochs: 3, lr: 0.001, metric, mode });
  };
  expect((await run('mse')).bestEpoch).toBe(1);
  expect((await run('loss')).bestEpoch).toBe(1);
  expect((await run('perplexity')).bestEpoch).toBe(1);
  expect((await run('accuracy')).bestEpoch).toBe(0);
  expect((await run('accuracy', 'min')).bestEpoch).toBe(1);
  expect((await run('mse', 'max')).bestEpoch).toBe(0);
});

test('without evaluate() the training loss selects the best epoch; an unknown metric is a clear error', async () => {
  const spec = sumProblem();
  delete spec.evaluate;
  const r = await train(spec, { epochs: 2, lr: 0.01 });
  expect(r.metric).toBe('loss');
  expect(r.bestValue).toBe(Math.min(r.history[0].loss, r.history[1].loss));
  await expect(train(sumProblem(), { epochs: 1, metric: 'acuracy' })).rejects.toThrow("selection metric 'acuracy' is not among the dev metrics (mse)");
});

test('step health numbers and JSON log records', async () => {
  const steps: StepInfo[] = [];
  const records: LogRecord[] = [];
  const out = tmpDir();
  await train(sumProblem(), { epochs: 2, lr: 0.01, clipNorm: 0.3, checkpointDir: out, logEvery: 4, onStep: (s) => steps.push(s), onLog: (r) => records.push(JSON.parse(JSON.stringify(r))) });
  expect(steps).toHaveLength(12);
  expect(steps.map((s) => [s.epoch, s.step, s.globalStep])).toEqual(Array.from({ length: 12 }, (_, i) => [Math.floor(i / 6), i % 6, i + 1]));
  for (const s of steps) {
    expect(s.stepsInEpoch).toBe(6);
    expect(s.gradNorm).toBeGreaterThan(0);
    expect(s.paramNorm).toBeGreaterThan(0);
    expect(s.gradParamRatio).toBeCloseTo(s.gradNorm / s.paramNorm, 10);
    // the applied update ratio and per-layer figures: logging steps only (every 4th and epoch ends); test/train/update_ratio.test.ts checks their values
    const logging = s.globalStep % 4 === 0 || s.step === 5;
    expect(s.updateRatio !== undefined).toBe(logging);
    expect(s.layers !== undefined).toBe(logging);
    expect(s.clipped).toBe(s.gradNorm > 0.3);
    expect(s.examplesPerSec).toBeGreaterThan(0);
    expect(s.etaSec).toBeGreaterThanOrEqual(0);
  }
  expect(steps[11].etaSec).toBe(0);
  const kinds = records.filter((r) => r.type !== 'warning').map((r) => (r.type === 'checkpoint' ? `checkpoint:${r.kind}` : r.type === 'step' ? `step:${r.globalStep}` : r.type));
  expect(kinds).toEqual([
    'start', 'step:4', 'step:6', 'checkpoint:best', 'checkpoint:last', 'epoch',
    'step:8', 'step:12', ...(records.some((r) => r.type === 'checkpoint' && r.kind === 'best' && r.epoch === 2) ? ['checkpoint:best'] : []), 'checkpoint:last', 'epoch', 'stop',
  ]);
  expect(records[0]).toMatchObject({ type: 'start', backend: 'cpu', epochs: 2, stepsPerEpoch: 6, seed: 1 });
  expect(records[records.length - 1]).toEqual({ type: 'stop', reason: 'completed', epoch: 2, step: 0, globalStep: 12 });
});

test('checkpointEvery saves OUT/last within an epoch', async () => {
  const out = tmpDir();
  const saved: number[] = [];
  await train(sumProblem(), { epochs: 1, lr: 0.01, checkpointDir: out, checkpointEvery: 2, onLog: (r) => r.type === 'checkpoint' && r.kind === 'last' && saved.push(r.globalStep) });
  expect(saved).toEqual([2, 4, 6]);
});

test('bad options are clear errors', async () => {
  await expect(train(sumProblem(), { epochs: 1.5 })).rejects.toThrow('epochs must be a non-negative integer, got 1.5');
  await expect(train(sumProblem(), { epochs: 1, patience: -1 })).rejects.toThrow('patience must be a non-negative integer');
  await expect(train(sumProblem(), { epochs: 1, lr: 0 })).rejects.toThrow('learning rate must be a positive number');
  await expect(train(sumProblem(), { epochs: 1, optimizer: 'nadam' as never })).rejects.toThrow("unknown optimizer 'nadam'");
  await expect(train({ ...sumProblem(), batches: () => [] }, { epochs: 1 })).rejects.toThrow('TrainSpec.batches returned no batches for epoch 1');
});

test('a stop requested from a macrotask (a signal handler, a timer) is seen after the current step', async () => {
  const stop = new StopSignal();
  let seenAt = -1;
  const r = await train(sumProblem(), {
    epochs: 5,
    signal: stop,
    onStep: (s) => {
      if (s.globalStep === 2) setImmediate(() => stop.requestStop('SIGINT'));
      seenAt = s.globalStep;
    },
  });
  expect(r.stopped).toBe('interrupted');
  expect(seenAt).toBe(2);
  expect(r.globalStep).toBe(2);
});
