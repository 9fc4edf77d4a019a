/**
 * Checkpoints: layout, atomic replacement under simulated crashes, divergence
 * stops that keep the last good checkpoint, and clear mismatch errors on resume.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { fileSystem } from '../../src/io/fs_handler';
import { loadCheckpoint, readArtifacts, readConfig, readTrainingState, resolveCheckpoint, restoreOptimizer, saveCheckpoint, swapOps, TrainingState } from '../../src/train/checkpoint';
import { CheckpointMismatchError, TrainingDivergedError } from '../../src/train/errors';
import { train } from '../../src/train/train';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf } from '../helpers/train_problem';

beforeAll(async () => useBackend('cpu'));

const state = (epoch: number): TrainingState => ({
  epoch, step: 0, globalStep: 6 * epoch, seed: 1, metric: 'mse', mode: 'min', best: 0.5, bestEpoch: 0, bestDev: { mse: 0.5 }, bad: 0,
  referenceLoss: 1, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 }, history: [],
});

test('layout of OUT/last and OUT/best; the model inside loads with plain tf.loadLayersModel', async () => {
  const out = tmpDir();
  const spec = sumProblem();
  await train(spec, { epochs: 2, lr: 0.01, seed: 4, checkpointDir: out, clipNorm: 2 });
  expect(fs.readdirSync(out).sort()).toEqual(['best', 'last']);
  for (const kind of ['best', 'last']) {
    const dir = path.join(out, kind);
    expect(fs.readdirSync(dir).sort()).toEqual(['artifacts.json', 'config.json', 'model.json', 'optimizer.bin', 'optimizer.json', 'training.json', 'weights.bin']);
  }
  const last = path.join(out, 'last');
  const model = await tf.loadLayersModel(fileSystem(last));
  expect(weightsOf(model)).toEqual(weightsOf(spec.model));
  const t = readTrainingState(last);
  expect(t).toMatchObject({ format: 1, epoch: 2, step: 0, globalStep: 12, seed: 4, metric: 'mse', mode: 'min', bad: expect.any(Number) });
  expect(t.history.map((h) => h.epoch)).toEqual([1, 2]);
  expect(readArtifacts(last)).toEqual({ vocabulary: ['a', 'b'] });
  const config = readConfig(last);
  expect(config.task).toEqual({ units: 6 });
  expect(config.training).toMatchObject({ epochs: 2, lr: 0.01, seed: 4, clipNorm: 2 });
  const opt = JSON.parse(fs.readFileSync(path.join(last, 'optimizer.json'), 'utf8'));
  expect(opt.className).toBe('Adam');
  expect(opt.specs.map((s: { name: string }) => s.name)[0]).toBe('iter');
  expect(opt.specs).toHaveLength(1 + 2 * spec.model.trainableWeights.length);
  expect(Object.keys(opt.scalars)).toEqual(['accBeta1', 'accBeta2']);
  const ck = await loadCheckpoint(last);
  expect(ck.dir).toBe(last);
  expect(ck.optimizerClass).toBe('Adam');
  expect(ck.carried).toBeNull();
});

test('atomic: a crash while writing, or between the two renames, leaves the previous checkpoint loadable', async () => {
  const out = tmpDir();
  const dir = path.join(out, 'last');
  const spec = sumProblem();
  const opt = tf.train.adam(0.1);
  await saveCheckpoint(dir, { model: spec.model, optimizer: opt, training: state(1), artifacts: { vocab: ['a'] } });
  const before = weightsOf(spec.model);
  spec.model.setWeights(spec.model.getWeights().map((w) => tf.add(w, 1)));

  // 1. crash while the new checkpoint's files are being written
  const broken = tf.train.adam(0.1);
  broken.getWeights = async () => {
    throw new Error('simulated crash');
  };
  await expect(saveCheckpoint(dir, { model: spec.model, optimizer: broken, training: state(2) })).rejects.toThrow('simulated crash');
  let ck = await loadCheckpoint(dir);
  expect(ck.training.epoch).toBe(1);
  expect(ck.artifacts.vocab).toEqual(['a']);
  expect(weightsOf(ck.model)).toEqual(before);
  expect(fs.readdirSync(out)).toEqual(['last']); // the partial temporary was removed

  // 2. a hard crash (no cleanup) leaves a half-written temporary: ignored, then removed by the next save
  fs.mkdirSync(path.join(out, '.last.tmp-999-1'));
  fs.writeFileSync(path.join(out, '.last.tmp-999-1', 'model.json'), '{"trunc');
  expect(resolveCheckpoint(dir)).toBe(dir);

  // 3. crash after the old checkpoint was moved aside, before the new one took its place
  const realRename = swapOps.rename;
  swapOps.rename = (from, to) => {
    if (to === path.resolve(dir)) throw new Error('simulated crash');
    realRename(from, to);
  };
  try {
    await expect(saveCheckpoint(dir, { model: spec.model, optimizer: null, training: state(3) })).rejects.toThrow('simulated crash');
  } finally {
    swapOps.rename = realRename;
  }
  expect(fs.existsSync(dir)).toBe(false);
  expect(path.basename(resolveCheckpoint(dir))).toMatch(/^\.last\.old-/);
  ck = await loadCheckpoint(dir);
  expect(ck.training.epoch).toBe(1);
  expect(weightsOf(ck.model)).toEqual(before);

  // 4. the next successful save is in place and cleans every leftover
  await saveCheckpoint(dir, { model: spec.model, optimizer: opt, training: state(4) });
  expect(fs.readdirSync(out)).toEqual(['last']);
  expect(readTrainingState(dir).epoch).toBe(4);
  expect(() => resolveCheckpoint(path.join(out, 'nothing'))).toThrow('not a checkpoint');
});

/** A child process that saves checkpoints in a loop (the built package, as a user runs it). */
const CRASHER = `
const tf = require('@tensorflow/tfjs');
const { saveCheckpoint } = require(process.argv[1] + '/dist/src/train/checkpoint.js');
const model = tf.sequential({ layers: [tf.layers.dense({ units: 64, inputShape: [256] })] });
const training = (i) => ({ epoch: i, step: 0, globalStep: i, seed: 1, metric: null, mode: 'min', best: null, bestEpoch: -1, bestDev: {},
  bad: 0, referenceLoss: null, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 }, history: [] });
(async () => {
  const opt = tf.train.adam(0.1);
  for (let i = 1; ; i++) {
    model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, i)));
    await saveCheckpoint(process.argv[2], { model, optimizer: opt, training: training(i), artifacts: { i } });
    if (i === 1) process.stdout.write('first\\n');
  }
})();
`;

test('a process killed (SIGKILL) at random moments while saving always leaves a loadable, self-consistent checkpoint', async () => {
  const root = path.resolve(__dirname, '..', '..');
  if (!fs.existsSync(path.join(root, 'dist/src/train/checkpoint.js'))) return; // built by the global setup
  const dir = path.join(tmpDir(), 'last');
  for (const delay of [5, 40, 90, 150]) {
    const child = spawn(process.execPath, ['-e', CRASHER, root, dir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const ck = await loadCheckpoint(dir);
    const i = ck.training.epoch;
    expect(ck.artifacts).toEqual({ i });
    // weights, training.json and artifacts all come from the same save
    for (const w of ck.model.getWeights()) expect(new Set(w.dataSync())).toEqual(new Set([i]));
  }
}, 60000);

describe('divergence', () => {
  test('a NaN loss stops with TrainingDivergedError before the bad step; the last good checkpoint is kept', async () => {
    const out = tmpDir();
    const spec = sumProblem();
    const base = spec.loss;
    let calls = 0;
    spec.loss = (b, training) => (++calls === 9 ? tf.mul(base(b, training), NaN) : base(b, training)) as tf.Scalar; // epoch 2, step 3
    let atEpoch1: number[][] = [];
    const err = await train(spec, { epochs: 3, lr: 0.01, checkpointDir: out, onEpochEnd: () => (atEpoch1 = weightsOf(spec.model)) }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toBe(`training diverged at epoch 2, step 3: loss NaN, gradient norm NaN; the last good checkpoint is ${path.join(out, 'last')} (try a lower lr, or clipNorm)`);
    expect(err).toMatchObject({ epoch: 1, step: 2, checkpoint: path.join(out, 'last') });
    const ck = await loadCheckpoint(path.join(out, 'last'));
    expect(ck.training.epoch).toBe(1);
    expect(weightsOf(ck.model)).toEqual(atEpoch1);
    expect(fs.readdirSync(out).sort()).toEqual(['best', 'last']);
  });

  test('an exploding loss (more than maxDivergenceRatio × the first) stops too; 0 disables the ratio check', async () => {
    const spec = sumProblem();
    const base = spec.loss;
    let calls = 0;
    spec.loss = (b, t) => (++calls === 4 ? tf.mul(base(b, t), 1e4) : base(b, t)) as tf.Scalar;
    await expect(train(spec, { epochs: 1, lr: 0.01, maxDivergenceRatio: 50 })).rejects.toThrow(/training diverged at epoch 1, step 4: loss [\d.e+]+, gradient norm [\d.e+]+ \(more than 50× the first loss [\d.]+\)/);
    calls = 0;
    await expect(train(spec, { epochs: 1, lr: 1e-6, maxDivergenceRatio: 0 })).resolves.toMatchObject({ stopped: 'completed' });
  });

  test('an infinite gradient stops even when the loss is finite', async () => {
    const spec = sumProblem();
    const base = spec.loss;
    // d/dθ of sqrt(0) is infinite; the value stays finite.
    spec.loss = (b, t) => tf.add(base(b, t), tf.sqrt(tf.mul(tf.sum(spec.model.trainableWeights[0].read()), 0))) as tf.Scalar;
    await expect(train(spec, { epochs: 1 })).rejects.toThrow(/step 1: loss [\d.]+, gradient norm (Infinity|NaN)/);
  });
});

describe('resume mismatches are clear errors', () => {
  let out: string;
  beforeAll(async () => {
    out = tmpDir();
    await train(sumProblem(), { epochs: 1, lr: 0.01, seed: 3, checkpointDir: out });
  });
  test('another optimizer', async () => {
    await expect(train(sumProblem(), { epochs: 2, optimizer: 'sgd', resume: path.join(out, 'last') })).rejects.toThrow(
      new CheckpointMismatchError(`${path.join(out, 'last')}: the checkpoint was trained with Adam, not SGD (resume with the same optimizer); this run asked for 'sgd'`),
    );
  });
  test('another seed', async () => {
    await expect(train(sumProblem(), { epochs: 2, seed: 4, resume: path.join(out, 'last') })).rejects.toThrow("the checkpoint's run used seed 3, not 4");
  });
  test('another selection metric', async () => {
    await expect(train(sumProblem(), { epochs: 2, metric: 'r2', resume: path.join(out, 'last') })).rejects.toThrow("selects on 'mse', not 'r2'");
  });
  test('another architecture', async () => {
    const other = sumProblem({ layers: () => [tf.layers.simpleRNN({ units: 7, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
    await expect(train(other, { epochs: 2, resume: path.join(out, 'last') })).rejects.toThrow(/weight 0 \(.*\) has shape \[2, 6\] but the model's .* is \[2, 7\]/);
  });
  test('not a checkpoint', async () => {
    await expect(train(sumProblem(), { epochs: 2, resume: out })).rejects.toThrow(`${out}: not a checkpoint`);
  });
});

test("optimizer slots round-trip exactly, including Adam's running β powers that getWeights() omits", async () => {
  const out = tmpDir();
  const spec = sumProblem();
  const v = tf.variable(tf.tensor1d([1, -2, 3]), true, 'slot_test_v');
  const opt: tf.Optimizer = tf.train.adam(0.01);
  for (let i = 0; i < 40; i++) opt.applyGradients({ [v.name]: tf.tensor1d([0.1 * i, -0.3, 1 / (i + 1)]) });
  await saveCheckpoint(path.join(out, 'c'), { model: spec.model, optimizer: opt, training: state(1) });
  const fresh = tf.train.adam(0.01);
  await restoreOptimizer(fresh, path.join(out, 'c'));
  const slots = async (o: tf.Optimizer) => (await o.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
  expect(await slots(fresh)).toEqual(await slots(opt));
  const beta = (o: tf.Optimizer, k: string) => ((o as unknown as Record<string, tf.Tensor>)[k]).dataSync()[0];
  expect(beta(fresh, 'accBeta1')).toBe(beta(opt, 'accBeta1'));
  expect(beta(fresh, 'accBeta2')).toBe(beta(opt, 'accBeta2'));
});

test('saving a checkpoint leaks no tensors (Adam slots, EMA shadow, carried states)', async () => {
  const out = tmpDir();
  const spec = sumProblem();
  const v = tf.variable(tf.tensor1d([1, -2, 3]), true, 'leak_test_v');
  const opt: tf.Optimizer = tf.train.adam(0.01);
  opt.applyGradients({ [v.name]: tf.tensor1d([0.1, -0.3, 1]) });
  const extra = { ema: [tf.ones([2])], carried: { h: tf.zeros([1, 3]) } };
  await saveCheckpoint(path.join(out, 'warm'), { model: spec.model, optimizer: opt, training: state(1), ...extra });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await saveCheckpoint(path.join(out, 'c'), { model: spec.model, optimizer: opt, training: state(1), ...extra });
  expect(tf.memory().numTensors).toBe(before);
});
