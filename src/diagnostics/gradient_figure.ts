/**
 * The gradient-flow picture: log ||dLoss/ds_t|| relative to the last step's, by
 * distance from the end of the sequence, one line per cell kind, with the reach
 * threshold as a dashed rule. A Vega-Lite spec (render with vegaLiteToSvg).
 */
import type { TaskFigure } from '../task';
import type { CellFlow } from './long_dependency';
import { byDistance } from './gradient_flow';

/** Display names of the cell kinds. */
export const CELL_NAMES: Record<string, string> = { rnn: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' };

/** The figure for a set of cells measured on the same task. */
export function gradientFlowFigure(flows: CellFlow[], threshold: number): TaskFigure {
  const values: { distance: number; relative: number; cell: string }[] = [];
  const underflow: string[] = [];
  for (const f of flows) {
    const n = byDistance(f.series);
    let zeros = 0;
    n.forEach((v, d) => {
      if (v > 0) values.push({ distance: d, relative: v / n[0], cell: CELL_NAMES[f.cell] ?? f.cell });
      else zeros++;
    });
    if (zeros > 0) underflow.push(`${CELL_NAMES[f.cell] ?? f.cell} (${zeros} steps)`);
  }
  const T = Math.max(...flows.map((f) => f.series.norms.length));
  return {
    title: `Gradient flow: ||dLoss/ds_t|| by distance from the end (T = ${T})`,
    caption:
      `Norm of the loss gradient with respect to each step's state (h; h and c for LSTM), relative to the last step's, on a task whose answer is the first symbol. ` +
      `Dashed: the ${threshold} threshold.` +
      (underflow.length > 0 ? ` Exactly zero in float32 (underflow, not drawn): ${underflow.join(', ')}.` : ''),
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 560,
      height: 300,
      layer: [
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x: { field: 'distance', type: 'quantitative', title: 'steps before the end (distance T-1-t)', scale: { domain: [0, T - 1], nice: false } },
            y: { field: 'relative', type: 'quantitative', title: 'gradient norm / last step\'s (log)', scale: { type: 'log' }, axis: { format: '.0e' } },
            color: { field: 'cell', type: 'nominal', title: 'cell', sort: Object.values(CELL_NAMES) },
          },
        },
        {
          data: { values: [{ threshold }] },
          mark: { type: 'rule', strokeDash: [6, 4], color: '#888' },
          encoding: { y: { field: 'threshold', type: 'quantitative' } },
        },
      ],
    },
  };
}
