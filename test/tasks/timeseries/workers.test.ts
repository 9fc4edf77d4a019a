/**
 * The forecaster with data-parallel workers: batches are window indices, so
 * shardRows splits them and each shard's windows, gathered in the loss, give the
 * whole batch's loss when weighted by window count; 2 workers train the LSTM +
 * linear forecaster to the weights of 1 within float32 rounding; a 2-worker run
 * stopped and resumed (the checkpoint's count kept by 'auto') ends bitwise equal
 * to the uninterrupted 2-worker run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { StopSignal } from '../../../src/train/stop';
import { trainTimeseries } from '../../../tasks/timeseries/train';
import { buildForecaster } from '../../../tasks/timeseries/model';
import { timeseriesParallel, windowIndexLoss } from '../../../tasks/timeseries/replica';
import { toleranceRatio, useBackend } from '../../helpers/backends';
import { flatWeightsIn } from '../../helpers/task_resume';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ts-workers-'));
// 120 months, seasonal and trending with a deterministic irregular part; 2 epochs of batch 16 (≈ 5 steps each).
const SERIES = Array.from({ length: 120 }, (_, t) => (200 + 3 * t) * (1 + 0.25 * Math.sin((2 * Math.PI * t) / 12)) + 10 * Math.sin(t * 1.7));
const TINY = { hidden: 6, epochs: 2, patience: 0, batchSize: 16, lr: 1e-2, seed: 4 };

let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  data = path.join(tmp(), 'series.csv');
  const rows = SERIES.map((v, t) => `${2000 + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')},${v}`);
  fs.writeFileSync(data, ['month,sales', ...rows].join('\n') + '\n');
});

test('shards of window indices: the window-weighted shard losses equal the whole batch loss', () => {
  const shape = { cell: 'lstm' as const, hidden: 5, layers: 1, dropout: 0, window: 4, channels: 2, outputs: 3, linear: true, seed: 1 };
  const rows = 11;
  const x = Float32Array.from({ length: rows * 4 * 2 }, (_, i) => Math.sin(i * 0.7));
  const y = Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(i * 0.3));
  const p = timeseriesParallel({ shape, x, y, rows });
  const model = buildForecaster(shape);
  const xT = tf.tensor3d(x, [rows, 4, 2]);
  const yT = tf.tensor2d(y, [rows, 3]);
  const loss = windowIndexLoss(model, xT, yT);
  const batch = { index: [7, 2, 9, 0, 4, 10, 1] };
  const n0 = tf.memory().numTensors;
  const whole = loss(batch, false).arraySync() as number;
  const parts = [0, 1].map((i) => p.shard(batch, i, 2));
  expect(parts.map((s) => s.index)).toEqual([[7, 2, 9], [0, 4, 10, 1]]); // shardRange: the later shards take the extra row
  const mix = parts.reduce((a, s) => a + (s.index.length / 7) * (loss(s, false).arraySync() as number), 0);
  expect(Math.abs(mix - whole)).toBeLessThan(1e-6 * Math.max(1, whole));
  expect(whole).toBeGreaterThan(0);
  expect(tf.memory().numTensors).toBe(n0 + 3); // the three scalars read above, nothing else
  tf.dispose([xT, yT]);
  model.dispose();
});

test('2 workers train the forecaster to the weights of 1; a stopped 2-worker run resumes (auto keeps 2) bitwise', async () => {
  const one = tmp();
  const r1 = await trainTimeseries({ ...TINY, data, out: one, workers: 1 });
  const two = tmp();
  const r2 = await trainTimeseries({ ...TINY, data, out: two, workers: 2 });
  expect(r1.training.workers).toBe(1);
  expect(r2.training.workers).toBe(2);
  expect(r2.training.globalStep).toBe(r1.training.globalStep);
  expect(r1.training.globalStep).toBeGreaterThanOrEqual(6);
  const [w1, w2] = [await flatWeightsIn(path.join(one, 'last')), await flatWeightsIn(path.join(two, 'last'))];
  expect(w2).not.toEqual(w1); // a different rounding: the shards really ran apart
  expect(toleranceRatio(w2, w1, 1e-5, 1e-4)).toBeLessThanOrEqual(1);

  const three = tmp();
  const stop = new StopSignal();
  let steps = 0;
  const first = await trainTimeseries({ ...TINY, data, out: three, workers: 2 }, { signal: stop, onStep: () => ++steps === 3 && stop.requestStop('test') });
  expect(first.training.stopped).toBe('interrupted');
  const resumed = await trainTimeseries({ ...TINY, data, out: three, workers: 'auto', resume: path.join(three, 'last') });
  expect(resumed.training.workers).toBe(2);
  expect(await flatWeightsIn(path.join(three, 'last'))).toEqual(w2);
}, 180000);
