/**
 * rnn-diagnose: pictures of what happens inside the recurrent layers.
 *
 *   rnn-diagnose gradients [--length 100] [--cells rnn,lstm,gru] [--out docs/gradient_flow.svg]
 *
 * `gradients` trains each cell briefly on the same long-dependency task (the class
 * is the first of T random symbols) and measures ||dLoss/ds_t|| at every step
 * (src/diagnostics): a table on stdout (how far back each cell's gradient stays
 * above the threshold) and, with --out, the figure as .svg or a small .html page.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CellKind } from '../layers/recurrent_layer';
import { CELL_NAMES, gradientFlowFigure } from '../src/diagnostics/gradient_figure';
import { LONG_DEPENDENCY_DEFAULTS, runLongDependency, type CellFlow, type LongDependencyConfig } from '../src/diagnostics/long_dependency';
import { UserError } from '../src/errors';
import { writeFileAtomic } from '../src/io/fs_handler';
import { vegaLiteToSvg } from '../src/report/svg';
import { EXIT, parseArgs, printError, useBackend } from './run';
import { checkOutput } from './preflight';
import { makeDirs } from '../src/io/output_paths';

const CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];

function int(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min) throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}`);
    return n;
  };
}

function positive(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number`);
    return n;
  };
}

function cellList(v: string): CellKind[] {
  const cells = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = cells.filter((c) => !CELLS.includes(c as CellKind));
  if (cells.length === 0 || bad.length > 0) throw new InvalidArgumentError(`--cells takes a comma-separated list of ${CELLS.join(', ')}${bad.length ? ` (not: ${bad.join(', ')})` : ''}`);
  return [...new Set(cells)] as CellKind[];
}

/** The `gradients` subcommand. */
export function gradientsProgram(): Command {
  const d = LONG_DEPENDENCY_DEFAULTS;
  return new Command('rnn-diagnose gradients')
    .description('Train SimpleRNN, LSTM and GRU briefly on the same long-dependency task (the class is the first of T random symbols) and measure ||dLoss/ds_t|| at every step t: how far back the gradient reaches.')
    .addOption(new Option('--length <T>', 'sequence length').argParser(int('--length', 2)).default(d.length))
    .addOption(new Option('--cells <list>', 'cells to compare').argParser(cellList).default(CELLS, CELLS.join(',')))
    .addOption(new Option('--out <file>', 'write the figure: FILE.svg, or FILE.html (figure and table)'))
    .addOption(new Option('--steps <n>', 'training steps per cell (0: measure at initialization)').argParser(int('--steps', 0)).default(d.steps))
    .addOption(new Option('--start-length <n>', 'first training length of the curriculum (= --length: no curriculum)').argParser(int('--start-length', 1)).default(d.startLength))
    .addOption(new Option('--units <n>', 'hidden size').argParser(int('--units', 1)).default(d.units))
    .addOption(new Option('--symbols <n>', 'alphabet size = number of classes').argParser(int('--symbols', 2)).default(d.symbols))
    .addOption(new Option('--batch-size <n>', 'sequences per step').argParser(int('--batch-size', 1)).default(d.batchSize))
    .addOption(new Option('--lr <x>', 'Adam learning rate').argParser(positive('--lr')).default(d.lr))
    .addOption(new Option('--threshold <x>', "reach threshold, relative to the last step's gradient norm").argParser(positive('--threshold')).default(d.threshold))
    .addOption(new Option('--seed <n>', 'seed of the data and weights').argParser(int('--seed', 0)).default(d.seed))
    .option('--backend <name>', 'tensorflow (tfjs-node), wasm, cpu, or auto')
    .option('--json', 'one JSON object per cell on stdout')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', '\nExamples:\n  $ rnn-diagnose gradients --out docs/gradient_flow.svg\n  $ rnn-diagnose gradients --length 60 --cells rnn,lstm --out flow.html');
}

function table(flows: CellFlow[], cfg: LongDependencyConfig): string[] {
  const rows = flows.map((f) => [
    CELL_NAMES[f.cell],
    `${(100 * f.accuracy).toFixed(0)}%`,
    `${f.trainedLength}`,
    `${f.reach}`,
    f.firstOverLast.toExponential(1),
    f.floor.toExponential(1),
    f.cpuSeconds.toFixed(1),
  ]);
  const head = ['cell', 'accuracy', 'trained to T', `reach (>${cfg.threshold})`, 'first/last', 'min/last', 'cpu s'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function gradients(argv: string[]): Promise<number> {
  const prog = gradientsProgram();
  const stop = parseArgs(prog, argv);
  if (stop !== null) return stop;
  const o = prog.opts();
  const out = o.out as string | undefined;
  if (out !== undefined && !/\.(svg|html?)$/i.test(out)) throw new UserError(`--out ${out}: the figure is written as .svg or .html`, EXIT.usage);
  if (out !== undefined) checkOutput(out, '--out', ['.svg', '.html', '.htm'], 'the figure');
  const cfg: LongDependencyConfig = {
    ...LONG_DEPENDENCY_DEFAULTS,
    length: o.length,
    steps: o.steps,
    startLength: Math.min(o.startLength, o.length),
    units: o.units,
    symbols: o.symbols,
    batchSize: o.batchSize,
    lr: o.lr,
    threshold: o.threshold,
    seed: o.seed,
  };
  const backend = await useBackend(o.backend);
  process.stderr.write(`rnn-diagnose: backend ${backend}; T = ${cfg.length}, ${cfg.symbols} classes (the first symbol), ${cfg.steps} training steps per cell, curriculum from length ${cfg.startLength}\n`);
  const flows: CellFlow[] = [];
  for (const cell of o.cells as CellKind[]) {
    const t0 = Date.now();
    const f = runLongDependency(cell, cfg);
    flows.push(f);
    process.stderr.write(`rnn-diagnose: ${CELL_NAMES[cell]}: accuracy ${(100 * f.accuracy).toFixed(0)}%, trained to length ${f.trainedLength}, reach ${f.reach} steps (${((Date.now() - t0) / 1000).toFixed(1)} s wall, ${f.cpuSeconds.toFixed(1)} s cpu)\n`);
    if (o.json) process.stdout.write(`${JSON.stringify({ cell, accuracy: f.accuracy, trainedLength: f.trainedLength, reach: f.reach, threshold: cfg.threshold, firstOverLast: f.firstOverLast, floor: f.floor, loss: f.loss, norms: f.series.norms, cpuSeconds: f.cpuSeconds })}\n`);
  }
  const lines = table(flows, cfg);
  const summary = `reach = steps back from the end before ||dLoss/ds_t|| first falls below ${cfg.threshold} of the last step's (T-1 = ${cfg.length - 1}: the whole sequence)`;
  if (!o.json) process.stdout.write(`${lines.join('\n')}\n${summary}\n`);
  if (out !== undefined) {
    const figure = gradientFlowFigure(flows, cfg.threshold);
    // a lone .svg carries its own title; the .html page has it as a heading
    const svg = await vegaLiteToSvg(/\.svg$/i.test(out) ? { ...figure.spec, title: figure.title } : figure.spec);
    makeDirs(path.dirname(path.resolve(out)));
    if (/\.svg$/i.test(out)) {
      writeFileAtomic(out, svg);
    } else {
      const html = [
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        '<title>rnnkit: gradient flow</title><style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em}pre{background:#f6f6f6;padding:.8em}</style></head><body>',
        `<h1>${escapeHtml(figure.title)}</h1>`,
        svg,
        `<p>${escapeHtml(figure.caption ?? '')}</p>`,
        `<pre>${escapeHtml([...lines, summary].join('\n'))}</pre>`,
        `<p>Command: <code>rnn-diagnose ${escapeHtml(argv.join(' '))}</code>; backend ${escapeHtml(backend)}.</p>`,
        '</body></html>',
        '',
      ].join('\n');
      writeFileAtomic(out, html);
    }
    process.stderr.write(`rnn-diagnose: wrote ${out}\n`);
  }
  return EXIT.ok;
}

const USAGE = 'usage: rnn-diagnose gradients [--length T] [--cells rnn,lstm,gru] [--out FILE.svg|.html] (rnn-diagnose gradients --help for all options)\n';

/** Entry point: `rnn-diagnose <what> [options]`. */
export async function main(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'gradients') return gradients(rest);
  if (what === '--help' || what === '-h' || what === 'help') {
    process.stdout.write(`rnn-diagnose: pictures of what happens inside the recurrent layers.\n${USAGE}`);
    return EXIT.ok;
  }
  // one line on stderr, like every usage error (the usage itself is behind --help)
  printError('rnn-diagnose', what === undefined ? 'which diagnostic? (known: gradients; see rnn-diagnose --help)' : `unknown diagnostic '${what}' (known: gradients; see rnn-diagnose --help)`);
  return EXIT.usage;
}
