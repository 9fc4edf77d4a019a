/**
 * Resume equality for any task through the contract: a run interrupted after k
 * steps (the CLI's Ctrl-C path: the stop signal) and resumed from OUT/last ends
 * with the same weights as an uninterrupted run with the same options.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadModel } from '../../src/io/fs_handler';
import { StopSignal } from '../../src/train/stop';
import type { Task } from '../../src/task';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-resume-'));

/** Every weight of the checkpoint in `dir`, flattened in the model's weight order. */
export async function flatWeightsIn(dir: string): Promise<number[]> {
  return (await weightsIn(dir)).flat();
}

async function weightsIn(dir: string): Promise<number[][]> {
  const m = await loadModel(dir);
  const w = m.getWeights().map((t) => Array.from(t.dataSync()));
  m.dispose();
  return w;
}

/** Trains `config` straight and interrupted-after-`stopAfter`-steps-then-resumed; returns both final weights (of OUT/last) and the runs' results. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function straightAndResumed(task: Task<any, any>, config: Record<string, unknown>, stopAfter: number) {
  const a = tmp();
  const straight = await task.train({ ...config, out: a });
  const b = tmp();
  const stop = new StopSignal();
  let steps = 0;
  const first = await task.train({ ...config, out: b }, { signal: stop, onStep: () => ++steps === stopAfter && stop.requestStop('test') });
  expect(first.training.stopped).toBe('interrupted');
  const resumed = await task.train({ ...config, out: b, resume: path.join(b, 'last') });
  expect(resumed.training.globalStep).toBe(straight.training.globalStep);
  const [wa, wb] = [await weightsIn(path.join(a, 'last')), await weightsIn(path.join(b, 'last'))];
  return { straight, resumed, weights: [wa, wb] as const };
}
