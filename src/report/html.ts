/**
 * The training report of `rnn-train --report FILE.html`: one self-contained HTML
 * page (inline SVG pictures, inline CSS, no scripts, nothing fetched) with
 *
 *   - the metrics of the best checkpoint (dev, test) as a table,
 *   - training and validation loss by epoch, the dev metrics by epoch,
 *   - the training loss, learning rate and gradient norm of every step,
 *   - per layer (weight group) on the logging steps: gradient norm and the update
 *     the optimizer applied relative to the weights (log scale, 1e-3 guide line),
 *     and the share of steps clipped by epoch,
 *   - the task's own figures (TaskResult.figures: confusion matrix, attention...),
 *   - the task's notes and text report, and the configuration.
 *
 * Pictures are Vega-Lite specs rendered to SVG in Node (src/report/svg.ts).
 *
 *   await writeHtmlReport('out/report.html', {
 *     task: 'sentiment', backend: 'wasm', config, history: result.training.history,
 *     steps, metrics: result.metrics, figures: result.figures ?? [], notes: result.notes, report: result.report,
 *   });
 */
import * as path from 'path';
import { writeFileAtomic } from '../io/fs_handler';
import type { TaskFigure } from '../task';
import { vegaLiteToSvg } from './svg';
import { makeDirs } from '../io/output_paths';

/** One optimizer step as the report draws it (a subset of the engine's StepInfo). */
export interface ReportStep {
  /** Optimizer steps taken so far (after this one). */
  globalStep: number;
  /** Training loss of the step's batch. */
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Learning rate used by the step. */
  lr: number;
  /** Logging steps: the applied update ratio ‖Δθ‖/‖θ‖ over all weights. */
  updateRatio?: number;
  /** Logging steps: per weight group, its gradient norm and applied update ratio. */
  layers?: Record<string, { gradNorm: number; updateRatio: number }>;
}

/** Everything a report shows. */
export interface ReportInput {
  /** Task name (e.g. 'sentiment'). */
  task: string;
  /** Page heading; default `rnnkit: <task>`. */
  title?: string;
  /** The tfjs backend the run used. */
  backend?: string;
  /** The run's full configuration (shown as a table). */
  config: Record<string, unknown>;
  /** TrainResult.history: per epoch { epoch (1-based), loss, lr, dev_<metric>... }. */
  history: Record<string, number>[];
  /** Every optimizer step (from the onStep hook); may be empty. */
  steps: ReportStep[];
  /** Metrics of the best checkpoint by split. */
  metrics: { dev: Record<string, number>; test?: Record<string, number> };
  /** The task's own pictures. */
  figures: TaskFigure[];
  /** Notes about the data and choices made. */
  notes?: string[];
  /** The task's human text report (preformatted lines). */
  report?: string[];
}

/** Most points drawn per step curve (longer runs are thinned evenly; the last step is kept). */
const MAX_STEP_POINTS = 1500;
const WIDTH = 440;
const HEIGHT = 200;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(5)).toString();
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  const stride = (xs.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(xs[Math.round(i * stride)]);
  return out;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A line chart of long-form rows { x, value, series }; `guide`: a dashed horizontal line at that y. */
function lineSpec(
  rows: { x: number; value: number; series: string }[], xTitle: string, yTitle: string,
  opts: { log?: boolean; points?: boolean; ticks?: number[]; guide?: number; legendColumns?: number; domain?: [number, number] } = {},
): Record<string, unknown> {
  const line = {
    mark: { type: 'line', point: opts.points ?? false, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, axis: opts.ticks ? { values: opts.ticks, format: 'd' } : {}, scale: { nice: false } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: opts.log ? { type: 'log' } : opts.domain ? { domain: opts.domain } : { zero: false }, axis: { format: '~g' } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 400, ...(opts.legendColumns ? { columns: opts.legendColumns } : {}) } },
    },
  };
  const base = { $schema: SCHEMA, width: WIDTH, height: HEIGHT, data: { values: rows } };
  if (opts.guide === undefined) return { ...base, ...line };
  const guide = { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: opts.guide } } };
  return { ...base, layer: [line, guide] };
}

/** Long-form rows of one per-layer figure over the logging steps. */
function layerRows(steps: ReportStep[], key: 'gradNorm' | 'updateRatio'): { x: number; value: number; series: string }[] {
  const rows: { x: number; value: number; series: string }[] = [];
  for (const s of steps) {
    if (!s.layers) continue;
    for (const [name, h] of Object.entries(s.layers)) if (finite(h[key]) && h[key] > 0) rows.push({ x: s.globalStep, value: h[key], series: name });
  }
  return rows;
}

/** The common curves, each { title, spec, caption }, from the history and the steps (absent data → no chart). */
export function trainingFigures(history: Record<string, number>[], steps: ReportStep[]): TaskFigure[] {
  const figures: TaskFigure[] = [];
  const epochs = history.filter((h) => finite(h.epoch));
  // epochs are whole numbers: one tick per epoch (no 1.5), about 10 ticks for long runs
  const every = Math.max(1, Math.ceil(epochs.length / 10));
  const ticks = epochs.map((h) => h.epoch).filter((_, i) => i % every === 0);

  const lossRows: { x: number; value: number; series: string }[] = [];
  for (const h of epochs) {
    if (finite(h.loss)) lossRows.push({ x: h.epoch, value: h.loss, series: 'training (epoch mean)' });
    if (finite(h.dev_loss)) lossRows.push({ x: h.epoch, value: h.dev_loss, series: 'validation' });
  }
  if (lossRows.length > 0) {
    figures.push({ title: 'Loss by epoch', spec: lineSpec(lossRows, 'epoch', 'loss', { points: true, ticks }), caption: 'Mean training loss of each epoch, and the validation loss when the task reports one.' });
  }

  const metricNames = [...new Set(epochs.flatMap((h) => Object.keys(h)))].filter((k) => k.startsWith('dev_') && k !== 'dev_loss');
  const metricRows = epochs.flatMap((h) => metricNames.filter((k) => finite(h[k])).map((k) => ({ x: h.epoch, value: h[k], series: k.slice(4) })));
  if (metricRows.length > 0) {
    figures.push({ title: 'Validation metrics by epoch', spec: lineSpec(metricRows, 'epoch', 'dev metric', { points: true, ticks }), caption: 'Dev-set metrics after each epoch; the best epoch is the checkpoint kept.' });
  }

  const drawn = thin(steps.filter((s) => finite(s.globalStep)), MAX_STEP_POINTS);
  const stepLoss = drawn.filter((s) => finite(s.loss)).map((s) => ({ x: s.globalStep, value: s.loss, series: 'training loss (batch)' }));
  if (stepLoss.length > 0) figures.push({ title: 'Training loss per step', spec: lineSpec(stepLoss, 'optimizer step', 'loss'), caption: 'Loss of each training batch.' });

  const lrRows = drawn.length > 0
    ? drawn.filter((s) => finite(s.lr)).map((s) => ({ x: s.globalStep, value: s.lr, series: 'learning rate' }))
    : epochs.filter((h) => finite(h.lr)).map((h) => ({ x: h.epoch, value: h.lr, series: 'learning rate' }));
  if (lrRows.length > 0) figures.push({ title: 'Learning rate', spec: lineSpec(lrRows, drawn.length > 0 ? 'optimizer step' : 'epoch', 'learning rate', drawn.length > 0 ? {} : { ticks }), caption: 'The schedule as applied (warmup, decay, plateau cuts).' });

  const gradRows = drawn.filter((s) => finite(s.gradNorm) && s.gradNorm > 0).map((s) => ({ x: s.globalStep, value: s.gradNorm, series: 'gradient norm' }));
  if (gradRows.length > 0) {
    figures.push({ title: 'Gradient norm', spec: lineSpec(gradRows, 'optimizer step', 'global L2 norm (log)', { log: true }), caption: 'Global norm of the gradients before clipping; spikes are what clipping guards against.' });
  }

  // Per layer, on the logging steps (all of them: they are already every logEvery-th step).
  const logged = thin(steps.filter((s) => finite(s.globalStep) && s.layers !== undefined), MAX_STEP_POINTS);
  const columns = (rows: { series: string }[]): number => (new Set(rows.map((r) => r.series)).size > 6 ? 3 : 0);
  const ratioRows = layerRows(logged, 'updateRatio');
  if (ratioRows.length > 0) {
    figures.push({
      title: 'Update ratio by layer',
      spec: lineSpec(ratioRows, 'optimizer step', '‖Δw‖ / ‖w‖ (log)', { log: true, guide: 1e-3, legendColumns: columns(ratioRows) }),
      caption:
        'The update the optimizer applied to each layer, relative to its weights (dashed: 1e-3, the usual healthy size). ' +
        'A layer far below (under 1e-5) barely learns; far above (over 1e-1) it thrashes: change the learning rate.',
    });
  }
  const layerGradRows = layerRows(logged, 'gradNorm');
  if (layerGradRows.length > 0) {
    figures.push({
      title: 'Gradient norm by layer',
      spec: lineSpec(layerGradRows, 'optimizer step', 'L2 norm (log)', { log: true, legendColumns: columns(layerGradRows) }),
      caption: "Each layer's gradient norm before clipping: vanishing gradients show as a layer falling decades below the others.",
    });
  }
  const clipRows = epochs.filter((h) => finite(h.clipFraction)).map((h) => ({ x: h.epoch, value: h.clipFraction, series: 'steps clipped' }));
  if (clipRows.some((r) => r.value > 0)) {
    figures.push({
      title: 'Clipped steps by epoch',
      spec: lineSpec(clipRows, 'epoch', 'fraction of steps clipped', { points: true, ticks, domain: [0, 1] }),
      caption: 'Share of the steps whose gradients global-norm clipping rescaled. Above one half the clip norm, not the gradient, sets the step size (--clip-norm).',
    });
  }
  return figures;
}

function metricsTable(metrics: ReportInput['metrics']): string {
  const splits: [string, Record<string, number>][] = [['dev', metrics.dev]];
  if (metrics.test) splits.push(['test', metrics.test]);
  const names = [...new Set(splits.flatMap(([, m]) => Object.keys(m)))];
  if (names.length === 0) return '<p>No metrics.</p>';
  const head = `<tr><th>metric</th>${splits.map(([s]) => `<th>${s}</th>`).join('')}</tr>`;
  const rows = names.map((n) => `<tr><td>${escapeHtml(n)}</td>${splits.map(([, m]) => `<td class="num">${n in m ? escapeHtml(fmt(m[n])) : ''}</td>`).join('')}</tr>`);
  return `<table>${head}${rows.join('')}</table>`;
}

function configTable(config: Record<string, unknown>): string {
  const rows = Object.keys(config)
    .sort()
    .filter((k) => config[k] !== undefined)
    .map((k) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(fmt(config[k]))}</td></tr>`);
  return `<table>${rows.join('')}</table>`;
}

async function figureHtml(f: TaskFigure): Promise<string> {
  const svg = await vegaLiteToSvg(f.spec);
  const caption = f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : '';
  return `<figure><h3>${escapeHtml(f.title)}</h3>${svg}${caption}</figure>`;
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0 0 1em 0}figure h3{font-size:1em;margin:.3em 0}figcaption{color:#555;font-size:.9em;max-width:560px}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto}details{margin:1em 0}`;

/** The report page as a string (what writeHtmlReport writes). */
export async function renderHtmlReport(input: ReportInput): Promise<string> {
  const title = input.title ?? `rnnkit: ${input.task}`;
  const curves = await Promise.all(trainingFigures(input.history, input.steps).map(figureHtml));
  const own = await Promise.all(input.figures.map(figureHtml));
  const sub = [`task ${input.task}`, input.backend ? `backend ${input.backend}` : '', `${input.history.length} epochs`, `${input.steps.length} steps recorded`]
    .filter(Boolean)
    .join(' · ');
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">',
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(sub)}</p>`,
    '<h2>Metrics of the best checkpoint</h2>',
    metricsTable(input.metrics),
    curves.length > 0 ? `<h2>Training</h2><div class="grid">${curves.join('')}</div>` : '<h2>Training</h2><p>No epochs or steps recorded.</p>',
    own.length > 0 ? `<h2>${escapeHtml(input.task)}</h2><div class="grid">${own.join('')}</div>` : '',
    input.report && input.report.length > 0 ? `<h2>Report</h2><pre>${escapeHtml(input.report.join('\n'))}</pre>` : '',
    input.notes && input.notes.length > 0 ? `<h2>Notes</h2><ul>${input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '',
    `<details><summary>Configuration</summary>${configTable(input.config)}</details>`,
    `<p class="sub">Generated by rnnkit on ${new Date().toISOString()}.</p>`,
    '</body></html>',
  ];
  return `${parts.filter((p) => p !== '').join('\n')}\n`;
}

/** Writes the report page to `file` atomically (creating its directory). */
export async function writeHtmlReport(file: string, input: ReportInput): Promise<void> {
  const html = await renderHtmlReport(input);
  makeDirs(path.dirname(path.resolve(file)));
  writeFileAtomic(file, html);
}
