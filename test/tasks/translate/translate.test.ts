/**
 * The translate task on tiny data: readers, the loss, decoding (beam 1 = greedy,
 * stops at <eos>, no tensor growth), training with teacher forcing 0 and 1 and
 * every decoder kind, and train → load → predict through the task contract.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { task, trainTranslate, sequenceLoss } from '../../../tasks/translate';
import { loadTranslationData, detokenize, tokenize, EOS_ID } from '../../../tasks/translate/data';
import { beamSearch, greedyDecode } from '../../../tasks/translate/decode';
import { buildSeq2Seq, Seq2Seq } from '../../../tasks/translate/model';
import { Translator } from '../../../tasks/translate/predict';
import { UserError } from '../../../src/errors';
import { readArtifacts } from '../../../src/train/checkpoint';
import { expectClose, useBackend } from '../../helpers/backends';

const WORDS = ['eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs'];
const EN = ['one', 'two', 'three', 'four', 'five', 'six'];

/** A toy parallel corpus: German number words → English number words, in order. */
function toyPairs(n: number, seed: number): [string, string][] {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, () => {
    const len = 1 + Math.floor(rnd() * 4);
    const idx = Array.from({ length: len }, () => Math.floor(rnd() * WORDS.length));
    return [idx.map((i) => WORDS[i]).join(' '), idx.map((i) => EN[i]).join(' ') + ' .'];
  });
}

function writeParallel(dir: string, split: string, pairs: [string, string][]): void {
  fs.writeFileSync(path.join(dir, `${split}.de`), pairs.map((p) => p[0]).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, `${split}.en`), pairs.map((p) => p[1]).join('\n') + '\n');
}

const TINY = { hidden: 12, embeddingDim: 8, batchSize: 16, epochs: 2, minFreq: 1, beamSize: 2, examples: 1, patience: 0, seed: 3 };

let tmp: string;
let dataDir: string;
beforeAll(async () => {
  await useBackend('wasm');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-translate-'));
  dataDir = path.join(tmp, 'data');
  fs.mkdirSync(dataDir);
  writeParallel(dataDir, 'train', toyPairs(96, 1));
  writeParallel(dataDir, 'val', toyPairs(12, 2));
  writeParallel(dataDir, 'test_2016', toyPairs(12, 3));
  writeParallel(dataDir, 'train.tok', toyPairs(5, 4)); // a second variant
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('translation data', () => {
  it('reads parallel files by language suffix, picks the plain variant, and names the choices', () => {
    const d = loadTranslationData(dataDir, { source: 'de', target: 'en' });
    expect([d.train.length, d.dev.length, d.test.length]).toEqual([96, 12, 12]);
    expect(d.notes.join('\n')).toMatch(/also there: tok; choose with --variant/);
    const tok = loadTranslationData(dataDir, { source: 'de', target: 'en', variant: 'tok' });
    expect([tok.train.length, tok.dev.length, tok.test.length]).toEqual([4, 1, 0]); // no val.tok.*: one pair held out
    expect(tok.notes.join('\n')).toMatch(/no dev files: 1 training pairs held out as dev/);
    expect(() => loadTranslationData(dataDir, {})).toThrow(/choose the languages with --source and --target \(e\.g\. --source de --target en\)/);
    expect(() => loadTranslationData(dataDir, { source: 'de', target: 'fr' })).toThrow(/no files for language 'fr'/);
  });

  it('reads Tatoeba-style TSV (extra columns ignored), swaps, and reports a line without a tab', () => {
    const f = path.join(tmp, 'pairs.tsv');
    fs.writeFileSync(f, Array.from({ length: 40 }, (_, i) => `Go ${i}.\tVa ${i} !\tCC-BY 2.0 (France) Attribution: tatoeba.org`).join('\n'));
    const d = loadTranslationData(f, { seed: 1 });
    expect(d.train.length + d.dev.length + d.test.length).toBe(40);
    expect(d.train[0].src).toMatch(/^Go \d+\.$/);
    expect(d.train[0].tgt).toMatch(/^Va \d+ !$/);
    expect(loadTranslationData(f, { swap: true }).train[0].src).toMatch(/^Va/);
    const bad = path.join(tmp, 'bad.tsv');
    fs.writeFileSync(bad, 'a\tb\nno tab here\n');
    expect(() => loadTranslationData(bad)).toThrow(UserError);
    expect(() => loadTranslationData(bad)).toThrow(/bad\.tsv:2: expected 'source<TAB>target'/);
    const mis = path.join(tmp, 'mis');
    fs.mkdirSync(mis);
    fs.writeFileSync(path.join(mis, 'train.de'), 'a\nb\n');
    fs.writeFileSync(path.join(mis, 'train.en'), 'a\n');
    expect(() => loadTranslationData(mis, { source: 'de', target: 'en' })).toThrow(/train\.en: 1 lines, but .*train\.de has 2/);
  });

  it('tokenizes with 13a and detokenizes back to text whose 13a tokens are the same', () => {
    const text = 'A man, in an orange hat (1994-03-23).';
    const toks = tokenize(text, false);
    expect(toks).toEqual(['A', 'man', ',', 'in', 'an', 'orange', 'hat', '(', '1994', '-', '03', '-', '23', ')', '.']);
    expect(detokenize(toks)).toBe('A man, in an orange hat (1994-03-23).');
    expect(tokenize(detokenize(toks), false)).toEqual(toks);
    expect(tokenize('Two Dogs', true)).toEqual(['two', 'dogs']);
  });
});

describe('loss', () => {
  it('the fused label-smoothed cross-entropy has the value and gradient of the plain formula', () => {
    const logits = tf.randomNormal([2, 3, 7], 0, 1, 'float32', 5) as tf.Tensor3D;
    const targets = [[4, 2, 0], [1, 6, 3]];
    const eps = 0.1;
    const plain = (x: tf.Tensor): tf.Scalar => {
      const lp = tf.logSoftmax(tf.reshape(x, [6, 7]));
      const ids = tf.tensor1d(targets.flat(), 'int32');
      const q = tf.add(tf.mul(tf.oneHot(ids, 7), 1 - eps), eps / 7);
      const mask = tf.cast(tf.notEqual(ids, 0), 'float32');
      return tf.div(tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(q, lp), 1)), mask)), 5) as tf.Scalar;
    };
    const fused = (x: tf.Tensor): tf.Scalar => sequenceLoss(x as tf.Tensor3D, targets, eps).loss;
    expect(fused(logits).dataSync()[0]).toBeCloseTo(plain(logits).dataSync()[0], 5);
    const g1 = tf.grad(fused)(logits).dataSync();
    const g2 = tf.grad(plain)(logits).dataSync();
    g1.forEach((v, i) => expect(v).toBeCloseTo(g2[i], 5));
    const r = sequenceLoss(logits, targets, eps, true);
    expect(r.tokens).toBe(5);
    expect(r.nll!.dataSync()[0]).toBeCloseTo(tf.tidy(() => 5 * sequenceLoss(logits, targets, 0).loss.dataSync()[0]), 4);
  });
});

describe('decoding', () => {
  const cfg = { cell: 'gru' as const, hidden: 10, encoderLayers: 2, decoderLayers: 2, embeddingDim: 6, decoder: 'luong' as const, score: 'general' as const, dropout: 0, seed: 7 };
  const src = [[4, 5, 6, 7], [8, 9], [5], [10, 11, 4, 6, 7, 9]];
  const setEosBias = (m: Seq2Seq, value: number): void => {
    const [kernel, bias] = m.output.getWeights();
    const b = bias.arraySync() as number[];
    b[EOS_ID] = value;
    m.output.setWeights([kernel, tf.tensor1d(b)]);
  };

  it.each(['luong', 'input-feeding', 'bahdanau'] as const)('%s: beam size 1 gives exactly the greedy output', (decoder) => {
    const m = buildSeq2Seq({ ...cfg, decoder, score: decoder === 'bahdanau' ? 'additive' : 'general' }, 14, 12);
    const g = greedyDecode(m, src, { maxLen: 12 });
    const b = beamSearch(m, src, { maxLen: 12, beamSize: 1 });
    expect(b.map((d) => d.tokens)).toEqual(g.map((d) => d.tokens));
    b.forEach((d, i) => expect(d.logProb).toBeCloseTo(g[i].logProb, 4));
    m.dispose();
  });

  it.each(['luong', 'input-feeding', 'bahdanau'] as const)('%s: the teacher-forced training forward equals the decoding steps fed the gold tokens', (decoder) => {
    const m = buildSeq2Seq({ ...cfg, decoder, score: decoder === 'bahdanau' ? 'additive' : 'general' }, 14, 12);
    tf.tidy(() => {
      const srcT = tf.tensor2d([[4, 5, 6, 7], [8, 9, 0, 0]], undefined, 'int32');
      const tgtIn = tf.tensor2d([[2, 4, 5, 6], [2, 7, 8, 9]], undefined, 'int32');
      const enc = m.encode(srcT, [4, 2], false);
      const { logits, weights } = m.forward(enc, tgtIn, [4, 4], false, 1);
      let state = m.initialState(enc);
      const cols = tf.unstack(tgtIn, 1) as tf.Tensor1D[];
      cols.forEach((prev, t) => {
        const out = m.step(enc, prev, state);
        expectClose(`logits at step ${t}`, out.logits, tf.squeeze(tf.slice(logits, [0, t, 0], [2, 1, -1]), [1]), 1e-4, 1e-3);
        expectClose(`weights at step ${t}`, out.weights, tf.squeeze(tf.slice(weights, [0, t, 0], [2, 1, -1]), [1]), 1e-5, 1e-3);
        state = out.state;
      });
      // Padding of the second source gets no attention anywhere.
      expect((tf.slice(weights, [1, 0, 2], [1, 4, 2]).dataSync() as Float32Array).every((x) => x === 0)).toBe(true);
    });
    m.dispose();
  });

  it('stops at <eos>: an output layer that always prefers <eos> gives empty outputs after one step', () => {
    const m = buildSeq2Seq(cfg, 14, 12);
    setEosBias(m, 100);
    let steps = 0;
    const g = greedyDecode(m, src, { maxLen: 50, onStep: () => steps++ });
    expect(g.map((d) => d.tokens)).toEqual([[], [], [], []]);
    expect(steps).toBe(1);
    steps = 0;
    expect(beamSearch(m, src, { maxLen: 50, beamSize: 3, onStep: () => steps++ }).map((d) => d.tokens)).toEqual([[], [], [], []]);
    expect(steps).toBe(1);
    m.dispose();
  });

  it('no tensor growth over a long decode (greedy and beam), and nothing left behind', () => {
    const m = buildSeq2Seq({ ...cfg, decoder: 'input-feeding' }, 14, 12);
    setEosBias(m, -100); // never stops before the length limit
    for (const run of [
      (onStep: (t: number) => void) => greedyDecode(m, src, { maxLen: 120, maxLenA: 100, maxLenB: 0, onStep }),
      (onStep: (t: number) => void) => beamSearch(m, src, { maxLen: 120, maxLenA: 100, maxLenB: 0, beamSize: 3, onStep }),
    ]) {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const out = run(() => counts.push(tf.memory().numTensors));
      expect(counts.length).toBe(120);
      expect(new Set(counts.slice(1)).size).toBe(1); // the same number of live tensors at every step
      expect(out.map((d) => d.tokens.length)).toEqual([120, 120, 100, 120]); // |source| = 1 → 100·1 + 0
      expect(tf.memory().numTensors).toBe(before);
    }
    m.dispose();
  });

  it('beam search returns the best finished hypothesis by log-probability / length^α', () => {
    const m = buildSeq2Seq(cfg, 14, 12);
    const out = beamSearch(m, src, { maxLen: 8, beamSize: 4, lengthPenalty: 1 });
    expect(out).toHaveLength(src.length);
    out.forEach((d) => {
      expect(d.tokens.length).toBeLessThanOrEqual(8);
      expect(d.logProb).toBeLessThan(0);
    });
    m.dispose();
  });
});

describe('training', () => {
  it.each([
    ['teacher forcing 1 (fused luong)', { teacherForcing: 1 }],
    ['teacher forcing 0 (own predictions, step loop)', { teacherForcing: 0 }],
    ['input feeding', { decoder: 'input-feeding' as const }],
    ['bahdanau, additive, lstm', { decoder: 'bahdanau' as const, score: 'additive' as const, cell: 'lstm' as const }],
  ])('%s trains: the training loss falls', async (_name, extra) => {
    const r = await trainTranslate({ ...TINY, ...extra, epochs: 3, lr: 0.01, beamSize: 1, data: dataDir, source: 'de', target: 'en', variant: '', out: path.join(tmp, `run-${_name.replace(/\W+/g, '_')}`) });
    const losses = r.training.history.map((h) => h.loss);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(r.dev.perplexity).toBeLessThan(12);
    expect(r.dev.bleu).toBeGreaterThanOrEqual(0);
  });

  it('task.train → TaskResult with bleu/perplexity, heatmap figure and report; load → predict one line per input', async () => {
    const out = path.join(tmp, 'task');
    const notes: string[] = [];
    const before = tf.memory().numTensors;
    const r = await task.train({ ...TINY, epochs: 3, lr: 0.01, data: dataDir, source: 'de', target: 'en', variant: '', out }, { onNote: (m) => notes.push(m) });
    // The task and the engine (checkpoint saves included) free everything they make.
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(r.metrics.dev).sort()).toEqual(['bleu', 'perplexity']);
    expect(Object.keys(r.metrics.test!).sort()).toEqual(['bleu', 'perplexity']);
    expect(notes.some((n) => /dev 1: .*\n\s+→/.test(n))).toBe(true); // example translations each epoch
    expect(notes.filter((n) => /dev 1:/.test(n))).toHaveLength(3);
    expect(r.figures![0].spec).toMatchObject({ mark: 'rect', encoding: { color: { field: 'weight' } } });
    const values = (r.figures![0].spec.data as { values: { weight: number }[] }).values;
    expect(values.length).toBeGreaterThan(0);
    expect(r.report.join('\n')).toMatch(/attention \(rows: output/);
    expect(readArtifacts(r.modelDir).task).toBe('translate');

    const translator = await task.load(r.modelDir);
    const written: string[] = [];
    const io = { args: ['zwei drei', 'eins'], readStdin: async () => '', write: (t: string) => written.push(t), note: () => undefined, json: false };
    await task.predict(translator, io, {});
    expect(written).toHaveLength(2);
    expect(written.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const viaStdin: string[] = [];
    await task.predict(translator, { ...io, args: [], json: true, readStdin: async () => 'zwei\n\ndrei vier\n', write: (t) => viaStdin.push(t) }, { beamSize: 1 });
    expect(viaStdin.map((l) => JSON.parse(l).source)).toEqual(['zwei', 'drei vier']);
    await expect(task.predict(translator, { ...io, args: [] }, {})).rejects.toThrow(/nothing to translate/);
    const t = translator.translate(['eins zwei drei'], { attention: true })[0];
    t.attention!.forEach((row) => expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5));
    translator.dispose();
    await expect(Translator.load(path.join(tmp, 'nope'))).rejects.toThrow();
  });
});
