/**
 * rnn-predict: use a checkpoint written by rnn-train. The task is read from the
 * checkpoint (artifacts.json `task`), and the task's predictor does the rest:
 * its own options, input and output formats (see `rnn-predict --model DIR --help`).
 *
 *   rnn-predict --model runs/sentiment/best "a gripping, funny film"
 *   cat sentences.txt | rnn-predict --model runs/pos/best --format conllu
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { getTask, taskNames } from '../tasks';
import { UserError } from '../src/errors';
import type { PredictIO, Task } from '../src/task';
import { readArtifacts, resolveCheckpoint } from '../src/train/checkpoint';
import { commanderOptions } from './options';
import { EXIT, parseArgs, runMain, useBackend } from './run';
import { checkModelDir, checkOutput } from './preflight';
import { checkArgumentText, readStdinText } from '../src/data/text_file';

/** --engine and --threads (rnn-predict and rnn-generate). */
export function engineOptions(): Option[] {
  return [
    new Option('--engine <name>', 'run the model with tfjs (default) or onnxruntime (exported to ONNX on the fly; needs the npm package onnxruntime-node)').choices(['tfjs', 'onnxruntime']),
    new Option('--threads <n>', 'onnxruntime: intra-op threads (default 1)').argParser((v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('--threads must be a positive integer');
      return Number(v);
    }),
  ];
}

function baseProgram(): Command {
  const prog = new Command('rnn-predict')
    .requiredOption('--model <dir>', 'checkpoint directory (e.g. runs/sentiment/best)')
    .option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto')
    .option('--json', 'one JSON object per line');
  for (const o of engineOptions()) prog.addOption(o);
  return prog
    .argument('[inputs...]', "the task's inputs (default: read standard input)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** The program without a model: what rnn-predict does in general. */
export function program(): Command {
  return baseProgram()
    .description(`Predict with a model trained by rnn-train (tasks: ${taskNames().join(', ')}); the checkpoint says which task it is. Options of a task's models: rnn-predict --model DIR --help.`)
    .addHelpText('after', '\nExamples:\n  $ rnn-predict --model runs/sentiment/best "the movie my friend has seen is not good"\n  $ rnn-predict --model runs/sentiment/best --json < reviews.txt');
}

/** The program for one task's checkpoint: base options plus the task's predict options. */
function taskProgram(task: Task): Command {
  const prog = baseProgram().description(`Predict with a '${task.name}' model. ${task.predictHelp}`);
  for (const o of task.predictOptions) for (const opt of commanderOptions(o, {})) prog.addOption(opt);
  return prog;
}

/** The value of --model in argv, if any. */
function modelArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model') return argv[i + 1];
    if (argv[i].startsWith('--model=')) return argv[i].slice('--model='.length);
  }
  return undefined;
}

/** All of standard input as strict UTF-8 text ('' for a terminal); other bytes are a one-line `<stdin>:LINE` error. */
export async function readStdin(): Promise<string> {
  return readStdinText();
}

/** The checkpoint directory and its task, or a user error saying what is wrong. */
export async function checkpointTask(dir: string): Promise<{ ckpt: string; task: Task }> {
  if (!fs.existsSync(dir)) throw new UserError(`${dir}: no such model directory`, EXIT.usage);
  let ckpt: string;
  let name: unknown;
  try {
    ckpt = resolveCheckpoint(dir);
    name = readArtifacts(ckpt).task;
  } catch {
    throw new UserError(`${dir}: not a checkpoint written by rnn-train (expected model.json, training.json and artifacts.json)`);
  }
  const task = typeof name === 'string' ? await getTask(name) : undefined;
  if (!task) throw new UserError(`${path.join(ckpt, 'artifacts.json')}: task '${String(name)}' is not known to this version (tasks: ${taskNames().join(', ')})`);
  // prove the files (sizes, checksums, finite weights) before anything is loaded or predicted
  checkModelDir(ckpt);
  return { ckpt, task };
}

/**
 * Loads a checkpoint's predictor and runs it on the CLI's inputs and parsed
 * options (`--backend`, `--json`, `--engine`, `--threads` and the task's predict
 * options); shared by rnn-predict and rnn-generate.
 */
export async function runPredictor(prog: string, task: Task, ckpt: string, args: string[], o: Record<string, unknown>): Promise<void> {
  // the paths this run writes, and its text arguments, before the model is loaded
  if (typeof o.plot === 'string') checkOutput(o.plot, '--plot', ['.svg', '.json'], 'the picture');
  args.forEach((a, i) => checkArgumentText(a, `argument ${i + 1}`));
  const backend = await useBackend(o.backend as string | undefined);
  // Which backend runs, on stderr so stdout stays the predictions.
  process.stderr.write(`${prog}: backend ${backend}\n`);
  const io: PredictIO = {
    args,
    readStdin,
    write: (s) => process.stdout.write(s),
    note: (m) => process.stderr.write(`${prog}: ${m}\n`),
    json: !!o.json,
  };
  const options = Object.fromEntries(task.predictOptions.map((p) => [p.key, o[p.key]]).filter(([, v]) => v !== undefined));
  const predictor = await task.load(ckpt);
  try {
    if (o.engine === 'onnxruntime') {
      const { useOnnxRuntime } = await import('../src/onnx/engine');
      useOnnxRuntime(predictor, { threads: (o.threads as number | undefined) ?? 1 });
      io.note('engine onnxruntime');
    }
    await task.predict(predictor, io, options);
  } finally {
    predictor.dispose();
  }
}

async function main(argv: string[]): Promise<number> {
  const dir = modelArg(argv);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (dir === undefined || (wantsHelp && !fs.existsSync(dir))) {
    // No model: general help, or commander's own "required option" usage error.
    return parseArgs(program(), argv) ?? EXIT.usage;
  }
  const { ckpt, task } = await checkpointTask(dir);
  const prog = taskProgram(task);
  const stop = parseArgs(prog, argv);
  if (stop !== null) return stop;
  await runPredictor('rnn-predict', task, ckpt, prog.args, prog.opts());
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-predict', () => main(process.argv.slice(2)));

export { main };
