/**
 * Character language model (tasks/charlm): truncated-BPTT batching, carried
 * states (a dependency k+5 steps back is learnable only with them), sampling
 * (temperature → 0 = argmax, top-k, top-p, seeded), generation through the
 * single-step API (same numbers as the fused forward, no tensor growth), and the
 * task contract end to end on tiny texts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../../src/errors';
import type { PredictIO } from '../../../src/task';
import { readArtifacts } from '../../../src/train/checkpoint';
import { CHARLM_DEFAULTS, CharLm, CharLmConfig, buildLmModel, generateIds, pickSymbol, task } from '../../../tasks/charlm';
import { chunkIds, epochBatches, fromSymbols, passBatches, readCorpus, toSymbols, trackLength } from '../../../tasks/charlm/data';
import { useBackend } from '../../helpers/backends';

beforeAll(async () => useBackend('cpu'));

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'charlm-'));

/** A deterministic LCG in [0, 1) for building test texts. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A tiny config for fast runs. */
const tiny = (over: Partial<CharLmConfig>): Partial<CharLmConfig> => ({
  layers: 1, hidden: 16, embeddingDim: 8, batchSize: 8, bptt: 10, epochs: 1, minEpochSteps: 5,
  samples: 1, sampleLength: 20, warmup: 0, patience: 0, ...over,
});

describe('batches', () => {
  test('B contiguous tracks cut into bptt chunks; inputs and targets are shifted by one', () => {
    const stream = Int32Array.from({ length: 41 }, (_, i) => i);
    const batches = passBatches(stream.length, 4, 3, 0);
    expect(trackLength(41, 4)).toBe(10);
    expect(batches.map((b) => [b.t0, b.T, b.reset])).toEqual([[0, 3, true], [3, 3, false], [6, 3, false], [9, 1, false]]);
    const { x, y } = chunkIds(stream, batches[1]);
    expect(Array.from(x)).toEqual([3, 4, 5, 13, 14, 15, 23, 24, 25, 33, 34, 35]);
    expect(Array.from(y)).toEqual(Array.from(x).map((v) => v + 1));
    // Every target of a pass is seen exactly once, track by track, in order.
    const seen: number[] = [];
    for (let r = 0; r < 4; r++) for (const b of batches) seen.push(...Array.from(chunkIds(stream, b).y.slice(r * b.T, (r + 1) * b.T)));
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test('an epoch is a pure function of (epoch, seed), repeats passes up to minEpochSteps, and shifts chunk boundaries', () => {
    const a = epochBatches(1000, 8, 10, 30, 2, 5);
    expect(epochBatches(1000, 8, 10, 30, 2, 5)).toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(30);
    expect(a.filter((b) => b.reset).length).toBe(3); // three passes of 13 batches
    expect(epochBatches(1000, 8, 10, 1, 0, 5)[0].offset).toBe(0);
    const offsets = new Set(Array.from({ length: 6 }, (_, e) => epochBatches(1000, 8, 10, 1, e + 1, 5)[0].offset));
    expect(offsets.size).toBeGreaterThan(1);
    for (const b of a) expect(b.offset + (b.B - 1) * b.trackLength + b.t0 + b.T).toBeLessThanOrEqual(999);
  });

  test('symbols: code points; words with <eos> per line, and back', () => {
    expect(toSymbols('a😀b\n', 'char')).toEqual(['a', '😀', 'b', '\n']);
    const w = toSymbols('the cat\nsat  down\n', 'word');
    expect(w).toEqual(['the', 'cat', '<eos>', 'sat', 'down', '<eos>']);
    expect(fromSymbols(w, 'word')).toBe('the cat\nsat down\n');
    expect(toSymbols('to be', 'word')).toEqual(['to', 'be']);
  });

  test('a single file splits 90/10; bad paths are user errors naming the path', () => {
    const dir = tmp();
    const f = path.join(dir, 't.txt');
    fs.writeFileSync(f, 'abcdefghij'.repeat(10));
    const c = readCorpus(f, 0.1);
    expect(c.train.length + c.dev.length).toBe(101);
    expect(c.dev.length).toBe(10);
    expect(() => readCorpus(path.join(dir, 'missing.txt'), 0.1)).toThrow(UserError);
    expect(() => readCorpus(path.join(dir, 'missing.txt'), 0.1)).toThrow(/missing\.txt: no such file/);
    expect(() => readCorpus(dir, 0.1)).toThrow(/expected train\.txt and valid\.txt/);
  });
});

describe('sampling', () => {
  const logits = [0.1, 2.5, -1, 2.4, 0.7, 1.9, -3, 0];

  test('temperature → 0 is argmax (never random), and banned symbols are never chosen', () => {
    for (const u of [0, 0.3, 0.999]) {
      expect(pickSymbol(logits, { temperature: 0 }, u)).toBe(1);
      expect(pickSymbol(logits, { temperature: 1e-9 }, u)).toBe(1);
      expect(pickSymbol(logits, { temperature: 0 }, u, new Set([1]))).toBe(3);
    }
    // A small positive temperature concentrates on the argmax as well.
    let hits = 0;
    for (let i = 0; i < 200; i++) hits += pickSymbol(logits, { temperature: 0.01 }, i / 200) === 1 ? 1 : 0;
    expect(hits).toBeGreaterThanOrEqual(199);
  });

  test('top-k never emits a symbol outside the k most likely; top-p keeps the nucleus', () => {
    const rng = lcg(3);
    for (let trial = 0; trial < 50; trial++) {
      const l = Array.from({ length: 30 }, () => rng() * 6 - 3);
      const order = l.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
      for (const k of [1, 3, 7]) {
        const top = new Set(order.slice(0, k));
        for (let d = 0; d < 40; d++) expect(top.has(pickSymbol(l, { temperature: 1.5, topK: k }, rng()))).toBe(true);
      }
    }
    // Probabilities 0.5, 0.3, 0.2 (as logits): p = 0.7 keeps the first two, p = 0.5 only the first.
    const l3 = [Math.log(0.2), Math.log(0.5), Math.log(0.3)];
    const draws = (p: number) => new Set(Array.from({ length: 100 }, (_, i) => pickSymbol(l3, { topP: p }, i / 100)));
    expect(draws(0.7)).toEqual(new Set([1, 2]));
    expect(draws(0.5)).toEqual(new Set([1]));
    expect(draws(1)).toEqual(new Set([0, 1, 2]));
    // Unrestricted sampling follows the softmax (0.5 / 0.3 / 0.2 on an even grid of draws).
    const counts = [0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[pickSymbol(l3, {}, (i + 0.5) / 1000)]++;
    expect(counts).toEqual([200, 500, 300]);
  });
});

describe('generation', () => {
  const config = { ...CHARLM_DEFAULTS, layers: 2, hidden: 12, embeddingDim: 6, seed: 4 };

  test.each(['lstm', 'gru'] as const)('%s: the single-step API gives the fused forward pass\'s logits (states kept between steps)', (cell) => {
    const net = buildLmModel({ ...config, cell }, 9);
    const ids = [2, 5, 3, 8, 1, 4, 4, 7];
    const fused = tf.tidy(() => net.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), net.zeroStates(1), false).logits.arraySync());
    let states = net.zeroStates(1);
    ids.forEach((id, t) => {
      const r = tf.tidy(() => net.step(tf.tensor1d([id], 'int32'), states));
      tf.dispose(states);
      states = r.states;
      const row = r.logits.arraySync()[0];
      r.logits.dispose();
      row.forEach((v, j) => expect(v).toBeCloseTo(fused[t][j], 4));
    });
    tf.dispose(states);
    net.dispose();
  });

  test.each(['lstm', 'gru'] as const)('%s: forward folds the embedding into the input projection when it can, with the same logits and gradients', (cell) => {
    const net = buildLmModel({ ...config, cell }, 9);
    const ids = tf.tensor2d(Array.from({ length: 40 }, (_, i) => (i * 5) % 9), [4, 10], 'int32');
    expect(net.foldsEmbedding(40, true)).toBe(true);
    expect(net.foldsEmbedding(8, true)).toBe(false); // vocabulary not small next to the positions
    expect(buildLmModel({ ...config, cell: 'rnn' as never }, 9).foldsEmbedding(40, true)).toBe(false);
    const withDropout = buildLmModel({ ...config, cell: 'lstm', dropout: 0.2 }, 9);
    expect([withDropout.foldsEmbedding(40, true), withDropout.foldsEmbedding(40, false)]).toEqual([false, true]);
    const vars = net.model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const run = () => tf.variableGrads(() => tf.sum(tf.mul(net.forward(ids, net.zeroStates(4), true).logits, tf.randomUniform([40, 9], -1, 1, 'float32', 5))) as tf.Scalar, vars);
    const folded = run();
    net.foldsEmbedding = () => false;
    const plain = run();
    expect(folded.value.dataSync()[0]).toBeCloseTo(plain.value.dataSync()[0], 4);
    for (const v of vars) {
      const [a, b] = [folded.grads[v.name].dataSync(), plain.grads[v.name].dataSync()];
      a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-5));
    }
    tf.dispose([folded.value, plain.value, ...Object.values(folded.grads), ...Object.values(plain.grads), ids]);
    net.dispose();
  });

  test('reproducible with a seed, different with another; no tensor growth over 1,000 generated steps', () => {
    const net = buildLmModel(config, 9);
    const run = (seed: number, length: number, onSymbol?: () => void) => generateIds(net, { prime: [2, 3], length, seed, temperature: 1, banned: new Set([0, 1]), onSymbol });
    expect(run(7, 50)).toEqual(run(7, 50));
    expect(run(8, 50)).not.toEqual(run(7, 50));
    run(1, 5);
    const before = tf.memory().numTensors;
    let peak = 0;
    const out = run(9, 1000, () => void (peak = Math.max(peak, tf.memory().numTensors)));
    expect(out).toHaveLength(1000);
    expect(out.every((id) => id > 1 && id < 9)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(peak).toBeLessThanOrEqual(before + 4); // the states (2 layers × h, c), nothing per step
    // Greedy decoding is deterministic whatever the seed.
    expect(generateIds(net, { prime: [2], length: 30, seed: 1, temperature: 0 })).toEqual(generateIds(net, { prime: [2], length: 30, seed: 99, temperature: 0 }));
    net.dispose();
  });
});

/**
 * Segments "x" + countdown + "X" (or y … Y): the countdown is the last g of
 * "0123456789ab" (g = 0..12), so its first symbol tells when the close comes, and
 * the close's identity depends only on the open, g + 1 steps back: up to 13 =
 * k + 5 steps with bptt k = 8. Gradients never span more than k steps; only a
 * model whose states are carried across batches learns to hold the open that long.
 */
function lagText(segments: number, seed: number): string {
  const rng = lcg(seed);
  const F = '0123456789ab';
  let s = '';
  for (let i = 0; i < segments; i++) {
    const g = Math.floor(rng() * 13);
    const open = rng() < 0.5;
    s += (open ? 'x' : 'y') + F.slice(F.length - g) + (open ? 'X' : 'Y');
  }
  return s + '\n';
}

/** Accuracy of the close's identity (X vs Y) by lag from its open, over `text` in one continuous pass. */
function closeAccuracyByLag(lm: CharLm, text: string): Map<number, number> {
  const ids = lm.encode(text);
  const [X, Y] = lm.vocab.encode(['X', 'Y']);
  const logits = tf.tidy(() => lm.net.forward(tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32'), lm.net.zeroStates(1), false).logits.arraySync());
  const hits = new Map<number, [number, number]>();
  let open = -1;
  for (let t = 0; t + 1 < text.length; t++) {
    if (text[t] === 'x' || text[t] === 'y') open = t;
    const next = text[t + 1];
    if ((next === 'X' || next === 'Y') && open >= 0) {
      const lag = t + 1 - open;
      const h = hits.get(lag) ?? [0, 0];
      h[0] += (logits[t][X] > logits[t][Y]) === (next === 'X') ? 1 : 0;
      h[1]++;
      hits.set(lag, h);
    }
  }
  return new Map([...hits].map(([lag, [a, n]]) => [lag, a / n]));
}

test('TBPTT carries states across batches: a symbol k+5 steps back is learnable with carried states, not without', async () => {
  const dir = tmp();
  const file = path.join(dir, 'lag.txt');
  fs.writeFileSync(file, lagText(2500, 7));
  const heldOut = lagText(300, 11);
  const k = 8;
  const run = async (carryStates: boolean): Promise<Map<number, number>> => {
    const r = await task.train({
      data: file, layers: 1, hidden: 24, embeddingDim: 8, batchSize: 16, bptt: k, epochs: 5, minEpochSteps: 100,
      samples: 0, lr: 0.01, warmup: 0, patience: 0, carryStates, out: path.join(dir, String(carryStates)), seed: 1,
    });
    const lm = await task.load(r.modelDir);
    const acc = closeAccuracyByLag(lm, heldOut);
    lm.dispose();
    return acc;
  };
  const carried = await run(true);
  const reset = await run(false);
  // Both learn what fits inside a chunk...
  for (let lag = 1; lag <= 6; lag++) {
    expect(carried.get(lag)).toBeGreaterThan(0.95);
    expect(reset.get(lag)).toBeGreaterThan(0.95);
  }
  // ...but only the carried model holds the open k+5 = 13 steps (even though both are run here with a continuous state).
  expect(carried.get(k + 5)).toBeGreaterThan(0.9);
  expect(reset.get(k + 5)).toBeLessThan(0.8);
}, 400000);

describe('the task contract', () => {
  const namesSlice = (): string => {
    const dir = tmp();
    const f = path.join(dir, 'names.txt');
    const names = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'data', 'charlm', 'names.txt'), 'utf8').split('\n').slice(0, 800);
    fs.writeFileSync(f, names.join('\n') + '\n');
    return f;
  };

  test('train → checkpoint (task charlm, vocabulary) → load → predict streams samples; no leaks', async () => {
    const out = tmp();
    const before = tf.memory().numTensors;
    const notes: string[] = [];
    const perStep: number[][] = [[], []];
    const r = await task.train(tiny({ data: namesSlice(), out, epochs: 2 }), {
      onNote: (m) => notes.push(m),
      onStep: (info) => void perStep[info.epoch].push(tf.memory().numTensors),
    });
    // Nothing grows from step to step (carried states are replaced, batch tensors freed)...
    for (const counts of perStep) expect(new Set(counts.slice(1)).size).toBe(1);
    // ...nor over the run (checkpoint saves included).
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(r.metrics.dev).sort()).toEqual(['bitsPerChar', 'lossNats', 'perplexity']);
    expect(r.metrics.dev.bitsPerChar).toBeCloseTo(r.metrics.dev.lossNats / Math.LN2, 6);
    expect(r.training.epochs).toBe(2);
    expect(notes.filter((n) => n.startsWith('sample 1:'))).toHaveLength(2); // one per epoch
    expect((r.summary!.samples as string[])[0]).toHaveLength(20);
    expect(r.report.join('\n')).toMatch(/validation: [\d.]+ nats\/char/);
    expect(readArtifacts(r.modelDir).task).toBe('charlm');

    const lm = await task.load(r.modelDir);
    const written: string[] = [];
    const io = (json: boolean, args: string[] = []): PredictIO => ({
      args, json, readStdin: async () => '', write: (t) => void written.push(t), note: () => undefined,
    });
    await task.predict(lm, io(false, ['Ma']), { length: 15, seed: 3, temperature: 0.8 });
    const streamed = written.join('');
    expect(written.length).toBeGreaterThan(10); // one write per symbol (streaming), plus prime and newline
    expect(streamed.startsWith('Ma')).toBe(true);
    written.length = 0;
    await task.predict(lm, io(true, ['Ma']), { length: 15, seed: 3, temperature: 0.8 });
    const j = JSON.parse(written.join(''));
    expect(`${j.prime}${j.text}\n`).toBe(streamed); // same seed, same sample
    const afterTrain = tf.memory().numTensors;
    lm.dispose();
    expect(tf.memory().numTensors).toBeLessThan(afterTrain);
  }, 120000);

  test('interrupted mid-pass and resumed (carried states restored from OUT/last): the same weights as an uninterrupted run', async () => {
    const data = namesSlice();
    const dir = tmp();
    const cfg = tiny({ data, epochs: 2, minEpochSteps: 12, samples: 0, dropout: 0.1, layers: 2 });
    const straight = await task.train({ ...cfg, out: path.join(dir, 'a') });
    let steps = 0;
    const cut = await task.train({ ...cfg, out: path.join(dir, 'b') }, { signal: { get aborted() { return steps >= 7; } }, onStep: () => void steps++ });
    expect(cut.training.stopped).toBe('interrupted');
    const resumed = await task.train({ ...cfg, out: path.join(dir, 'b'), resume: path.join(dir, 'b', 'last') });
    expect(resumed.training.epochs).toBe(2);
    const weights = async (d: string) => {
      const lm = await task.load(d);
      const w = lm.net.model.getWeights().map((t) => Array.from(t.dataSync()));
      lm.dispose();
      return w;
    };
    expect(await weights(path.join(dir, 'b', 'last'))).toEqual(await weights(path.join(dir, 'a', 'last')));
    expect(resumed.metrics.dev.lossNats).toBe(straight.metrics.dev.lossNats);
  }, 180000);

  test('word level reports perplexity; a too-short text is a one-line user error', async () => {
    const dir = tmp();
    const f = path.join(dir, 'words.txt');
    const rng = lcg(5);
    const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran'];
    fs.writeFileSync(f, Array.from({ length: 300 }, () => Array.from({ length: 6 }, () => words[Math.floor(rng() * 8)]).join(' ')).join('\n') + '\n');
    const r = await task.train(tiny({ data: f, level: 'word', out: path.join(dir, 'w') }));
    expect(Object.keys(r.metrics.dev).sort()).toEqual(['bitsPerWord', 'lossNats', 'perplexity']);
    expect(r.metrics.dev.perplexity).toBeCloseTo(Math.exp(r.metrics.dev.lossNats), 6);
    expect(r.metrics.dev.perplexity).toBeLessThan(12); // 8 words + <eos>: well below the 11-symbol vocabulary
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'abcdefghij'.repeat(3) + '\n');
    await expect(task.train(tiny({ data: short, batchSize: 64, out: path.join(dir, 's') }))).rejects.toThrow(/too few for 64 parallel tracks/);
  }, 120000);
});
