/**
 * Gradient clipping, optimizers by name, learning-rate schedules.
 */
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm, clipByValue, globalNorm } from '../../src/train/clip';
import { getLearningRate, makeOptimizer, OPTIMIZERS, setLearningRate } from '../../src/train/optimizers';
import { LrSchedule } from '../../src/train/schedules';
import { train } from '../../src/train/train';
import { useBackend } from '../helpers/backends';
import { sumProblem } from '../helpers/train_problem';

beforeAll(async () => useBackend('cpu'));

describe('clipByGlobalNorm', () => {
  test('the global norm after clipping equals the threshold (1e-5); the returned norm is the one before', () => {
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor2d([[12]]) }; // ‖·‖ = 13
    const { grads: c, norm } = clipByGlobalNorm(grads, 5);
    expect(Math.abs(norm - 13)).toBeLessThan(1e-5);
    expect(Math.abs(globalNorm(c).dataSync()[0] - 5)).toBeLessThan(1e-5);
    // every gradient is scaled by the same factor (direction kept)
    expect(Array.from(c.a.dataSync())).toEqual([(3 * 5) / 13, (4 * 5) / 13].map(Math.fround));
    expect(Array.from(c.b.dataSync())).toEqual([Math.fround((12 * 5) / 13)]);
  });

  test('random gradients of several shapes, several thresholds', () => {
    for (const maxNorm of [0.1, 1, 7.5]) {
      const grads = { w: tf.randomNormal([7, 5], 0, 3, 'float32', 1), u: tf.randomNormal([5, 5], 0, 3, 'float32', 2), b: tf.randomNormal([5], 0, 3, 'float32', 3) };
      const { grads: c, norm } = clipByGlobalNorm(grads, maxNorm);
      expect(norm).toBeGreaterThan(maxNorm);
      expect(Math.abs(globalNorm(c).dataSync()[0] - maxNorm)).toBeLessThan(1e-5 * Math.max(1, maxNorm));
      tf.dispose([...Object.values(grads), ...Object.values(c)]);
    }
  });

  test('below the threshold nothing changes; the inputs are neither changed nor disposed; no leaks', () => {
    const grads = { a: tf.tensor1d([0.3, -0.4]) };
    const before = tf.memory().numTensors;
    const { grads: c, norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(0.5, 6);
    expect(Array.from(c.a.dataSync())).toEqual(Array.from(grads.a.dataSync()));
    expect(grads.a.isDisposed).toBe(false);
    tf.dispose(Object.values(c));
    expect(tf.memory().numTensors).toBe(before);
  });

  test('rejects a non-positive threshold', () => {
    expect(() => clipByGlobalNorm({ a: tf.scalar(1) }, 0)).toThrow('clip norm must be positive');
  });
});

test('clipByValue clamps every element to ±v', () => {
  const c = clipByValue({ a: tf.tensor1d([-3, 0.5, 9]), b: tf.tensor2d([[-0.25, 2]]) }, 1);
  expect(Array.from(c.a.dataSync())).toEqual([-1, 0.5, 1]);
  expect(Array.from(c.b.dataSync())).toEqual([-0.25, 1]);
});

describe('schedules', () => {
  test('constant', () => {
    const s = new LrSchedule(0.1);
    expect([0, 5, 99].map((g) => s.lr(g % 3, g, 100))).toEqual([0.1, 0.1, 0.1]);
  });
  test('step: × gamma every stepEpochs epochs, floored at minLr', () => {
    const s = new LrSchedule(1, { name: 'step', gamma: 0.1, stepEpochs: 2, minLr: 0.005 });
    const expected = [1, 1, 0.1, 0.1, 0.01, 0.01, 0.005];
    [0, 1, 2, 3, 4, 5, 6].forEach((e) => expect(s.lr(e, 0, 10)).toBeCloseTo(expected[e], 12));
  });
  test('cosine: from lr to minLr over the run', () => {
    const cos = new LrSchedule(1, { name: 'cosine', minLr: 0.1 });
    expect(cos.lr(0, 0, 100)).toBeCloseTo(1, 12);
    expect(cos.lr(0, 50, 100)).toBeCloseTo(0.55, 12);
    expect(cos.lr(0, 25, 100)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 12);
    expect(cos.lr(0, 100, 100)).toBeCloseTo(0.1, 12);
    expect(cos.lr(0, 150, 100)).toBeCloseTo(0.1, 12);
  });
  test('linear warm-up', () => {
    const s = new LrSchedule(1, { warmupSteps: 4 });
    expect([0, 1, 2, 3, 4].map((g) => s.lr(0, g, 10))).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });
  test('reduce on plateau: × gamma after `patience` epochs without improvement; state is JSON', () => {
    const p = new LrSchedule(1, { name: 'plateau', patience: 2, gamma: 0.5 });
    const lrs: number[] = [];
    for (const v of [1, 2, 2, 2, 3, 3, 3, 3]) {
      p.observe(v);
      lrs.push(p.lr(0, 0, 1));
    }
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
    const copy = new LrSchedule(1, { name: 'plateau', patience: 2, gamma: 0.5 });
    copy.state = JSON.parse(JSON.stringify(p.state));
    copy.observe(3);
    p.observe(3);
    expect(copy.lr(0, 0, 1)).toBe(p.lr(0, 0, 1));
    expect(copy.lr(0, 0, 1)).toBe(0.125);
  });
  test('bad options are clear errors', () => {
    expect(() => new LrSchedule(1, { name: 'linear' as never })).toThrow("unknown schedule 'linear': expected one of constant, step, cosine, plateau");
    expect(() => new LrSchedule(1, { name: 'step', gamma: 2 })).toThrow('gamma must be in (0, 1]');
  });
});

describe('optimizers', () => {
  test('by name; unknown names and bad values are clear errors', () => {
    expect(makeOptimizer({ name: 'adam', lr: 0.1 }).getClassName()).toBe('Adam');
    expect(makeOptimizer({ name: 'sgd', lr: 0.1 }).getClassName()).toBe('SGD');
    expect(makeOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 }).getClassName()).toBe('Momentum');
    expect(makeOptimizer({ name: 'rmsprop', lr: 0.1 }).getClassName()).toBe('RMSProp');
    expect(makeOptimizer({ name: 'adagrad', lr: 0.1 }).getClassName()).toBe('Adagrad');
    expect(() => makeOptimizer({ name: 'lion' as never, lr: 0.1 })).toThrow("unknown optimizer 'lion': expected one of adam, sgd, rmsprop, adagrad");
    expect(() => makeOptimizer({ name: 'sgd', lr: -1 })).toThrow('learning rate must be a positive number');
    expect(() => makeOptimizer({ name: 'sgd', lr: 0.1, momentum: 1 })).toThrow('momentum must be in [0, 1)');
  });

  // SGD and momentum cache −lr in a tensor: setting the field alone would keep the old rate.
  test.each(OPTIMIZERS.map((n) => [n]))('setLearningRate changes the step %s actually takes', (name) => {
    const step = (lr: number): number => {
      const v = tf.variable(tf.scalar(1));
      const opt = makeOptimizer({ name, lr: 1, momentum: name === 'sgd' ? 0.5 : 0 });
      setLearningRate(opt, lr);
      expect(getLearningRate(opt)).toBe(lr);
      opt.applyGradients({ [v.name]: tf.scalar(0.5) });
      const d = 1 - v.dataSync()[0];
      opt.dispose();
      v.dispose();
      return d;
    };
    const big = step(0.1);
    const small = step(0.01);
    expect(big).toBeGreaterThan(0);
    expect(small / big).toBeCloseTo(0.1, 4);
  });

  test.each([
    ['adam', 0.02, 0],
    ['sgd', 0.05, 0],
    ['sgd', 0.02, 0.9],
    ['rmsprop', 0.005, 0],
    ['adagrad', 0.1, 0],
  ] as const)('%s (lr %p, momentum %p) reduces the loss', async (optimizer, lr, momentum) => {
    const spec = sumProblem({ initSeed: 5 });
    const r = await train(spec, { epochs: 5, optimizer, lr, momentum, clipNorm: 5 });
    expect(r.history).toHaveLength(5);
    expect(r.history[4].loss).toBeLessThan(r.history[0].loss * 0.7);
    expect(r.history[4].dev_mse).toBeLessThan(r.history[0].dev_mse);
  });
});
