/**
 * Checkpoints that prove themselves (src/train/checkpoint.ts, src/io/fs_handler.ts):
 * a truncated, missing, NaN-filled or altered weights.bin, a damaged JSON file, an
 * incomplete artifacts.json, a changed architecture option, each refused with one
 * UserError line naming the file; and a property-based hunt (fast-check) over
 * truncations, byte flips and line edits of every checkpoint file: loading never
 * fails with anything but a one-line UserError naming a file of the checkpoint.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import {
  artifactList, checkResumeOptions, embeddingRows, expectArtifactSize, loadCheckpoint, outputUnits, restoreModelWeights, saveCheckpoint, TrainingState, verifyCheckpoint,
} from '../../src/train/checkpoint';
import { CheckpointMismatchError } from '../../src/train/errors';
import { useBackend } from '../helpers/backends';
import { sumProblem, tmpDir, weightsOf } from '../helpers/train_problem';

beforeAll(async () => useBackend('cpu'));

const state: TrainingState = {
  epoch: 1, step: 0, globalStep: 6, seed: 1, metric: 'mse', mode: 'min', best: 0.5, bestEpoch: 0, bestDev: { mse: 0.5 }, bad: 0,
  referenceLoss: 1, epochLossSum: 0, epochSteps: 0, schedule: { factor: 1, best: null, bad: 0 } as TrainingState['schedule'], history: [],
};

async function writeCheckpoint(): Promise<{ dir: string; model: tf.LayersModel }> {
  const spec = sumProblem();
  const dir = path.join(tmpDir(), 'last');
  const opt = tf.train.adam(0.01);
  // one step so the optimizer has slots
  opt.minimize(() => tf.tidy(() => tf.mean(tf.square(spec.model.predict(tf.ones([2, 5, 2])) as tf.Tensor)) as tf.Scalar));
  await saveCheckpoint(dir, { model: spec.model, optimizer: opt, training: state, artifacts: { task: 'demo', vocabulary: ['a', 'b'] }, config: { units: 6 }, carried: { h: tf.ones([2, 3]) } });
  return { dir, model: spec.model };
}

async function refusal(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const m = (e as Error).message;
    expect(m).not.toMatch(/\n/);
    return m;
  }
  throw new Error('expected a UserError');
}

test('an intact checkpoint verifies and loads; model.json records the weights SHA-256', async () => {
  const { dir, model } = await writeCheckpoint();
  expect(verifyCheckpoint(dir)).toBe(dir);
  const ck = await loadCheckpoint(dir);
  expect(weightsOf(ck.model)).toEqual(weightsOf(model));
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(json.weightsIntegrity['./weights.bin']).toEqual({ bytes: fs.statSync(path.join(dir, 'weights.bin')).size, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  ck.model.dispose();
  tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
  tf.dispose(Object.values(ck.carried ?? {}));
});

test('damage to weights.bin: truncated, missing, altered, NaN (with and without the checksum)', async () => {
  const { dir } = await writeCheckpoint();
  const wb = path.join(dir, 'weights.bin');
  const good = fs.readFileSync(wb);
  fs.writeFileSync(wb, good.subarray(0, good.length - 7));
  expect(await refusal(() => loadCheckpoint(dir))).toBe(`${wb}: ${good.length - 7} bytes, but model.json was written with ${good.length} (a truncated or damaged file)`);
  fs.rmSync(wb);
  expect(await refusal(() => loadModel(dir))).toBe(`${wb}: weights file named in ${path.join(dir, 'model.json')} is missing (the model directory is incomplete)`);
  const flipped = Buffer.from(good);
  flipped[5] ^= 1;
  fs.writeFileSync(wb, flipped);
  expect(await refusal(() => verifyCheckpoint(dir))).toMatch(/weights\.bin: its SHA-256 differs/);
  // without the checksum (a model.json from another tool): the manifest size and the finite check still hold
  const mj = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(mj, 'utf8'));
  delete json.weightsIntegrity;
  fs.writeFileSync(mj, JSON.stringify(json));
  const nan = new Float32Array(good.length / 4).fill(NaN);
  fs.writeFileSync(wb, Buffer.from(nan.buffer));
  expect(await refusal(() => loadModel(dir))).toMatch(/weights\.bin: weight '.+' holds NaN \(element 1 of \d+\); the model is damaged or came from a diverged run$/);
  fs.writeFileSync(wb, good.subarray(0, 12));
  expect(await refusal(() => restoreModelWeights(sumProblem().model, dir))).toMatch(/weights\.bin: 12 bytes, but .*model\.json describes \d+ \(a truncated file, or weights of another model\)/);
});

test('damaged JSON files and missing pieces name the file', async () => {
  const { dir } = await writeCheckpoint();
  fs.writeFileSync(path.join(dir, 'training.json'), '{"epoch": -1}');
  expect(await refusal(() => verifyCheckpoint(dir))).toBe(`${path.join(dir, 'training.json')}: 'epoch' is not a non-negative integer (a damaged file)`);
  fs.writeFileSync(path.join(dir, 'training.json'), JSON.stringify(state));
  fs.writeFileSync(path.join(dir, 'optimizer.json'), '{"specs": [{"name": 3}]}');
  expect(await refusal(() => verifyCheckpoint(dir))).toMatch(/optimizer\.json: weight entry 1 has no name/);
  fs.rmSync(path.join(dir, 'optimizer.json'));
  expect(await refusal(() => verifyCheckpoint(dir))).toMatch(/optimizer\.json: missing from the checkpoint$/);
  fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": {"class_name": "Nope"}, "weightsManifest": []}');
  expect(await refusal(() => loadModel(dir))).toMatch(/model\.json: cannot build the model it describes/);
  expect(await refusal(() => verifyCheckpoint(path.join(dir, 'nope')))).toMatch(/: not a checkpoint \(no such directory\)$/);
});

test('artifacts agree with the model; options agree with the checkpoint', async () => {
  const { dir, model } = await writeCheckpoint();
  expect(await refusal(() => artifactList(dir, { task: 'demo' }, 'vocabulary', 'vocabulary'))).toBe(
    `${path.join(dir, 'artifacts.json')}: no 'vocabulary' (the vocabulary); the checkpoint is incomplete or was not written by this task`,
  );
  expect(artifactList(dir, { vocabulary: ['a'] }, 'vocabulary', 'vocabulary')).toEqual(['a']);
  expect(outputUnits(model)).toBe(1);
  expect(await refusal(() => expectArtifactSize(dir, 'label list', 3, 'output layer', outputUnits(model)))).toBe(
    `${path.join(dir, 'artifacts.json')}: the label list has 3 entries but the model's output layer has 1: the artifacts and weights are from different runs`,
  );
  const emb = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 7, outputDim: 2, inputLength: 3 })] });
  expect(embeddingRows(emb)).toEqual([7]);
  const e = await refusal(() => checkResumeOptions(dir, { hidden: 8, cell: 'lstm' }, { hidden: 16, cell: 'lstm' }, ['cell', 'hidden']));
  expect(e).toBe(`--hidden 16 does not match the checkpoint ${dir}, trained with --hidden 8: resume with --hidden 8, or start a new run without --resume`);
  try {
    checkResumeOptions(dir, { embeddingDim: 8 }, { embeddingDim: 4 }, ['embeddingDim']);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointMismatchError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/^--embedding-dim 4 does not match/);
  }
  expect(() => checkResumeOptions(dir, { hidden: 8 }, { hidden: 8, other: 1 }, ['hidden', 'other'])).not.toThrow();
});

const FILES = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'carried.json', 'carried.bin', 'training.json', 'artifacts.json', 'config.json'];

test('property: truncations, byte flips and line edits of any checkpoint file give a one-line UserError naming a file (or still load)', async () => {
  const { dir: base } = await writeCheckpoint();
  const originals = Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(base, f))]));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...FILES),
      fc.constantFrom('truncate', 'flip', 'random', 'dropline', 'empty'),
      fc.nat(),
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      async (file, kind, at, bytes) => {
        const good = originals[file];
        let bad: Buffer;
        if (kind === 'truncate') bad = good.subarray(0, at % good.length);
        else if (kind === 'flip') {
          bad = Buffer.from(good);
          bad[at % bad.length] ^= 1 << at % 8;
        } else if (kind === 'random') bad = Buffer.from(bytes);
        else if (kind === 'empty') bad = Buffer.alloc(0);
        else {
          // a "line edit" of JSON: drop one comma-separated piece
          const parts = good.toString('latin1').split(',');
          parts.splice(at % parts.length, 1);
          bad = Buffer.from(parts.join(','), 'latin1');
        }
        fs.writeFileSync(path.join(base, file), bad);
        try {
          verifyCheckpoint(base);
          const ck = await loadCheckpoint(base);
          ck.model.dispose();
          tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
          tf.dispose(Object.values(ck.carried ?? {}));
        } catch (e) {
          if (!(e instanceof UserError)) throw new Error(`${file} ${kind}: not a UserError: ${(e as Error)?.stack}`);
          expect(e.message).not.toMatch(/\n/);
          expect(e.message.startsWith(base)).toBe(true);
        } finally {
          fs.writeFileSync(path.join(base, file), good);
        }
      },
    ),
    { numRuns: 150 },
  );
});
