/**
 * The POS tagger with data-parallel workers: posShard's compact character tables
 * give each sentence the logits of the whole batch; 2 workers train the
 * word+character tagger to the weights of 1 within float32 rounding; a 2-worker
 * run stopped and resumed (the checkpoint's count kept by 'auto') ends bitwise
 * equal to the uninterrupted 2-worker run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { StopSignal } from '../../../src/train/stop';
import { Vocabulary } from '../../../src/data/vocabulary';
import { trainPos } from '../../../tasks/pos/train';
import { batchInputs, makeBatch } from '../../../tasks/pos/encode';
import { buildTagger } from '../../../tasks/pos/model';
import { posLossWeight, posShard } from '../../../tasks/pos/replica';
import { toleranceRatio, useBackend } from '../../helpers/backends';
import { flatWeightsIn } from '../../helpers/task_resume';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pos-workers-'));
const slice = (split: string, n: number): string =>
  fs.readFileSync(path.join(root, 'data', 'pos', `${split}.tsv`), 'utf8').split('\n\n').slice(0, n).join('\n\n').trimEnd() + '\n';
const TINY = { pretrained: 'none' as const, layers: 1, hidden: 8, wordDim: 8, charDim: 4, charHidden: 4, epochs: 2, batchSize: 8, lr: 0.02, dropout: 0, wordDropout: 0, patience: 0, seed: 2 };

const weightsIn = flatWeightsIn;

let data: string;
beforeAll(async () => {
  await useBackend('wasm');
  data = tmp();
  fs.writeFileSync(path.join(data, 'train.tsv'), slice('train', 40));
  fs.writeFileSync(path.join(data, 'dev.tsv'), slice('dev', 8));
});

test('posShard: each shard has its own character table and the same logits as the whole batch', () => {
  const sentences = [
    { words: ['the', 'cat', 'sat'], tags: ['D', 'N', 'V'] },
    { words: ['a', 'dog'], tags: ['D', 'N'] },
    { words: ['the', 'dog', 'ran', 'off'], tags: ['D', 'N', 'V', 'R'] },
  ];
  const words = Vocabulary.build(sentences.map((s) => s.words));
  const chars = Vocabulary.build(sentences.flatMap((s) => s.words.map((w) => [...w])));
  const enc = { words, chars, tags: ['D', 'N', 'R', 'V'], maxWordLen: 10 };
  const b = makeBatch(enc, sentences, [0, 1, 2]);
  const s1 = posShard(b, 1, 2); // sentences 1..2: 'a dog' / 'the dog ran off'
  expect(s1.lengths).toEqual([2, 4]);
  expect(s1.charIds).toHaveLength(1 + 5); // padding + a, dog, the, ran, off (not 'cat', 'sat')
  expect(posLossWeight(b)).toBe(9);
  expect(posLossWeight(posShard(b, 0, 2)) + posLossWeight(s1)).toBe(9);
  const model = buildTagger({ cell: 'lstm', layers: 1, hidden: 6, wordDim: 5, charDim: 3, charHidden: 3, dropout: 0, seed: 1 }, { words: words.size, chars: chars.size, tags: 4 });
  const n0 = tf.memory().numTensors;
  tf.tidy(() => {
    const whole = (model.apply(batchInputs(b, true)) as tf.Tensor).arraySync() as number[][][];
    const part = (model.apply(batchInputs(s1, true)) as tf.Tensor).arraySync() as number[][][];
    expect(toleranceRatio(part.flat(2), whole.slice(1).flat(2), 1e-6, 1e-5)).toBeLessThanOrEqual(1);
  });
  expect(tf.memory().numTensors).toBe(n0);
  model.dispose();
});

test('2 workers train the tagger to the weights of 1; a stopped 2-worker run resumes (auto keeps 2) bitwise', async () => {
  const one = tmp();
  const r1 = await trainPos({ ...TINY, data, out: one, workers: 1 });
  const two = tmp();
  const r2 = await trainPos({ ...TINY, data, out: two, workers: 2 });
  expect(r2.training.workers).toBe(2);
  expect(r2.training.globalStep).toBe(r1.training.globalStep);
  const [w1, w2] = [await weightsIn(path.join(one, 'last')), await weightsIn(path.join(two, 'last'))];
  expect(toleranceRatio(w2, w1, 1e-5, 1e-4)).toBeLessThanOrEqual(1);

  const three = tmp();
  const stop = new StopSignal();
  let steps = 0;
  const first = await trainPos({ ...TINY, data, out: three, workers: 2 }, { signal: stop, onStep: () => ++steps === 3 && stop.requestStop('test') });
  expect(first.training.stopped).toBe('interrupted');
  const resumed = await trainPos({ ...TINY, data, out: three, workers: 'auto', resume: path.join(three, 'last') });
  expect(resumed.training.workers).toBe(2);
  expect(await weightsIn(path.join(three, 'last'))).toEqual(w2);
}, 180000);
