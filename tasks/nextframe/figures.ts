/**
 * The task's pictures and tables: test sequences as frame strips (input | ground
 * truth | predicted, one PNG per sequence shown by a Vega-Lite image mark with a
 * data: URL, so the report stays one self-contained file), the MSE by forecast
 * step beside the baselines, and the metrics table.
 */
import type { TaskFigure } from '../../src/task';
import type { FrameShape } from './data';
import type { Evaluation } from './evaluate';
import { FrameMetrics, SHI_BCE } from './metrics';
import { autoScale, frameStripPng } from './png';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Splits [T·P] into T frames. */
export function framesOf(a: Float32Array, T: number): Float32Array[] {
  const P = a.length / T;
  return Array.from({ length: T }, (_, t) => a.subarray(t * P, (t + 1) * P));
}

/** The strip of one sequence: row 1 the inputs, row 2 the true future (if known), row 3 the prediction. */
export function sequenceStrip(s: FrameShape, inputs: Float32Array[], truth: Float32Array[] | null, pred: Float32Array[]): { png: Buffer; width: number; height: number; scale: number } {
  const scale = autoScale(s.height, s.width, 48);
  const rows = truth ? [inputs, truth, pred] : [inputs, pred];
  const png = frameStripPng(rows, { ...s, scale, gap: 2 });
  const cols = Math.max(...rows.map((r) => r.length));
  return { png, width: cols * s.width * scale + (cols - 1) * 2, height: rows.length * s.height * scale + (rows.length - 1) * 2, scale };
}

/** One figure per example sequence: the strip as an image mark, with row labels. */
export function stripFigures(s: FrameShape, e: Evaluation, inputFrames: number, outputFrames: number): TaskFigure[] {
  return e.examples.map((x, i) => {
    const strip = sequenceStrip(s, framesOf(x.inputs, inputFrames), framesOf(x.truth, outputFrames), framesOf(x.pred, outputFrames));
    const rowH = (strip.height - 4) / 3;
    return {
      title: `Test sequence ${i + 1}: input, ground truth, predicted`,
      caption: `Rows: the ${inputFrames} input frames; the ${outputFrames} true next frames; the model's ${outputFrames} predicted frames (left to right in time).`,
      spec: {
        $schema: SCHEMA,
        width: strip.width + 80,
        height: strip.height,
        data: { values: [{ url: `data:image/png;base64,${strip.png.toString('base64')}` }, ...['input', 'truth', 'predicted'].map((label, r) => ({ label, y: r * (rowH + 2) + rowH / 2 }))] },
        layer: [
          {
            transform: [{ filter: 'isValid(datum.url)' }],
            mark: { type: 'image', width: strip.width, height: strip.height, align: 'left', baseline: 'top', aspect: false },
            encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 80 }, y: { value: 0 } },
          },
          {
            transform: [{ filter: 'isValid(datum.label)' }],
            mark: { type: 'text', align: 'right', baseline: 'middle', fontSize: 12 },
            encoding: { text: { field: 'label', type: 'nominal' }, x: { value: 72 }, y: { field: 'y', type: 'quantitative', scale: null } },
          },
        ],
        config: { view: { stroke: null } },
      },
    };
  });
}

/** MSE of every forecast step for the model and the baselines. */
export function horizonFigure(e: Evaluation, split: string): TaskFigure {
  const rows = (
    [
      ['model', e.model],
      ['copy last frame', e.copyLast],
      ['mean frame', e.meanFrame],
    ] as [string, FrameMetrics][]
  ).flatMap(([series, m]) => m.mseByStep.map((value, t) => ({ x: t + 1, value, series })));
  return {
    title: `MSE per pixel by forecast step (${split})`,
    caption: 'Error of each predicted frame t+1 ... t+T; copying the last input frame degrades as the objects move away.',
    spec: {
      $schema: SCHEMA,
      width: 440,
      height: 220,
      data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'frames ahead', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: 'MSE per pixel' },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
      },
    },
  };
}

const num = (v: number, d: number): string => (Number.isFinite(v) ? v.toFixed(d) : '—');

/** The metrics table (model and baselines), with Shi et al.'s cross-entropy figures for Moving MNIST. */
export function metricsTable(e: Evaluation, split: string, movingMnist: boolean): string[] {
  const rows: [string, FrameMetrics][] = [
    ['model', e.model],
    ['copy last frame', e.copyLast],
    ['mean frame', e.meanFrame],
  ];
  const head = `${split.padEnd(16)}  ${'MSE/pixel'.padStart(10)}  ${'MSE/frame'.padStart(10)}  ${'BCE/seq'.padStart(10)}  ${'SSIM'.padStart(6)}  ${'MSE vs copy'.padStart(11)}`;
  const lines = [head, '-'.repeat(head.length)];
  for (const [name, m] of rows) {
    lines.push(`${name.padEnd(16)}  ${num(m.mse, 5).padStart(10)}  ${num(m.frameMse, 1).padStart(10)}  ${num(m.bce, 1).padStart(10)}  ${num(m.ssim, 3).padStart(6)}  ${num(m.mse / e.copyLast.mse, 3).padStart(11)}`);
  }
  if (movingMnist) {
    lines.push(`${'Shi et al. 2015'.padEnd(16)}  BCE/seq on Moving MNIST: FC-LSTM ${SHI_BCE.fcLstm}, ConvLSTM ${SHI_BCE.convLstm} (their test set; ConvLSTM: 3 layers of 5×5, 128-64-64 filters)`);
  }
  return lines;
}
