/**
 * The translation model with data-parallel workers: 2 workers train the
 * attention seq2seq (bidirectional encoder, fused decoder) to the weights of 1
 * within float32 rounding on tiny data with pairs of different lengths (shards are
 * whole pairs weighted by target tokens); the count is recorded in training.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { trainTranslate } from '../../../tasks/translate/train';
import { targetTokens, translateParallel } from '../../../tasks/translate/replica';
import { toleranceRatio, useBackend } from '../../helpers/backends';
import { flatWeightsIn } from '../../helpers/task_resume';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-translate-workers-'));
const TINY = { hidden: 8, embeddingDim: 8, batchSize: 12, epochs: 2, minFreq: 1, beamSize: 1, examples: 0, patience: 0, seed: 3, lr: 0.01, dropout: 0, labelSmoothing: 0.1 };

const weightsIn = flatWeightsIn;

let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  data = tmp();
  const lines = fs.readFileSync(path.join(root, 'data', 'translate', 'train.tsv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(data, 'train.tsv'), lines.slice(0, 48).join('\n') + '\n');
  fs.writeFileSync(path.join(data, 'dev.tsv'), lines.slice(48, 56).join('\n') + '\n');
});

test('shards are whole pairs weighted by their target tokens', () => {
  const b = { src: [[4, 5, 0], [6, 0, 0], [7, 8, 9]], srcLengths: [2, 1, 3], tgtIn: [[1, 4], [1, 0], [1, 5]], tgtOut: [[4, 2], [2, 0], [5, 2]], tgtLengths: [2, 1, 2], index: [0, 1, 2] };
  const p = translateParallel({ config: {} as never, srcVocab: 10, tgtVocab: 10 });
  const s = [0, 1].map((i) => p.shard(b, i, 2));
  expect(s[0].index).toEqual([0]);
  expect(s[1].src).toEqual([[6, 0, 0], [7, 8, 9]]);
  expect(targetTokens(b)).toBe(5);
  expect(targetTokens(s[0]) + targetTokens(s[1])).toBe(5);
});

test('2 workers train the seq2seq model to the weights of 1', async () => {
  const one = tmp();
  const r1 = await trainTranslate({ ...TINY, data, out: one, workers: 1 });
  const two = tmp();
  const r2 = await trainTranslate({ ...TINY, data, out: two, workers: 2 });
  expect(r2.training.workers).toBe(2);
  expect(r2.training.globalStep).toBe(r1.training.globalStep);
  expect(JSON.parse(fs.readFileSync(path.join(two, 'last', 'training.json'), 'utf8')).workers).toBe(2);
  expect(toleranceRatio(await weightsIn(path.join(two, 'last')), await weightsIn(path.join(one, 'last')), 1e-5, 1e-4)).toBeLessThanOrEqual(1);
}, 180000);
