/**
 * The sentiment task through its public API (the same code the CLI runs):
 * the model builder (any number of classes, padding is masked in both
 * directions), the bundled negation-scope data set (deterministic generator; a
 * bag-of-words model cannot solve it, an LSTM does and tells the two
 * showcase sentences apart), and train → checkpoint → SentimentClassifier on a
 * three-class data set.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { buildSentimentModel, SENTIMENT_DEFAULTS, SentimentClassifier, trainSentiment } from '../../../tasks/sentiment';
import { tokenize } from '../../../src/data/tokenizer';
import { expectClose, useBackend } from '../../helpers/backends';

const root = path.resolve(__dirname, '..', '..', '..');
const bundled = path.join(root, 'data', 'sentiment');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-sentiment-'));
const SHOWCASE = ['the movie my friend has not seen is good', 'the movie my friend has seen is not good'];

interface Row {
  label: string;
  text: string;
}
function readTsv(file: string): Row[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  expect(header).toBe('label\ttext');
  return lines.map((l) => {
    const [label, text] = l.split('\t');
    return { label, text };
  });
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('model builder', () => {
  test('logits over any number of classes; padding changes nothing (masks reach both directions and the pooling)', () => {
    for (const pooling of ['last', 'max', 'mean'] as const) {
      const model = buildSentimentModel({ ...SENTIMENT_DEFAULTS, hidden: 6, embeddingDim: 5, pooling, bidirectional: true }, 20, 4);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const padded = model.predict(tf.tensor2d([[3, 4, 5, 0, 0], [6, 7, 8, 9, 10]], undefined, 'int32')) as tf.Tensor;
        expect(padded.shape).toEqual([2, 4]);
        const short = model.predict(tf.tensor2d([[3, 4, 5]], undefined, 'int32')) as tf.Tensor;
        expectClose(`${pooling}: padded row`, padded.slice([0, 0], [1, 4]), short, 1e-5, 1e-5);
      });
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }
  });
});

describe('bundled data set (data/sentiment)', () => {
  const splits = Object.fromEntries(['train', 'dev', 'test'].map((s) => [s, readTsv(path.join(bundled, `${s}.tsv`))])) as Record<string, Row[]>;

  test('generate.js is deterministic and produced the committed files', () => {
    const d = tmp();
    fs.copyFileSync(path.join(bundled, 'generate.js'), path.join(d, 'generate.js'));
    execFileSync(process.execPath, [path.join(d, 'generate.js')]);
    for (const s of ['train', 'dev', 'test']) {
      expect(fs.readFileSync(path.join(d, `${s}.tsv`), 'utf8')).toBe(fs.readFileSync(path.join(bundled, `${s}.tsv`), 'utf8'));
    }
  });

  test('balanced labels, no sentence in two splits, showcase sentences held out', () => {
    expect(splits.train.length).toBe(5000);
    for (const rows of Object.values(splits)) {
      const pos = rows.filter((r) => r.label === 'positive').length / rows.length;
      expect(pos).toBeGreaterThan(0.4);
      expect(pos).toBeLessThan(0.6);
      expect(new Set(rows.map((r) => r.label))).toEqual(new Set(['positive', 'negative']));
    }
    const all = [...splits.train, ...splits.dev, ...splits.test].map((r) => r.text);
    expect(new Set(all).size).toBe(all.length);
    for (const s of SHOWCASE) expect(all).not.toContain(s);
    // The showcase pair has the same bag of words and opposite labels.
    expect(tokenize(SHOWCASE[0]).sort()).toEqual(tokenize(SHOWCASE[1]).sort());
  });

  test('a bag-of-words classifier cannot solve it (logistic regression on word counts: the adjective alone, about 63%)', () => {
    const vocab = new Map<string, number>();
    const feats = (t: string): number[] => tokenize(t).map((w) => (vocab.has(w) ? vocab.get(w)! : vocab.set(w, vocab.size).get(w)!));
    const train = splits.train.map((r) => ({ x: feats(r.text), y: r.label === 'positive' ? 1 : 0 }));
    const w = new Float64Array(vocab.size + 1000);
    let b = 0;
    const score = (x: number[]): number => x.reduce((a, i) => a + (w[i] ?? 0), b);
    for (let epoch = 0; epoch < 30; epoch++) {
      for (const { x, y } of train) {
        const g = 1 / (1 + Math.exp(-score(x))) - y;
        for (const i of x) w[i] -= 0.05 * g;
        b -= 0.05 * g;
      }
    }
    const acc = (rows: Row[]): number => rows.filter((r) => (score(feats(r.text)) > 0 ? 'positive' : 'negative') === r.label).length / rows.length;
    expect(acc(splits.train)).toBeLessThan(0.7); // it cannot even fit the training data
    expect(acc(splits.test)).toBeLessThan(0.7);
  });

  test('an LSTM reading the words in order solves it and tells the showcase pair apart', async () => {
    const out = tmp();
    const r = await trainSentiment({
      out,
      cell: 'lstm',
      bidirectional: false,
      pooling: 'last',
      hidden: 32,
      embeddingDim: 32,
      dropout: 0.2,
      wordDropout: 0,
      pretrained: 'none', // embeddings learned from this data alone
      lr: 5e-3,
      epochs: 8,
      patience: 2,
      seed: 1,
    });
    expect(r.labels).toEqual(['negative', 'positive']);
    expect(r.counts).toMatchObject({ train: 5000, dev: 400, test: 400 });
    expect(r.test!.accuracy).toBeGreaterThan(0.95);
    const clf = await SentimentClassifier.load(r.modelDir);
    const [p, n] = clf.predict(SHOWCASE);
    clf.dispose();
    expect([p.label, n.label]).toEqual(['positive', 'negative']);
  });
});

test('three classes from a CSV with named columns: train, metrics, misclassified examples, checkpoint → classifier', async () => {
  const d = tmp();
  const words: Record<string, string[]> = { pos: ['great', 'lovely', 'superb'], neg: ['awful', 'dull', 'bad'], neu: ['released', 'on', 'tuesday'] };
  const rows: string[] = ['id,text,mood'];
  let id = 0;
  for (let i = 0; i < 40; i++) {
    for (const [label, ws] of Object.entries(words)) rows.push(`${id++},"the film, ${ws[i % 3]} ${ws[(i + 1) % 3]}",${label}`);
  }
  fs.writeFileSync(path.join(d, 'reviews.csv'), rows.join('\n'));
  const out = tmp();
  const notes: string[] = [];
  const epochs: number[] = [];
  const r = await trainSentiment(
    { data: path.join(d, 'reviews.csv'), labelColumn: 'mood', textColumn: 'text', out, hidden: 8, embeddingDim: 8, pretrained: 'none', epochs: 3, patience: 0, lr: 1e-2, batchSize: 16, seed: 3 },
    { onNote: (m) => notes.push(m), onEpochEnd: (e) => epochs.push(e.epoch) },
  );
  expect(epochs).toEqual([0, 1, 2]);
  expect(notes.join('\n')).toMatch(/split 120 examples into train\/dev\/test 96\/12\/12 \(80\/10\/10\) by a seeded shuffle/);
  expect(r.labels).toEqual(['neg', 'neu', 'pos']);
  expect(r.testReport!.confusion).toHaveLength(3);
  expect(r.testReport!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12);
  expect(r.test!.macroF1).toBeGreaterThanOrEqual(0);
  for (const m of r.misclassified) {
    expect(m.label).not.toBe(m.predicted);
    expect(m.source).toMatch(/reviews\.csv:\d+$/);
  }
  for (const f of ['model.json', 'weights.bin', 'artifacts.json']) expect(fs.existsSync(path.join(r.modelDir, f))).toBe(true);
  const clf = await SentimentClassifier.load(r.modelDir);
  const preds = clf.predict(['the film, great lovely', '', 'zzz unknown words']);
  clf.dispose();
  expect(preds).toHaveLength(3);
  for (const p of preds) {
    expect(Object.keys(p.probabilities).sort()).toEqual(['neg', 'neu', 'pos']);
    expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p.probabilities[p.label]).toBe(Math.max(...Object.values(p.probabilities)));
  }
});
