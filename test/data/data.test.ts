/** Data pipeline: tokenizer, vocabulary, readers (and every bad-input error), batching, metrics. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bucketedBatches, paddingMask } from '../../src/data/batching';
import { loadLabeledSplits, readClassDirectory, readLabeledFile } from '../../src/data/labeled_text';
import { readLines } from '../../src/data/text_file';
import { tokenize } from '../../src/data/tokenizer';
import { Vocabulary } from '../../src/data/vocabulary';
import { UserError } from '../../src/errors';
import { classificationReport } from '../../src/metrics/classification';

const dir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-data-'));
function write(d: string, name: string, content: string | Buffer): string {
  const p = path.join(d, name);
  fs.writeFileSync(p, content);
  return p;
}

test('tokenizer keeps contractions and hyphenated words, splits punctuation', () => {
  expect(tokenize("It isn't a well-made film, is it?!")).toEqual(['it', "isn't", 'a', 'well-made', 'film', ',', 'is', 'it', '?', '!']);
  expect(tokenize('Ünïcode   café 42')).toEqual(['ünïcode', 'café', '42']);
});

test('vocabulary: pad 0, unk 1, frequency order, min frequency, max size, JSON round trip', () => {
  const v = Vocabulary.build([['b', 'a', 'b'], ['c', 'b', 'a']], { minFreq: 2 });
  expect(v.tokens).toEqual(['<pad>', '<unk>', 'b', 'a']);
  expect(v.encode(['a', 'zzz', 'b'])).toEqual([3, 1, 2]);
  expect(Vocabulary.fromJSON(JSON.parse(JSON.stringify(v))).tokens).toEqual(v.tokens);
  expect(Vocabulary.build([['x', 'y', 'z']], { maxSize: 3 }).size).toBe(3);
});

test('vocabulary with special tokens: they follow pad/unk in order, count against maxSize, and never appear twice', () => {
  const v = Vocabulary.build([['b', '<eos>', 'a', 'b']], { specials: ['<sos>', '<eos>'], maxSize: 5 });
  expect(v.tokens).toEqual(['<pad>', '<unk>', '<sos>', '<eos>', 'b']);
  expect([v.id('<sos>'), v.id('<eos>'), v.id('a'), v.has('a'), v.has('b')]).toEqual([2, 3, 1, false, true]);
  expect(v.decode([4, 3, 99])).toEqual(['b', '<eos>', '<unk>']);
});

describe('readers', () => {
  test('TSV with a header (label, text) and a headerless text<TAB>label file (columns guessed)', () => {
    const d = dir();
    const a = readLabeledFile(write(d, 'a.tsv', 'label\ttext\n1\tgreat movie\n0\tdull "plot"\n'));
    expect(a.map((e) => [e.label, e.text])).toEqual([['1', 'great movie'], ['0', 'dull "plot"']]);
    expect(a[1].source).toBe(`${path.join(d, 'a.tsv')}:3`);
    const b = readLabeledFile(write(d, 'b.txt', 'so good\t1\nso bad\t0\nnot bad at all\t1\n'));
    expect(b.map((e) => e.label)).toEqual(['1', '0', '1']);
    expect(b[2].text).toBe('not bad at all');
  });

  test('CSV with quotes, columns chosen by name or number', () => {
    const d = dir();
    const f = write(d, 'r.csv', 'id,stars,body\n1,pos,"fine, really"\n2,neg,"meh"\n');
    expect(readLabeledFile(f, { labelColumn: 'stars', textColumn: 'body' }).map((e) => [e.label, e.text])).toEqual([['pos', 'fine, really'], ['neg', 'meh']]);
    expect(readLabeledFile(f, { labelColumn: 2, textColumn: 3 })[0].text).toBe('fine, really');
  });

  test('U+0085 inside a line stays in the line (UCI imdb file)', () => {
    const d = dir();
    expect(readLines(write(d, 'u.txt', 'a\u0085b\t1\nc\t0\n'))).toEqual(['a\u0085b\t1', 'c\t0']);
  });

  const bad: [string, string, string | Buffer, RegExp][] = [
    ['empty file', 'e.tsv', '', /e\.tsv: the file is empty/],
    ['missing column', 'm.tsv', 'label\ttext\n1\tok\n', /m\.tsv: missing column 'stars' \(header has: label, text\)/],
    ['a single column', 's.tsv', 'just text\nmore text\n', /s\.tsv:1: expected tab-separated columns \(a label and a text\), found a single column/],
    ['ragged line', 'r.tsv', 'label\ttext\n1\tgood\n0\tbad\textra\n', /r\.tsv:3: expected 2 tab-separated columns like line 1, found 3/],
    ['bad label', 'b.tsv', 'label\ttext\n1\tgood\n\tno label here\n', /b\.tsv:3: bad label: the label column \(1\) is empty/],
    ['non-UTF-8 bytes', 'n.tsv', Buffer.concat([Buffer.from('label\ttext\n1\tfine\n0\tcaf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]), /n\.tsv:3: not valid UTF-8 text/],
  ];
  test.each(bad)('%s → a clear error naming the file and line', (_what, name, content, message) => {
    const d = dir();
    const f = write(d, name, content);
    let err: unknown;
    try {
      readLabeledFile(f, name === 'm.tsv' ? { labelColumn: 'stars' } : {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
  });

  test('a label column with a different value on most rows is a bad label column', () => {
    const d = dir();
    const f = write(d, 'texts.tsv', 'label\ttext\n' + Array.from({ length: 60 }, (_, i) => `${i % 2}\tsentence number ${i}`).join('\n'));
    expect(() => readLabeledFile(f, { labelColumn: 'text', textColumn: 'label' })).toThrow(
      /texts\.tsv: bad label column 'text' \(column 2\): 60 different values in 60 rows; expected a few class labels \(choose the column with --label-column\)/,
    );
    expect(readLabeledFile(f)).toHaveLength(60);
  });

  test('CSV ragged line and a label column number out of range', () => {
    const d = dir();
    const f = write(d, 'x.csv', 'label,text\npos,"good, fine"\nneg,bad,extra\n');
    expect(() => readLabeledFile(f)).toThrow(/x\.csv:3: expected 2 comma-separated columns like line 1, found 3/);
    const g = write(d, 'y.csv', 'label,text\npos,good\n');
    expect(() => readLabeledFile(g, { labelColumn: 5 })).toThrow(/y\.csv: label column 5 does not exist \(the file has 2 columns\)/);
  });

  test('class directory and path errors: a single class, a directory given as a file, a missing path', () => {
    const c = dir();
    write(c, 'only.txt', 'one\ntwo\n');
    expect(() => readClassDirectory(c)).toThrow(/expected one text file per class \(at least two\), found 1/);
    expect(() => readLabeledFile(c)).toThrow(/is a directory, expected a text file/);
    expect(() => loadLabeledSplits(path.join(c, 'nope.tsv'), {}, 1)).toThrow(/nope\.tsv: no such file or directory/);
    write(c, 'bad.txt', Buffer.concat([Buffer.from('fine\n'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    expect(() => readClassDirectory(c)).toThrow(/bad\.txt:2: not valid UTF-8 text/);
  });

  test('a dev label unseen in training is a bad label', () => {
    const d = dir();
    write(d, 'train.tsv', 'label\ttext\npos\tgood\nneg\tbad\n');
    write(d, 'valid.tsv', 'label\ttext\npos\tfine\nneutral\tok\n');
    expect(() => loadLabeledSplits(d, {}, 1)).toThrow(/valid\.tsv:3: bad label 'neutral': it does not occur in the training data \(labels: neg, pos\)/);
  });

  test('split directory with valid.*; single file split 80/10/10 with a note; class directory', () => {
    const d = dir();
    write(d, 'train.tsv', 'label\ttext\n' + Array.from({ length: 20 }, (_, i) => `${i % 2}\ttext ${i}`).join('\n'));
    write(d, 'valid.tsv', 'label\ttext\n1\ta\n0\tb\n');
    const s = loadLabeledSplits(d, {}, 1);
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([20, 2, 0]);
    expect(s.notes.join(' ')).toMatch(/no test split/);
    const single = loadLabeledSplits(path.join(d, 'train.tsv'), {}, 1);
    expect([single.train.length, single.dev.length, single.test.length]).toEqual([16, 2, 2]);
    expect(single.notes[0]).toMatch(/split 20 examples into train\/dev\/test 16\/2\/2 \(80\/10\/10\) by a seeded shuffle/);
    const c = dir();
    write(c, 'happy.txt', Array.from({ length: 10 }, (_, i) => `yay ${i}`).join('\n'));
    write(c, 'sad.txt', Array.from({ length: 10 }, (_, i) => `boo ${i}`).join('\n'));
    expect(new Set(readClassDirectory(c).map((e) => e.label))).toEqual(new Set(['happy', 'sad']));
    const cs = loadLabeledSplits(c, {}, 1);
    expect(cs.train.length + cs.dev.length + cs.test.length).toBe(20);
  });
});

test('bucketed batches: seeded, cover every example once, padded to each batch\'s own length', () => {
  const seqs = Array.from({ length: 100 }, (_, i) => Array.from({ length: 1 + (i * 7) % 30 }, () => 5));
  const labels = seqs.map((_, i) => i % 2);
  const a = bucketedBatches(seqs, labels, 8, { seed: 3, poolBatches: 4 });
  const b = bucketedBatches(seqs, labels, 8, { seed: 3, poolBatches: 4 });
  expect(a.map((x) => x.index)).toEqual(b.map((x) => x.index));
  expect(a.flatMap((x) => x.index).sort((p, q) => p - q)).toEqual([...seqs.keys()]);
  for (const batch of a) {
    const T = Math.max(...batch.index.map((i) => seqs[i].length));
    expect(batch.ids.every((row) => row.length === T)).toBe(true);
  }
  for (const batch of a) {
    expect(batch.lengths).toEqual(batch.index.map((i) => seqs[i].length));
    expect(paddingMask(batch.ids).map((row) => row.reduce((x, y) => x + y, 0))).toEqual(batch.lengths);
  }
  const truncated = bucketedBatches(seqs, labels, 8, { seed: 3, maxLen: 10 });
  expect(Math.max(...truncated.flatMap((x) => x.lengths))).toBe(10);
  expect(truncated.every((x) => x.ids[0].length <= 10)).toBe(true);
  const padded = a.reduce((n, x) => n + x.ids.length * x.ids[0].length, 0);
  const naive = 100 * 30;
  expect(padded).toBeLessThan(naive * 0.75); // bucketing saves padding
});

test('classification report', () => {
  const r = classificationReport([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ['a', 'b', 'c']);
  expect(r.accuracy).toBeCloseTo(3 / 5);
  expect(r.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
  // F1: a = 0.5, b = 0.8, c = 0
  expect(r.macroF1).toBeCloseTo((0.5 + 0.8 + 0) / 3);
});

describe('real data sets in ../shared/data (skipped when absent)', () => {
  const shared = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'sentiment');
  const maybe = fs.existsSync(shared) ? test : test.skip;
  maybe('UCI imdb (headerless text<TAB>label, U+0085 inside lines) and rt-polarity (header) read with guessed columns', () => {
    const imdb = readLabeledFile(path.join(shared, 'uci-sentences', 'imdb_labelled.txt'));
    expect(imdb).toHaveLength(1000);
    expect(new Set(imdb.map((e) => e.label))).toEqual(new Set(['0', '1']));
    expect(imdb.some((e) => e.text.includes('\u0085'))).toBe(true);
    const s = loadLabeledSplits(path.join(shared, 'rt-polarity'), {}, 1);
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([8530, 1066, 1066]);
    expect(new Set(s.train.map((e) => e.label))).toEqual(new Set(['0', '1']));
  });
});

test('seedEmbedding copies vectors into the rows of known tokens (not padding/unknown), leaking nothing', async () => {
  const tf = await import('@tensorflow/tfjs');
  const { embedding } = await import('../../layers');
  const { seedEmbedding } = await import('../../src/data/pretrained');
  const layer = embedding({ inputDim: 4, outputDim: 3, embeddingsInitializer: 'zeros' });
  layer.apply(tf.zeros([1, 1], 'int32'));
  const vectors = { dims: 2, words: ['a', 'b'], get: (w: string) => ({ a: [1, 2], b: [3, 4], '<unk>': [9, 9] } as Record<string, number[]>)[w] };
  const before = tf.memory().numTensors;
  expect(seedEmbedding(layer, ['<pad>', '<unk>', 'a', 'zz'], vectors)).toBe(1);
  expect(tf.memory().numTensors).toBe(before);
  expect(Array.from(layer.getWeights()[0].dataSync())).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0]);
});
