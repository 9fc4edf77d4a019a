/**
 * TrainOptions.timeBudget (--time-budget): the run stops after the step that
 * crosses the budget, saves DIR/last at that position, evaluates and keeps a
 * better DIR/best, reports stopped 'time-budget'; --resume continues with the
 * rest of the run and ends bitwise equal to an uninterrupted one. Also the
 * duration and worker-count parsers of the common options.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parseDuration, parseWorkers } from '../../src/train/common';
import { readTrainingState } from '../../src/train/checkpoint';
import { train } from '../../src/train/train';
import type { LogRecord, StepInfo, TrainOptions, TrainSpec } from '../../src/train/types';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf, XY } from '../helpers/train_problem';

beforeAll(async () => useBackend('cpu'));

const options: TrainOptions = { epochs: 2, lr: 0.01, seed: 5, clipNorm: 1 };

test('parseDuration and parseWorkers read what --time-budget and --workers take, and say what they expected', () => {
  expect(parseDuration('90s')).toBe(90);
  expect(parseDuration('30m')).toBe(1800);
  expect(parseDuration('2h')).toBe(7200);
  expect(parseDuration('1h30m')).toBe(5400);
  expect(parseDuration('250ms')).toBeCloseTo(0.25, 10);
  expect(parseDuration('45')).toBe(45);
  expect(parseDuration('0')).toBe(0);
  for (const bad of ['', 'soon', '10 minutes', '5x', 'm30', '1h30']) expect(() => parseDuration(bad)).toThrow(/duration such as 90s, 30m, 2h/);
  expect(parseWorkers('auto')).toBe('auto');
  expect(parseWorkers('AUTO')).toBe('auto');
  expect(parseWorkers('2')).toBe(2);
  for (const bad of ['0', '-1', '1.5', 'two', '65']) expect(() => parseWorkers(bad)).toThrow(/'auto' or an integer from 1 to 64/);
});

test('a budget that runs out mid-epoch stops after that step, saves last and best, and a resume ends as the uninterrupted run', async () => {
  const whole = sumProblem();
  const rWhole = await train(whole, options);
  expect(rWhole.stopped).toBe('completed');

  const out = tmpDir();
  const first = sumProblem();
  const logs: LogRecord[] = [];
  const steps: StepInfo[] = [];
  const n0 = tf.memory().numTensors;
  // 1 ms: the first step crosses it (a step takes longer), so the stop position is deterministic.
  const r1 = await train(first, { ...options, timeBudget: 0.001, checkpointDir: out, onLog: (r) => logs.push(r), onStep: (s) => steps.push(s) });
  // nothing left behind by the stop's evaluation and saves: only the unfinished epoch's 6 batches (x, y),
  // which its onEpochDone would free (a stop signal leaves them the same way)
  expect(tf.memory().numTensors - n0).toBe(12);
  expect(r1.stopped).toBe('time-budget');
  expect(r1.globalStep).toBe(1);
  expect(steps).toHaveLength(1);
  expect(steps[0].budgetLeftSec).toBeLessThanOrEqual(0); // the progress line's "budget left"
  expect(readTrainingState(path.join(out, 'last'))).toMatchObject({ epoch: 0, step: 1, globalStep: 1, bestEpoch: 0 });
  // evaluated like an early stop: the stop's dev metrics are the best so far, saved as DIR/best
  const budget = logs.find((l) => l.type === 'budget');
  expect(budget).toMatchObject({ type: 'budget', epoch: 0, step: 1, best: true });
  expect(r1.bestDev.mse).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(out, 'best', 'model.json'))).toBe(true);
  expect(logs[logs.length - 1]).toMatchObject({ type: 'stop', reason: 'time-budget', globalStep: 1 });

  // a resumed run gets a fresh budget (none here) and finishes the rest of the run
  const second = sumProblem({ initSeed: 99 });
  const r2 = await train(second, { ...options, resume: path.join(out, 'last') });
  expect(r2.stopped).toBe('completed');
  expect(r2.globalStep).toBe(rWhole.globalStep);
  expect(weightsOf(second.model)).toEqual(weightsOf(whole.model)); // bitwise
  expect(r2.history.map((h) => h.loss)).toEqual(rWhole.history.map((h) => h.loss));
  [whole, first, second].forEach((s) => s.model.dispose());
});

test('a budget crossed on the last step of an epoch ends that epoch normally (evaluated, saved) and stops before the next', async () => {
  // one batch per epoch: the step that crosses the budget is the epoch's last
  const oneBatch = (): TrainSpec<XY> => {
    const s = sumProblem();
    const inner = s.batches;
    return {
      ...s,
      batches: (epoch, seed) => {
        const all = inner(epoch, seed);
        all.slice(1).forEach((b) => tf.dispose([b.x, b.y]));
        return all.slice(0, 1);
      },
    };
  };
  const out = tmpDir();
  const spec = oneBatch();
  const r = await train(spec, { ...options, epochs: 3, timeBudget: 0.001, checkpointDir: out });
  expect(r.stopped).toBe('time-budget');
  expect(r.epochs).toBe(1);
  expect(r.history).toHaveLength(1);
  expect(readTrainingState(path.join(out, 'last'))).toMatchObject({ epoch: 1, step: 0, globalStep: 1 });
  // the budget counts per invocation: a resume with the same budget takes one more epoch
  const again = oneBatch();
  const r2 = await train(again, { ...options, epochs: 3, timeBudget: 0.001, checkpointDir: out, resume: path.join(out, 'last') });
  expect(r2).toMatchObject({ stopped: 'time-budget', epochs: 2, globalStep: 2 });
  // a budget the run never reaches changes nothing
  const free = oneBatch();
  const r3 = await train(free, { ...options, epochs: 3, timeBudget: 3600 });
  expect(r3).toMatchObject({ stopped: 'completed', epochs: 3 });
  [spec, again, free].forEach((s) => s.model.dispose());
});

test('a negative budget is a clear error', async () => {
  const spec = sumProblem();
  await expect(train(spec, { ...options, timeBudget: -1 })).rejects.toThrow('timeBudget must be ≥ 0 seconds (0 disables), got -1');
  spec.model.dispose();
});
