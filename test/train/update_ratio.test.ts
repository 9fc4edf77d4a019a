/**
 * Training diagnostics (issue 29): the reported update ratio is the update the
 * optimizer applied, ‖w_after − w_before‖ / ‖w_before‖ computed here from the
 * weights read before and after each step (Adam, SGD; not lr·‖g‖/‖w‖), per layer
 * too; layer groups come from the weight names; the clip fraction counts the
 * clipped steps; a tiny lr or constant clipping warns; the data-parallel path
 * reports the same figures; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { embedding } from '../../layers/embedding';
import { stacked } from '../../layers/recurrent_layer';
import { SeededRandom } from '../../layers/random';
import { weightGroup, weightGroups, trainableNames } from '../../src/diagnostics/weight_groups';
import { EpochHealth } from '../../src/diagnostics/step_health';
import { train } from '../../src/train/train';
import type { EpochInfo, LogRecord, StepInfo, TrainOptions, TrainSpec } from '../../src/train/types';
import { useBackend } from '../helpers/backends';
import * as path from 'path';
import { sumProblem, tmpDir } from '../helpers/train_problem';
import { parallelProblem } from '../fixtures/parallel_problem';

beforeAll(async () => useBackend('cpu'));

const flatWeights = (m: tf.LayersModel): Float64Array[] => m.trainableWeights.map((w) => Float64Array.from(w.read().dataSync()));
const sq = (a: Float64Array): number => a.reduce((s, v) => s + v * v, 0);
const diffSq = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** Trains with logEvery 1 and checks every step's figures against the weights before/after it. */
async function checkApplied(options: Partial<TrainOptions>): Promise<{ steps: StepInfo[]; worst: number; oldFormulaGaps: number[] }> {
  const spec = sumProblem();
  const names = trainableNames(spec.model.trainableWeights);
  const groups = weightGroups(names);
  let before = flatWeights(spec.model);
  const steps: StepInfo[] = [];
  let worst = 0;
  const oldFormulaGaps: number[] = [];
  await train(spec, {
    epochs: 1, logEvery: 1, ...options,
    onStep: (s) => {
      const after = flatWeights(spec.model);
      const d2 = after.map((a, i) => diffSq(a, before[i]));
      const w2 = before.map(sq);
      const expected = Math.sqrt(d2.reduce((a, b) => a + b, 0)) / Math.sqrt(w2.reduce((a, b) => a + b, 0));
      expect(s.updateRatio).toBeDefined();
      worst = Math.max(worst, rel(s.updateRatio as number, expected));
      groups.names.forEach((g, k) => {
        const idx = groups.of.map((gi, i) => (gi === k ? i : -1)).filter((i) => i >= 0);
        const e = Math.sqrt(idx.reduce((a, i) => a + d2[i], 0)) / Math.sqrt(idx.reduce((a, i) => a + w2[i], 0));
        worst = Math.max(worst, rel(s.layers![g].updateRatio, e));
      });
      // the per-layer gradient norms add up to the global one
      const g2 = Object.values(s.layers!).reduce((a, l) => a + l.gradNorm ** 2, 0);
      expect(rel(Math.sqrt(g2), s.gradNorm)).toBeLessThan(1e-5);
      oldFormulaGaps.push(rel((s.lr * s.gradNorm) / s.paramNorm, expected));
      steps.push(s);
      before = after;
    },
  });
  return { steps, worst, oldFormulaGaps };
}

test('Adam: the reported updateRatio is ‖Δw‖/‖w‖ of the applied step within 1e-6 (globally and per layer), far from lr·‖g‖/‖w‖', async () => {
  const { steps, worst, oldFormulaGaps } = await checkApplied({ optimizer: 'adam', lr: 1e-3 });
  expect(steps).toHaveLength(6);
  expect(worst).toBeLessThan(1e-6);
  // the former figure, lr·‖g‖/‖w‖, misses Adam's applied update at every step (by up to several times)
  expect(Math.min(...oldFormulaGaps)).toBeGreaterThan(1e-3);
  expect(Math.max(...oldFormulaGaps)).toBeGreaterThan(0.5);
  expect(Object.keys(steps[0].layers!)).toEqual([expect.stringMatching(/^simple_rnn/), expect.stringMatching(/^dense/)]);
});

test('SGD (and momentum, RMSprop): the same identity holds', async () => {
  for (const o of [{ optimizer: 'sgd' as const, lr: 0.05 }, { optimizer: 'sgd' as const, lr: 0.05, momentum: 0.9 }, { optimizer: 'rmsprop' as const, lr: 1e-3 }]) {
    const { worst } = await checkApplied({ ...o, clipNorm: 0.5 });
    expect(worst).toBeLessThan(1e-6);
  }
});

test('weight groups from names: embedding, each recurrent layer and direction, dense; original names (a second build gets _1 suffixes)', async () => {
  expect(weightGroup('encoder/recurrent_kernel_l1_reverse')).toBe('encoder/l1_reverse');
  expect(weightGroup('bidirectional/forward_lstm/kernel')).toBe('bidirectional/forward_lstm');
  expect(weightGroup('attention/kernel')).toBe('attention');
  expect(weightGroup('scalar')).toBe('scalar');
  const build = (): tf.LayersModel => {
    const ids = tf.input({ shape: [null], dtype: 'int32' });
    let x = embedding({ inputDim: 12, outputDim: 4, maskZero: true, seed: 1, name: 'embedding' }).apply(ids) as tf.SymbolicTensor;
    x = stacked({ cell: 'lstm', units: 3, numLayers: 2, bidirectional: true, seed: 2, name: 'encoder' }).apply(x) as tf.SymbolicTensor;
    const y = tf.layers.dense({ units: 2, name: 'classifier' }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: ids, outputs: y });
  };
  const expected = ['embedding', 'encoder/l0', 'encoder/l0_reverse', 'encoder/l1', 'encoder/l1_reverse', 'classifier'];
  const first = build();
  const second = build();
  expect(second.trainableWeights[0].name).not.toBe(first.trainableWeights[0].name); // tfjs uniquified it
  expect(weightGroups(trainableNames(second.trainableWeights)).names).toEqual(expected);

  // and in a training run: per step and per epoch
  const rng = new SeededRandom(3);
  const batch = { ids: tf.tensor2d(Array.from({ length: 8 }, () => Array.from({ length: 5 }, () => 1 + Math.floor(rng.uniform() * 11))), [8, 5], 'int32'), y: tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32'), 2) };
  const spec: TrainSpec<typeof batch> = {
    model: second,
    loss: (b) => tf.losses.softmaxCrossEntropy(b.y, second.apply(b.ids) as tf.Tensor) as tf.Scalar,
    batches: () => [batch, batch, batch],
    batchSize: () => 8,
  };
  const steps: StepInfo[] = [];
  const epochs: EpochInfo[] = [];
  await train(spec, { epochs: 1, logEvery: 2, onStep: (s) => steps.push(s), onEpochEnd: (e) => epochs.push(e) });
  expect(steps.map((s) => s.layers !== undefined)).toEqual([false, true, true]); // globalStep 2 and the epoch's last
  expect(Object.keys(steps[1].layers!)).toEqual(expected);
  for (const l of Object.values(steps[1].layers!)) {
    expect(l.gradNorm).toBeGreaterThan(0);
    expect(l.updateRatio).toBeGreaterThan(1e-5); // Adam at lr 1e-3 moves every layer by about lr per weight
    expect(l.updateRatio).toBeLessThan(1e-1);
  }
  expect(Object.keys(epochs[0].layers!)).toEqual(expected);
  tf.dispose([batch.ids, batch.y]);
  first.dispose();
  second.dispose();
});

test('clip fraction: the share of steps whose norm exceeded clipNorm, per epoch (event and history); > 1/2 warns about --clip-norm', async () => {
  const gradNorms: number[] = [];
  const epochs: EpochInfo[] = [];
  const probe = await train(sumProblem(), { epochs: 2, lr: 1e-3, onStep: (s) => gradNorms.push(s.gradNorm) });
  const clipNorm = [...gradNorms].sort((a, b) => a - b)[5]; // about half the steps above it
  gradNorms.length = 0;
  const r = await train(sumProblem(), { epochs: 2, lr: 1e-3, clipNorm, onStep: (s) => gradNorms.push(s.gradNorm), onEpochEnd: (e) => epochs.push(e) });
  const expected = [0, 1].map((e) => gradNorms.slice(6 * e, 6 * e + 6).filter((g) => g > clipNorm).length / 6);
  expect(epochs.map((e) => e.clipFraction)).toEqual(expected);
  expect(r.history.map((h) => h.clipFraction)).toEqual(expected);
  expect(expected.some((f) => f > 0 && f < 1)).toBe(true); // a count, not all-or-nothing
  expect(probe.history.map((h) => h.clipFraction)).toEqual([0, 0]); // no clipNorm: never clipped

  const logs: LogRecord[] = [];
  const all: EpochInfo[] = [];
  await train(sumProblem(), { epochs: 1, lr: 1e-3, clipNorm: 1e-4, onEpochEnd: (e) => all.push(e), onLog: (l) => logs.push(l) });
  expect(all[0].clipFraction).toBe(1);
  expect(all[0].warnings).toEqual([expect.stringMatching(/clipping fired on 100% of the steps \(6 of 6\).*--clip-norm/)]);
  expect(logs.filter((l) => l.type === 'warning')).toEqual([{ type: 'warning', epoch: 0, message: all[0].warnings[0] }]);
});

test('a run resumed mid-epoch reports the clip fraction of the uninterrupted run (the count is checkpointed)', async () => {
  const norms: number[] = [];
  await train(sumProblem(), { epochs: 1, lr: 1e-3, onStep: (s) => norms.push(s.gradNorm) });
  // clipped: exactly the steps whose norm is above the third smallest, some before the stop after step 3
  const clipNorm = [...norms].sort((a, b) => a - b)[2];
  const options: TrainOptions = { epochs: 2, lr: 1e-3, clipNorm };
  const clippedSteps: boolean[] = [];
  const straight = await train(sumProblem(), { ...options, onStep: (s) => void clippedSteps.push(s.gradNorm > clipNorm) });
  const out = tmpDir();
  let steps = 0;
  await train(sumProblem(), { ...options, checkpointDir: out, signal: { get aborted() { return steps >= 3; } }, onStep: () => void steps++ });
  const resumed = await train(sumProblem(), { ...options, resume: path.join(out, 'last') });
  expect(clippedSteps.slice(0, 3).some(Boolean)).toBe(true); // clipped steps before the interruption
  const first = clippedSteps.slice(0, 6).filter(Boolean).length;
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThan(6);
  expect(straight.history[0].clipFraction).toBe(first / 6);
  expect(resumed.history.map((h) => h.clipFraction)).toEqual(straight.history.map((h) => h.clipFraction));
});

test('a tiny lr warns, naming each layer and --lr; a normal one does not', async () => {
  const tiny: EpochInfo[] = [];
  await train(sumProblem(), { epochs: 1, optimizer: 'sgd', lr: 1e-7, onEpochEnd: (e) => tiny.push(e) });
  const names = Object.keys(tiny[0].layers!);
  expect(names).toHaveLength(2);
  expect(tiny[0].warnings).toHaveLength(2);
  names.forEach((n, i) => expect(tiny[0].warnings[i]).toMatch(new RegExp(`layer '${n}' update ratio stayed below 0.00001 .*--lr, now 1e-7`)));
  const normal: EpochInfo[] = [];
  await train(sumProblem(), { epochs: 1, optimizer: 'adam', lr: 1e-3, onEpochEnd: (e) => normal.push(e) });
  expect(normal[0].warnings).toEqual([]);
});

test('EpochHealth: a ratio above 1e-1 all epoch warns; one measured step back in range does not', () => {
  const h = new EpochHealth();
  const m = (r: number) => ({ updateRatio: r, paramNorm: 1, layers: { output: { gradNorm: 1, updateRatio: r } } });
  h.step(false, m(0.5));
  h.step(false);
  h.step(false, m(0.3));
  expect(h.summary(2, 0.5, 0).warnings).toEqual([expect.stringMatching(/^epoch 3: layer 'output' update ratio stayed above 0.1 \(min 0.3 over 2 logged steps\).*smaller learning rate \(--lr, now 0.5\)/)]);
  expect(h.summary(2, 0.5, 0).layers.output.updateRatio).toBeCloseTo(Math.sqrt(0.15), 12); // geometric mean
  h.step(false, m(0.01));
  expect(h.summary(2, 0.5, 0).warnings).toEqual([]);
});

test('data-parallel workers report the figures of a single process; no tensor leaks with the probe on', async () => {
  const run = async (workers: number): Promise<StepInfo[]> => {
    const steps: StepInfo[] = [];
    await train(parallelProblem(), { epochs: 1, lr: 0.01, seed: 4, clipNorm: 1, workers, logEvery: 1, onStep: (s) => steps.push(s) });
    return steps;
  };
  const one = await run(1);
  const two = await run(2);
  expect(two).toHaveLength(one.length);
  two.forEach((s, i) => {
    expect(rel(s.updateRatio!, one[i].updateRatio!)).toBeLessThan(1e-4);
    // (two models in one process: tfjs numbers their auto-named layers apart, so compare in order)
    const ref = Object.values(one[i].layers!);
    expect(Object.keys(s.layers!)).toHaveLength(2);
    Object.values(s.layers!).forEach((l, k) => {
      expect(rel(l.updateRatio, ref[k].updateRatio)).toBeLessThan(1e-4);
      expect(rel(l.gradNorm, ref[k].gradNorm)).toBeLessThan(1e-4);
    });
  });

  // Leaks: the tensor count is flat from step to step, measured steps (every 2nd) or not.
  const spec = sumProblem();
  const counts: number[] = [];
  await train(spec, { epochs: 2, lr: 1e-3, clipNorm: 0.5, logEvery: 2, onStep: () => counts.push(tf.memory().numTensors) });
  expect(new Set(counts.slice(1, 6)).size).toBe(1);
  expect(counts[6]).toBe(counts[0]); // next epoch: same as the first step of the first (after the epoch's batches were freed and rebuilt)
  expect(new Set(counts.slice(7)).size).toBe(1);
});
