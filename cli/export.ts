/**
 * rnn-export: a model trained by rnn-train (a checkpoint directory) or saved with
 * saveModel (a directory with model.json) as an ONNX file for onnxruntime (Node,
 * browser through onnxruntime-web, mobile, C++) and other ONNX consumers.
 *
 *   rnn-export --model runs/sentiment/best --out sentiment.onnx
 *   rnn-export --model runs/sentiment/best --out sentiment.onnx --verify
 *   rnn-export --model runs/translate/best --out translator.onnx --verify   (greedy decoding in one graph)
 *
 * The checkpoint's artifacts.json (task, vocabulary, labels, ...) goes into the file's
 * metadata_props under `rnnkit.artifacts`, so a deployment has what it needs to encode
 * inputs and name outputs. --verify runs the file in onnxruntime-node on a sample batch
 * and compares it with the tfjs model.
 *
 * A model.json saved by tfjs-layers or converted from Keras works too: it is loaded
 * through loadTfjsLayersModel (its LSTM / GRU / SimpleRNN / Bidirectional / Embedding
 * become this package's layers), so rnn-export is also a Keras / tfjs → ONNX converter.
 *
 * --format safetensors writes the model's weights instead, as a PyTorch state dict
 * (`<layer>.weight_ih_l0`, `<dense>.weight`, ...; src/interop/torch_state_dict.ts):
 *   rnn-export --model runs/sentiment/best --format safetensors --out sentiment.safetensors
 *
 * --format torch writes the task model's PyTorch twin, a Python package that trains
 * single-process or under torchrun (DDP) and whose weights rnn-import brings back
 * (src/interop/torch_twin.ts; tasks with a twin: see TORCH_TWIN_TASKS' message):
 *   rnn-export --model runs/sentiment/best --format torch --out twin/ [--data DIR] [--verify]
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import '../layers';
import { getTask, taskNames } from '../tasks';
import { UserError } from '../src/errors';
import { writeFileAtomic } from '../src/io/fs_handler';
import { loadTfjsLayersModel } from '../src/interop/tfjs_layers';
import { readSafetensors, writeSafetensors } from '../src/interop/safetensors';
import { modelStateDict } from '../src/interop/torch_state_dict';
import { compareTwin, torchUnavailable, writeTorchTwin } from '../src/interop/torch_twin';
import { checkOutputDir } from '../src/io/output_paths';
import { exportModel, onnxInputNames } from '../src/onnx/export';
import { runOnnx } from '../src/onnx/onnxruntime';
import { onnx } from '../src/onnx/proto';
import { readArtifacts } from '../src/train/checkpoint';
import { EXIT, parseArgs, runMain, useBackend } from './run';
import { checkOutput } from './preflight';

export function program(): Command {
  return new Command('rnn-export')
    .description('Export a trained model (checkpoint or model.json directory) to ONNX (opset 14): LSTM/GRU/RNN nodes, embeddings as Gather, dense and pooling around them.')
    .requiredOption('--model <dir>', 'checkpoint directory written by rnn-train, or a directory with model.json')
    .requiredOption('--out <file>', 'the file to write (model.onnx, or model.safetensors with --format safetensors), or with --format torch the directory')
    .addOption(new Option('--format <kind>', "onnx: the model as an ONNX graph; safetensors: its weights as a PyTorch state dict (nn.LSTM/GRU/RNN, nn.Linear, nn.Embedding names and layouts); torch: the task model's PyTorch twin (a Python package with the modules, weights, encoded data and a torchrun/DDP training script)").choices(['onnx', 'safetensors', 'torch']).default('onnx'))
    .option('--data <path>', "torch: the data to encode for the twin's training (default: the run's --data, else the task's bundled data)")
    .option('--verify', 'onnx: run the exported file in onnxruntime-node on a sample batch and compare with the tfjs model; safetensors: read the file back and compare; torch: run the twin (python3 with torch) on a dev batch and compare with the tfjs model')
    .addOption(new Option('--graph <kind>', "task: the task's deployable graph where it has one (translate: greedy decoding in one graph), else the model; model: the checkpoint's tf.LayersModel as it is (translate: teacher-forced logits)").choices(['task', 'model']).default('task'))
    .option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', '\nExamples:\n  $ rnn-export --model runs/sentiment/best --out sentiment.onnx\n  $ rnn-export --model runs/sentiment/best --out sentiment.onnx --verify\n  $ rnn-export --model runs/sentiment/best --format torch --out twin --verify   (then: torchrun --nproc_per_node 2 twin/train.py; rnn-import --torch twin --out runs/imported)');
}

/** The model directory to load (a crash-left aside copy of a checkpoint is not needed here). */
function modelDir(dir: string): string {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: no such model directory`, EXIT.usage);
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw new UserError(`${dir}: not a model directory (no model.json; expected a checkpoint written by rnn-train or a directory written by saveModel)`);
  return dir;
}

/** A sample batch for --verify: B = 2; int [B, T] inputs get ids in [1, 5) with trailing padding, float inputs N(0, 1). */
function sampleInputs(model: tf.LayersModel): tf.Tensor[] {
  return model.inputs.map((input, i) => {
    const shape = input.shape.map((d, k) => d ?? (k === 0 ? 2 : 6));
    if (input.dtype !== 'int32') return tf.randomNormal(shape, 0, 1, 'float32', 7 + i);
    const [B, T = 1] = shape;
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const values = Array.from({ length: B * per }, (_, j) => {
      const b = Math.floor(j / per);
      const t = Math.floor((j % per) / (per / T));
      return t < Math.max(1, T - 2 * b) ? 1 + ((j * 7) % 4) : 0;
    });
    return tf.tensor(values, shape, 'int32');
  });
}

/** What a task predictor offers when its deployable graph is not its tf.LayersModel (the translator's decoding loop). */
interface OnnxExporting {
  exportOnnx(metadata: Record<string, string>): Uint8Array;
  verifyOnnx(bytes: Uint8Array): Promise<string>;
  dispose(): void;
}

function artifactsMetadata(dir: string): Record<string, string> {
  const file = path.join(dir, 'artifacts.json');
  return fs.existsSync(file) ? { 'rnnkit.artifacts': fs.readFileSync(file, 'utf8') } : {};
}

/** Exports the checkpoint's task graph when its predictor has one; false when it has not (the model is exported instead). */
async function exportTaskGraph(dir: string, opts: { out: string; verify?: boolean }): Promise<boolean> {
  if (!fs.existsSync(path.join(dir, 'artifacts.json'))) return false;
  const name = readArtifacts(dir).task;
  const task = typeof name === 'string' ? await getTask(name).catch(() => undefined) : undefined;
  if (!task?.onnxGraph) return false;
  const predictor = (await task.load(dir)) as unknown as Partial<OnnxExporting> & { dispose(): void };
  try {
    if (typeof predictor.exportOnnx !== 'function' || typeof predictor.verifyOnnx !== 'function') {
      throw new Error(`task ${task.name} declares an ONNX graph but its predictor has no exportOnnx/verifyOnnx`);
    }
    process.stderr.write(`rnn-export: ${task.name}: ${task.onnxGraph} (--graph model for the checkpoint's tf.LayersModel)\n`);
    let bytes: Uint8Array;
    try {
      bytes = predictor.exportOnnx(artifactsMetadata(dir));
    } catch (e) {
      throw new UserError(`${dir}: ${(e as Error).message}`);
    }
    writeFileAtomic(opts.out, bytes);
    const decoded = onnx.ModelProto.decode(bytes).graph!;
    const describe = (vs: onnx.IValueInfoProto[]): string => vs.map((v) => `${v.name} [${(v.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimValue ?? '?').join(', ')}]`).join(', ');
    process.stdout.write(`wrote ${opts.out} (${(bytes.length / 1024).toFixed(1)} KB, ONNX opset 14, ${task.name} graph): ${describe(decoded.input ?? [])} -> ${describe(decoded.output ?? [])}\n`);
    if (opts.verify) process.stdout.write(`${await predictor.verifyOnnx!(bytes)}\n`);
    return true;
  } finally {
    predictor.dispose();
  }
}

/** --format safetensors: the model's weights as a PyTorch state dict. */
async function exportSafetensors(dir: string, opts: { out: string; verify?: boolean }): Promise<number> {
  const { model } = await loadTfjsLayersModel(dir);
  const sd = modelStateDict(model);
  model.dispose();
  const sources = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.source]));
  const bytes = writeSafetensors(sd, { format: 'pt', 'rnnkit.sources': JSON.stringify(sources), ...artifactsMetadata(dir) });
  writeFileAtomic(opts.out, bytes);
  process.stdout.write(`wrote ${opts.out} (${(bytes.length / 1024).toFixed(1)} KB, safetensors, ${Object.keys(sd).length} tensors in PyTorch layout): ${Object.keys(sd).join(', ')}\n`);
  if (opts.verify) {
    const back = readSafetensors(fs.readFileSync(opts.out), { file: opts.out }).tensors;
    const same = Object.entries(sd).every(([k, v]) => back[k] && back[k].data.every((x, i) => Object.is(x, v.data[i])));
    if (!same) throw new UserError(`${opts.out}: the file read back differs from the model's weights`);
    process.stdout.write(`verified: ${opts.out} reads back bit for bit\n`);
  }
  return EXIT.ok;
}

/** The largest |PyTorch − tfjs| --format torch --verify accepts on its sample batch. */
export const TWIN_TOLERANCE = 1e-5;

/** --format torch: the task model's PyTorch twin package in the directory `opts.out`. */
async function exportTorch(dir: string, opts: { out: string; verify?: boolean; data?: string }): Promise<number> {
  const name = fs.existsSync(path.join(dir, 'artifacts.json')) ? readArtifacts(dir).task : undefined;
  const task = typeof name === 'string' ? await getTask(name).catch(() => undefined) : undefined;
  const supported: string[] = [];
  for (const t of taskNames()) if ((await getTask(t).catch(() => undefined))?.torchTwin) supported.push(t);
  if (!task?.torchTwin) {
    throw new UserError(`${dir}: --format torch needs a checkpoint of a task with a PyTorch twin (${supported.join(', ')}); this one is ${typeof name === 'string' ? `for task '${name}'` : 'not a task checkpoint'} (--format safetensors exports any model's weights)`, EXIT.usage);
  }
  if (opts.verify) {
    const why = torchUnavailable();
    if (why) throw new UserError(`--verify runs the twin in PyTorch: ${why}`);
  }
  process.stderr.write(`rnn-export: ${task.name}: ${task.torchTwin.description}\n`);
  const parts = await task.torchTwin.prepare(dir, { data: opts.data });
  for (const n of parts.notes) process.stderr.write(`rnn-export: ${n}\n`);
  const files = await writeTorchTwin(parts, { task: task.name, checkpoint: dir, out: opts.out });
  const py = files.filter((f) => f.endsWith('.py')).length;
  process.stdout.write(`wrote ${opts.out} (PyTorch twin of the ${task.name} model: ${py} Python files, model.safetensors, twin.json, data/, checkpoint/)\n`);
  process.stdout.write(`train: python3 ${path.join(opts.out, 'train.py')}  or  torchrun --nproc_per_node 2 ${path.join(opts.out, 'train.py')}; then rnn-import --torch ${opts.out} --out DIR\n`);
  if (opts.verify) {
    const { worst, shape } = await compareTwin(opts.out);
    process.stdout.write(`verified in PyTorch: max |torch - tfjs| = ${worst.toExponential(2)} on a dev batch (outputs [${shape.join(', ')}])\n`);
    if (!(worst <= TWIN_TOLERANCE)) throw new UserError(`${opts.out}: the twin's outputs differ from the tfjs model's by ${worst} (> ${TWIN_TOLERANCE})`);
  }
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const prog = program();
  const stop = parseArgs(prog, argv);
  if (stop !== null) return stop;
  const opts = prog.opts<{ model: string; out: string; verify?: boolean; backend?: string; data?: string; graph: 'task' | 'model'; format: 'onnx' | 'safetensors' | 'torch' }>();
  // the file this run writes and the model it reads, before any work
  const safetensors = opts.format === 'safetensors';
  if (opts.data !== undefined && opts.format !== 'torch') throw new UserError('--data is for --format torch (the twin\'s training data)', EXIT.usage);
  if (opts.format === 'torch') checkOutputDir(opts.out, { option: '--out', what: 'the twin package' });
  else checkOutput(opts.out, '--out', safetensors ? ['.safetensors'] : ['.onnx'], safetensors ? 'the safetensors file' : 'the ONNX model');
  modelDir(opts.model);
  const backend = await useBackend(opts.backend);
  process.stderr.write(`rnn-export: backend ${backend}\n`);
  const dir = modelDir(opts.model);
  if (safetensors) return exportSafetensors(dir, opts);
  if (opts.format === 'torch') return exportTorch(dir, opts);
  if (opts.graph === 'task' && (await exportTaskGraph(dir, opts))) return EXIT.ok;
  const { model, report } = await loadTfjsLayersModel(dir);
  for (const r of report.replaced) if (r.from !== 'Embedding') process.stderr.write(`rnn-export: ${r.name}: ${r.from} read as ${r.to}\n`);
  for (const k of report.kept) process.stderr.write(`rnn-export: ${k.name}: ${k.className} kept as the tfjs layer (${k.reason}); it has no ONNX export\n`);
  const metadata = artifactsMetadata(dir);
  let bytes: Uint8Array;
  try {
    bytes = exportModel(model, { metadata });
  } catch (e) {
    throw new UserError(`${dir}: ${(e as Error).message}`);
  }
  writeFileAtomic(opts.out, bytes);
  const names = onnxInputNames(model);
  const ins = model.inputs.map((t, i) => `${names[i]} ${t.dtype} [${t.shape.map((d) => d ?? '?').join(', ')}]`).join(', ');
  const outs = model.outputs.map((t) => `[${t.shape.map((d) => d ?? '?').join(', ')}]`).join(', ');
  process.stdout.write(`wrote ${opts.out} (${(bytes.length / 1024).toFixed(1)} KB, ONNX opset 14): ${ins} -> ${outs}\n`);
  if (opts.verify) {
    const inputs = sampleInputs(model);
    const want = model.predict(inputs) as tf.Tensor | tf.Tensor[];
    const wants = Array.isArray(want) ? want : [want];
    const got = await runOnnx(bytes, Object.fromEntries(inputs.map((t, i) => [names[i], t])));
    let worst = 0;
    wants.forEach((w, i) => {
      const g = got[wants.length === 1 ? 'output' : `output_${i}`];
      const a = g.dataSync();
      const b = w.dataSync();
      for (let j = 0; j < b.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    });
    tf.dispose([...inputs, ...wants, ...Object.values(got)]);
    process.stdout.write(`verified in onnxruntime-node: max |onnxruntime - tfjs| = ${worst.toExponential(2)} on a sample batch\n`);
    if (!(worst <= 1e-4)) throw new UserError(`${opts.out}: onnxruntime's outputs differ from the tfjs model's by ${worst} (> 1e-4)`);
  }
  model.dispose();
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-export', () => main(process.argv.slice(2)));
