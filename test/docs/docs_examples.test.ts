/**
 * Every ```ts block of README.md and docs/**\/*.md runs, on wasm (this file) and on
 * cpu (docs_examples_cpu.test.ts), through the package's own entry points (see
 * ../helpers/docs_blocks.ts); only blocks fenced ```ts no-run are skipped, and they
 * stay rare. And the acceptance test of the README's Library example: built
 * exactly as written, trained with model.fit for two epochs, saved with the
 * project's fs handler and loaded back, it gives identical predictions, on wasm
 * and on cpu. The links and paths the docs name: links.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src';
import { allDocBlocks, docBlocks, docFiles, runBlock } from '../helpers/docs_blocks';
import { useBackend } from '../helpers/backends';

const blocks = allDocBlocks();
const runnable = blocks.filter((b) => !b.noRun);

test('README.md and docs/ have runnable TypeScript examples, and few no-run ones', () => {
  expect(docFiles()).toEqual(expect.arrayContaining(['README.md', 'docs/onnx.md', 'docs/reports.md', 'docs/tasks/timeseries.md']));
  expect(runnable.length).toBeGreaterThanOrEqual(6);
  expect(blocks.filter((b) => b.noRun).length).toBeLessThanOrEqual(Math.max(1, Math.floor(blocks.length / 3)));
  const readme = docBlocks('README.md').filter((b) => !b.noRun);
  expect(readme.some((b) => b.section === 'Library')).toBe(true);
  // Blocks of docs/ files are found too (not only the README's).
  expect(runnable.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThanOrEqual(4);
});

describe.each(runnable.map((b) => [`${b.file}:${b.line} (${b.section})`, b] as const))('%s', (_name, block) => {
  test('runs on wasm', async () => {
    await runBlock(block, 'wasm');
  }, 300000);
});

describe.each(['wasm', 'cpu'])('the Library example, exactly as written, on %s', (backend) => {
  test('trains with model.fit for two epochs, saves, loads, and predicts identically', async () => {
    const block = docBlocks('README.md').find((b) => b.section === 'Library' && /tf\.sequential/.test(b.code));
    if (!block) throw new Error('README.md: no Library block with a tf.sequential model');
    const { model } = (await runBlock(block, backend, 'return { model };')) as { model: tf.Sequential };
    expect(tf.getBackend()).toBe(backend);
    // 16 id sequences of length 12, zero-padded at the end (maskZero); label: does id 7 occur.
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 16; i++) {
      const len = 4 + (i % 8);
      const row = Array.from({ length: 12 }, (_, t) => (t < len ? 1 + ((i * 131 + t * 71) % 50) : 0));
      if (i % 2 === 0) row[i % len] = 7;
      rows.push(row);
      labels.push(row.includes(7) ? 1 : 0);
    }
    const x = tf.tensor2d(rows, [16, 12], 'int32');
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    // One batch per epoch: the cpu backend's own UnsortedSegmentSum (tf.layers.embedding's
    // gradient) launches kernels per vocabulary entry, ~8 s of CPU per step for 10,000 ids.
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses).toHaveLength(2);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[1]).toBeLessThan(losses[0]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-readme-model-'));
    await saveModel(model, dir);
    expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(true);
    const loaded = await loadModel(dir);
    const before = tf.memory().numTensors;
    const p1 = model.predict(x) as tf.Tensor;
    const p2 = loaded.predict(x) as tf.Tensor;
    expect(p2.shape).toEqual([16, 2]);
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
    tf.dispose([p1, p2]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
    await useBackend('cpu');
  }, 600000);
});
