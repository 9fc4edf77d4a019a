/**
 * TrainOptions.workers 'auto' (the tasks' default, --workers auto): the count it
 * picks (cores capped, 1 for short runs and for specs without a replica, with a
 * note and no error), recorded in the start record, the result and training.json;
 * a resumed 'auto' run keeps the checkpoint's count (bitwise equal to the
 * uninterrupted run) and an explicit other count says the rounding will differ.
 */
import * as os from 'os';
import * as path from 'path';
import { AUTO_WORKERS_CAP, autoWorkers } from '../../src/train/common';
import { readTrainingState } from '../../src/train/checkpoint';
import { StopSignal } from '../../src/train/stop';
import { train } from '../../src/train/train';
import type { LogRecord, TrainOptions } from '../../src/train/types';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf } from '../helpers/train_problem';
import { parallelProblem } from '../fixtures/parallel_problem';

beforeAll(async () => useBackend('cpu'));

// parallelProblem: 3 batches of 8 per epoch; 34 epochs = 102 steps, past the 100-step floor of 'auto'
const long: TrainOptions = { epochs: 34, lr: 0.01, seed: 4, clipNorm: 1, workers: 'auto' };
const expected = Math.min(os.availableParallelism(), AUTO_WORKERS_CAP, 8);

test('autoWorkers: the cores, at most the cap and the batch rows; 1 for short runs', () => {
  expect(autoWorkers()).toBe(Math.min(os.availableParallelism(), AUTO_WORKERS_CAP));
  expect(autoWorkers(99)).toBe(1);
  expect(autoWorkers(100, 1)).toBe(1);
  expect(autoWorkers(1000, 64)).toBeLessThanOrEqual(AUTO_WORKERS_CAP);
});

test("'auto' falls back to 1 thread with a note: a spec without a replica, a short run", async () => {
  const notes: string[] = [];
  const plain = sumProblem();
  const r = await train(plain, { epochs: 1, workers: 'auto', onNote: (m) => notes.push(m) });
  expect(r.workers).toBe(1);
  expect(notes).toEqual(['workers 1 (auto: this TrainSpec has no data-parallel replica)']);
  notes.length = 0;
  const short = parallelProblem();
  const logs: LogRecord[] = [];
  const r2 = await train(short, { ...long, epochs: 2, onNote: (m) => notes.push(m), onLog: (l) => logs.push(l) });
  expect(r2.workers).toBe(1);
  expect(notes[0]).toMatch(/^workers 1 \(auto: a 6-step run does not repay starting threads;/);
  expect(logs[0]).toMatchObject({ type: 'start', workers: 1 });
  [plain, short].forEach((s) => s.model.dispose());
  // a spec whose steps are too short for workers (TrainSpec.autoWorkersCap 1): auto stays on 1 for a long run too
  notes.length = 0;
  const small = { ...parallelProblem(), autoWorkersCap: 1 };
  const r3 = await train(small, { ...long, epochs: 1, onNote: (m) => notes.push(m) });
  expect(r3.workers).toBe(1);
  expect(notes).toEqual(["workers 1 (auto: the steps of task 'parallel-test' are too short for a second thread to pay; --workers 2 runs it anyway)"]);
  small.model.dispose();
});

test("'auto' on a long run uses the cores, records the count, and a resumed 'auto' run keeps it (bitwise equal)", async () => {
  const whole = parallelProblem();
  const notes: string[] = [];
  const logs: LogRecord[] = [];
  const rWhole = await train(whole, { ...long, onNote: (m) => notes.push(m), onLog: (l) => logs.push(l) });
  expect(rWhole.workers).toBe(expected);
  expect(logs[0]).toMatchObject({ type: 'start', workers: expected });
  expect(notes[0]).toMatch(new RegExp(`^workers ${expected} \\(auto: `));

  const out = tmpDir();
  const first = parallelProblem();
  const stop = new StopSignal();
  let steps = 0;
  await train(first, { ...long, checkpointDir: out, signal: stop, onStep: () => ++steps === 40 && stop.requestStop('test') });
  expect(readTrainingState(path.join(out, 'last'))).toMatchObject({ globalStep: 40, workers: expected });
  const resumedNotes: string[] = [];
  const second = parallelProblem({ initSeed: 77 });
  const r2 = await train(second, { ...long, resume: path.join(out, 'last'), onNote: (m) => resumedNotes.push(m) });
  expect(r2.workers).toBe(expected);
  if (expected > 1) expect(resumedNotes[0]).toMatch(new RegExp(`^workers ${expected} \\(auto on resume: the checkpoint's count`));
  expect(weightsOf(second.model)).toEqual(weightsOf(whole.model));

  // an explicit other count is allowed, and said to round differently
  const third = parallelProblem({ initSeed: 78 });
  const otherNotes: string[] = [];
  const other = expected === 1 ? 2 : 1;
  const r3 = await train(third, { ...long, epochs: 14, workers: other, resume: path.join(out, 'last'), onNote: (m) => otherNotes.push(m) });
  expect(r3.workers).toBe(other);
  expect(otherNotes[0]).toBe(`workers ${other} (the checkpoint ran with ${expected}): the float32 rounding will differ from an uninterrupted run`);
  [whole, first, second, third].forEach((s) => s.model.dispose());
}, 120000);
