/**
 * rnn-train: train any registered task from the command line. The program is
 * built from the task contract (src/task.ts): the common options
 * (src/train/common.ts) plus the chosen task's own, with that task's defaults.
 *
 *   rnn-train --task sentiment                      # the task's bundled data set
 *   rnn-train --task pos --data train.conllu --epochs 5 --json
 *   rnn-train --task pos --help                     # the task's options and defaults
 */
import * as asciichart from 'asciichart';
import { Command, Option } from 'commander';
import { getTask, taskNames } from '../tasks';
import type { Task, TaskResult } from '../src/task';
import type { ReportStep } from '../src/report';
import { COMMON_OPTIONS } from '../src/train/common';
import { StopSignal } from '../src/train';
import { commanderOptions, kebab } from './options';
import { EXIT, parseArgs, printError, runMain, useBackend } from './run';
import { preflightTrain } from './preflight';
import { Reporter, round, roundAll } from './reporter';

const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** The options every run has besides the training options: which task, backend, output format. */
function baseProgram(): Command {
  return new Command('rnn-train')
    .addOption(new Option('--task <task>', `task to train (${taskNames().join(', ')})`))
    .addOption(new Option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto (default: auto)').choices(BACKEND_CHOICES))
    .option('--json', 'print one JSON object per line; the last line is the summary')
    .option('--report <file>', 'write an HTML report (curves, metrics, the task\'s pictures) to this file')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** The program for one task: base options, common training options, the task's own. */
export function program(task: Task): Command {
  const prog = baseProgram().description(`Train a model for the '${task.name}' task (${task.description}), evaluate it on dev/test, and save checkpoints.`);
  const defaults = task.defaults as unknown as Record<string, unknown>;
  for (const o of COMMON_OPTIONS) {
    const help = o.key === 'data' ? `${o.help}. Formats: ${task.dataHelp}` : o.help;
    for (const opt of commanderOptions({ ...o, help }, defaults)) prog.addOption(opt);
  }
  for (const o of task.options) for (const opt of commanderOptions(o, defaults)) prog.addOption(opt);
  prog.addHelpText(
    'after',
    `\nExamples:\n${task.examples.map((e) => `  $ ${e}`).join('\n')}\n\nExit codes: 0 ok, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C saves a checkpoint first).`,
  );
  return prog;
}

/** Help without a task: the tasks and how to get each one's options. */
async function generalHelp(): Promise<string> {
  const rows: string[] = [];
  for (const name of taskNames()) {
    const t = await getTask(name);
    rows.push(`  ${name.padEnd(12)} ${t?.description ?? ''}`);
  }
  return [
    'Usage: rnn-train --task <task> [options]',
    '',
    'Train a recurrent model for a task, evaluate it on dev/test, and save checkpoints.',
    '',
    'Tasks:',
    ...rows,
    '',
    'Options of a task, with its defaults: rnn-train --task <task> --help',
    'Common to every task: --data, --epochs, --patience, --batch-size, --lr, --optimizer, --schedule, --warmup, --clip-norm, --ema,',
    '  --seed, --out, --resume, --workers, --time-budget, --backend, --json, --report',
    '',
    'Exit codes: 0 ok, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C saves a checkpoint first).',
    '',
  ].join('\n');
}

/** The value of --task in argv (`--task X` or `--task=X`), if any. */
function taskArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--task') return argv[i + 1];
    if (argv[i].startsWith('--task=')) return argv[i].slice('--task='.length);
  }
  return undefined;
}

/** A metric's human name and value: accuracies and F1 as percentages. */
export function formatMetric(name: string, v: number): string {
  const label = /F1$/.test(name) && name !== 'F1' ? `${name.slice(0, -2).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}-F1` : name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const percent = /accuracy|f1|precision|recall/i.test(name) && v >= 0 && v <= 1;
  return `${label} ${percent ? `${(100 * v).toFixed(2)}%` : Number.isInteger(v) ? String(v) : v.toPrecision(4)}`;
}

const formatMetrics = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => formatMetric(k, v)).join(', ');

/** A terminal plot of the step losses (averaged down to at most 60 points). */
function lossPlot(losses: number[]): string[] {
  if (losses.length <= 4) return [];
  const n = Math.min(60, losses.length);
  const per = losses.length / n;
  const curve = Array.from({ length: n }, (_, i) => {
    const part = losses.slice(Math.floor(i * per), Math.max(Math.floor((i + 1) * per), Math.floor(i * per) + 1));
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
  return ['', 'training loss:', asciichart.plot(curve, { height: 8, format: (x: number) => x.toFixed(3).padStart(7) })];
}

async function main(argv: string[]): Promise<number> {
  const name = taskArg(argv);
  if (name === undefined) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(await generalHelp());
      return EXIT.ok;
    }
    printError('rnn-train', `--task is required (one of: ${taskNames().join(', ')}); see rnn-train --help`);
    return EXIT.usage;
  }
  const task = await getTask(name);
  if (!task) {
    printError('rnn-train', `unknown task '${name}' (available: ${taskNames().join(', ')})`);
    return EXIT.usage;
  }
  const prog = program(task);
  prog.configureOutput({
    writeErr: (s) => process.stderr.write(/unknown option/.test(s) ? s.replace(/\n?$/, ` (not an option of task '${task.name}'; see rnn-train --task ${task.name} --help)\n`) : s),
  });
  const stop = parseArgs(prog, argv);
  if (stop !== null) return stop;
  const o = prog.opts();
  const known = new Set([...COMMON_OPTIONS, ...task.options].map((x) => x.key));
  const overrides = Object.fromEntries(Object.entries(o).filter(([k, v]) => known.has(k) && v !== undefined));
  const effective = { ...task.defaults, ...overrides } as Record<string, unknown>;
  // every path this run writes, and the checkpoint it resumes, before any data is read or step taken
  preflightTrain(task, effective, overrides, o.report as string | undefined);

  const start = Date.now();
  const backend = await useBackend(o.backend);
  const reporter = new Reporter(!!o.json, Number(effective.epochs), task.metric);
  const stopSignal = new StopSignal();
  let interrupted = false;
  const onSigint = (): void => {
    if (stopSignal.aborted) process.exit(EXIT.interrupted);
    stopSignal.requestStop('SIGINT');
    interrupted = true;
    reporter.println('interrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);

  reporter.event({ event: 'start', task: task.name, backend, config: effective });
  if (!reporter.json) {
    const shape = effective.cell ? `, ${String(effective.cell)}${effective.bidirectional ? ' (bidirectional)' : ''} ×${String(effective.layers ?? 1)}, hidden ${String(effective.hidden)}` : '';
    reporter.println(`rnn-train: task ${task.name}, backend ${backend}${shape}, out ${String(effective.out)}`);
  }
  const steps: ReportStep[] = [];
  let result: TaskResult;
  try {
    result = await task.train(overrides, {
      onNote: (m) => reporter.note(m),
      onStep: (s) => {
        steps.push({ globalStep: s.globalStep, loss: s.loss, gradNorm: s.gradNorm, lr: s.lr, updateRatio: s.updateRatio, layers: s.layers });
        reporter.step(s);
      },
      onEpochEnd: (e) => reporter.epoch(e),
      signal: stopSignal,
    });
  } finally {
    reporter.close();
    process.off('SIGINT', onSigint);
  }
  const seconds = (Date.now() - start) / 1000;

  if (interrupted || result.training.stopped === 'interrupted') {
    reporter.note(`interrupted: checkpoint saved in ${result.training.lastDir}; continue with --resume ${result.training.lastDir}`);
    reporter.event({ event: 'summary', task: task.name, interrupted: true, model: result.training.lastDir, seconds: round(seconds, 1) });
    return EXIT.interrupted;
  }
  if (o.report) {
    const { writeHtmlReport } = await import('../src/report/html');
    await writeHtmlReport(o.report as string, {
      task: task.name, backend, config: effective, history: result.training.history, steps,
      metrics: result.metrics, figures: result.figures ?? [], notes: result.notes, report: result.report,
    });
    reporter.note(`report written to ${String(o.report)}`);
  }

  const metrics = { dev: roundAll(result.metrics.dev), ...(result.metrics.test ? { test: roundAll(result.metrics.test) } : {}) };
  if (reporter.json) {
    reporter.event({
      event: 'summary',
      task: task.name,
      backend,
      metrics,
      ...(result.summary ?? {}),
      epochs: result.training.epochs,
      bestEpoch: result.training.bestEpoch + 1,
      stopped: result.training.stopped,
      workers: result.training.workers,
      model: result.modelDir,
      ...reporter.diagnostics(),
      seconds: round(seconds, 1),
    });
    return EXIT.ok;
  }
  const out: string[] = [...lossPlot(reporter.losses)];
  out.push('', `best epoch ${result.training.bestEpoch + 1} of ${result.training.epochs} (${result.training.stopped === 'time-budget' ? 'stopped on its time budget; --resume continues' : result.training.stopped}${result.training.workers ? `, ${result.training.workers} worker${result.training.workers > 1 ? 's' : ''}` : ''})`);
  out.push(`dev:  ${formatMetrics(result.metrics.dev)}`);
  if (result.metrics.test) out.push(`test: ${formatMetrics(result.metrics.test)}`);
  if (result.report.length) out.push('', ...result.report);
  out.push('', `model saved in ${result.modelDir}  (${seconds.toFixed(1)} s)`);
  if (result.hint) out.push(`try: ${result.hint}`);
  reporter.println(out.join('\n'));
  return EXIT.ok;
}

if (require.main === module) runMain('rnn-train', () => main(process.argv.slice(2)));

export { main, kebab };
