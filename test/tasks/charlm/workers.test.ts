/**
 * The character model with data-parallel workers and truncated BPTT's carried
 * states through the worker protocol: each shard's tracks start from their rows of
 * the carried states and return their final states. 2 workers train to the
 * weights of 1 within float32 rounding (carried states on, so a wrong row split
 * would show); a 2-worker run stopped mid-pass and resumed from OUT/last (its
 * carried states included) ends bitwise equal to the uninterrupted 2-worker run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StopSignal } from '../../../src/train/stop';
import { trainCharLm } from '../../../tasks/charlm/train';
import { lmShard } from '../../../tasks/charlm/replica';
import { toleranceRatio, useBackend } from '../../helpers/backends';
import { flatWeightsIn } from '../../helpers/task_resume';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-charlm-workers-'));
const TINY = { layers: 1, hidden: 12, embeddingDim: 6, batchSize: 6, bptt: 10, epochs: 2, minEpochSteps: 1, samples: 0, lr: 0.01, warmup: 0, patience: 0, dropout: 0, seed: 2, carryStates: true };

const weightsIn = flatWeightsIn;

let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  const d = tmp();
  data = path.join(d, 'text.txt');
  const words = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
  fs.writeFileSync(data, Array.from({ length: 120 }, (_, i) => `${words[i % 5]} ${words[(i * 3) % 5]} ${i % 7}`).join('\n') + '\n');
});

test('lmShard: a range of tracks, same chunk', () => {
  const b = { offset: 3, trackLength: 100, B: 5, t0: 20, T: 10, reset: false };
  expect(lmShard(b, 0, 2)).toEqual({ ...b, B: 2 });
  expect(lmShard(b, 1, 2)).toEqual({ ...b, B: 3, offset: 203 });
});

test('2 workers (carried states split by track) train to the weights of 1; a stopped 2-worker run resumes bitwise with its carried states', async () => {
  const one = tmp();
  const r1 = await trainCharLm({ ...TINY, data, out: one, workers: 1 });
  const two = tmp();
  const r2 = await trainCharLm({ ...TINY, data, out: two, workers: 2 });
  expect(r2.training.workers).toBe(2);
  expect(r2.training.globalStep).toBe(r1.training.globalStep);
  expect(r1.training.globalStep).toBeGreaterThanOrEqual(6);
  const [w1, w2] = [await weightsIn(path.join(one, 'last')), await weightsIn(path.join(two, 'last'))];
  expect(toleranceRatio(w2, w1, 1e-5, 1e-4)).toBeLessThanOrEqual(1);

  const three = tmp();
  const stop = new StopSignal();
  let steps = 0;
  const first = await trainCharLm({ ...TINY, data, out: three, workers: 2 }, { signal: stop, onStep: () => ++steps === 2 && stop.requestStop('test') });
  expect(first.training.stopped).toBe('interrupted');
  expect(fs.existsSync(path.join(three, 'last', 'carried.json'))).toBe(true); // the tracks' states, all rows
  const resumed = await trainCharLm({ ...TINY, data, out: three, resume: path.join(three, 'last') });
  expect(resumed.training.workers).toBe(2); // 'auto' keeps the checkpoint's count
  expect(await weightsIn(path.join(three, 'last'))).toEqual(w2);
}, 180000);
