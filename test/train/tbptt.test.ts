/**
 * Truncated BPTT: gradients stop at the chunk boundary (k steps) while the forward
 * pass carries the states across; the driver over a stream; CarriedStates inside train().
 *
 * The RNN here is hand-written from tf ops (h' = tanh(x W + h U + b)) so the
 * test depends on nothing but tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { CarriedStates, tbpttChunks, tbpttStep, truncatedBptt } from '../../src/train/tbptt';
import { train } from '../../src/train/train';
import { readCarried } from '../../src/train/checkpoint';
import { StopSignal } from '../../src/train/stop';
import { useBackend } from '../helpers/backends';
import { tmpDir, weightsOf } from '../helpers/train_problem';
import * as path from 'path';

beforeAll(async () => useBackend('cpu'));

/** A tiny tanh RNN over inputs xs[t] ([1, 2] each), as tf ops. */
function tinyRnn(seed: number) {
  const W = tf.variable(tf.randomNormal([2, 3], 0, 0.8, 'float32', seed), true, `W${seed}`);
  const U = tf.variable(tf.randomNormal([3, 3], 0, 0.8, 'float32', seed + 1), true, `U${seed}`);
  const b = tf.variable(tf.zeros([3]), true, `b${seed}`);
  const step = (x: tf.Tensor, h: tf.Tensor): tf.Tensor => tf.tanh(tf.add(tf.add(tf.matMul(x, W), tf.matMul(h, U)), b));
  return { W, U, b, step, vars: [W, U, b] };
}

test('chunks cover the stream', () => {
  expect(tbpttChunks(10, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
  expect(tbpttChunks(8, 8)).toEqual([[0, 8]]);
  expect(() => tbpttChunks(8, 0)).toThrow('truncation length k must be a positive integer');
});

test('the gradient w.r.t. an input k+1 steps back is exactly zero; within k steps it is not', () => {
  const k = 4;
  const T = 3 * k;
  const rnn = tinyRnn(1);
  const xs = Array.from({ length: T }, (_, t) => tf.variable(tf.randomNormal([1, 2], 0, 1, 'float32', 100 + t), true, `x${t}`));
  // Loss of the last chunk: h at its last step (t = T−1).
  let h: tf.Tensor = tf.zeros([1, 3]);
  let lastGrads: tf.NamedTensorMap = {};
  for (const [s, e] of tbpttChunks(T, k)) {
    const r = tbpttStep([...rnn.vars, ...xs], [h], ([h0]) => {
      let hh = h0;
      for (let t = s; t < e; t++) hh = rnn.step(xs[t], hh);
      return { loss: tf.sum(hh) as tf.Scalar, states: [hh] };
    });
    tf.dispose(Object.values(lastGrads));
    h.dispose();
    h = r.states[0];
    lastGrads = r.grads;
  }
  const g = (t: number): number[] => Array.from(lastGrads[`x${t}`].dataSync());
  // Steps T−k .. T−1 (0 .. k−1 steps back) receive gradient; T−k−1 (k steps back) and everything earlier get exactly 0.
  for (let t = T - k; t < T; t++) expect(g(t).some((v) => v !== 0)).toBe(true);
  for (let t = 0; t < T - k; t++) expect(g(t)).toEqual([0, 0]);

  // Yet the forward pass did depend on those inputs: full BPTT gives them non-zero gradients.
  const full = tf.variableGrads(() => {
    let hh: tf.Tensor = tf.zeros([1, 3]);
    for (let t = 0; t < T; t++) hh = rnn.step(xs[t], hh);
    return tf.sum(hh) as tf.Scalar;
  }, xs);
  for (let t = 0; t < T - k; t++) expect(Array.from(full.grads[`x${t}`].dataSync()).some((v) => v !== 0)).toBe(true);
  // And the carried state equals the full unroll's (the forward pass sees the whole history).
  const hFull = tf.tidy(() => {
    let hh: tf.Tensor = tf.zeros([1, 3]);
    for (let t = 0; t < T; t++) hh = rnn.step(xs[t], hh);
    return hh;
  });
  expect(Array.from(h.dataSync())).toEqual(Array.from(hFull.dataSync()));
});

test('truncatedBptt drives a stream chunk by chunk, learns, and leaks nothing', () => {
  const rnn = tinyRnn(7);
  const head = tf.variable(tf.randomNormal([3, 1], 0, 0.5, 'float32', 9), true, 'head7');
  // Target: the previous input's first feature (needs one step of memory).
  const T = 40;
  const xs = Array.from({ length: T }, (_, t) => tf.tensor2d([[Math.sin(t * 1.3), Math.cos(t * 0.7)]]));
  const ys = xs.map((_, t) => tf.scalar(t === 0 ? 0 : Math.sin((t - 1) * 1.3)));
  const opt: tf.Optimizer = tf.train.adam(0.05);
  const h0 = [tf.zeros([1, 3])];
  const run = (): { mean: number; chunks: number } => {
    const seen: [number, number][] = [];
    const { losses, states } = truncatedBptt({
      vars: [...rnn.vars, head],
      length: T,
      k: 5,
      initialStates: h0,
      step: (t, [h]) => {
        const hn = rnn.step(xs[t], h);
        const pred = tf.matMul(hn, head).reshape([]);
        return { loss: tf.square(tf.sub(pred, ys[t])) as tf.Scalar, states: [hn] };
      },
      update: (grads, info) => {
        seen.push([info.start, info.end]);
        opt.applyGradients(grads);
      },
    });
    tf.dispose(states);
    expect(seen).toEqual(tbpttChunks(T, 5));
    return { mean: losses.reduce((a, b) => a + b, 0) / losses.length, chunks: losses.length };
  };
  const first = run();
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 15; i++) last = run();
  expect(tf.memory().numTensors).toBe(before);
  expect(first.chunks).toBe(8);
  expect(last.mean).toBeLessThan(first.mean * 0.5);
  expect(h0[0].isDisposed).toBe(false);
});

/** A language-model-like task for train(): B=2 parallel streams cut into chunks of k steps; states carried between batches. */
function streamTask(seed: number) {
  const layerInit = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const rnn = tf.layers.simpleRNN({ units: 4, returnSequences: true, returnState: true, kernelInitializer: layerInit(seed), recurrentInitializer: layerInit(seed + 1) });
  const dense = tf.layers.dense({ units: 1, kernelInitializer: layerInit(seed + 2) });
  const input = tf.input({ shape: [3, 1] });
  const [seq, hT] = rnn.apply(input) as tf.SymbolicTensor[];
  // The model owns the weights (what checkpoints save); the loss calls its layers with the carried state.
  const model = tf.model({ inputs: input, outputs: [dense.apply(seq) as tf.SymbolicTensor, hT] });
  const T = 24;
  const stream = Array.from({ length: 2 }, (_, b) => Array.from({ length: T + 1 }, (_, t) => Math.sin(0.4 * t + b)));
  const carried = new CarriedStates(() => [tf.zeros([2, 4])]);
  const batches = Array.from({ length: T / 3 }, (_, c) => ({
    x: tf.tensor3d(stream.map((s) => s.slice(3 * c, 3 * c + 3).map((v) => [v]))),
    y: tf.tensor3d(stream.map((s) => s.slice(3 * c + 1, 3 * c + 4).map((v) => [v]))),
  }));
  return {
    carried,
    spec: {
      model,
      loss: (b: { x: tf.Tensor; y: tf.Tensor }) => {
        const [seq, hT] = rnn.apply(b.x, { initialState: carried.current() }) as tf.Tensor[];
        carried.carry([hT]);
        return tf.losses.meanSquaredError(b.y, dense.apply(seq) as tf.Tensor) as tf.Scalar;
      },
      batches: () => batches, // the stream's order is fixed; it restarts each epoch
      batchSize: () => 2,
      carried,
      onEpochDone: () => carried.reset(),
    },
  };
}

test('CarriedStates inside train(): no leaks, and the carried state is checkpointed so a mid-epoch resume is exact', async () => {
  const straight = streamTask(3);
  const counts: number[] = [];
  await train(straight.spec, { epochs: 3, lr: 0.02, seed: 5, onStep: () => counts.push(tf.memory().numTensors) });
  expect(counts[counts.length - 2]).toBe(counts[2]);

  const out = tmpDir();
  const first = streamTask(3);
  const stop = new StopSignal();
  let steps = 0;
  const r1 = await train(first.spec, { epochs: 3, lr: 0.02, seed: 5, checkpointDir: out, signal: stop, onStep: () => ++steps === 10 && stop.requestStop('test') });
  expect(r1.stopped).toBe('interrupted');
  const saved = readCarried(path.join(out, 'last'));
  expect(saved && Object.keys(saved)).toEqual(['0']);
  expect(Array.from(saved!['0'].dataSync())).toEqual(Array.from(first.carried.get()['0'].dataSync()));
  const second = streamTask(50);
  await train(second.spec, { epochs: 3, lr: 0.02, seed: 5, checkpointDir: out, resume: path.join(out, 'last') });
  expect(weightsOf(second.spec.model)).toEqual(weightsOf(straight.spec.model));
});
