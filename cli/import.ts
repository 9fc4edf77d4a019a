/**
 * rnn-import: brings weights trained in PyTorch back into an rnnkit checkpoint.
 *
 *   rnn-export --model runs/sentiment/best --format torch --out twin
 *   torchrun --nproc_per_node 2 twin/train.py          (or python3 twin/train.py)
 *   rnn-import --torch twin --out runs/sentiment-torch
 *   rnn-predict --model runs/sentiment-torch "a gripping, funny film"
 *
 * The twin directory keeps a copy of the checkpoint it was exported from; its model
 * gets the trained state dict (twin/trained.safetensors, or --weights FILE) through
 * src/interop/torch_model_weights.ts (every tensor present, shaped and used, or a
 * one-line error naming the PyTorch tensor and the model weight), and the result is
 * written as a checkpoint that rnn-predict, rnn-export (--format onnx) and the
 * browser load. --verify also compares the imported model with the twin's forward
 * in PyTorch on the twin's sample batch.
 */
import * as path from 'path';
import { Command } from 'commander';
import '../layers';
import { UserError } from '../src/errors';
import { checkOutputDir } from '../src/io/output_paths';
import { compareTwin, importTorchTwin, readTwin, torchUnavailable } from '../src/interop/torch_twin';
import { EXIT, parseArgs, runMain, useBackend } from './run';

/** The largest |PyTorch − tfjs| --verify accepts. */
export const IMPORT_TOLERANCE = 1e-5;

export function program(): Command {
  return new Command('rnn-import')
    .description('Import weights trained by the PyTorch twin (rnn-export --format torch) into an rnnkit checkpoint for rnn-predict, rnn-export and the browser.')
    .requiredOption('--torch <dir>', 'the twin directory written by rnn-export --format torch')
    .requiredOption('--out <dir>', 'the checkpoint directory to write (new, or an earlier rnn-import output)')
    .option('--weights <file>', "the state dict to import (default: DIR/trained.safetensors, what the twin's train.py writes)")
    .option('--verify', "compare the imported model with the twin's forward in PyTorch (python3 with torch) on the twin's sample batch")
    .option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', '\nExamples:\n  $ rnn-import --torch twin --out runs/sentiment-torch\n  $ rnn-import --torch twin --weights twin/epoch3.safetensors --out runs/sentiment-torch --verify\n\nExit codes: 0 ok, 1 failure (a missing or mismatched tensor, a damaged file), 2 bad usage.');
}

export async function main(argv: string[]): Promise<number> {
  const prog = program();
  const stop = parseArgs(prog, argv);
  if (stop !== null) return stop;
  const opts = prog.opts<{ torch: string; out: string; weights?: string; verify?: boolean; backend?: string }>();
  const { task } = readTwin(opts.torch);
  checkOutputDir(opts.out, { option: '--out', what: 'the checkpoint' });
  if (path.resolve(opts.out) === path.resolve(opts.torch)) throw new UserError('--out: give a directory other than the twin', EXIT.usage);
  if (opts.verify) {
    const why = torchUnavailable();
    if (why) throw new UserError(`--verify runs the twin in PyTorch: ${why}`);
  }
  const backend = await useBackend(opts.backend);
  process.stderr.write(`rnn-import: backend ${backend}\n`);
  const r = await importTorchTwin(opts.torch, opts.out, opts.weights);
  const trained = r.trained ? ` (trained ${String(r.trained.steps)} steps on ${String(r.trained.world_size)} process${r.trained.world_size === 1 ? '' : 'es'})` : '';
  process.stdout.write(`wrote ${opts.out}: the ${task} checkpoint with ${r.tensors} tensors from ${r.weights}${trained}\n`);
  if (opts.verify) {
    const { worst, shape } = await compareTwin(opts.torch, r.weights);
    process.stdout.write(`verified in PyTorch: max |torch - tfjs| = ${worst.toExponential(2)} on the twin's sample batch (outputs [${shape.join(', ')}])\n`);
    if (!(worst <= IMPORT_TOLERANCE)) throw new UserError(`${opts.out}: the imported model differs from the twin's forward by ${worst} (> ${IMPORT_TOLERANCE})`);
  }
  process.stdout.write(`try: rnn-predict --model ${opts.out} ...\n`);
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-import', () => main(process.argv.slice(2)));
