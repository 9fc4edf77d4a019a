/**
 * Predicting frames with a trained checkpoint: NextframePredictor (load →
 * predict the next frames of sequences), and the rnn-predict front end: inputs
 * are .npy files or folders of PNG frames (the last inputFrames frames of each
 * sequence are read); with no input, test sequences regenerated from the
 * training source (squares, Moving MNIST). Output: one PNG strip per sequence
 * (input | truth, when the sequence has the future frames | predicted) in
 * --output DIR, and optionally all predictions as one .npy.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../src/errors';
import { loadModel } from '../../src/io/fs_handler';
import type { PredictIO, TaskPredictor } from '../../src/task';
import { expectArtifactValue, inputSize, readArtifacts } from '../../src/train';
import type { NpyLayout } from './config';
import { arraySequence, generatedTestSet, readFrameArray } from './data';
import { sequenceStrip, framesOf } from './figures';
import { FrameLayout, framesTensor } from './loss';
import { foldPatches } from './data';
import { writeNpy } from './npy';
import type { NextframeArtifacts } from './train';
import { checkOutputDir, checkOutputFile, makeDirs } from '../../src/io/output_paths';
import './model'; // registers the model's own layers before a model is loaded

/** A trained next-frame model loaded from a checkpoint directory. */
export class NextframePredictor implements TaskPredictor {
  private constructor(
    readonly model: tf.LayersModel,
    readonly artifacts: NextframeArtifacts,
  ) {}

  static async load(dir: string): Promise<NextframePredictor> {
    const a = readArtifacts(dir) as unknown as NextframeArtifacts;
    if (a.task !== 'nextframe') throw new UserError(`${dir}: this checkpoint is for task '${String(a.task)}', not nextframe`);
    const model = await loadModel(dir);
    // the artifacts against the model (frames folded into p×p patches): one line naming artifacts.json
    const p = a.patch;
    const out = model.outputs[0]?.shape;
    expectArtifactValue(dir, 'inputFrames', a.inputFrames, 'input frames', inputSize(model, 1));
    expectArtifactValue(dir, 'outputFrames', a.outputFrames, 'output frames', typeof out?.[1] === 'number' ? out[1] : null);
    expectArtifactValue(dir, `frame height / patch (${a.frame?.height} / ${p})`, a.frame?.height / p, 'input grid height', inputSize(model, 2));
    expectArtifactValue(dir, `frame width / patch (${a.frame?.width} / ${p})`, a.frame?.width / p, 'input grid width', inputSize(model, 3));
    expectArtifactValue(dir, `channels × patch² (${a.frame?.channels} × ${p}²)`, a.frame?.channels * p * p, 'input channels', inputSize(model, 4));
    return new NextframePredictor(model, a);
  }

  get layout(): FrameLayout {
    const a = this.artifacts;
    return { shape: a.frame, patch: a.patch, inputFrames: a.inputFrames, outputFrames: a.outputFrames };
  }

  /** The next outputFrames frames of each input: inputs [n] × [inputFrames·H·W·C] floats in [0, 1] → [n] × [outputFrames·H·W·C]. */
  predict(inputs: Float32Array[]): Float32Array[] {
    const l = this.layout;
    const P = l.shape.height * l.shape.width * l.shape.channels;
    const out: Float32Array[] = [];
    for (let s = 0; s < inputs.length; s += 16) {
      const part = inputs.slice(s, s + 16);
      const x = new Float32Array(part.length * l.inputFrames * P);
      part.forEach((f, r) => {
        if (f.length !== l.inputFrames * P) throw new Error(`predict: sequence ${s + r} has ${f.length} values, expected ${l.inputFrames}×${l.shape.height}×${l.shape.width}×${l.shape.channels}`);
        x.set(foldPatches(f, l.inputFrames, l.shape, l.patch), r * l.inputFrames * P);
      });
      const y = tf.tidy(() => tf.sigmoid(this.model.predict(framesTensor(x, part.length, l.inputFrames, l)) as tf.Tensor));
      const flat = foldPatches(y.dataSync() as Float32Array, part.length * l.outputFrames, l.shape, l.patch, true);
      y.dispose();
      part.forEach((_, r) => out.push(flat.slice(r * l.outputFrames * P, (r + 1) * l.outputFrames * P)));
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

export interface NextframePredictOptions {
  /** Directory of the PNG strips. Default 'predictions'. */
  output?: string;
  /** Also write every prediction as one float32 .npy [N, outputFrames, H, W, C]. */
  npy?: string;
  /** Sequences to regenerate when no input is given. Default 4. */
  count?: number;
  /** Layout of .npy inputs. Default auto. */
  npyLayout?: NpyLayout;
}

/** One input sequence: its name, its input frames, and its true future when the data has it. */
interface InputSequence {
  name: string;
  inputs: Float32Array;
  truth: Float32Array | null;
}

/** The inputs: .npy files / PNG folders named by the arguments, else regenerated test sequences. */
function readInputs(p: NextframePredictor, io: PredictIO, o: NextframePredictOptions): InputSequence[] {
  const l = p.layout;
  const a = p.artifacts;
  const P = l.shape.height * l.shape.width * l.shape.channels;
  const T = l.inputFrames + l.outputFrames;
  if (io.args.length === 0) {
    if (a.source.kind !== 'squares' && a.source.kind !== 'moving-mnist') throw new UserError('nothing to predict: give .npy files or folders of PNG frames (this model was trained on files)', 2);
    const set = generatedTestSet(a.source, T, a.seed, o.count ?? 4);
    io.note(`input: ${set.size} ${a.source.kind} test sequences regenerated from the training seed`);
    return Array.from({ length: set.size }, (_, i) => {
      const seq = set.get(i);
      return { name: `test_${String(i).padStart(3, '0')}`, inputs: seq.slice(0, l.inputFrames * P), truth: seq.slice(l.inputFrames * P) };
    });
  }
  const out: InputSequence[] = [];
  for (const file of io.args) {
    const { array, note } = readFrameArray(file, o.npyLayout ?? 'auto');
    io.note(note);
    const s = array.shape;
    if (s.height !== l.shape.height || s.width !== l.shape.width || s.channels !== l.shape.channels) {
      throw new UserError(`${file}: frames are ${s.height}×${s.width}×${s.channels}, the model was trained on ${l.shape.height}×${l.shape.width}×${l.shape.channels}`);
    }
    if (array.length < l.inputFrames) throw new UserError(`${file}: sequences have ${array.length} frames, the model reads ${l.inputFrames}`);
    const base = path.basename(file).replace(/\.npy$/i, '');
    for (let i = 0; i < array.count; i++) {
      const seq = arraySequence(array, i);
      // The first inputFrames frames are the input; the next outputFrames, when present, are the truth.
      const hasTruth = array.length >= T;
      out.push({ name: array.count > 1 ? `${base}_${String(i).padStart(3, '0')}` : base, inputs: seq.slice(0, l.inputFrames * P), truth: hasTruth ? seq.slice(l.inputFrames * P, T * P) : null });
    }
  }
  return out;
}

/** rnn-predict for a next-frame model: PNG strips (and a .npy) of the predicted frames. */
export async function predictNextframe(p: NextframePredictor, io: PredictIO, o: NextframePredictOptions = {}): Promise<void> {
  const l = p.layout;
  const P = l.shape.height * l.shape.width * l.shape.channels;
  // the paths this writes, before any input is read or frame predicted (one usage line)
  checkOutputDir(o.output ?? 'predictions', { option: '--output', what: 'the PNG strips' });
  if (o.npy) checkOutputFile(o.npy, { option: '--npy', what: 'the predictions', extensions: ['.npy'] });
  const inputs = readInputs(p, io, o);
  const preds = p.predict(inputs.map((s) => s.inputs));
  const dir = o.output ?? 'predictions';
  makeDirs(dir);
  inputs.forEach((s, i) => {
    const strip = sequenceStrip(l.shape, framesOf(s.inputs, l.inputFrames), s.truth ? framesOf(s.truth, l.outputFrames) : null, framesOf(preds[i], l.outputFrames));
    const file = path.join(dir, `${s.name}.png`);
    fs.writeFileSync(file, strip.png);
    let mse: number | null = null;
    if (s.truth) {
      let sq = 0;
      for (let j = 0; j < s.truth.length; j++) sq += (s.truth[j] - preds[i][j]) ** 2;
      mse = sq / s.truth.length;
    }
    if (io.json) io.write(JSON.stringify({ sequence: s.name, file, frames: l.outputFrames, mse }) + '\n');
    else io.write(`${file}: ${s.truth ? 'input | truth | predicted' : 'input | predicted'}${mse !== null ? ` (MSE per pixel ${mse.toFixed(5)})` : ''}\n`);
  });
  if (o.npy) {
    const all = new Float32Array(preds.length * l.outputFrames * P);
    preds.forEach((x, i) => all.set(x, i * x.length));
    const shape = [preds.length, l.outputFrames, l.shape.height, l.shape.width, l.shape.channels];
    writeNpy(o.npy, shape, all);
    io.note(`predictions: ${o.npy} float32 (${shape.join(', ')})`);
  }
}
