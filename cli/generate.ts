/**
 * rnn-generate: sample text from a language model trained with
 * `rnn-train --task charlm`. Characters are streamed to stdout as they are
 * produced; the recurrent state is kept between steps, so memory stays flat
 * however long it generates. (The same as `rnn-predict --model DIR` on a charlm
 * checkpoint, with the generation options always listed.)
 *
 *   rnn-generate --model runs/charlm/best
 *   rnn-generate --model runs/shakespeare/best --prime "ROMEO:" --length 500 --temperature 0.7 --top-k 20
 */
import * as path from 'path';
import { Command } from 'commander';
import { getTask } from '../tasks';
import { UserError } from '../src/errors';
import { commanderOptions } from './options';
import { checkpointTask, engineOptions, runPredictor } from './predict';
import { EXIT, parseArgs, runMain } from './run';

const EXAMPLES = [
  'rnn-generate --model runs/charlm/best --length 300',
  'rnn-generate --model runs/shakespeare/best --prime "ROMEO:" --length 500 --temperature 0.7 --top-k 20',
  'rnn-generate --model runs/shakespeare/best --temperature 0 --prime "To be"     # greedy',
  'rnn-generate --model runs/charlm/best --count 5 --json',
];

export async function program(): Promise<Command> {
  const task = await getTask('charlm');
  if (!task) throw new Error('the charlm task is not registered');
  const prog = new Command('rnn-generate')
    .description('Generate text with a language model trained by `rnn-train --task charlm`, streaming it to stdout. The prime comes from --prime, the arguments, or standard input (default: a line start).')
    .requiredOption('--model <dir>', 'checkpoint directory (e.g. runs/charlm/best)')
    .option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto')
    .option('--json', 'one {"prime","seed","text"} object per line instead of streaming')
    .addOption(engineOptions()[0])
    .addOption(engineOptions()[1])
    .argument('[primes...]', 'texts to continue, one sample (or --count) each')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const o of task.predictOptions) for (const opt of commanderOptions(o, {})) prog.addOption(opt);
  prog.addHelpText('after', `\nExamples:\n${EXAMPLES.map((e) => `  $ ${e}`).join('\n')}`);
  return prog;
}

async function main(argv: string[]): Promise<number> {
  const prog = await program();
  const stop = parseArgs(prog, argv);
  if (stop !== null) return stop;
  const o = prog.opts();
  const { ckpt, task } = await checkpointTask(o.model as string);
  if (task.name !== 'charlm') throw new UserError(`${path.join(ckpt, 'artifacts.json')}: a '${task.name}' model, not a language model (use rnn-predict; rnn-generate needs rnn-train --task charlm)`);
  await runPredictor('rnn-generate', task, ckpt, prog.args, o);
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-generate', () => main(process.argv.slice(2)));

export { main };
