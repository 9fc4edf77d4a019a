/**
 * Sentiment and POS start from vectors the word2vec task made (--pretrained
 * FILE): the embedding size follows the file, the coverage is reported, and the
 * rows of covered words hold the file's vectors at the start (checked through a
 * one-epoch run at learning rate ~0 for POS: the trained table still equals them).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readVectors } from '../../../src/embeddings/formats';
import { trainWord2Vec } from '../../../tasks/word2vec/train';
import { task as pos } from '../../../tasks/pos';
import { task as sentiment } from '../../../tasks/sentiment';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-w2v-pre-'));

let vecFile = '';
let posData = '';
let sentData = '';

beforeAll(async () => {
  const d = tmp();
  // POS sentences (word<TAB>tag lines, blank between) → a text corpus for word2vec.
  const blocks = fs.readFileSync(path.join(root, 'data', 'pos', 'train.tsv'), 'utf8').split('\n\n').slice(0, 300);
  const sentences = blocks.map((b) => b.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).join(' '));
  const sentTexts = fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n').slice(1, 301).map((l) => l.split('\t')[1] ?? '');
  fs.writeFileSync(path.join(d, 'corpus.txt'), [...sentences, ...sentTexts].join('\n') + '\n');
  const r = await trainWord2Vec({ data: path.join(d, 'corpus.txt'), out: path.join(d, 'w2v'), dim: 12, epochs: 1, minCount: 2, save: 'both', workers: 1 });
  vecFile = r.files.find((f) => f.endsWith('.vec'))!;
  posData = path.join(d, 'pos');
  fs.mkdirSync(posData);
  fs.writeFileSync(path.join(posData, 'train.tsv'), blocks.slice(0, 120).join('\n\n') + '\n');
  fs.writeFileSync(path.join(posData, 'dev.tsv'), blocks.slice(120, 150).join('\n\n') + '\n');
  sentData = path.join(d, 'sentiment.tsv');
  fs.writeFileSync(sentData, fs.readFileSync(path.join(root, 'data', 'sentiment', 'train.tsv'), 'utf8').split('\n').slice(0, 301).join('\n') + '\n');
});

test('POS trains with --pretrained FILE: wordDim from the file, coverage noted, rows seeded', async () => {
  const notes: string[] = [];
  const out = tmp();
  const r = await pos.train(
    { data: posData, out, pretrained: vecFile, pretrainedVocab: 0, layers: 1, hidden: 8, charDim: 0, epochs: 1, lr: 1e-8, batchSize: 16, workers: 1 },
    { onNote: (m) => notes.push(m) },
  );
  const line = notes.find((n) => n.startsWith('pretrained embeddings:'))!;
  expect(line).toMatch(new RegExp(`^pretrained embeddings: ${vecFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} 12-d for (\\d+) of (\\d+) words`));
  const [, found, total] = /for (\d+) of (\d+)/.exec(line)!.map(Number);
  expect(found).toBeGreaterThan(total / 3);
  const tagger = await pos.load(r.modelDir);
  const table = tagger.model.getLayer('word_embedding').getWeights()[0];
  expect(table.shape[1]).toBe(12);
  const words = tagger.artifacts.words;
  const wv = readVectors(vecFile);
  const id = words.findIndex((w, i) => i > 1 && wv.get(w));
  const row = Array.from(table.dataSync().slice(id * 12, id * 12 + 12));
  Array.from(wv.get(words[id])!).forEach((v, d) => expect(row[d]).toBeCloseTo(v, 4));
  tagger.dispose();
});

test('sentiment trains with --pretrained FILE (.bin): embeddingDim from the file, coverage noted', async () => {
  const notes: string[] = [];
  const bin = vecFile.replace(/\.vec$/, '.bin');
  const r = await sentiment.train(
    { data: sentData, out: tmp(), pretrained: bin, hidden: 8, epochs: 1, batchSize: 32, workers: 1 } as never,
    { onNote: (m) => notes.push(m) },
  );
  expect(notes.find((n) => n.startsWith('pretrained embeddings:'))).toMatch(/12-d for \d+ of \d+ words/);
  expect(r.metrics.dev.accuracy).toBeGreaterThanOrEqual(0);
});
