/**
 * `rnn-train --init-from FILE.safetensors` (TrainOptions.initFrom): a task model's
 * weights from a PyTorch state dict with its names (what `rnn-export --format
 * safetensors` writes, or the PyTorch twin's train.py after training), loaded
 * before the first step. Every model weight must be in the file with its shape and
 * every tensor of the file must be used; otherwise one line naming the PyTorch
 * tensor and the model weight (exit 1).
 */
import * as fs from 'fs';
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { readSafetensors } from './safetensors';
import { loadModelStateDict } from './torch_model_weights';

/** Loads `file` into `model`; returns the number of tensors loaded. */
export function initFromSafetensors(model: tf.LayersModel, file: string): number {
  if (!fs.existsSync(file)) throw new UserError(`--init-from ${file}: no such file`, 2);
  if (!/\.safetensors$/i.test(file)) throw new UserError(`--init-from ${file}: expected a .safetensors file (a PyTorch state dict; rnn-export --format safetensors or the twin's train.py writes one)`, 2);
  let st;
  try {
    st = readSafetensors(fs.readFileSync(file), { file });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  try {
    return loadModelStateDict(model, st.tensors, `--init-from ${file}`);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}
