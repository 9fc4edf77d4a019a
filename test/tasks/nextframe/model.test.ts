/**
 * The encoder-forecaster starts at the training frames' mean intensity (its output
 * bias is the logit of that mean): without it the model starts at 0.5 and its first
 * steps saturate the ConvLSTMs (see model.ts, meanIntensity).
 */
import * as tf from '@tensorflow/tfjs';
import { buildNextframeModel, outputBias } from '../../../tasks/nextframe/model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('outputBias is the clamped logit of the mean intensity, 0 when unknown', () => {
  expect(outputBias(0.05)).toBeCloseTo(Math.log(0.05 / 0.95), 6);
  expect(outputBias(0)).toBeCloseTo(Math.log(0.001 / 0.999), 6);
  expect(outputBias(undefined)).toBe(0);
});

test('a new model predicts about the mean intensity, not 0.5', () => {
  const shape = { inputFrames: 3, outputFrames: 2, height: 4, width: 4, channels: 4, filters: [4, 4], kernelSize: 3, seed: 1 };
  const model = buildNextframeModel({ ...shape, meanIntensity: 0.05 });
  const bias = model.getLayer('frame_logits').getWeights()[1];
  expect(Array.from(bias.dataSync())).toEqual(Array(4).fill(Math.fround(outputBias(0.05))));
  const p = tf.tidy(() => tf.mean(tf.sigmoid(model.predict(tf.zeros([2, 3, 4, 4, 4])) as tf.Tensor)).dataSync()[0]);
  expect(p).toBeGreaterThan(0.02);
  expect(p).toBeLessThan(0.12);
  const plain = buildNextframeModel(shape);
  expect(Array.from(plain.getLayer('frame_logits').getWeights()[1].dataSync())).toEqual([0, 0, 0, 0]);
  model.dispose();
  plain.dispose();
});
