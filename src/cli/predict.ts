/**
 * rnn-predict: use a trained checkpoint.
 *
 *   rnn-predict --model runs/sentiment/best "a gripping, funny film"
 *   cat sentences.txt | rnn-predict --model runs/sentiment/best --json
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { UserError } from '../errors';
import { readArtifacts, resolveCheckpoint } from '../train/checkpoint';
import { EXIT, runMain, useBackend } from './run';

export function program(): Command {
  return new Command('rnn-predict')
    .description('Predict with a model trained by rnn-train. Texts come from the arguments, or one per line from standard input.')
    .requiredOption('--model <dir>', 'checkpoint directory (e.g. runs/sentiment/best)')
    .option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto')
    .option('--json', 'one JSON object per line')
    .argument('[texts...]', 'texts to classify (default: read lines from stdin)')
    .addHelpText('after', '\nExamples:\n  $ rnn-predict --model runs/sentiment/best "the movie my friend has seen is not good"\n  $ rnn-predict --model runs/sentiment/best --json < reviews.txt')
    .exitOverride();
}

async function readStdin(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

async function main(argv: string[]): Promise<number> {
  const prog = program();
  try {
    prog.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === 'commander.helpDisplayed' || code === 'commander.help' ? EXIT.ok : EXIT.usage;
  }
  const o = prog.opts();
  const dir = o.model as string;
  if (!fs.existsSync(dir)) throw new UserError(`${dir}: no such model directory`, EXIT.usage);
  let ckpt: string;
  try {
    ckpt = resolveCheckpoint(dir);
  } catch {
    throw new UserError(`${dir}: not a checkpoint written by rnn-train (expected model.json, training.json and artifacts.json)`);
  }
  const task = readArtifacts(ckpt).task;
  if (task !== 'sentiment') throw new UserError(`${path.join(ckpt, 'artifacts.json')}: task '${String(task)}' has no predictor in this version`);
  const backend = await useBackend(o.backend);
  // Which backend runs, on stderr so stdout stays one prediction per line.
  process.stderr.write(`rnn-predict: backend ${backend}\n`);
  const texts = prog.args.length ? prog.args : process.stdin.isTTY ? [] : await readStdin();
  if (!texts.length) throw new UserError('nothing to classify: give texts as arguments or pipe lines on stdin', EXIT.usage);
  const { SentimentClassifier } = await import('../../tasks/sentiment');
  const clf = await SentimentClassifier.load(ckpt);
  for (const p of clf.predict(texts)) {
    if (o.json) process.stdout.write(`${JSON.stringify(p)}\n`);
    else process.stdout.write(`${p.label}\t${p.probabilities[p.label].toFixed(3)}\t${p.text}\n`);
  }
  clf.dispose();
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-predict', () => main(process.argv.slice(2)));

export { main };
