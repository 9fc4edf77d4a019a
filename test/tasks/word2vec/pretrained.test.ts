/**
 * --pretrained FILE for the embedding tasks (src/embeddings/pretrained.ts):
 * vectors written by the word2vec task seed exactly the rows of the words the
 * file has; the others (and padding/unknown) keep their initial values; the
 * coverage is counted; a dimension mismatch names the file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeVectors } from '../../../src/embeddings/formats';
import { isVectorFile, loadPretrained, seedFromVectors } from '../../../src/embeddings/pretrained';
import { WordVectors } from '../../../src/embeddings/word_vectors';
import { readVectors } from '../../../src/embeddings/formats';

test('seedFromVectors copies the file rows of known words and leaves the rest', () => {
  const wv = new WordVectors(['the', 'cat', 'sat'], 3, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pre-')), 'v.bin');
  writeVectors(file, wv);
  expect(isVectorFile(file)).toBe(true);
  expect(isVectorFile('glove')).toBe(false);
  expect(loadPretrained('none')).toBeNull();
  const loaded = loadPretrained(file)!;
  expect(loaded.source).toBe(file);
  expect(loaded.vectors.get('cat')).toEqual([4, 5, 6]);
  const layer = tf.layers.embedding({ inputDim: 5, outputDim: 3, embeddingsInitializer: 'ones' });
  layer.build([null, 1]);
  const tokens = ['<pad>', '<unk>', 'cat', 'dog', 'the'];
  const before = tf.memory().numTensors;
  const cov = seedFromVectors(layer, tokens, readVectors(file), file);
  expect(tf.memory().numTensors).toBe(before);
  expect(cov).toEqual({ found: 2, total: 3 });
  expect(Array.from(layer.getWeights()[0].dataSync())).toEqual([1, 1, 1, 1, 1, 1, 4, 5, 6, 1, 1, 1, 1, 2, 3]);
  const small = tf.layers.embedding({ inputDim: 5, outputDim: 2 });
  small.build([null, 1]);
  expect(() => seedFromVectors(small, tokens, readVectors(file), file)).toThrow(`${file}: 3-dimensional vectors for a 2-dimensional embedding (set the embedding size to 3)`);
});
